"""How a synced record's body is sealed in its cell: one place for every reader and writer.

A body is the record's fields as JSON, sealed under its case's data key for
the cell (``sync_records``, ``body``, the record's id). Sync writes it; the
case view, the linkage index, duplicate matching and disclosure requests
read it. They all open it here, so the cell binding is spelled once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.crypto.vault import DataKey

__all__ = ["RECORDS_TABLE", "open_body", "open_body_json", "seal_body"]

RECORDS_TABLE = "sync_records"


def seal_body(key: DataKey, record_id: uuid.UUID, values: Mapping[str, Any]) -> bytes:
    """Seal a record's fields for its own cell."""
    return key.seal(
        msgspec.json.encode(values), table=RECORDS_TABLE, column="body", row_id=str(record_id)
    )


def open_body_json(key: DataKey, record_id: uuid.UUID, body: bytes) -> bytes:
    """A record's fields as the JSON they were sealed as.

    Raises:
        SealedValueError: not this record's body, or altered.
    """
    return key.open(body, table=RECORDS_TABLE, column="body", row_id=str(record_id))


def open_body(key: DataKey, record_id: uuid.UUID, body: bytes) -> dict[str, Any]:
    """A record's fields.

    Raises:
        SealedValueError: not this record's body, or altered.
    """
    values: dict[str, Any] = msgspec.json.decode(open_body_json(key, record_id, body))
    return values
