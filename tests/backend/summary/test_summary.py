"""The operation summary: consented cases only, small cells hidden, CSV too, audited."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from backend.db.models import AuditEntry
from backend.db.session import read_transaction
from backend.runtime import Runtime
from backend.summary.services import NATIONALITY_LABELS
from tests.backend.referrals.support import consent
from tests.backend.sync.support import Field, case_data, field_operation, mutation
from tests.conftest import Accounts, assert_problem


def _summary_url(field: Field) -> str:
    return f"/api/v1/operations/{field.operation_id}/summary"


async def _cases(
    field: Field, n: int, *, nationality: str, state: str | None = "given"
) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    batch: list[dict[str, Any]] = []
    for i, case_id in enumerate(ids):
        batch.append(
            mutation(
                "case",
                case_id,
                case_data(field.operation_id, code=f"SUMM-{i:04d}", nationality=nationality),
            )
        )
        if state is not None:
            batch.append(consent(case_id, "aggregate_statistics", state))
    results = await field.caseworker.push(batch)
    assert {r["status"] for r in results} == {"applied"}, results
    return ids


def _table(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in body["tables"] if t["name"] == name)


async def test_only_consented_cases_are_counted_and_small_cells_are_hidden(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _cases(field, 12, nationality="KH")
    await _cases(field, 3, nationality="TH")  # a small cell: hidden
    await _cases(field, 7, nationality="VN", state="refused")  # not counted
    await _cases(field, 6, nationality="MM", state=None)  # no consent: not counted
    response = await client.get(_summary_url(field), headers=field.coordinator_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    nationality = _table(body, "nationality")
    assert nationality["labels"] == list(NATIONALITY_LABELS)  # fixed, whoever is counted
    shown = dict(zip(nationality["labels"], nationality["counts"], strict=True))
    assert shown["TH"] is None  # 3 people: suppressed
    assert shown["KH"] is None  # complementary: otherwise TH = total - KH
    assert nationality["total"] == 15
    assert _table(body, "age_group")["counts"] == [0, 15, 0]
    assert _table(body, "band")["counts"] == [0, 0, 0, 15]
    assert _table(body, "referral_status")["counts"][-1] == 15
    async with read_transaction(runtime.db) as session:
        audited = (
            (
                await session.execute(
                    select(AuditEntry).where(AuditEntry.action == "operation.summary")
                )
            )
            .scalars()
            .all()
        )
    assert [a.object_id for a in audited] == [field.operation_id]


async def test_a_total_below_five_is_hidden_everywhere(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _cases(field, 2, nationality="KH")
    body = (await client.get(_summary_url(field), headers=field.coordinator_headers)).json()
    for table in body["tables"]:
        assert table["total"] is None, table
        assert all(count in (None, 0) for count in table["counts"]), table


async def test_the_csv_export_is_the_same_tables(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _cases(field, 12, nationality="KH")
    await _cases(field, 3, nationality="TH")
    by_query = await client.get(
        _summary_url(field), headers=field.coordinator_headers, params={"format": "csv"}
    )
    by_accept = await client.get(
        _summary_url(field), headers={**field.coordinator_headers, "Accept": "text/csv"}
    )
    for response in (by_query, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(by_query.text)))
    assert ["nationality", "Count"] in rows
    assert ["TH", "[c]"] in rows and ["KH", "[c]"] in rows and ["Total", "15"] in rows
    async with read_transaction(runtime.db) as session:
        formats = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(AuditEntry.action == "operation.summary")
                )
            )
            .scalars()
            .all()
        )
    assert sum('"csv"' in f for f in formats) == 2


async def test_a_withdrawal_takes_effect_on_the_next_summary(
    client: AsyncClient, accounts: Accounts
) -> None:
    """The release that counted them is no longer served, and no new one shows 5 (differencing)."""
    field = await field_operation(client, accounts)
    ids = await _cases(field, 6, nationality="KH")
    first = (await client.get(_summary_url(field), headers=field.coordinator_headers)).json()
    assert _table(first, "age_group")["total"] == 6
    withdrawn = consent(ids[0], "aggregate_statistics", "withdrawn", minutes=1)
    assert (await field.caseworker.push([withdrawn]))[0]["status"] == "applied"
    second = (await client.get(_summary_url(field), headers=field.coordinator_headers)).json()
    assert second["released_at"] is None
    assert {t["total"] for t in second["tables"]} == {None}


async def test_another_operation_is_not_found(client: AsyncClient, accounts: Accounts) -> None:
    field = await field_operation(client, accounts)
    other = await field_operation(client, accounts)
    refused = await client.get(_summary_url(field), headers=other.coordinator_headers)
    assert_problem(refused, 404, "not-found")


@settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    counts=st.dictionaries(
        st.sampled_from(["KH", "TH", "VN", "MM", "LA", "PH"]), st.integers(1, 9), max_size=4
    )
)
async def test_no_published_table_gives_a_hidden_count_away(
    client: AsyncClient, accounts: Accounts, counts: dict[str, int]
) -> None:
    """Through the route: no count from 1 to 4 is shown, and no line has exactly one hidden value."""
    field = await field_operation(client, accounts)
    for nationality, n in counts.items():
        await _cases(field, n, nationality=nationality)
    body = (await client.get(_summary_url(field), headers=field.coordinator_headers)).json()
    for table in body["tables"]:
        values = [*table["counts"], table["total"]]
        assert all(v is None or v == 0 or v >= 5 for v in values), table
        hidden = values.count(None)
        assert hidden != 1, table
        if table["total"] is not None and hidden:
            visible = sum(v for v in table["counts"] if v is not None)
            assert table["total"] - visible == 0 or table["total"] - visible >= 5, table
        if table["total"] is not None:
            assert table["total"] == sum(counts.values()), table
    nationality = _table(body, "nationality")
    assert nationality["labels"] == list(NATIONALITY_LABELS)


async def test_an_operation_without_consented_cases_has_an_empty_summary(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    await _cases(field, 3, nationality="KH", state=None)
    body = (await client.get(_summary_url(field), headers=field.coordinator_headers)).json()
    assert {t["total"] for t in body["tables"]} == {0}
    assert _table(body, "nationality")["labels"] == list(NATIONALITY_LABELS)
