"""A corpus of bad input on every write route: each gets a problem, and nothing is written.

For every route that writes (POST, PUT, PATCH, DELETE), the call that succeeds
on the seeded world (tests/backend/world.py) is spoiled in every way the
corpus knows: a body over the size limit, nesting thousands deep, bytes that
are not UTF-8, the wrong content type, a body that is not an object, huge
strings and numbers, unknown fields, a value of the wrong type in each field,
confusable and zero-width characters in identifiers and enumerations, and
path traversal, NUL and quotes in the ids of the path. Each request is made
by a role the route admits. Each answer must be an RFC 9457 problem (4xx,
never 5xx) that does not echo the hostile value, and a snapshot of every
table afterwards must equal the one taken before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from httpx import AsyncClient

from backend.runtime import Runtime
from tests.backend.snapshot import database_snapshot
from tests.backend.test_authorization_matrix import MATRIX
from tests.backend.world import Call, World, call_for

#: Routes that take no input at all: nothing to spoil (the token is tested elsewhere).
NO_INPUT = {("POST", "/api/v1/auth/logout")}
WRITES = sorted(
    (m, p)
    for (m, p), roles in MATRIX.items()
    if m != "GET" and roles is not None and (m, p) not in NO_INPUT
)
#: Columns every authenticated request moves (a device's last contact), whatever it asks.
MOVING = frozenset({"devices.last_seen_at"})
MARK = "HOSTILE7Q"  # in every injected value: a problem must never echo it
LIMIT = 1024 * 1024  # Settings.max_request_body_bytes, the default the tests use

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"[a-z_][a-z0-9_-]*|[A-Z]{2}")  # enumerations, chain ids, country codes


@dataclass
class Attack:
    """One spoiled request."""

    name: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str = "application/json"
    marked: bool = True  # whether MARK is in what was sent


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _confusable(value: str) -> str:
    """The same identifier, spelled with a Cyrillic letter and a zero-width space."""
    latin_to_cyrillic = str.maketrans("aceopx", "\u0430\u0441\u0435\u043e\u0440\u0445")
    spelled = value.translate(latin_to_cyrillic)
    if spelled == value:
        spelled = value[:1] + "\u200b" + value[1:]
    return spelled + "\u200d"


def _wrong_type(value: Any) -> Any:
    # Litestar converts a body leniently (msgspec strict=False): "true" and "12" are taken
    # for true and 12. Types that cannot be read as the field's are refused.
    if isinstance(value, bool):
        return [f"{MARK}"]
    if isinstance(value, int | float):
        return f"{MARK}-12"
    if isinstance(value, str):
        return [f"{MARK}"]
    if isinstance(value, list):
        return {MARK: value}
    return f"{MARK}"


def _body_attacks(call: Call) -> Iterator[Attack]:
    body = call.json
    url, params = call.url, call.params
    oversized = b'{"pad": "' + b"x" * (LIMIT + 1) + b'"}'
    yield Attack("oversized body", url, params, oversized, marked=False)
    yield Attack("deep nesting", url, params, b'{"a":' * 20000 + b"1" + b"}" * 20000, marked=False)
    yield Attack("deep list", url, params, b"[" * 50000 + b"]" * 50000, marked=False)
    yield Attack("not utf-8", url, params, b'{"' + MARK.encode() + b'": "\xff\xfe\xc3\x28"}')
    yield Attack("truncated", url, params, _dumps(body)[:-1] if body else b"{", marked=False)
    for kind in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        yield Attack(f"content type {kind}", url, params, _dumps(body), kind, marked=False)
    for whole in ([], f"{MARK}", 123, None, [body]):
        yield Attack(f"body {type(whole).__name__}", url, params, _dumps(whole))
    yield Attack("huge number", url, params, b'{"' + MARK.encode() + b'": 1e999999}')
    if not isinstance(body, dict):
        return
    yield Attack("unknown field", url, params, _dumps({**body, "is_admin": f"{MARK}"}))
    for key, value in body.items():
        spoiled = {**body, key: _wrong_type(value)}
        yield Attack(f"type confusion {key}", url, params, _dumps(spoiled))
        if isinstance(value, str):
            huge = {**body, key: MARK + "A" * 300_000}
            yield Attack(f"huge string {key}", url, params, _dumps(huge))
            # A password may hold any character: it is a secret, never an identifier.
            if key != "password" and (_UUID.fullmatch(value) or _TOKEN.fullmatch(value)):
                confused = {**body, key: _confusable(value)}
                yield Attack(f"confusable {key}", url, params, _dumps(confused), marked=False)
        if isinstance(value, int) and not isinstance(value, bool):
            big = {**body, key: 10**40}
            yield Attack(f"huge integer {key}", url, params, _dumps(big), marked=False)


_BAD_IDS = (
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fadmin",
    "..%5C..%5Cwindows",
    "%00",
    "1%27%20OR%20%271%27%3D%271",
    f"{MARK}%E2%80%8B",
    "%EF%BC%91" * 8,  # fullwidth digits
)


def _path_attacks(call: Call, body: bytes | None) -> Iterator[Attack]:
    ids = _UUID.findall(call.url)
    for found in ids:
        for bad in _BAD_IDS:
            url = call.url.replace(found, bad, 1)
            yield Attack(f"path id {bad[:12]}", url, call.params, body, marked=False)
        zero_width = call.url.replace(found, found[:8] + "%E2%80%8B" + found[8:], 1)
        yield Attack("path id zero-width", zero_width, call.params, body, marked=False)
    for key, value in call.params.items():
        yield Attack(f"query {key}", call.url, {**call.params, key: _confusable(value) + MARK})


def attacks(call: Call) -> list[Attack]:
    body = None if call.json is None else _dumps(call.json)
    found = list(_path_attacks(call, body))
    if call.json is not None:
        found += list(_body_attacks(call))
    return found


async def _send(client: AsyncClient, method: str, attack: Attack, headers: dict[str, str]) -> Any:
    sent_headers = dict(headers)
    if attack.content is not None:
        sent_headers["Content-Type"] = attack.content_type
    return await client.request(
        method, attack.url, params=attack.params, content=attack.content, headers=sent_headers
    )


async def test_every_bad_input_is_a_problem_and_writes_nothing(
    client: AsyncClient, world: World, runtime: Runtime
) -> None:
    """One seeded world serves every route: nothing may change it, so each route sees it whole."""
    for method, path in WRITES:
        await _attack_route(client, world, runtime, method, path)


async def _attack_route(
    client: AsyncClient, world: World, runtime: Runtime, method: str, path: str
) -> None:
    role = sorted(MATRIX[(method, path)] or ())[0]
    call = call_for(world, method, path, role)
    corpus = attacks(call)
    assert corpus, ("no attack for this route", method, path)
    before = await database_snapshot(runtime, ignore=MOVING)
    answers: list[str] = []
    for attack in corpus:
        response = await _send(client, method, attack, world.headers[role])
        status = response.status_code
        kind = response.headers.get("content-type", "")
        where = (method, path, attack.name)
        assert 400 <= status < 500, (where, status, response.text[:300])
        assert kind.startswith("application/problem+json"), (where, kind)
        problem = response.json()
        assert problem["status"] == status and problem["type"].startswith("urn:lantern:problem:")
        if attack.marked:
            assert MARK not in response.text, (where, response.text[:300])
        answers.append(f"{attack.name}: {status} {problem['type']}")
    after = await database_snapshot(runtime, ignore=MOVING)
    changed = {t for t in before if before[t] != after[t]}
    assert not changed, (method, path, changed, answers)
