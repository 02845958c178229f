"""argon2id hashing, off the event loop and bounded in concurrency."""

from __future__ import annotations

import asyncio
import contextlib

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from backend.settings import Settings
from backend.users.policy import normalise_password

__all__ = ["PasswordHasher", "Verified"]


class Verified:
    """The result of a verification: whether it matched and whether to store a new hash."""

    __slots__ = ("needs_rehash", "ok")

    def __init__(self, *, ok: bool, needs_rehash: bool = False) -> None:
        self.ok = ok
        self.needs_rehash = needs_rehash


class PasswordHasher:
    """argon2id with the operator's parameters.

    Each hash costs ``argon2_memory_cost_kib`` of memory and a core for tens of
    milliseconds: it runs in a worker thread, and at most
    ``argon2_max_concurrency`` at once, so a burst of sign-ins queues instead of
    exhausting memory or stalling every other request.
    """

    def __init__(self, settings: Settings) -> None:
        self._hasher = Argon2Hasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(settings.argon2_max_concurrency)
        # Made now, not on first use: otherwise the first unknown-user sign-in
        # would cost two hashes and stand out by its timing.
        self._dummy_hash = self._hasher.hash("lantern-timing-equaliser")

    def hash_sync(self, password: str) -> str:
        """Hash in the calling thread (for the CLI)."""
        return self._hasher.hash(normalise_password(password))

    async def hash(self, password: str) -> str:
        """Hash a new password."""
        async with self._slots:
            return await asyncio.to_thread(self.hash_sync, password)

    def _verify_sync(self, stored: str | None, password: str) -> Verified:
        candidate = normalise_password(password)
        if stored is None:
            # Unknown account: spend the same work so timing does not tell.
            with contextlib.suppress(VerificationError):
                self._hasher.verify(self._dummy_hash, candidate)
            return Verified(ok=False)
        try:
            self._hasher.verify(stored, candidate)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verified(ok=False)
        return Verified(ok=True, needs_rehash=self._hasher.check_needs_rehash(stored))

    async def verify(self, stored: str | None, password: str) -> Verified:
        """Check ``password`` against ``stored`` (``None``: no such account)."""
        async with self._slots:
            return await asyncio.to_thread(self._verify_sync, stored, password)
