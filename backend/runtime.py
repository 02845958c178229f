"""What every request may need, built once per worker at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from backend.auth.passwords import PasswordHasher
from backend.crypto.keys import KeyRing
from backend.db.engine import Database
from backend.settings import Settings

__all__ = ["Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    """Settings, keys, the database and the password hasher of one worker."""

    settings: Settings
    keyring: KeyRing
    db: Database
    hasher: PasswordHasher
