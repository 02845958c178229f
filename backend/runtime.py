"""What every request may need, built once per worker at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from backend.crypto.keys import KeyRing
from backend.crypto.passwords import PasswordHasher
from backend.db.engine import Database
from backend.db.outbox import Projector
from backend.i18n import Catalogs
from backend.settings import Settings
from screening import InstrumentRegistry

__all__ = ["Runtime"]


@dataclass(frozen=True, slots=True)
class Runtime:
    """Settings, keys, database, hasher, instruments and catalogues of one worker."""

    settings: Settings
    keyring: KeyRing
    db: Database
    hasher: PasswordHasher
    instruments: InstrumentRegistry
    catalogs: Catalogs
    #: What is told of every synced record written, in order (registered by ``build_runtime``).
    projectors: tuple[Projector, ...] = ()
