"""The key file and per-purpose key derivation.

One key file holds one or more *master secrets* (for rotation), one of them
active. Nothing uses a master secret directly: every use derives its own key
with HKDF-SHA-256 under a distinct ``info`` label, so that a key for hashing
tokens can never be confused with the key chaining the audit log, the key
wrapping per-case data keys, or a pseudonym key.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import stat
from pathlib import Path
from typing import Literal

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KeyFileError",
    "KeyPurpose",
    "KeyRing",
    "MasterKey",
    "activate_master_key",
    "add_master_key",
    "create_key_file",
    "load_key_file",
]

#: Every use of key material in Lantern. Add a purpose here to get a new,
#: independent key; never reuse a purpose for a second meaning.
KeyPurpose = Literal[
    "audit-chain",
    "token-hash",
    "login-throttle",
    "data-key-wrap",
    "pseudonym-wallet",
    "pseudonym-case-reference",
    "person-match",
    "blind-index",
]

_FORMAT = "lantern-keyfile/1"
_HKDF_SALT = b"lantern/hkdf/v1"
_SECRET_BYTES = 32


class KeyFileError(Exception):
    """The key file is missing, unreadable, malformed or too widely readable."""


class MasterKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One master secret, named by an id that is stored beside everything it protects."""

    id: str
    secret: str  # base64 of 32 random bytes
    created_at: dt.datetime


class _KeyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str
    development: bool
    active: str
    master_keys: list[MasterKey]


class KeyRing:
    """Master secrets loaded from the key file, and the keys derived from them."""

    def __init__(self, *, master_keys: dict[str, bytes], active: str, development: bool) -> None:
        if active not in master_keys:
            raise KeyFileError(f"active key id {active!r} is not among the master keys")
        self._master = dict(master_keys)
        self.active_id = active
        self.development = development
        self._cache: dict[tuple[str, str, bytes], bytes] = {}

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every master key held, oldest first as written in the file."""
        return tuple(self._master)

    def derive(
        self, purpose: KeyPurpose, *, key_id: str | None = None, context: bytes = b""
    ) -> bytes:
        """Derive the 32-byte key for ``purpose`` (and an optional sub-context).

        Args:
            purpose: What the key is for; each purpose yields an unrelated key.
            key_id: Which master secret to derive from; the active one by default.
            context: Extra binding, e.g. an investigation id for its case references.

        Returns:
            32 bytes of key material.

        Raises:
            KeyFileError: ``key_id`` is not in the key ring.
        """
        kid = key_id or self.active_id
        cache_key = (kid, purpose, context)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        try:
            master = self._master[kid]
        except KeyError:
            raise KeyFileError(f"master key {kid!r} is not in the key file") from None
        info = b"lantern/" + purpose.encode() + b"/" + context
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=info).derive(master)
        self._cache[cache_key] = key
        return key


def _new_master_key() -> MasterKey:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return MasterKey(
        id="mk-" + secrets.token_hex(6),
        secret=base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode(),
        created_at=now,
    )


def _write_new_file(path: Path, body: bytes, *, replace: bool) -> None:
    """Write ``body`` to ``path`` atomically, readable by its owner only.

    The bytes go to a fresh temporary file beside ``path`` (created with
    ``O_EXCL`` and mode 0600, so nothing else can have opened it), are flushed
    to disk, and then take ``path``'s name in one step: a crash leaves either
    the old file or the new one, never half a key file. Without ``replace`` the
    final step is a hard link, which fails if ``path`` exists.

    Raises:
        FileExistsError: ``path`` exists and ``replace`` is false.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            tmp.replace(path)
        else:
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _encode(keyfile: _KeyFile) -> bytes:
    return msgspec.json.format(msgspec.json.encode(keyfile)) + b"\n"


def create_key_file(path: Path, *, development: bool) -> KeyRing:
    """Create a new key file with one fresh master secret, readable by its owner only.

    Args:
        path: Where to write; must not exist yet.
        development: Mark the keys as development keys (production mode refuses them).

    Returns:
        The key ring read back from the new file.

    Raises:
        KeyFileError: The file already exists.
    """
    key = _new_master_key()
    keyfile = _KeyFile(format=_FORMAT, development=development, active=key.id, master_keys=[key])
    try:
        _write_new_file(path, _encode(keyfile), replace=False)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite keys") from None
    return load_key_file(path)


def load_key_file(path: Path) -> KeyRing:
    """Read and check a key file.

    Raises:
        KeyFileError: Missing, readable by group or others, or malformed.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(
            f"key file {path} does not exist; create it with `lantern keys init`"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"key file {path} is accessible to group or others (mode {stat.S_IMODE(mode):o}); "
            "run `chmod 600` on it"
        )
    try:
        parsed = msgspec.json.decode(path.read_bytes(), type=_KeyFile)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise KeyFileError(f"key file {path} is malformed: {exc}") from None
    if parsed.format != _FORMAT:
        raise KeyFileError(f"key file {path} has unknown format {parsed.format!r}")
    secrets_by_id: dict[str, bytes] = {}
    for key in parsed.master_keys:
        raw = base64.b64decode(key.secret, validate=True)
        if len(raw) != _SECRET_BYTES:
            raise KeyFileError(f"master key {key.id} in {path} is not {_SECRET_BYTES} bytes")
        secrets_by_id[key.id] = raw
    return KeyRing(master_keys=secrets_by_id, active=parsed.active, development=parsed.development)


def _read(path: Path) -> _KeyFile:
    load_key_file(path)  # permission and format checks
    return msgspec.json.decode(path.read_bytes(), type=_KeyFile)


def add_master_key(path: Path, *, activate: bool = False) -> str:
    """Append a new master secret to the key file (the first step of a rotation).

    By default the new key is only *staged*: every worker that reloads the file
    can read what it protects, but nothing is written under it yet. Activate it
    with :func:`activate_master_key` once every worker has reloaded, so that no
    worker ever meets a key id it does not know. Old secrets stay, so what they
    protect can still be read.

    Returns:
        The new key id.
    """
    parsed = _read(path)
    key = _new_master_key()
    updated = _KeyFile(
        format=_FORMAT,
        development=parsed.development,
        active=key.id if activate else parsed.active,
        master_keys=[*parsed.master_keys, key],
    )
    _write_new_file(path, _encode(updated), replace=True)
    return key.id


def activate_master_key(path: Path, key_id: str) -> None:
    """Make a staged master key the one new data is protected under.

    Raises:
        KeyFileError: ``key_id`` is not in the file.
    """
    parsed = _read(path)
    if key_id not in {key.id for key in parsed.master_keys}:
        raise KeyFileError(f"master key {key_id!r} is not in {path}")
    updated = _KeyFile(
        format=_FORMAT,
        development=parsed.development,
        active=key_id,
        master_keys=parsed.master_keys,
    )
    _write_new_file(path, _encode(updated), replace=True)
