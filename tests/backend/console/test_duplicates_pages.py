"""Possible duplicates in the console: side by side without identity; link or dismiss."""

from __future__ import annotations

import re

from httpx import AsyncClient

from backend.duplicates.services import match_pending
from backend.runtime import Runtime
from tests.backend.console.helpers import csrf_of
from tests.backend.console.test_coordinator_pages import _coordinator_in_console
from tests.backend.duplicates.test_duplicates_api import SOMCHAI, SOMCHAI_AGAIN, _push_case
from tests.backend.sync.support import field_operation
from tests.conftest import Accounts


async def test_a_pair_is_shown_side_by_side_and_merged_with_a_primary(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    first = await _push_case(field, "DUP-111", SOMCHAI)
    await _push_case(field, "DUP-222", SOMCHAI_AGAIN)
    await match_pending(runtime)
    await _coordinator_in_console(client, field)
    path = f"/console/operations/{field.operation_id}/duplicates"
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert "DUP-111" in page.text and "DUP-222" in page.text
    for secret in ("Zomchai", "Fakewattana", "1998-04-02"):
        assert secret not in page.text
    action = re.search(r'action="(/console/duplicates/[0-9a-f-]{36})/merge"', page.text)
    assert action
    merged = await client.post(
        f"{action.group(1)}/merge", data={"csrf": csrf_of(page.text), "primary": str(first)}
    )
    assert merged.status_code == 303, merged.text
    assert "No open proposal." in (await client.get(path)).text
    again = await client.post(f"{action.group(1)}/dismiss", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 409  # a decision is final


async def test_a_merge_must_name_one_of_the_two_cases(
    client: AsyncClient, accounts: Accounts, runtime: Runtime
) -> None:
    field = await field_operation(client, accounts)
    await _push_case(field, "DUP-333", SOMCHAI)
    await _push_case(field, "DUP-444", SOMCHAI_AGAIN)
    await match_pending(runtime)
    await _coordinator_in_console(client, field)
    page = await client.get(f"/console/operations/{field.operation_id}/duplicates")
    action = re.search(r'action="(/console/duplicates/[0-9a-f-]{36})/merge"', page.text)
    assert action
    refused = await client.post(
        f"{action.group(1)}/merge", data={"csrf": csrf_of(page.text), "primary": "nope"}
    )
    assert refused.status_code == 422
