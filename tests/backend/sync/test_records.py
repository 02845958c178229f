"""The record store: the fast and slow push paths store the same thing; start-up wires the rest.

A batch pushed through the bulk path and the same batch (other ids) pushed one
mutation at a time must leave identical records (opened bodies, facets,
revisions, field revisions), identical change-log entries, outcomes and
projections (consent standing, linkage rows, pending person encodings).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from backend.db.models import (
    Change,
    ConsentState,
    LinkedDisclosure,
    Mutation,
    PersonEncoding,
    Record,
)
from backend.db.outbox import installed
from backend.db.session import read_transaction
from backend.runtime import Runtime
from backend.sync.bulk import BulkPath
from backend.sync.records import RecordStore
from tests.backend.sync.support import Device, case_data, field_operation, mutation, now
from tests.conftest import Accounts

_CHILDREN: dict[str, Any] = {
    "consent": st.fixed_dictionaries(
        {
            "purpose": st.sampled_from(["services", "financial_investigation"]),
            "state": st.sampled_from(["given", "refused", "withdrawn"]),
        }
    ),
    "account": st.fixed_dictionaries({"text": st.text("abc xyz", min_size=1, max_size=30)}),
    "disclosure": st.fixed_dictionaries(
        {
            "kind": st.just("wallet"),
            "role": st.sampled_from(["paid_to_perpetrator", "victim_own", "unknown"]),
            "raw": st.sampled_from(
                ["TXfake0000", "0x52908400098527886E0F7030069857D2E4169EE7", "not-an-address"]
            ),
        }
    ),
    "referral": st.fixed_dictionaries(
        {
            "service": st.sampled_from(["shelter", "medical", "legal_aid"]),
            "status": st.sampled_from(["proposed", "accepted"]),
        }
    ),
}

#: One moment for every consent of a test run, so both paths store the same value.
_AT = now()

_BATCH = st.lists(
    st.tuples(
        st.fixed_dictionaries(
            {
                "sex": st.sampled_from(["female", "male", "unknown"]),
                "nationality": st.sampled_from(["KH", "MM", "VN"]),
                "age_estimate": st.integers(10, 60),
            }
        ),
        st.lists(
            st.sampled_from(sorted(_CHILDREN)).flatmap(
                lambda entity: _CHILDREN[entity].map(lambda data: (entity, data))
            ),
            max_size=4,
        ),
    ),
    min_size=1,
    max_size=3,
)


def _batch(operation_id: str, shape: list[Any]) -> tuple[list[dict[str, Any]], list[uuid.UUID]]:
    """The mutations of ``shape`` under fresh ids, and the record ids in batch order."""
    mutations, ids = [], []
    for n, (case_fields, children) in enumerate(shape):
        case_id = uuid.uuid4()
        ids.append(case_id)
        mutations.append(
            mutation("case", case_id, case_data(operation_id, f"AB1{n}-CD34", **case_fields))
        )
        for entity, data in children:
            record_id = uuid.uuid4()
            ids.append(record_id)
            extra = {"recorded_at": _AT} if entity == "consent" else {}
            mutations.append(
                mutation(entity, record_id, {"case_id": str(case_id), **data, **extra})
            )
    return mutations, ids


async def _stored(runtime: Runtime, ids: list[uuid.UUID]) -> dict[str, Any]:
    """What the database holds of these records, with ids replaced by their batch position."""
    position = {record_id: n for n, record_id in enumerate(ids)}
    async with read_transaction(runtime.db) as session:
        store = RecordStore(session, runtime)
        records = (await session.scalars(select(Record).where(Record.id.in_(ids)))).all()
        await store.load_keys({r.case_id for r in records})
        rows = []
        for record in sorted(records, key=lambda r: position[r.id]):
            body = store.open(store.keys[record.case_id], record)
            body["case_id"] = (
                position.get(uuid.UUID(body["case_id"])) if "case_id" in body else None
            )
            body.pop("operation_id", None)
            rows.append(
                (
                    position[record.id],
                    record.entity,
                    position[record.case_id],
                    record.rev,
                    record.deleted,
                    record.schema_version,
                    msgspec.json.decode(record.field_revs),
                    msgspec.json.decode(record.facets),
                    body,
                )
            )
        changes = (
            await session.execute(
                select(Change.record_id, Change.entity, Change.op, Change.rev)
                .where(Change.record_id.in_(ids))
                .order_by(Change.seq)
            )
        ).all()
        outcomes = (
            await session.execute(
                select(Mutation.record_id, Mutation.status, Mutation.rev).where(
                    Mutation.record_id.in_(ids)
                )
            )
        ).all()
        consents = (
            await session.execute(
                select(ConsentState.case_id, ConsentState.purpose, ConsentState.state).where(
                    ConsentState.case_id.in_(ids)
                )
            )
        ).all()
        linked = await session.scalar(
            select(func.count())
            .select_from(LinkedDisclosure)
            .where(LinkedDisclosure.record_id.in_(ids))
        )
        encoded = await session.scalar(
            select(func.count()).select_from(PersonEncoding).where(PersonEncoding.case_id.in_(ids))
        )
    return {
        "records": rows,
        "changes": [(position[r], e, op, rev) for r, e, op, rev in changes],
        "outcomes": sorted((position[r], s, rev) for r, s, rev in outcomes),
        "consents": sorted((position[c], p, s) for c, p, s in consents),
        "linked": linked,
        "encoded": encoded,
    }


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shape=_BATCH)
async def test_the_fast_and_slow_paths_store_identical_rows(
    client: AsyncClient,
    accounts: Accounts,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    shape: list[Any],
) -> None:
    field = await field_operation(client, accounts)
    fast, fast_ids = _batch(field.operation_id, shape)
    slow, slow_ids = _batch(field.operation_id, shape)
    assert {r["status"] for r in await field.caseworker.push(fast)} == {"applied"}

    async def no_fast_path(self: BulkPath, *args: Any) -> dict[int, Any]:
        return {}

    with monkeypatch.context() as patched:
        patched.setattr(BulkPath, "apply", no_fast_path)
        assert {r["status"] for r in await field.caseworker.push(slow)} == {"applied"}
    assert await _stored(runtime, fast_ids) == await _stored(runtime, slow_ids)


def test_start_up_registers_every_projector_and_commit_stage_in_order(runtime: Runtime) -> None:
    assert [p.name for p in runtime.projectors] == [
        "consent",
        "linkage index",
        "person encodings",
        "triage",
    ]
    assert installed() == [
        "audit log",
        "consent",
        "linkage index",
        "investigation reach",
        "change log",
        "triage",
    ]


_REFERRAL = {"service": "medical", "status": "proposed"}


async def test_a_new_assignee_gets_no_tombstones_of_records_deleted_before(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    colleague = await accounts.create("caseworker")
    added = await client.post(
        f"/api/v1/operations/{field.operation_id}/members",
        headers=field.coordinator_headers,
        json={"user_id": str(colleague.id)},
    )
    assert added.status_code == 201
    case_id, gone, kept = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await field.caseworker.push(
        [
            mutation("case", case_id, case_data(field.operation_id)),
            mutation("referral", gone, {"case_id": str(case_id), **_REFERRAL}),
            mutation("referral", kept, {"case_id": str(case_id), **_REFERRAL}),
        ]
    )
    await field.caseworker.push([mutation("referral", gone, {}, op="delete", base_rev=1)])
    phone = await accounts.headers(colleague, device_id=uuid.uuid4())
    device = Device(client, uuid.uuid4(), phone, colleague.id)
    await device.pull_all()  # the case as facets only
    [assigned] = await field.caseworker.push(
        [mutation("case", case_id, {"assigned_to": str(colleague.id)}, base_rev=1)]
    )
    assert assigned["status"] == "applied"
    got = await device.pull_all()
    assert str(gone) not in {c["id"] for c in got}
    assert str(kept) in {c["id"] for c in got}


async def test_a_deleted_record_is_delivered_once_at_its_latest_state(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id, referral_id = uuid.uuid4(), uuid.uuid4()
    await field.caseworker.push(
        [
            mutation("case", case_id, case_data(field.operation_id)),
            mutation(
                "referral",
                referral_id,
                {"case_id": str(case_id), "service": "medical", "status": "proposed"},
            ),
        ]
    )
    await field.caseworker.push([mutation("referral", referral_id, {"note": "a"}, base_rev=1)])
    await field.caseworker.push([mutation("referral", referral_id, {"note": "b"}, base_rev=2)])
    await field.caseworker.push([mutation("referral", referral_id, {}, op="delete", base_rev=3)])
    fresh = Device(client, uuid.uuid4(), field.coordinator_headers, field.coordinator.user_id)
    got = [c for c in await fresh.pull_all() if c["id"] == str(referral_id)]
    assert [(c["op"], c["rev"]) for c in got] == [("delete", 4)]


async def test_edits_queued_on_one_phone_are_not_in_conflict_with_each_other(
    client: AsyncClient, accounts: Accounts
) -> None:
    """Both sent with the last revision the phone saw: the later one wins, no conflict.

    The same edits from another device are a conflict, as before.
    """
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    first, second = await field.caseworker.push(
        [
            mutation("case", case_id, {"notes": "first"}, base_rev=1),
            mutation("case", case_id, {"notes": "second"}, base_rev=1),
        ]
    )
    assert (first["status"], second["status"]) == ("applied", "applied"), (first, second)
    assert second["rev"] == 3
    view = await client.get(
        f"/api/v1/cases/{case_id}", headers=field.coordinator_headers, params={"purpose": "triage"}
    )
    assert view.json()["case"]["data"]["notes"] == "second"
    [other] = await field.coordinator.push(
        [mutation("case", case_id, {"notes": "coordinator"}, base_rev=1)]
    )
    assert other["status"] == "conflict"
