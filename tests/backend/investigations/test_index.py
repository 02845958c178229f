"""The index follows sync, is rebuilt by ``lantern linkage reindex``, and forgets an erased case."""

from __future__ import annotations

import asyncio
import uuid

from click.testing import CliRunner
from httpx import AsyncClient
from sqlalchemy import delete, func, select

from backend.cli import main
from backend.db.models import CaseBasis, LinkedDisclosure
from backend.investigations.repositories import forget_case
from backend.runtime import Runtime
from tests.backend.investigations.support import investigator, site, tron
from tests.backend.sync.support import mutation
from tests.conftest import Accounts

ADDRESS = tron("indexed")


async def _count(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return int(
            (await session.execute(select(func.count()).select_from(LinkedDisclosure))).scalar_one()
        )


async def test_reindex_rebuilds_what_arrived_before_the_index(
    client: AsyncClient, accounts: Accounts, runtime: Runtime, settings_env: dict[str, str]
) -> None:
    place = await site(client, accounts)
    for _ in range(3):
        await place.case(disclosures=[(ADDRESS, {"chain": "tron"}), ("not an address", {})])
    who = await investigator(client, accounts)
    before = await who.lookup("tron", ADDRESS)
    assert await _count(runtime) == 3
    async with runtime.db.session() as session, session.begin():
        await session.execute(delete(LinkedDisclosure))
        await session.execute(delete(CaseBasis))
    assert (await who.lookup("tron", ADDRESS))["cases"] == []
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["linkage", "reindex"], env=settings_env
    )
    assert result.exit_code == 0, result.output
    assert "reindexed 6 disclosure records" in result.output  # consent is asked, not indexed
    assert await who.lookup("tron", ADDRESS) == before


async def test_forget_case_and_a_deleted_case_leave_the_index(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    place = await site(client, accounts)
    first = await place.case(disclosures=[(ADDRESS, {"chain": "tron"})])
    second = await place.case(disclosures=[(ADDRESS, {"chain": "tron"})])
    who = await investigator(client, accounts)
    assert len((await who.lookup("tron", ADDRESS))["cases"]) == 2
    async with runtime.db.session() as session, session.begin():
        await forget_case(session, first)
    assert len((await who.lookup("tron", ADDRESS))["cases"]) == 1
    await place.push([mutation("case", second, {}, op="delete", base_rev=1)])
    assert (await who.lookup("tron", ADDRESS))["cases"] == []
    assert await _count(runtime) == 0


async def test_a_rejected_mutation_leaves_nothing_in_the_index(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    place = await site(client, accounts)
    case_id = await place.case()
    stranger = await site(client, accounts)
    results = await stranger.device.push(
        [
            mutation(
                "disclosure",
                uuid.uuid4(),
                {"case_id": str(case_id), "kind": "wallet", "role": "unknown", "raw": ADDRESS},
            )
        ]
    )
    # Another operation's case is answered as for a case never seen: the record waits.
    assert results[0]["status"] == "waiting"
    assert await _count(runtime) == 0
