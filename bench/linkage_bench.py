"""Linkage benchmark: investigators' queries on a large synthetic index, over HTTP.

Loads ``--cases`` synthetic cases (100,000 by default) with ``--per-case``
disclosures each (10: a million rows) straight into the linkage index tables
(``linkage_disclosures``, ``linkage_case_bases``), then starts a real
``lantern serve`` process and measures through its HTTP API:

- address lookup, p50 and p99 (a sample of ring, chain and own addresses);
- partial search by a 6-character prefix and a 4-character suffix;
- expansion of a cluster of about 10,000 nodes (1,000 cases, 9,000 addresses);
- a full GraphSense TagPack export;

each beside the same answer computed in-process by the same service and
repository queries (no HTTP, no JSON, no audit commit; for the export, only
its grouped query): what the HTTP layer adds.

The data is synthetic: Tron dominates (70 %), then Ethereum (15 %) and
Bitcoin (15 %); cases come in rings of eight sharing nine addresses; five hub
addresses (exchange deposits) are named by 30 % of cases across every
operation; 1,000 cases form the large cluster (a tree: each shares an address with its
parent, three children each, so no link address is a hub); 90 % of cases have
consent. The sync path that fills the index in production is benchmarked
separately (``bench/sync_bench.py``): this one measures the queries.

Usage:
    python -m bench.linkage_bench [--cases 100000] [--per-case 10] [--lookups 500]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/x]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import base58
import httpx
from sqlalchemy import insert, text

from bench.server_bench import (
    PASSWORD,
    _cli,
    _free_port,
    _percentile,
    bench_environment,
    postgres_database,
    running_server,
)

OPERATIONS = 50
RING = 8  # cases per ring (fewer than a hub's 10)
RING_POOL = 9  # addresses a ring shares
HUBS = 5
HUB_SHARE = 0.3
CHAIN_CASES = 1000  # cases of the large cluster
HUB_CASES = 100  # a lookup of an address named by at least this many cases is a hub's
CONSENT_SHARE = 0.9
ROLES = (
    ("scam_collection", 0.40),
    ("paid_to_perpetrator", 0.30),
    ("wage_source", 0.10),
    ("unknown", 0.15),
    ("victim_own", 0.05),
)


@dataclass
class Corpus:
    """What was loaded, and what the measurements ask about."""

    disclosures: int
    addresses: int
    sample: list[tuple[str, str]]
    chain_start: tuple[str, str]


class Addresses:
    """Valid canonical addresses made from numbers (Tron, Ethereum, Bitcoin)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.made: dict[int, tuple[str, str]] = {}

    def get(self, number: int) -> tuple[str, str]:
        found = self.made.get(number)
        if found is None:
            from backend.linkage.addresses._evm import checksummed

            body = number.to_bytes(20, "big")
            pick = (number * 2654435761) % 100
            if pick < 70:
                found = ("tron", base58.b58encode_check(b"\x41" + body).decode())
            elif pick < 85:
                found = ("ethereum", checksummed(body.hex()))
            else:
                found = ("bitcoin", base58.b58encode_check(b"\x00" + body).decode())
            self.made[number] = found
        return found


def _role(rng: random.Random) -> str:
    draw, total = rng.random(), 0.0
    for role, share in ROLES:
        total += share
        if draw < total:
            return role
    return "unknown"


def build(cases: int, per_case: int, seed: int, tag: Callable[[str, str], bytes]) -> Iterator[Any]:
    """Yield ("basis", row) and ("disclosure", row) dicts, and finally the Corpus."""
    rng = random.Random(seed)
    addresses = Addresses(rng)
    operations = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(OPERATIONS)]
    next_number = 1_000_000
    hubs = list(range(1, HUBS + 1))
    links = list(range(100, 100 + CHAIN_CASES + 1))
    sample: list[tuple[str, str]] = []
    count = 0
    base_day = dt.date(2025, 1, 1)
    chain_cases = min(CHAIN_CASES, cases // 10)
    ring_pool: list[int] = []
    links_set = set(links)
    for n in range(cases):
        case_id = uuid.UUID(int=rng.getrandbits(128))
        operation = operations[n % OPERATIONS]
        in_chain = n < min(CHAIN_CASES, cases // 10)
        if in_chain or rng.random() < CONSENT_SHARE:
            yield (
                "basis",
                {
                    "case_id": case_id,
                    "consent_state": "given",
                    "consent_at": dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                    "consent_record": uuid.UUID(int=rng.getrandbits(128)),
                    "legal_basis": None,
                    "updated_at": dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                },
            )
        numbers: list[int] = []
        if n < chain_cases:  # the large cluster: each case shares a link with an earlier one
            numbers = [links[n], links[(n - 1) // 3] if n else links[chain_cases]]
        else:
            if (n - chain_cases) % RING == 0:
                ring_pool = list(range(next_number, next_number + RING_POOL))
                next_number += RING_POOL
            numbers = list(ring_pool)
            if rng.random() < HUB_SHARE:
                numbers.append(rng.choice(hubs))
        while len(numbers) < per_case:
            numbers.append(next_number)
            next_number += 1
        for number in numbers[:per_case]:
            chain, address = addresses.get(number)
            role = "unknown" if number in hubs else _role(rng)
            if in_chain and number in links_set and role == "victim_own":
                role = "scam_collection"  # the chain stays connected
            sealed = role == "victim_own"
            day = base_day + dt.timedelta(days=rng.randrange(300))
            payment = rng.random() < 0.2
            count += 1
            yield (
                "disclosure",
                {
                    "record_id": uuid.UUID(int=rng.getrandbits(128)),
                    "chain": chain,
                    "case_id": case_id,
                    "operation_id": operation,
                    "kind": "payment" if payment else "wallet",
                    "role": role,
                    "lookup_tag": tag(chain, address),
                    "address": None if sealed else address,
                    "tx_hash": None,
                    "search_key": None
                    if sealed
                    else (address.lower() if chain == "ethereum" else address),
                    "search_reversed": None
                    if sealed
                    else (address.lower() if chain == "ethereum" else address)[::-1],
                    "partial_prefix": None,
                    "partial_suffix": None,
                    "asset": "USDT" if payment else None,
                    "amount": f"{rng.randrange(1, 500000)}.{rng.randrange(100):02d}"
                    if payment
                    else None,
                    "date_from": day if payment else None,
                    "date_to": day if payment else None,
                    "disclosed_on": base_day + dt.timedelta(days=300 + rng.randrange(30)),
                },
            )
            if rng.random() < 0.002 and len(sample) < 5000:
                sample.append((chain, address))
    yield Corpus(
        disclosures=count,
        addresses=len(addresses.made),
        sample=sample,
        chain_start=addresses.get(links[chain_cases // 2]),
    )


async def load(env: dict[str, str], args: argparse.Namespace) -> Corpus:
    """Fill the index tables directly, in chunks, in one transaction."""
    from backend.app import build_runtime
    from backend.db.models import CaseBasis, LinkedDisclosure
    from backend.investigations.projection import WalletTagger
    from backend.settings import Settings

    settings = Settings(
        _env_file=None, **{k[8:].lower(): v for k, v in env.items() if k.startswith("LANTERN_")}
    )  # type: ignore[arg-type]
    runtime = build_runtime(settings)
    tagger = WalletTagger(runtime.keyring)
    corpus: Corpus | None = None
    chunks: dict[str, list[dict[str, Any]]] = {"basis": [], "disclosure": []}
    models = {"basis": CaseBasis, "disclosure": LinkedDisclosure}
    started = time.perf_counter()
    async with runtime.db.session() as session, session.begin():
        for item in build(args.cases, args.per_case, args.seed, tagger.tag):
            if isinstance(item, Corpus):
                corpus = item
                break
            kind, row = item
            chunks[kind].append(row)
            if len(chunks[kind]) >= 20_000:
                await session.execute(insert(models[kind]), chunks[kind])
                chunks[kind] = []
        for kind, rows in chunks.items():
            if rows:
                await session.execute(insert(models[kind]), rows)
    if env["LANTERN_DATABASE_URL"].startswith("postgresql"):
        async with runtime.db.session() as session:
            await session.execute(text("ANALYZE"))
            await session.commit()
    await runtime.db.dispose()
    assert corpus is not None
    print(
        f"loaded {corpus.disclosures} disclosures ({corpus.addresses} addresses) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return corpus


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = call()
    return (time.perf_counter() - started) * 1000, out


async def raw_figures(
    env: dict[str, str],
    investigation: uuid.UUID,
    owner: uuid.UUID,
    corpus: Corpus,
    lookups: list[tuple[str, str]],
) -> dict[str, list[float]]:
    """The same answers from the repository's indexed queries, in-process (no HTTP)."""
    from backend.access.principal import Principal
    from backend.access.roles import Role
    from backend.app import build_runtime
    from backend.investigations.graph import HubRule
    from backend.investigations.projection import search_key
    from backend.investigations.repositories import LinkageRepository
    from backend.investigations.services import InvestigationService
    from backend.settings import Settings

    settings = Settings(
        _env_file=None, **{k[8:].lower(): v for k, v in env.items() if k.startswith("LANTERN_")}
    )  # type: ignore[arg-type]
    runtime = build_runtime(settings)
    out: dict[str, list[float]] = {"lookup": [], "search": [], "cluster": [], "export": []}
    principal = Principal(
        user_id=owner, username="bench", role=Role.INVESTIGATOR, token_id=uuid.uuid4()
    )
    async with runtime.db.read_session() as session:
        index = LinkageRepository(session)
        service = InvestigationService(session, runtime)
        for chain, address in lookups:
            started = time.perf_counter()
            found = await service.lookup(principal, investigation, chain, address)  # type: ignore[arg-type]
            ms = (time.perf_counter() - started) * 1000
            out["lookup"].append(ms)
            key = "lookup_hub" if found.case_count >= HUB_CASES else "lookup_other"
            out.setdefault(key, []).append(ms)
        for chain, address in lookups[:100]:
            key = search_key(chain, address)
            started = time.perf_counter()
            await index.search(investigation, chain, prefix=key[:6], suffix=key[-4:], limit=100)
            out["search"].append((time.perf_counter() - started) * 1000)
        for _ in range(3):
            started = time.perf_counter()
            await service.expand(
                principal,
                investigation,
                corpus.chain_start[0],
                corpus.chain_start[1],
                rule=HubRule(),
                max_nodes=100_000,
            )  # type: ignore[arg-type]
            out["cluster"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await index.export_groups(investigation)
        out["export"].append((time.perf_counter() - started) * 1000)
    await runtime.db.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--per-case", type=int, default=10)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--keep", type=Path, default=None, help="a new directory to keep the data in"
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="postgresql+asyncpg://…: a throwaway database on that server",
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            tmp = args.keep
            tmp.mkdir(parents=True)
        else:
            tmp = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="lantern-linkbench-"))
            )
        env = bench_environment(tmp)
        if args.database_url:
            env["LANTERN_DATABASE_URL"] = stack.enter_context(postgres_database(args.database_url))
            database = "postgresql"
        else:
            env["LANTERN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp / 'lantern.db'}"
            database = "sqlite (WAL)"
        _cli(env, "keys", "init")
        _cli(env, "db", "upgrade")
        corpus = asyncio.run(load(env, args))
        name = f"bench_investigator_{uuid.uuid4().hex[:6]}"
        _cli(
            env,
            "users",
            "create",
            "--username",
            name,
            "--role",
            "investigator",
            stdin=PASSWORD + "\n",
        )
        port = _free_port(args.host)
        server = stack.enter_context(running_server(env, args.host, port, tmp / "server.log"))
        base = f"http://{server.host}:{server.port}"
        http = stack.enter_context(httpx.Client(base_url=base, timeout=600))
        token = http.post(
            "/api/v1/auth/token", json={"username": name, "password": PASSWORD}
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        opened = http.post(
            "/api/v1/investigations",
            json={"title": "bench", "purpose": "benchmark", "legal_basis": "synthetic data"},
        )
        opened.raise_for_status()
        investigation = opened.json()["id"]
        owner = http.get("/api/v1/me").json()["id"]
        root = f"/api/v1/investigations/{investigation}"
        lookups = corpus.sample[: args.lookups]
        figures: dict[str, list[float]] = {"lookup": [], "search": [], "cluster": [], "export": []}
        for chain, address in lookups[:20]:  # warm up
            http.get(f"{root}/addresses/{chain}/{address}")
        for chain, address in lookups:
            ms, answer = _timed(lambda c=chain, a=address: http.get(f"{root}/addresses/{c}/{a}"))
            answer.raise_for_status()
            figures["lookup"].append(ms)
            # A hub (named by thousands of cases) is reported apart from the rest.
            key = "lookup_hub" if answer.json()["case_count"] >= HUB_CASES else "lookup_other"
            figures.setdefault(key, []).append(ms)
        for chain, address in lookups[:100]:
            params = {"chain": chain, "prefix": address[:6], "suffix": address[-4:]}
            ms, answer = _timed(lambda p=params: http.get(f"{root}/addresses", params=p))
            answer.raise_for_status()
            figures["search"].append(ms)
        nodes = 0
        chain, address = corpus.chain_start
        for _ in range(3):
            ms, answer = _timed(
                lambda: http.get(
                    f"{root}/graph/cluster/{chain}/{address}", params={"max_nodes": 100_000}
                )
            )
            answer.raise_for_status()
            body = answer.json()
            nodes = len(body["addresses"]) + len(body["cases"])
            figures["cluster"].append(ms)
        ms, answer = _timed(lambda: http.get(f"{root}/exports/tagpack"))
        answer.raise_for_status()
        tags = answer.text.count("\n- label: ")
        figures["export"].append(ms)
        raw = asyncio.run(
            raw_figures(env, uuid.UUID(investigation), uuid.UUID(owner), corpus, lookups)
        )
    report(database, args, corpus, figures, raw, nodes, tags)


def report(
    database: str,
    args: argparse.Namespace,
    corpus: Corpus,
    http: dict[str, list[float]],
    raw: dict[str, list[float]],
    nodes: int,
    tags: int,
) -> None:
    def p(values: list[float], q: float) -> str:
        return f"{_percentile(sorted(values), q):.1f}"

    print(
        f"\n### {database}: {args.cases} cases, {corpus.disclosures} disclosures, {corpus.addresses} addresses\n"
    )
    print("| measure | HTTP (real server) | in-process (same queries, no HTTP) | target |")
    print("|---|---|---|---|")
    print(
        f"| lookup p50 / p99 ({len(http['lookup'])} addresses) | {p(http['lookup'], 0.5)} / {p(http['lookup'], 0.99)} ms | {p(raw['lookup'], 0.5)} / {p(raw['lookup'], 0.99)} ms | p99 < 10 ms |"
    )
    for key, what in (("lookup_other", "not hubs"), ("lookup_hub", f"hubs, >= {HUB_CASES} cases")):
        if http.get(key) and raw.get(key):
            print(
                f"| lookup p50 / p99, {what} ({len(http[key])}) | {p(http[key], 0.5)} / {p(http[key], 0.99)} ms | {p(raw[key], 0.5)} / {p(raw[key], 0.99)} ms | |"
            )
    print(
        f"| partial search p50 / p99 (6 + 4 characters) | {p(http['search'], 0.5)} / {p(http['search'], 0.99)} ms | {p(raw['search'], 0.5)} / {p(raw['search'], 0.99)} ms | |"
    )
    print(
        f"| cluster expansion ({nodes} nodes), median of 3 | {statistics.median(http['cluster']):.0f} ms | {statistics.median(raw['cluster']):.0f} ms | < 300 ms |"
    )
    print(
        f"| full TagPack export ({tags} tags) | {http['export'][0] / 1000:.2f} s | {raw['export'][0] / 1000:.2f} s (its grouped query) | 100,000 tags < 10 s |"
    )


if __name__ == "__main__":
    main()
