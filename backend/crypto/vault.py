"""Envelope encryption: one AES-256-GCM data key per case, wrapped by a master key.

A *data key* is 32 random bytes made for one case (or one quarantined
payload). It is stored only wrapped: encrypted with AES-256-GCM under a key
derived (HKDF, purpose ``data-key-wrap``) from a master key, with the owner's
id and the master key id as associated data. Destroying the wrapped key
(crypto-shredding) makes everything sealed under it unreadable, in backups too.

A sealed value is ``b"L1" + key-id length + key id + 12-byte nonce +
ciphertext``. Its associated data binds it to its table, column, row id and
the data key's id, so a ciphertext copied to another row, column or table
fails to open. Nothing here is a primitive of our own: AES-GCM comes from
``cryptography``.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backend.crypto.keys import KeyRing

__all__ = ["DataKey", "SealedValueError", "Vault", "WrappedKey"]

_VERSION = b"L1"
_NONCE_BYTES = 12


class SealedValueError(Exception):
    """A sealed value is malformed, was moved, or its key is gone."""


class WrappedKey:
    """A data key as stored: encrypted under a master key, named by its id."""

    __slots__ = ("master_key_id", "wrapped")

    def __init__(self, *, wrapped: bytes, master_key_id: str) -> None:
        self.wrapped = wrapped
        self.master_key_id = master_key_id


class DataKey:
    """A plain data key, held in memory only while a request needs it."""

    __slots__ = ("_aead", "key_ref")

    def __init__(self, raw: bytes, *, key_ref: str) -> None:
        self._aead = AESGCM(raw)
        self.key_ref = key_ref

    def _aad(self, table: str, column: str, row_id: str) -> bytes:
        return "\x1f".join((table, column, row_id, self.key_ref)).encode()

    def seal(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Encrypt ``plaintext`` for one cell (table, column, row)."""
        nonce = os.urandom(_NONCE_BYTES)
        ref = self.key_ref.encode()
        body = self._aead.encrypt(nonce, plaintext, self._aad(table, column, row_id))
        return _VERSION + len(ref).to_bytes(1, "big") + ref + nonce + body

    def open(self, sealed: bytes, *, table: str, column: str, row_id: str) -> bytes:
        """Decrypt a value sealed for this exact cell.

        Raises:
            SealedValueError: malformed, sealed under another key, or moved from elsewhere.
        """
        if sealed[:2] != _VERSION or len(sealed) < 3:
            raise SealedValueError("not a sealed value")
        size = sealed[2]
        ref = sealed[3 : 3 + size].decode(errors="replace")
        if ref != self.key_ref:
            raise SealedValueError("sealed under another data key")
        nonce = sealed[3 + size : 3 + size + _NONCE_BYTES]
        body = sealed[3 + size + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, self._aad(table, column, row_id))
        except InvalidTag:
            raise SealedValueError(
                "the value does not belong to this cell or was altered"
            ) from None


class Vault:
    """Makes, wraps and unwraps data keys under the master keys of a key ring."""

    def __init__(self, keyring: KeyRing) -> None:
        self.keyring = keyring

    def _wrapper(self, master_key_id: str) -> AESGCM:
        return AESGCM(self.keyring.derive("data-key-wrap", key_id=master_key_id))

    def new_data_key(self, owner: uuid.UUID) -> tuple[DataKey, WrappedKey]:
        """A fresh data key for ``owner`` (a case id), and its wrapped form to store."""
        raw = AESGCM.generate_key(bit_length=256)
        return DataKey(raw, key_ref=str(owner)), self.wrap(raw, owner)

    def wrap(self, raw: bytes, owner: uuid.UUID, *, master_key_id: str | None = None) -> WrappedKey:
        """Wrap a data key under a master key (the active one by default)."""
        kid = master_key_id or self.keyring.active_id
        nonce = os.urandom(_NONCE_BYTES)
        aad = f"data-key\x1f{owner}\x1f{kid}".encode()
        return WrappedKey(
            wrapped=nonce + self._wrapper(kid).encrypt(nonce, raw, aad), master_key_id=kid
        )

    def unwrap(self, wrapped: WrappedKey, owner: uuid.UUID) -> DataKey:
        """The data key of ``owner`` from its stored, wrapped form.

        The master key is the one the stored row names, so a key re-wrapped
        by a rotation and one not yet re-wrapped both open.

        Raises:
            SealedValueError: the wrapped key is not ``owner``'s or its master key is gone.
        """
        return DataKey(self.unwrap_raw(wrapped, owner), key_ref=str(owner))

    def unwrap_raw(self, wrapped: WrappedKey, owner: uuid.UUID) -> bytes:
        """The raw bytes of ``owner``'s data key (for re-wrapping it; never stored plain).

        Raises:
            SealedValueError: the wrapped key is not ``owner``'s or its master key is gone.
        """
        kid = wrapped.master_key_id
        aad = f"data-key\x1f{owner}\x1f{kid}".encode()
        try:
            raw = self._wrapper(kid).decrypt(
                wrapped.wrapped[:_NONCE_BYTES], wrapped.wrapped[_NONCE_BYTES:], aad
            )
        except InvalidTag:
            raise SealedValueError("the data key does not belong to this owner") from None
        except Exception as exc:  # an unknown master key id
            raise SealedValueError(f"cannot unwrap: {type(exc).__name__}") from None
        return raw
