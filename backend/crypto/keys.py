"""The key file and per-purpose key derivation.

One key file holds one or more *master secrets* (for rotation), one of them
active. Nothing uses a master secret directly: every use derives its own key
with HKDF-SHA-256 under a distinct ``info`` label, so that a key for hashing
tokens can never be confused with the key chaining the audit log, the key
wrapping per-case data keys, or a pseudonym key.

A master key moves through these states, all written in the key file:
``staged`` (held, nothing written under it yet) → ``active`` (new data is
protected under it) → ``superseded`` (another key is active; what it protects
is being re-wrapped) → ``retired`` (nothing in the database uses it any more;
its secret is still held) → ``destroyed`` (its secret is gone; only the audit
key derived from it is kept, so the audit chain stays verifiable). A running
worker re-reads the key file when it changes, so every worker reads under a
key as soon as the file holding it is in place.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import stat
import time
from pathlib import Path
from typing import Literal

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "KeyFileError",
    "KeyPurpose",
    "KeyRing",
    "KeyState",
    "MasterKey",
    "activate_master_key",
    "add_master_key",
    "create_key_file",
    "destroy_master_key",
    "load_key_file",
    "retire_master_key",
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
    "console-session",
]

#: Where a master key is in its life (see the module docstring).
KeyState = Literal["staged", "active", "superseded", "retired", "destroyed"]

_FORMAT = "lantern-keyfile/1"
_HKDF_SALT = b"lantern/hkdf/v1"
_SECRET_BYTES = 32
#: Purposes whose derived key outlives its destroyed master key: the audit
#: chain must stay verifiable, and its key can decrypt nothing.
_KEPT_AFTER_DESTRUCTION: tuple[KeyPurpose, ...] = ("audit-chain",)
#: A running worker looks at the key file at most this often (seconds).
_REFRESH_INTERVAL = 1.0


class KeyFileError(Exception):
    """The key file is missing, unreadable, malformed or too widely readable."""


class MasterKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One master secret, named by an id that is stored beside everything it protects."""

    id: str
    secret: str  # base64 of 32 random bytes
    created_at: dt.datetime
    #: Set once nothing in the database uses the key any more.
    retired_at: dt.datetime | None = None


class _DestroyedKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What is left of a destroyed master key: its id and the audit key derived from it."""

    id: str
    destroyed_at: dt.datetime
    kept: dict[str, str]  # purpose -> base64 of the derived key


class _KeyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str
    development: bool
    active: str
    master_keys: list[MasterKey]
    destroyed: list[_DestroyedKey] = msgspec.field(default_factory=list)


class KeyRing:
    """Master secrets loaded from the key file, and the keys derived from them.

    A key ring loaded from a file (:func:`load_key_file`) follows that file:
    at most once a second it checks whether the file changed and, if so,
    reads it again (a newly staged, activated, retired or destroyed key takes
    effect without a restart), and it reads it again at once when asked for a
    key id it does not hold. A file that has become unreadable leaves the keys
    already held in place.
    """

    def __init__(
        self,
        *,
        master_keys: dict[str, bytes],
        active: str,
        development: bool,
        retired: frozenset[str] = frozenset(),
        kept: dict[str, dict[str, bytes]] | None = None,
        source: Path | None = None,
    ) -> None:
        if active not in master_keys:
            raise KeyFileError(f"active key id {active!r} is not among the master keys")
        if active in retired:
            raise KeyFileError(f"active key id {active!r} is retired")
        self._master = dict(master_keys)
        self.active_id = active
        self.development = development
        self._retired = retired
        self._kept = dict(kept or {})
        self._cache: dict[tuple[str, str, bytes], bytes] = {}
        self._source = source
        self._stamp = _stamp(source) if source else None
        self._checked_at = time.monotonic()

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Ids of every master key held, oldest first as written in the file."""
        self._maybe_refresh()
        return tuple(self._master)

    def state(self, key_id: str) -> KeyState:
        """Where ``key_id`` is in its life.

        Raises:
            KeyFileError: The key file has never named ``key_id``.
        """
        self._maybe_refresh()
        if key_id == self.active_id:
            return "active"
        if key_id in self._retired:
            return "retired"
        if key_id in self._kept:
            return "destroyed"
        if key_id not in self._master:
            raise KeyFileError(f"master key {key_id!r} is not in the key file")
        ids = list(self._master)
        return "staged" if ids.index(key_id) > ids.index(self.active_id) else "superseded"

    def refresh(self) -> bool:
        """Read the key file again if it changed since it was read; say whether it did."""
        if self._source is None:
            return False
        self._checked_at = time.monotonic()
        stamp = _stamp(self._source)
        if stamp == self._stamp:
            return False
        try:
            fresh = load_key_file(self._source)
        except KeyFileError:
            return False  # keep serving with the keys already held
        self._master = fresh._master
        self.active_id = fresh.active_id
        self.development = fresh.development
        self._retired = fresh._retired
        self._kept = fresh._kept
        self._stamp = fresh._stamp
        self._cache = {k: v for k, v in self._cache.items() if k[0] in self._master}
        return True

    def _maybe_refresh(self) -> None:
        if self._source is not None and time.monotonic() - self._checked_at >= _REFRESH_INTERVAL:
            self.refresh()

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
            KeyFileError: ``key_id`` is not in the key ring (or was destroyed,
                and ``purpose`` is not one kept after destruction).
        """
        self._maybe_refresh()
        kid = key_id or self.active_id
        cache_key = (kid, purpose, context)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        if kid not in self._master and kid not in self._kept:
            self.refresh()  # another process may have staged it since this one read the file
        master = self._master.get(kid)
        if master is None:
            kept = self._kept.get(kid, {}).get(purpose)
            if kept is not None and not context:
                return kept
            raise KeyFileError(f"master key {kid!r} is not in the key file")
        key = _hkdf(master, purpose, context)
        self._cache[cache_key] = key
        return key


def _hkdf(master: bytes, purpose: KeyPurpose, context: bytes) -> bytes:
    info = b"lantern/" + purpose.encode() + b"/" + context
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=info).derive(master)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes whenever the key file is replaced (it is always replaced, never edited)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


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
    stamp = _stamp(path)
    secrets_by_id: dict[str, bytes] = {}
    for key in parsed.master_keys:
        raw = base64.b64decode(key.secret, validate=True)
        if len(raw) != _SECRET_BYTES:
            raise KeyFileError(f"master key {key.id} in {path} is not {_SECRET_BYTES} bytes")
        secrets_by_id[key.id] = raw
    kept = {
        gone.id: {purpose: base64.b64decode(value) for purpose, value in gone.kept.items()}
        for gone in parsed.destroyed
    }
    ring = KeyRing(
        master_keys=secrets_by_id,
        active=parsed.active,
        development=parsed.development,
        retired=frozenset(key.id for key in parsed.master_keys if key.retired_at is not None),
        kept=kept,
        source=path,
    )
    ring._stamp = stamp  # the file as it was read, even if it is replaced meanwhile
    return ring


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
    updated = msgspec.structs.replace(
        parsed, active=key.id if activate else parsed.active, master_keys=[*parsed.master_keys, key]
    )
    _write_new_file(path, _encode(updated), replace=True)
    return key.id


def activate_master_key(path: Path, key_id: str) -> None:
    """Make a staged master key the one new data is protected under.

    Raises:
        KeyFileError: ``key_id`` is not in the file.
    """
    parsed = _read(path)
    key = _held(parsed, key_id, path)
    if key.retired_at is not None:
        raise KeyFileError(f"master key {key_id!r} is retired; stage a new key instead")
    _write_new_file(path, _encode(msgspec.structs.replace(parsed, active=key_id)), replace=True)


def _held(parsed: _KeyFile, key_id: str, path: Path) -> MasterKey:
    for key in parsed.master_keys:
        if key.id == key_id:
            return key
    if any(gone.id == key_id for gone in parsed.destroyed):
        raise KeyFileError(f"master key {key_id!r} was destroyed")
    raise KeyFileError(f"master key {key_id!r} is not in {path}")


def retire_master_key(path: Path, key_id: str) -> None:
    """Mark a master key retired: nothing uses it any more (the caller checked the database).

    Its secret stays in the file until :func:`destroy_master_key`, so a row
    written under it by a worker that had not yet seen the newer key can
    still be read and re-wrapped.

    Raises:
        KeyFileError: ``key_id`` is unknown, destroyed or the active key.
    """
    parsed = _read(path)
    key = _held(parsed, key_id, path)
    if key_id == parsed.active:
        raise KeyFileError(f"master key {key_id!r} is the active key; activate another first")
    if key.retired_at is not None:
        return
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    keys = [
        msgspec.structs.replace(k, retired_at=now) if k.id == key_id else k
        for k in parsed.master_keys
    ]
    _write_new_file(path, _encode(msgspec.structs.replace(parsed, master_keys=keys)), replace=True)


def destroy_master_key(path: Path, key_id: str) -> None:
    """Remove a retired master secret from the key file for good.

    Whatever is still wrapped under it (in old backups, say) can never be
    read again. Only the audit-chain key derived from it is kept, so the
    audit entries sealed under it can still be verified.

    Raises:
        KeyFileError: ``key_id`` is unknown, already destroyed, or not retired.
    """
    parsed = _read(path)
    key = _held(parsed, key_id, path)
    if key.retired_at is None:
        raise KeyFileError(f"master key {key_id!r} is not retired; retire it first")
    secret = base64.b64decode(key.secret, validate=True)
    gone = _DestroyedKey(
        id=key_id,
        destroyed_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        kept={
            purpose: base64.b64encode(_hkdf(secret, purpose, b"")).decode()
            for purpose in _KEPT_AFTER_DESTRUCTION
        },
    )
    updated = msgspec.structs.replace(
        parsed,
        master_keys=[k for k in parsed.master_keys if k.id != key_id],
        destroyed=[*parsed.destroyed, gone],
    )
    _write_new_file(path, _encode(updated), replace=True)
