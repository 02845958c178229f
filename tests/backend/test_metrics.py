"""Prometheus metrics: admins only, counted from real traffic, no identifier in any label."""

from __future__ import annotations

import re
import uuid

from httpx import AsyncClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from tests.backend.sync.support import case_data, mutation
from tests.backend.world import SECRET_FAMILY, SECRET_NAME, World
from tests.conftest import assert_problem

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


async def scrape(
    client: AsyncClient, world: World
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = await client.get("/metrics", headers=world.headers["admin"])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == CONTENT_TYPE_LATEST  # one charset, not two
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_for_admins_only(client: AsyncClient, world: World) -> None:
    assert_problem(await client.get("/metrics"), 401, "unauthenticated")
    for role in ("coordinator", "caseworker", "investigator"):
        assert_problem(await client.get("/metrics", headers=world.headers[role]), 403, "forbidden")


async def test_traffic_is_counted_by_route_template_and_outcome(
    client: AsyncClient, world: World
) -> None:
    before = await scrape(client, world)
    worker = world.headers["caseworker"]
    await client.get(f"/api/v1/cases/{world.case_id}", headers=world.headers["coordinator"])
    ops = [
        mutation("case", uuid.uuid4(), case_data(world.operation_id, code=f"MT0{n}-AAAA"))
        for n in range(3)
    ]
    ops.append(mutation("case", uuid.uuid4(), case_data(world.operation_id, age_estimate=-3)))
    pushed = await client.post(
        "/api/v1/sync/push",
        headers=worker,
        json={"device_id": str(world.devices["caseworker"]), "mutations": ops},
    )
    assert [r["status"] for r in pushed.json()["results"]] == ["applied"] * 3 + ["rejected"]
    refused = await client.post(
        "/api/v1/auth/token",
        json={"username": world.usernames["coordinator"], "password": "not-the-password-at-all"},
    )
    assert refused.status_code == 401
    await client.get(f"/no/such/{uuid.uuid4()}")
    after = await scrape(client, world)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("lantern_sync_mutations_total", status="applied") == 3
    assert grew("lantern_sync_mutations_total", status="rejected") == 1
    assert grew("lantern_sign_ins_total", outcome="failed") == 1
    assert grew("lantern_audit_appends_total") >= 1
    route = "/api/v1/cases/{case_id}"
    assert (
        grew("lantern_http_request_duration_seconds_count", method="GET", route=route, status="200")
        == 1
    )
    assert (
        grew(
            "lantern_http_request_duration_seconds_count",
            method="GET",
            route="unmatched",
            status="404",
        )
        == 1
    )
    # The backlog, read at scrape time: the world's conflict, and two rejected mutations now.
    assert value(after, "lantern_sync_conflicts", status="open") >= 1
    assert value(after, "lantern_sync_quarantine", status="open") == 2
    assert ("lantern_matching_backlog", ()) in after


async def test_no_label_carries_an_identifier_or_personal_data(
    client: AsyncClient, world: World
) -> None:
    await client.get(f"/api/v1/cases/{world.case_id}", headers=world.headers["coordinator"])
    await client.get(f"/api/v1/referrals/{uuid.uuid4()}", headers=world.headers["coordinator"])
    await client.get(f"/nowhere/{world.case_id}/{SECRET_NAME}")
    answer = await client.get("/metrics", headers=world.headers["admin"])
    ids = [world.case_id, world.operation_id, world.investigation_id, str(world.user_ids["admin"])]
    for secret in (*ids, SECRET_NAME, SECRET_FAMILY, world.usernames["caseworker"]):
        assert secret not in answer.text
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            for label in sample.labels.values():
                assert not _UUID.search(label), (sample.name, label)
