"""The key file and per-purpose key derivation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.crypto.keys import (
    KeyFileError,
    activate_master_key,
    add_master_key,
    create_key_file,
    destroy_master_key,
    load_key_file,
    retire_master_key,
)


def test_key_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "k" / "lantern.key"
    ring = create_key_file(path, development=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ring.development


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    create_key_file(path, development=True)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        create_key_file(path, development=False)
    assert path.read_bytes() == before


def test_group_readable_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    create_key_file(path, development=True)
    path.chmod(0o640)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_key_file(path)


def test_malformed_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    path.write_text("{not json")
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="malformed"):
        load_key_file(path)


def test_each_purpose_derives_a_different_key(tmp_path: Path) -> None:
    ring = create_key_file(tmp_path / "lantern.key", development=True)
    purposes = [
        "audit-chain",
        "token-hash",
        "login-throttle",
        "data-key-wrap",
        "pseudonym-wallet",
        "person-match",
    ]
    keys = {ring.derive(p) for p in purposes}  # type: ignore[arg-type]
    assert len(keys) == len(purposes)
    assert all(len(k) == 32 for k in keys)
    a = ring.derive("pseudonym-case-reference", context=b"investigation-1")
    b = ring.derive("pseudonym-case-reference", context=b"investigation-2")
    assert a != b


def test_derivation_is_stable_across_loads(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    first = create_key_file(path, development=True).derive("audit-chain")
    assert load_key_file(path).derive("audit-chain") == first


def test_rotation_stages_a_key_then_activates_it_keeping_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    old = create_key_file(path, development=True)
    new_id = add_master_key(path)
    staged = load_key_file(path)
    # Staged: every worker can now read under it, but nothing is written under it yet.
    assert staged.active_id == old.active_id
    assert new_id in staged.key_ids
    activate_master_key(path, new_id)
    ring = load_key_file(path)
    assert ring.active_id == new_id != old.active_id
    assert ring.derive("audit-chain", key_id=old.active_id) == old.derive("audit-chain")
    assert ring.derive("audit-chain") != old.derive("audit-chain")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["lantern.key"]  # no temporary left behind


def test_activating_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    create_key_file(path, development=True)
    with pytest.raises(KeyFileError):
        activate_master_key(path, "mk-000000000000")


def test_a_key_file_is_never_overwritten_and_never_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lantern.key"
    first = create_key_file(path, development=True)
    with pytest.raises(KeyFileError):
        create_key_file(path, development=True)
    assert load_key_file(path).active_id == first.active_id

    # A crash while writing (here: fsync fails) leaves no key file at all.
    fresh = tmp_path / "fresh" / "lantern.key"

    def crash(_fd: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk gone"):
        create_key_file(fresh, development=True)
    assert list(fresh.parent.iterdir()) == []


def test_cli_rotation_in_two_steps(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    old = create_key_file(path, development=True)
    env = {"LANTERN_KEY_FILE": str(path)}
    staged = CliRunner().invoke(main, ["keys", "rotate"], env=env)
    assert staged.exit_code == 0, staged.output
    new_id = next(k for k in load_key_file(path).key_ids if k != old.active_id)
    assert load_key_file(path).active_id == old.active_id
    activated = CliRunner().invoke(main, ["keys", "activate", new_id], env=env)
    assert activated.exit_code == 0, activated.output
    assert load_key_file(path).active_id == new_id


def test_cli_keys_init_production(tmp_path: Path) -> None:
    path = tmp_path / "prod.key"
    result = CliRunner().invoke(
        main, ["keys", "init", "--production"], env={"LANTERN_KEY_FILE": str(path)}
    )
    assert result.exit_code == 0, result.output
    assert not load_key_file(path).development
    again = CliRunner().invoke(
        main, ["keys", "init", "--if-missing"], env={"LANTERN_KEY_FILE": str(path)}
    )
    assert again.exit_code == 0


def test_a_key_goes_staged_active_superseded_retired_destroyed(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    old = create_key_file(path, development=True).active_id
    new = add_master_key(path)
    assert load_key_file(path).state(new) == "staged"
    activate_master_key(path, new)
    ring = load_key_file(path)
    assert (ring.state(old), ring.state(new)) == ("superseded", "active")
    with pytest.raises(KeyFileError, match="active key"):
        retire_master_key(path, new)
    with pytest.raises(KeyFileError, match="not retired"):
        destroy_master_key(path, old)
    audit_key = ring.derive("audit-chain", key_id=old)
    secret = next(
        k["secret"] for k in json.loads(path.read_text())["master_keys"] if k["id"] == old
    )
    retire_master_key(path, old)
    assert load_key_file(path).state(old) == "retired"
    with pytest.raises(KeyFileError, match="retired"):
        activate_master_key(path, old)
    destroy_master_key(path, old)
    gone = load_key_file(path)
    assert gone.state(old) == "destroyed" and gone.key_ids == (new,)
    # Only the audit key survives (so old audit entries still verify); nothing else.
    assert gone.derive("audit-chain", key_id=old) == audit_key
    for purpose in ("data-key-wrap", "token-hash", "person-match"):
        with pytest.raises(KeyFileError):
            gone.derive(purpose, key_id=old)  # type: ignore[arg-type]
    assert secret not in path.read_text()
    with pytest.raises(KeyFileError, match="destroyed"):
        destroy_master_key(path, old)


def test_a_loaded_key_ring_follows_its_file(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    ring = create_key_file(path, development=True)
    new = add_master_key(path)
    # A key id it has never seen makes it read the file again at once.
    assert ring.derive("data-key-wrap", key_id=new) == load_key_file(path).derive(
        "data-key-wrap", key_id=new
    )
    activate_master_key(path, new)
    assert ring.refresh() and ring.active_id == new
    assert not ring.refresh()  # unchanged since


def test_a_broken_key_file_leaves_a_running_key_ring_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "lantern.key"
    ring = create_key_file(path, development=True)
    path.chmod(0o644)
    path.write_text("{broken")
    assert not ring.refresh()
    assert len(ring.derive("audit-chain")) == 32
