"""Sync conflicts and quarantine in the console: both values shown, one kept; dismissal."""

from __future__ import annotations

import re
import uuid

from httpx import AsyncClient

from tests.backend.console.helpers import csrf_of
from tests.backend.console.test_coordinator_pages import _coordinator_in_console
from tests.backend.sync.support import case_data, field_operation, mutation
from tests.conftest import Accounts


async def test_a_conflict_shows_both_values_and_the_devices_can_be_taken(
    client: AsyncClient, accounts: Accounts
) -> None:
    field = await field_operation(client, accounts)
    case_id = uuid.uuid4()
    await field.caseworker.push([mutation("case", case_id, case_data(field.operation_id))])
    await field.coordinator.push(
        [mutation("case", case_id, {"family_name": "Serverside"}, base_rev=1)]
    )
    await field.caseworker.push(
        [mutation("case", case_id, {"family_name": "Devicewise"}, base_rev=1)]
    )
    await field.caseworker.push(
        [
            mutation(
                "referral",
                uuid.uuid4(),
                {"case_id": str(case_id), "service": "spa", "status": "proposed"},
            )
        ]
    )
    await _coordinator_in_console(client, field)
    page = await client.get("/console/review")
    assert page.status_code == 200, page.text
    assert "Serverside" in page.text and "Devicewise" in page.text
    assert "spa" in page.text  # the quarantined referral's payload
    csrf = csrf_of(page.text)
    conflict = re.search(r'action="(/console/review/conflicts/[0-9a-f-]{36})"', page.text)
    quarantined = re.search(r'action="(/console/review/quarantine/[0-9a-f-]{36})"', page.text)
    assert conflict and quarantined
    assert (
        await client.post(conflict.group(1), data={"csrf": csrf, "keep": "both"})
    ).status_code == 422
    taken = await client.post(conflict.group(1), data={"csrf": csrf, "keep": "device"})
    assert taken.status_code == 303, taken.text
    dismissed = await client.post(quarantined.group(1), data={"csrf": csrf})
    assert dismissed.status_code == 303
    after = await client.get("/console/review")
    assert "No open conflict." in after.text and "No open quarantined change." in after.text
    case = await client.get(f"/console/cases/{case_id}", params={"purpose": "review"})
    assert "Devicewise" in case.text
