"""Prometheus metrics: what an operator watches, with labels that never carry an identifier.

Labels are the route *template* (``/api/v1/cases/{case_id}``, never an id),
the method, the status, a sync outcome, a sign-in outcome or a backlog
status: small, fixed sets. Counts come from the hooks that already see every
request (the access log in :mod:`backend.observability`) and every audit
append (an insert of :class:`AuditEntry`); the backlog gauges are read from
the database when the metrics are scraped. Sync itself is not touched.

With several worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory (per start) and every worker's counts are summed in each scrape.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event

from backend.db.models import AuditEntry
from backend.health.repositories import Backlog

__all__ = [
    "CONTENT_TYPE",
    "PUSH_ROUTE",
    "SIGN_IN_ROUTE",
    "exposition",
    "install_audit_counter",
    "observe_request",
    "set_backlog",
]

PUSH_ROUTE = "/api/v1/sync/push"
SIGN_IN_ROUTE = "/api/v1/auth/token"
#: The exposition format's media type, without the charset Litestar adds to every text/ type.
CONTENT_TYPE = CONTENT_TYPE_LATEST.split("; charset")[0]
_UNMATCHED = "unmatched"  # a path no route serves: never the path itself
_SYNC_STATUSES = frozenset({"applied", "duplicate", "conflict", "rejected", "waiting"})

REQUEST_SECONDS = Histogram(
    "lantern_http_request_duration_seconds",
    "Time to answer a request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNC_MUTATIONS = Counter("lantern_sync_mutations_total", "Pushed mutations by outcome.", ["status"])
SIGN_INS = Counter(
    "lantern_sign_ins_total", "Sign-in attempts by outcome (ok, failed, backoff).", ["outcome"]
)
AUDIT_APPENDS = Counter("lantern_audit_appends_total", "Entries appended to the audit log.")
CONFLICTS = Gauge(
    "lantern_sync_conflicts", "Sync conflicts by status.", ["status"], multiprocess_mode="livemax"
)
QUARANTINE = Gauge(
    "lantern_sync_quarantine",
    "Quarantined mutations by status.",
    ["status"],
    multiprocess_mode="livemax",
)
MATCHING_BACKLOG = Gauge(
    "lantern_matching_backlog",
    "Person encodings not yet compared by the duplicate-matching loop.",
    multiprocess_mode="livemax",
)


class _PushAnswer(msgspec.Struct):
    results: list[_Outcome]


class _Outcome(msgspec.Struct):
    status: str


_push_decoder = msgspec.json.Decoder(_PushAnswer)


def observe_request(
    scope: Any, status: int, seconds: float, push_body: bytes | None = None
) -> None:
    """Count one answered request (called by the access log, once per request)."""
    route = scope.get("path_template") or _UNMATCHED
    method = str(scope.get("method", "")).upper()
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds)
    if route == SIGN_IN_ROUTE and method == "POST":
        outcome = {200: "ok", 401: "failed", 429: "backoff"}.get(status)
        if outcome:
            SIGN_INS.labels(outcome).inc()
    if route == PUSH_ROUTE and status == 200 and push_body:
        try:
            answer = _push_decoder.decode(push_body)
        except msgspec.DecodeError:
            return
        for result in answer.results:
            if result.status in _SYNC_STATUSES:
                SYNC_MUTATIONS.labels(result.status).inc()


def _count_append(*_: Any) -> None:
    AUDIT_APPENDS.inc()


def install_audit_counter() -> None:
    """Count audit appends as they are inserted (once per process; app start-up calls it)."""
    if not event.contains(AuditEntry, "after_insert", _count_append):
        event.listen(AuditEntry, "after_insert", _count_append)


def set_backlog(backlog: Backlog) -> None:
    """Set the backlog gauges from counts just read."""
    for gauge, counts in ((CONFLICTS, backlog.conflicts), (QUARANTINE, backlog.quarantine)):
        gauge.clear()
        for status, count in counts.items():
            gauge.labels(status).set(count)
    MATCHING_BACKLOG.set(backlog.matching_pending)


def exposition() -> bytes:
    """Every metric in the Prometheus text format (all workers' when multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
