"""Request rate limits that fit the field: per account and device when signed in.

A raid's phones usually share one address (a field office, a carrier's NAT),
so limiting every request by address would make fifty phones syncing at once
share one phone's allowance. Instead:

- an authenticated request counts against its account and device (or, for a
  browser without a device id, its token): one abusive phone backs off alone;
- an anonymous request (no token, a route that takes none such as sign-in,
  or a token that turns out not to be valid) counts against its client
  network (an IPv4 address, an IPv6 /64), as before.

Each counter is a token bucket of ``per_minute`` requests, refilled evenly,
held in this worker's memory (every worker keeps its own, like the back-off
a proxy might add in front). Sign-in has its own back-off on top
(``SignIn``), kept in the database.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from backend.access.principal import Principal
from backend.auth.services import client_network

__all__ = ["AnonymousRateLimit", "Buckets", "RateLimits"]

#: How many counters a worker keeps before it forgets the idle ones.
_PRUNE_ABOVE = 20_000


class Buckets:
    """Token buckets by key: ``per_minute`` requests a minute each, refilled evenly."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._held: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> int | None:
        """Take one request from ``key``'s bucket; the seconds to wait if it is empty."""
        now = self._clock()
        tokens, at = self._held.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self._held[key] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / self.rate))
        self._held[key] = (tokens - 1.0, now)
        if len(self._held) > _PRUNE_ABOVE:
            self._prune(now)
        return None

    def _prune(self, now: float) -> None:
        """Forget every bucket that would be full again by now (it limits nothing)."""
        full = [
            key
            for key, (tokens, at) in self._held.items()
            if tokens + (now - at) * self.rate >= self.capacity
        ]
        for key in full:
            del self._held[key]


def _refused(wait: int) -> TooManyRequestsException:
    return TooManyRequestsException(headers={"Retry-After": str(wait)})


class RateLimits:
    """This worker's request limits: anonymous per network, signed in per account and device."""

    def __init__(
        self,
        *,
        anonymous_per_minute: int,
        device_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._anonymous = (
            Buckets(anonymous_per_minute, clock=clock) if anonymous_per_minute else None
        )
        self._devices = Buckets(device_per_minute, clock=clock) if device_per_minute else None

    def anonymous(self, address: str) -> None:
        """Count an anonymous request from ``address``.

        Raises:
            TooManyRequestsException: the network's allowance is used up (429, Retry-After).
        """
        if self._anonymous is not None:
            wait = self._anonymous.take("network:" + client_network(address))
            if wait is not None:
                raise _refused(wait)

    def authenticated(self, principal: Principal) -> None:
        """Count a request of a signed-in account on one device (or one token, without one).

        Raises:
            TooManyRequestsException: that device's allowance is used up (429, Retry-After).
        """
        if self._devices is not None:
            where = (
                f"device:{principal.device_id}"
                if principal.device_id is not None
                else f"token:{principal.token_id}"
            )
            wait = self._devices.take(f"account:{principal.user_id}:{where}")
            if wait is not None:
                raise _refused(wait)


def address_of(scope: Scope) -> str:
    """The client's address as the server sees it (see ``auth.controllers.client_address``)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AnonymousRateLimit(ASGIMiddleware):
    """Counts each request that will not be authenticated against its client network.

    A request carrying ``Authorization`` on a route that checks tokens is left
    to :class:`~backend.auth.middleware.BearerAuthenticationMiddleware`, which
    counts it per account and device once its token is known (or per network
    if the token is not valid). A sign-in carrying a stray header is still
    anonymous here.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, limits: RateLimits, *, exclude: tuple[str, ...] = ()) -> None:
        self.limits = limits
        # Health checks and the API docs are never limited (orchestrators poll them).
        pattern = re.compile("|".join(exclude)) if exclude else None
        self.should_bypass_for_scope = (
            (lambda scope: pattern.match(scope["path"]) is not None) if pattern else None
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if not _checks_token(scope):
            self.limits.anonymous(address_of(scope))
        await next_app(scope, receive, send)


def _checks_token(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    if handler is None or handler.opt.get("exclude_from_auth"):
        return False
    return any(name == b"authorization" for name, _ in scope.get("headers", ()))
