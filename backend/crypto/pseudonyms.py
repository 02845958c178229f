"""Keyed pseudonyms: HMAC-SHA-256 under a key derived for one purpose.

Never an unkeyed hash: usernames, client addresses and wallet addresses are
guessable or public, so a plain hash of one is as good as the value itself.
Each purpose has its own HKDF-derived key (``KeyRing.derive``), and an
optional context (an investigation id) makes pseudonyms of one context
unlinkable to those of another.
"""

from __future__ import annotations

import hashlib
import hmac

from backend.crypto.keys import KeyPurpose, KeyRing

__all__ = ["pseudonym", "pseudonyms_under_every_key"]


def _message(parts: tuple[bytes | str, ...]) -> bytes:
    # Length-prefixed, so that ("ab", "c") and ("a", "bc") never collide.
    out = bytearray()
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def pseudonym(
    keyring: KeyRing,
    purpose: KeyPurpose,
    *parts: bytes | str,
    key_id: str | None = None,
    context: bytes = b"",
) -> bytes:
    """The 32-byte pseudonym of ``parts`` for ``purpose``.

    Args:
        keyring: The master keys.
        purpose: What the pseudonym is for; each purpose has an unrelated key.
        *parts: The values pseudonymised together (encoded unambiguously).
        key_id: The master key to derive from; the active one by default.
        context: Extra binding of the key (an investigation id, say).
    """
    key = keyring.derive(purpose, key_id=key_id, context=context)
    return hmac.new(key, _message(parts), hashlib.sha256).digest()


def pseudonyms_under_every_key(
    keyring: KeyRing, purpose: KeyPurpose, *parts: bytes | str, context: bytes = b""
) -> list[bytes]:
    """The pseudonym under each master key held (values stored before a rotation)."""
    return [
        pseudonym(keyring, purpose, *parts, key_id=kid, context=context) for kid in keyring.key_ids
    ]
