"""``lantern demo``: a synthetic operation seeded through the sync API itself.

Everything is obviously fake: names are made of syllables in Latin, Thai,
Burmese, Khmer and Chinese script, document numbers start with ``DEMO``,
wallet addresses are not addresses. The data goes in the way a phone's does:
accounts are made with the user service (as ``lantern users create`` does),
then every other step is an HTTP request to the app (sign-in with a device id,
the operation and its members, and ``POST /api/v1/sync/push``) over httpx's
ASGI transport, in process, against the configured database. No running
server is needed.

The answer generator (:func:`screening_answers`) is shared with the sync
benchmark: it walks an instrument's items in order and answers only the items
that the skip logic shows, so every answer set is valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from backend.access.roles import Role
from backend.db.session import write_transaction
from backend.runtime import Runtime
from backend.users.services import UserService
from screening import Answer, Instrument
from screening.answers import is_shown

__all__ = [
    "DemoResult",
    "fake_name",
    "mutation",
    "screening_answers",
    "seed_demo",
    "synthetic_case",
]

PUSH = "/api/v1/sync/push"
INSTRUMENT = ("scam_compound", 2)

#: Syllables per script: given and family names are two or three of these, clearly invented.
SYLLABLES: dict[str, tuple[str, ...]] = {
    "latin": ("zor", "bla", "quin", "mek", "tal", "vor", "pix", "dun", "ree", "sol", "fab", "lux"),
    "thai": ("กา", "นิ", "สม", "ทอ", "ระ", "พิ", "มล", "ชัย", "วา", "ดี"),
    "burmese": ("မော", "သီ", "ကို", "နန်း", "ဇော်", "လှ", "မြ", "အေး", "ထွန်း"),
    "khmer": ("សុ", "វណ្ណ", "ចាន់", "រតន", "ពិសី", "ធី", "កែវ", "លី", "ណា"),
    "chinese": ("明", "华", "伟", "芳", "丽", "强", "静", "磊", "秀", "英", "云", "龙"),
}
#: The language a script's people most likely speak, and a plausible nationality.
PEOPLE: dict[str, tuple[str, str]] = {
    "latin": ("fil", "PH"),
    "thai": ("th", "TH"),
    "burmese": ("my", "MM"),
    "khmer": ("km", "KH"),
    "chinese": ("zh-Hans", "CN"),
}
SCREENING_LOCALES = {"fil": "fil", "th": "en", "my": "my", "km": "km", "zh-Hans": "zh-Hans"}
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#: Observers' age items: answered as the person's age says.
_AGE_OBSERVED = frozenset({"observed_age", "child_handover", "age_estimate"})
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: Chains of the demo's wallets, most common first (Tron carries most USDT in compounds).
WALLET_CHAINS = ("tron", "tron", "tron", "ethereum", "bitcoin")
#: Perpetrators' wallets shared by many cases, and one exchange deposit address (a hub).
SHARED_WALLETS = 10


def _base58check(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number = int.from_bytes(raw, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _BASE58[rest] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def synthetic_wallet(seed: str, chain: str) -> str:
    """A checksum-valid address on ``chain`` made from ``seed``: synthetic, owned by nobody."""
    body = hashlib.sha256(f"lantern-demo/{seed}".encode()).digest()[:20]
    if chain == "tron":
        return _base58check(b"\x41" + body)
    if chain == "bitcoin":
        return _base58check(b"\x00" + body)
    return "0x" + body.hex()  # EVM, all lower case (no checksum claimed)


def synthetic_txid(seed: str) -> str:
    """A 64-hex transaction id made from ``seed``."""
    return hashlib.sha256(f"lantern-demo-tx/{seed}".encode()).hexdigest()


def _wallet(rng: random.Random, tag: str) -> tuple[str, str, str]:
    """(address, chain, role): a shared perpetrator's wallet, the hub, or the case's own find."""
    draw = rng.random()
    if draw < 0.12:
        return synthetic_wallet(f"{tag}/hub", "tron"), "tron", "scam_collection"
    if draw < 0.6:
        n = rng.randrange(SHARED_WALLETS)
        chain = WALLET_CHAINS[n % len(WALLET_CHAINS)]
        role = "paid_to_perpetrator" if n % 2 else "scam_collection"
        return synthetic_wallet(f"{tag}/perpetrator/{n}", chain), chain, role
    chain = rng.choice(WALLET_CHAINS)
    role = rng.choice(("paid_to_perpetrator", "wage_source", "victim_own", "unknown"))
    return synthetic_wallet(f"{tag}/single/{rng.random()}", chain), chain, role


def fake_name(rng: random.Random, script: str, parts: int = 2) -> str:
    """An invented name of ``parts`` syllables in ``script``."""
    name = "".join(rng.choice(SYLLABLES[script]) for _ in range(parts))
    return name.capitalize() if script == "latin" else name


def _case_code(rng: random.Random) -> str:
    return (
        "".join(rng.choice(_CODE_CHARS) for _ in range(4))
        + "-"
        + "".join(rng.choice(_CODE_CHARS) for _ in range(4))
    )


def screening_answers(
    instrument: Instrument,
    rng: random.Random,
    *,
    limit: int = 40,
    yes_rates: dict[str, float] | None = None,
    age: int | None = None,
    born: dt.date | None = None,
) -> dict[str, Any]:
    """A valid answer set in JSON form: at most ``limit`` answers to items the skip logic shows.

    Items are visited in order and answered only when shown given the answers
    so far, so no answer is ever hidden. About one in twenty is skipped as
    ``dont_know``. ``yes_rates`` (per section) sets how often a yes/no item
    evidences its indicator (a reverse-keyed item is then answered "no");
    ``age`` and ``born`` are the person's, where the instrument asks them.
    """
    given: dict[str, Answer] = {}
    out: dict[str, Any] = {}
    for item in instrument.items:
        if len(out) >= limit:
            break
        if not is_shown(item, given):
            continue
        if rng.random() < 0.05:
            given[item.id] = Answer(skipped="dont_know")
            out[item.id] = {"skipped": "dont_know"}
            continue
        value: Any
        quiet = yes_rates is not None and rng.random() >= yes_rates.get(item.section, 0.1)
        if yes_rates is not None and age is not None and item.id in _AGE_OBSERVED:
            # What a caseworker observes agrees with the age the person gave.
            child = age < 18
            if item.type == "single_choice":
                seen: Any = "under_18" if child else "adult"
            else:
                seen = "yes" if child else "no"
            given[item.id] = Answer(value=seen)
            out[item.id] = {"value": seen}
            continue
        if quiet and item.type == "single_choice":
            given[item.id] = Answer(skipped="dont_know")
            out[item.id] = {"skipped": "dont_know"}
            continue
        if quiet and item.type == "multiple_choice":
            given[item.id] = Answer(value=[])
            out[item.id] = {"value": []}
            continue
        if item.type == "yes_no" and yes_rates is not None:
            evidences = rng.random() < yes_rates.get(item.section, 0.1)
            value = "yes" if evidences != bool(item.reverse_keyed) else "no"
        elif item.type == "yes_no":
            value = rng.choice(("yes", "no", "no"))
        elif item.type == "single_choice":
            value = rng.choice(item.options).value
        elif item.type == "multiple_choice":
            options = [o.value for o in item.options]
            most = min(2, len(options)) if yes_rates is None else 1
            value = rng.sample(options, rng.randint(0, most))
        elif item.type == "number":
            low = int(item.min or 0)
            high = int(item.max if item.max is not None else 100)
            if item.id == "age_years":
                low, high = 15, 45
            value = rng.randint(low, min(high, low + 16))
            if item.id == "age_years" and age is not None:
                value = age
        elif item.type == "date" and born is not None:
            value = born.isoformat()
        elif item.type == "date":
            value = f"{rng.randint(1975, 2008)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif item.type == "free_text":
            value = "DEMO synthetic note " + secrets.token_hex(4)
            if item.max_length:
                value = value[: item.max_length]
        else:  # pragma: no cover - every item type is handled above
            continue
        given[item.id] = Answer(value=value)
        out[item.id] = {"value": value}
    return out


def mutation(entity: str, record_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """One ``upsert`` mutation in its JSON form."""
    return {
        "mutation_id": str(uuid.uuid4()),
        "entity": entity,
        "id": str(record_id),
        "op": "upsert",
        "data": data,
    }


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _profile(rng: random.Random) -> dict[str, float]:
    """How often each section's answers evidence an indicator, for one invented person."""
    level = rng.choice((0.0, 0.03, 0.15, 0.5))
    rates = dict.fromkeys(("journey", "the_place", "the_work", "money", "threats"), level)
    rates["right_now"] = 0.25 if rng.random() < 0.12 else 0.0
    rates.update(about_you=0.1, next_steps=0.3)
    return rates


def synthetic_case(
    rng: random.Random,
    operation_id: str,
    instrument: Instrument,
    *,
    script: str | None = None,
    referrals: int = 0,
    consents: tuple[str, ...] = ("services",),
    disclosures: int = 2,
    answers: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    wallet_tag: str = "demo",
    realistic: bool = False,
) -> list[dict[str, Any]]:
    """A case and its records as mutations, case first (all invented).

    ``realistic``: a mix like a raid's (a few children, a few with immediate
    needs, bands from little to strong evidence), with the age answered as born.
    """
    script = script or rng.choice(tuple(SYLLABLES))
    language, nationality = PEOPLE[script]
    now = now or dt.datetime.now(dt.UTC)
    started = now - dt.timedelta(minutes=rng.randint(20, 600))
    case_id = uuid.uuid4()
    cid = str(case_id)
    born = dt.date(rng.randint(1975, 2008), rng.randint(1, 12), rng.randint(1, 28))
    if realistic and answers is None:
        age = rng.randint(14, 17) if rng.random() < 0.08 else rng.randint(18, 45)
        born = now.date() - dt.timedelta(days=age * 365 + rng.randint(20, 340))
        answers = screening_answers(
            instrument, rng, limit=80, yes_rates=_profile(rng), age=age, born=born
        )
    out = [
        mutation(
            "case",
            case_id,
            {
                "operation_id": operation_id,
                "case_code": _case_code(rng),
                "given_names": fake_name(rng, script, rng.choice((2, 3))),
                "family_name": fake_name(rng, script, 2),
                "sex": rng.choice(("female", "male", "unknown")),
                "date_of_birth": born.isoformat(),
                "nationality": nationality,
                "languages": [language, "en"] if rng.random() < 0.3 else [language],
                "documents": [
                    {
                        "kind": "passport",
                        "number": f"DEMO{rng.randint(100000, 999999)}",
                        "country": nationality,
                        "held_by": rng.choice(("person", "employer", "unknown")),
                    }
                ],
                "contacts": [{"kind": "phone", "value": f"+000-555-{rng.randint(1000, 9999)}"}],
            },
        )
    ]
    for purpose in consents:
        out.append(
            mutation(
                "consent",
                uuid.uuid4(),
                {
                    "case_id": cid,
                    "purpose": purpose,
                    "state": "given" if rng.random() < 0.9 else "refused",
                    "recorded_at": _iso(started),
                    "language": language,
                    "interpreter_present": rng.random() < 0.5,
                },
            )
        )
    out.append(
        mutation(
            "screening",
            uuid.uuid4(),
            {
                "case_id": cid,
                "instrument_key": INSTRUMENT[0],
                "instrument_version": INSTRUMENT[1],
                "locale": SCREENING_LOCALES.get(language, "en"),
                "answers": answers
                if answers is not None
                else screening_answers(instrument, rng, limit=40),
                "started_at": _iso(started),
                "completed_at": _iso(started + dt.timedelta(minutes=rng.randint(15, 45))),
            },
        )
    )
    for n in range(disclosures):
        kind = ("wallet", "recruiter", "wallet", "transaction")[n % 4]
        data: dict[str, Any] = {"case_id": cid, "kind": kind}
        if kind == "wallet":
            address, chain, role = _wallet(rng, wallet_tag)
            data.update(raw=address, chain=chain, role=role)
            if rng.random() < 0.5:
                asset = "USDT" if chain in {"tron", "ethereum"} else "BTC"
                amount = rng.choice(("150", "480.5", "1200", "3000", "0.015"))
                data.update(asset=asset, amount=amount, direction="sent")
        elif kind == "transaction":
            data.update(raw=synthetic_txid(f"{wallet_tag}/{cid}/{n}"), chain="tron")
            data["role"] = "paid_to_perpetrator"
        else:
            data.update(raw=f"@demo_recruiter_{rng.randint(100, 999)}", role="unknown")
        out.append(mutation("disclosure", uuid.uuid4(), data))
    services = ("shelter", "medical", "legal_aid", "embassy", "repatriation", "psychosocial")
    for service in rng.sample(services, referrals):
        out.append(
            mutation(
                "referral",
                uuid.uuid4(),
                {
                    "case_id": cid,
                    "service": service,
                    "status": rng.choice(("proposed", "accepted")),
                },
            )
        )
    return out


@dataclass
class DemoUser:
    """An account the demo made, and the device it signed in with."""

    username: str
    role: str
    password: str
    device_id: uuid.UUID
    user_id: uuid.UUID
    token: str = ""


@dataclass
class DemoResult:
    """What the demo created."""

    operation_id: str
    operation_name: str
    users: list[DemoUser]
    cases: int = 0
    records: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    #: An address many cases named (an investigator's first lookup).
    hub: str = ""
    #: Every operation made, the first one being ``operation_id``.
    operation_ids: list[str] = field(default_factory=list)


def _batches(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def seed_demo(
    runtime: Runtime,
    client: httpx.AsyncClient,
    *,
    cases: int = 200,
    caseworkers: int = 3,
    password: str | None = None,
    seed: int | None = None,
) -> DemoResult:
    """Make the accounts, then create the operation and push its cases through ``client``.

    ``client`` calls the app (in process or over the network). Each caseworker
    pushes from their own device the cases they met, in batches of 100.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    tag = secrets.token_hex(2)
    instrument = runtime.instruments.get(*INSTRUMENT)
    plans = [
        ("coordinator", Role.COORDINATOR),
        *[(f"caseworker{n + 1}", Role.CASEWORKER) for n in range(caseworkers)],
        ("investigator", Role.INVESTIGATOR),
        ("admin", Role.ADMIN),
    ]
    users: list[DemoUser] = []
    for name, role in plans:
        secret = password or f"demo-{secrets.token_urlsafe(12)}"
        username = f"demo-{tag}-{name}"
        async with write_transaction(runtime.db) as session:
            made = await UserService(session, runtime).create(
                actor=None, username=username, password=secret, role=role
            )
        users.append(
            DemoUser(
                username=username,
                role=role.value,
                password=secret,
                device_id=uuid.uuid4(),
                user_id=made.id,
            )
        )
    for user in users:
        signed = await client.post(
            "/api/v1/auth/token",
            json={
                "username": user.username,
                "password": user.password,
                "device_id": str(user.device_id),
            },
        )
        signed.raise_for_status()
        user.token = str(signed.json()["access_token"])
    coordinator = users[0]
    workers = [user for user in users if user.role == Role.CASEWORKER]
    coord_headers = {"Authorization": f"Bearer {coordinator.token}"}
    name = f"Operation Demo {tag.upper()} (synthetic)"
    operation_ids: list[str] = []
    for title, country, site in (
        (name, "KH", "Fakeville Tower (synthetic)"),
        (f"Operation Demo {tag.upper()} Harbour (synthetic)", "MM", "Nowhere Pier (synthetic)"),
    ):
        created = await client.post(
            "/api/v1/operations",
            headers=coord_headers,
            json={"name": title, "country": country, "site": site},
        )
        created.raise_for_status()
        operation_ids.append(str(created.json()["id"]))
        for worker in workers:
            added = await client.post(
                f"/api/v1/operations/{operation_ids[-1]}/members",
                headers=coord_headers,
                json={"user_id": str(worker.user_id)},
            )
            added.raise_for_status()
    operation_id = operation_ids[0]
    result = DemoResult(
        operation_id=operation_id,
        operation_name=name,
        users=users,
        hub=synthetic_wallet(f"{tag}/hub", "tron"),
        operation_ids=operation_ids,
    )
    pushers = workers or [coordinator]
    queues: dict[int, list[dict[str, Any]]] = {n: [] for n in range(len(pushers))}
    purposes = ("services", "aggregate_statistics", "financial_investigation")
    for n in range(cases):
        consents = purposes[: rng.randint(1, len(purposes))]
        queues[n % len(pushers)] += synthetic_case(
            rng,
            operation_ids[1] if rng.random() < 0.3 else operation_id,
            instrument,
            referrals=rng.choice((0, 0, 1, 2)),
            consents=consents,
            disclosures=rng.choice((1, 2, 2, 3)),
            wallet_tag=tag,
            realistic=True,
        )
    result.cases = cases
    for n, pusher in enumerate(pushers):
        headers = {"Authorization": f"Bearer {pusher.token}"}
        for batch in _batches(queues[n], 100):
            pushed = await client.post(
                PUSH,
                headers=headers,
                json={"device_id": str(pusher.device_id), "mutations": batch},
            )
            pushed.raise_for_status()
            for sent, outcome in zip(batch, pushed.json()["results"], strict=True):
                result.statuses[outcome["status"]] += 1
                if outcome["status"] == "applied":
                    result.records[sent["entity"]] += 1
    return result
