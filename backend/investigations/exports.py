"""Exports in the formats investigators' tools take: GraphSense TagPack YAML and CSV.

Pure (no web or database code). Nothing here can carry personal data: every
value is a chain name, a canonical address or transaction id, a role, a
count, a date, or a pseudonym. A TagPack's ``context`` holds only case counts
(a count below k is written as ``"<k"``) and date ranges.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CONCEPTS_BY_ROLE",
    "CSV_COLUMNS",
    "CURRENCIES",
    "TagLine",
    "TagPackHeader",
    "to_csv",
    "to_tagpack",
]

#: GraphSense currency and network codes per chain (EVM chains are all ``ETH`` here).
CURRENCIES: dict[str, tuple[str, str]] = {
    "bitcoin": ("BTC", "BTC"),
    "bitcoin-testnet": ("BTC", "BTC_TESTNET"),
    "ethereum": ("ETH", "ETH"),
    "tron": ("TRX", "TRX"),
    "litecoin": ("LTC", "LTC"),
    "dogecoin": ("DOGE", "DOGE"),
    "bitcoin-cash": ("BCH", "BCH"),
    "solana": ("SOL", "SOL"),
    "xrp": ("XRP", "XRP"),
    "monero": ("XMR", "XMR"),
    "ton": ("TON", "TON"),
}
#: Concepts of the GraphSense taxonomy each disclosure role stands for.
CONCEPTS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "scam_collection": ("scam", "perpetrator", "money_laundering"),
    "paid_to_perpetrator": ("perpetrator",),
    "wage_source": ("perpetrator",),
    "unknown": (),
}
_LABELS = {
    "scam_collection": "scam collection {what}",
    "paid_to_perpetrator": "{what} of payments to perpetrators",
    "wage_source": "{what} paying compound wages",
    "unknown": "{what} named by trafficking victims",
}
_ROLE_ORDER = ("scam_collection", "paid_to_perpetrator", "wage_source", "unknown")
CONFIDENCE = "forensic_investigation"


@dataclass(frozen=True, slots=True, kw_only=True)
class TagPackHeader:
    """What a TagPack says about itself."""

    title: str
    creator: str
    description: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TagLine:
    """One tagged address or transaction, aggregated over the cases that disclosed it."""

    chain: str
    address: str | None
    tx_hash: str | None
    roles: frozenset[str]
    cases: int
    first_disclosed: dt.date | None
    last_disclosed: dt.date | None
    period_from: dt.date | None
    period_to: dt.date | None


def _q(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: hex stays text, never a number.
    return json.dumps(value, ensure_ascii=True)


def _context(line: TagLine, k: int) -> str:
    context: dict[str, object] = {"cases": line.cases if line.cases >= k else f"<{k}"}
    if line.first_disclosed and line.last_disclosed:
        context["disclosed"] = {
            "first": line.first_disclosed.isoformat(),
            "last": line.last_disclosed.isoformat(),
        }
    if line.period_from or line.period_to:
        context["period"] = {
            "from": (line.period_from or line.period_to).isoformat(),  # type: ignore[union-attr]
            "to": (line.period_to or line.period_from).isoformat(),  # type: ignore[union-attr]
        }
    return json.dumps(context, sort_keys=True, separators=(",", ":"))


def _concepts(roles: frozenset[str]) -> list[str]:
    found = ["human_trafficking"]
    for role in _ROLE_ORDER:
        if role in roles:
            found += [c for c in CONCEPTS_BY_ROLE[role] if c not in found]
    return found


def _label(line: TagLine) -> str:
    role = next((r for r in _ROLE_ORDER if r in line.roles), "unknown")
    what = "transaction" if line.tx_hash else "address"
    return "lantern: " + _LABELS[role].format(what=what)


def to_tagpack(header: TagPackHeader, lines: Iterable[TagLine], *, k: int) -> str:
    """A GraphSense TagPack: one tag per address or transaction, never both in one tag."""
    out = [
        f"title: {_q(header.title)}",
        f"creator: {_q(header.creator)}",
        f"description: {_q(header.description)}",
        "is_public: false",
        "tags:",
    ]
    source = f"  source: {_q(header.source)}\n"
    # What repeats from tag to tag is rendered once (100,000 tags in well under a second).
    openings: dict[tuple[str, frozenset[str], bool], str] = {}
    count = 0
    for line in lines:
        key = (line.chain, line.roles, line.tx_hash is not None)
        opening = openings.get(key)
        if opening is None:
            currency, network = CURRENCIES[line.chain]
            opening = openings[key] = (
                f"- label: {_q(_label(line))}\n{source}"
                f"  currency: {_q(currency)}\n  network: {_q(network)}\n"
                f"  confidence: {_q(CONFIDENCE)}\n  concepts:\n"
                + "".join(f"  - {_q(c)}\n" for c in _concepts(line.roles))
            )
        value = (
            f"  address: {_q(line.address)}"
            if line.address is not None
            else f"  tx_hash: {_q(line.tx_hash or '')}"
        )
        out.append(f"{opening}{value}\n  context: {_q(_context(line, k))}")
        count += 1
    if count == 0:
        out[-1] = "tags: []"
    return "\n".join(out) + "\n"


#: The CSV export's columns, one disclosure per line.
CSV_COLUMNS = (
    "case_ref",
    "operation_ref",
    "chain",
    "address",
    "tx_hash",
    "kind",
    "role",
    "asset",
    "amount",
    "date_from",
    "date_to",
    "disclosed_on",
)


def _cell(value: object) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)
    # A spreadsheet runs a cell that opens with one of these as a formula.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def to_csv(lines: Iterable[Sequence[object]]) -> str:
    """CSV with a header line; every value is text a spreadsheet will not run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([_cell(v) for v in line])
    return buffer.getvalue()
