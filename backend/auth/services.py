"""Signing in and out, resolving bearer tokens, managing devices.

Sign-in never holds a transaction while argon2 runs: it reads what it needs,
reserves the attempt in a short write transaction, verifies the password with
no connection held, then writes the outcome in a second short transaction.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import secrets
import unicodedata
import uuid
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.access.policy import may_manage_devices
from backend.access.principal import Principal
from backend.access.roles import Role
from backend.audit.services import (
    AuditEvent,
    AuditLog,
    anonymous_denial,
    audit_side_effect,
    refused_as_not_found,
)
from backend.auth.repositories import DeviceRepository, ThrottleRepository, TokenRepository
from backend.crypto.pseudonyms import pseudonym, pseudonyms_under_every_key
from backend.db.base import utcnow
from backend.db.models import AccessToken, Device, User
from backend.db.session import read_transaction, write_transaction
from backend.errors import (
    DeviceBoundElsewhere,
    DeviceRevoked,
    FieldError,
    InvalidCredentials,
    NotFound,
    SideEffect,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)
from backend.i18n import N_
from backend.runtime import Runtime
from backend.users.repositories import UserRepository

__all__ = [
    "AuthService",
    "DeviceService",
    "IssuedToken",
    "SignIn",
    "client_network",
    "normalise_username",
    "parse_network",
]

TOKEN_PREFIX = "lt1_"  # noqa: S105 - a marker for secret scanners, not a secret


def normalise_username(username: str) -> str:
    """The stored form of a username: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def client_network(address: str) -> str:
    """The network a client address stands for: the address for IPv4, the /64 for IPv6.

    One IPv6 subscriber usually holds a whole /64, so counting single IPv6
    addresses would let a guesser rotate through billions of them.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def hash_token(runtime: Runtime, token: str, key_id: str) -> bytes:
    """The stored form of a bearer token: its keyed pseudonym."""
    return pseudonym(runtime.keyring, "token-hash", token, key_id=key_id)


class IssuedToken(msgspec.Struct, kw_only=True, frozen=True):
    """A new bearer token; the only time the token itself exists outside the client."""

    access_token: str
    expires_at: dt.datetime
    role: Role
    user_id: uuid.UUID
    device_id: uuid.UUID | None


class AuthService:
    """Resolving bearer tokens to principals, and signing out."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.tokens = TokenRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def authenticate(self, token: str) -> Principal:
        """Resolve a bearer token to its principal.

        Raises:
            Unauthenticated: unknown, expired or revoked token, or disabled account.
            DeviceRevoked: the token's device was revoked.
        """
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            raise Unauthenticated(N_("The access token is not valid."))
        keyring = self.runtime.keyring
        found = await self.tokens.find(pseudonyms_under_every_key(keyring, "token-hash", token))
        if found is None:
            raise Unauthenticated(
                N_("The access token is not valid."),
                side_effects=[anonymous_denial("auth.token", "unknown_token", keyring)],
            )
        row, user = found.token, found.user
        if found.device_revoked_at is not None:
            event = AuditEvent(
                action="auth.request_from_revoked_device",
                outcome="denied",
                actor_id=user.id,
                actor_role=user.role,
                device_id=row.device_id,
                detail={"reason": "device_revoked"},
            )
            raise device_revoked(event, self.runtime)
        if row.revoked_at is not None:
            raise Unauthenticated(N_("The access token has been revoked."))
        if row.expires_at <= utcnow():
            raise Unauthenticated(N_("The access token has expired."))
        if user.disabled_at is not None:
            raise Unauthenticated(N_("The account is disabled."))
        return Principal(
            user_id=user.id,
            username=user.username,
            role=Role(user.role),
            token_id=row.id,
            device_id=row.device_id,
        )

    async def logout(self, principal: Principal) -> None:
        """Revoke the token of this request."""
        await self.tokens.revoke(principal.token_id, at=utcnow(), reason="logout")
        self.audit.record(
            AuditEvent(
                action="auth.logout",
                actor_id=principal.user_id,
                actor_role=principal.role,
                device_id=principal.device_id,
                object_type="token",
                object_id=str(principal.token_id),
            )
        )


def device_revoked(event: AuditEvent, runtime: Runtime) -> DeviceRevoked:
    """The answer to a revoked device, carrying the audit entry of the refusal."""
    return DeviceRevoked(
        N_("Wipe the data held on this device; it can no longer sync."),
        side_effects=[audit_side_effect(event, runtime.keyring)],
    )


@dataclass(frozen=True, slots=True)
class _Counter:
    key: bytes
    limit: int
    #: Filed under the account (an admin's unlock clears it), not only the network.
    of_account: bool = True
    #: A success here trusts the place: the network and account ceilings stop applying.
    trusted_place: bool = False
    #: Applies only where the account has not signed in successfully before.
    untrusted_only: bool = False
    #: The same counter's key under the other master keys held (a trust recorded
    #: before the last rotation still counts).
    earlier: tuple[bytes, ...] = ()


def parse_network(text: str) -> str:
    """The network an admin names: an IPv4 address, an IPv6 address or its /64.

    Raises:
        ValueError: not an IP address (nor an IPv6 /64).
    """
    try:
        return client_network(str(ipaddress.ip_address(text)))
    except ValueError:
        pass
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("not an IP address") from None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen == 64:
        return str(network)
    raise ValueError("not an IP address") from None


@dataclass(frozen=True, slots=True)
class _Known:
    """What sign-in reads before it checks the password."""

    user_id: uuid.UUID | None
    role: str | None
    password_hash: str | None
    device_owner: uuid.UUID | None
    device_revoked: bool


class SignIn:
    """Checking credentials with back-off, and issuing tokens.

    Back-off counts attempts, reserved atomically before the password is
    checked, per account and client network, per account and device, per
    network across accounts (password spraying), and per account from
    untrusted places (a ceiling that slows guessing from many networks).
    Networks and devices where the owner signed in before are trusted for
    ``login_trust_days`` and the ceiling does not apply there, so nobody can
    lock an owner out by guessing; every back-off also ends by itself, and an
    admin can end it at once (``lantern users unlock``).
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.db = runtime.db

    def _tag(self, *parts: str) -> bytes:
        return pseudonym(self.runtime.keyring, "login-throttle", *parts)

    def _earlier(self, *parts: str) -> tuple[bytes, ...]:
        keyring = self.runtime.keyring
        return tuple(
            pseudonym(keyring, "login-throttle", *parts, key_id=kid)
            for kid in keyring.key_ids
            if kid != keyring.active_id
        )

    def account_tag(self, username: str) -> bytes:
        """The pseudonym under which every counter of one account is filed."""
        return self._tag("account", normalise_username(username))

    def _counters(self, name: str, network: str, device_id: uuid.UUID | None) -> list[_Counter]:
        settings = self.settings
        per_account = settings.login_account_max_failures
        place = ("account+network", name, network)
        counters = [
            _Counter(self._tag(*place), per_account, True, True, earlier=self._earlier(*place))
        ]
        if device_id is not None:
            phone = ("account+device", name, str(device_id))
            counters.append(
                _Counter(self._tag(*phone), per_account, True, True, earlier=self._earlier(*phone))
            )
        # The network's ceiling slows a guesser spraying names from one address; a
        # field office shares that address, so it never holds back an account at a
        # place where it signed in before.
        spray = settings.login_address_max_failures
        counters.append(
            _Counter(self._tag("network", network), spray, of_account=False, untrusted_only=True)
        )
        ceiling = settings.login_account_ceiling
        counters.append(_Counter(self.account_tag(name), ceiling, untrusted_only=True))
        return counters

    def _backoff(self, excess: int) -> dt.timedelta:
        settings = self.settings
        delay = settings.login_backoff_base_seconds * 2 ** min(max(excess, 0), 32)
        return dt.timedelta(seconds=min(settings.login_backoff_max_seconds, delay))

    def _throttled(self, until: dt.datetime, now: dt.datetime) -> TooManyAttempts:
        retry_after = max(1, math.ceil((until - now).total_seconds()))
        return TooManyAttempts(
            retry_after,
            side_effects=[anonymous_denial("auth.login", "throttled", self.runtime.keyring)],
        )

    async def _read(self, name: str, device_id: uuid.UUID | None) -> _Known:
        async with read_transaction(self.db) as session:
            user = await UserRepository(session).get_by_username(name)
            device = await DeviceRepository(session).get(device_id) if device_id else None
        usable = user is not None and user.disabled_at is None
        return _Known(
            user_id=user.id if user else None,
            role=user.role if user else None,
            password_hash=user.password_hash if usable and user else None,
            device_owner=device.registered_by if device else None,
            device_revoked=bool(device and device.revoked_at is not None),
        )

    async def _reserve(self, counters: list[_Counter], account_tag: bytes, trusted: bool) -> None:
        """Count this attempt on every counter that applies; refuse if any is over.

        The count is taken before the password is checked, in one short
        transaction, so concurrent guesses cannot all slip under the limit.

        Raises:
            TooManyAttempts: a counter is locked, or this attempt is over its limit.
        """
        now = utcnow()
        window_start = now - dt.timedelta(seconds=self.settings.login_failure_window_seconds)
        locked: list[dt.datetime] = []
        fresh = False
        async with write_transaction(self.db) as session:
            repo = ThrottleRepository(session)
            for counter in counters:
                attempts, locked_until, trusted_until = await repo.reserve(
                    counter.key,
                    account_tag=account_tag if counter.of_account else None,
                    now=now,
                    window_start=window_start,
                )
                fresh = fresh or attempts == 1
                if counter.trusted_place and not trusted and counter.earlier:
                    before = await repo.trusted_until(counter.earlier)
                    trusted_until = max(filter(None, (trusted_until, before)), default=None)
                if counter.trusted_place and trusted_until is not None and trusted_until > now:
                    trusted = True
                if counter.untrusted_only and trusted:
                    continue
                if locked_until is not None and locked_until > now:
                    locked.append(locked_until)
                elif attempts > counter.limit:
                    until = now + self._backoff(attempts - counter.limit - 1)
                    await repo.lock_until(counter.key, until)
                    locked.append(until)
            if fresh:
                # New counters appear only with new attempts: clear out old ones then.
                await repo.prune(now=now, window_start=window_start)
        if locked:
            raise self._throttled(max(locked), now)

    async def login(
        self,
        *,
        username: str,
        password: str,
        device_id: uuid.UUID | None,
        client_address: str,
        device_label: str | None = None,
    ) -> IssuedToken:
        """Check the credentials and issue a token, optionally bound to a device.

        The answer and the work done are the same for an unknown user as for a
        wrong password, so neither the response nor its timing tells them apart.

        Raises:
            DeviceRevoked: the device was revoked (whatever the password); wipe its data.
            TooManyAttempts: backing off after failed attempts; see ``retry_after``.
            InvalidCredentials: unknown user, wrong password or disabled account.
            DeviceBoundElsewhere: the device is bound to another account.
        """
        name = normalise_username(username)
        known = await self._read(name, device_id)
        if known.device_revoked:
            event = AuditEvent(
                action="auth.login",
                outcome="denied",
                device_id=device_id,
                detail={"reason": "device_revoked"},
            )
            raise device_revoked(event, self.runtime)
        counters = self._counters(name, client_network(client_address), device_id)
        account_tag = self.account_tag(name)
        owners_device = known.user_id is not None and known.device_owner == known.user_id
        await self._reserve(counters, account_tag, trusted=owners_device)

        verified = await self.runtime.hasher.verify(known.password_hash, password)
        if not verified.ok or known.user_id is None:
            raise InvalidCredentials(side_effects=[self._failure(known, device_id)])
        if known.device_owner is not None and known.device_owner != known.user_id:
            raise DeviceBoundElsewhere(
                N_("Sign in on this device with the account it belongs to."),
                side_effects=[
                    audit_side_effect(
                        AuditEvent(
                            action="auth.login",
                            outcome="denied",
                            actor_id=known.user_id,
                            actor_role=known.role,
                            device_id=device_id,
                            detail={"reason": "device_bound_elsewhere"},
                        ),
                        self.runtime.keyring,
                    )
                ],
            )
        new_hash = await self.runtime.hasher.hash(password) if verified.needs_rehash else None
        return await self._succeed(known.user_id, device_id, counters, new_hash, device_label)

    def _failure(self, known: _Known, device_id: uuid.UUID | None) -> SideEffect:
        """The record of a failed sign-in (its attempt was already counted)."""
        keyring = self.runtime.keyring
        if known.user_id is None:
            record = anonymous_denial("auth.login", "unknown_account", keyring)
        else:
            record = audit_side_effect(
                AuditEvent(
                    action="auth.login",
                    outcome="failure",
                    object_type="user",
                    object_id=str(known.user_id),
                    device_id=device_id,
                    detail={"reason": "bad_credentials"},
                ),
                keyring,
            )
        return record

    async def _succeed(
        self,
        user_id: uuid.UUID,
        device_id: uuid.UUID | None,
        counters: list[_Counter],
        new_hash: str | None,
        device_label: str | None = None,
    ) -> IssuedToken:
        now = utcnow()
        async with write_transaction(self.db) as session:
            user = await UserRepository(session).get(user_id)
            if user is None or user.disabled_at is not None:
                raise InvalidCredentials()
            if device_id is not None:
                device = await DeviceRepository(session).register(
                    device_id, user_id=user.id, at=now
                )
                if device.revoked_at is not None:
                    event = AuditEvent(
                        action="auth.login",
                        outcome="denied",
                        actor_id=user.id,
                        actor_role=user.role,
                        device_id=device_id,
                        detail={"reason": "device_revoked"},
                    )
                    raise device_revoked(event, self.runtime)
                if device.registered_by != user.id:
                    raise DeviceBoundElsewhere(
                        N_("Sign in on this device with the account it belongs to.")
                    )
                device.last_seen_at = now
                if device_label is not None:
                    device.label = device_label
            if new_hash is not None:
                user.password_hash = new_hash
            throttle = ThrottleRepository(session)
            trust = now + dt.timedelta(days=self.settings.login_trust_days)
            places = [c.key for c in counters if c.trusted_place]
            await throttle.succeeded(
                places, account_tag=self.account_tag(user.username), trusted_until=trust, now=now
            )
            # The network and account counters keep counting failures only.
            for counter in counters:
                if not counter.trusted_place:
                    await throttle.release(counter.key)
            issued = self._issue(session, user, device_id, now)
            AuditLog(session, self.runtime.keyring).record(
                AuditEvent(
                    action="auth.login",
                    actor_id=user.id,
                    actor_role=user.role,
                    device_id=device_id,
                    detail={"rehashed": new_hash is not None},
                )
            )
        return issued

    def _issue(
        self, session: AsyncSession, user: User, device_id: uuid.UUID | None, now: dt.datetime
    ) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(seconds=self.settings.token_lifetime_seconds)
        key_id = self.runtime.keyring.active_id
        TokenRepository(session).add(
            AccessToken(
                token_hash=hash_token(self.runtime, token, key_id),
                key_id=key_id,
                user_id=user.id,
                device_id=device_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        return IssuedToken(
            access_token=token,
            expires_at=expires_at,
            role=Role(user.role),
            user_id=user.id,
            device_id=device_id,
        )

    async def unlock(self, username: str) -> int:
        """End every back-off of one account at once; returns how many counters were cleared."""
        async with write_transaction(self.db) as session:
            return await ThrottleRepository(session).unlock_account(self.account_tag(username))

    async def unlock_network(self, address: str, *, actor: Principal | None) -> int:
        """End the back-off of one network (counted across accounts) at once, audited.

        Args:
            address: An IPv4 address, an IPv6 address or its /64.
            actor: The admin asking; ``None`` for the command line.

        Returns:
            How many counters were cleared.

        Raises:
            ValidationFailed: ``address`` is not an IP address (the value is not echoed).
        """
        try:
            network = parse_network(address)
        except ValueError as exc:
            raise ValidationFailed(
                errors=[
                    FieldError(field="address", reason=str(exc), location="body", code="ip_address")
                ]
            ) from None
        keyring = self.runtime.keyring
        keys = pseudonyms_under_every_key(keyring, "login-throttle", "network", network)
        async with write_transaction(self.db) as session:
            cleared = await ThrottleRepository(session).unlock_keys(keys)
            AuditLog(session, keyring).record(
                AuditEvent(
                    action="auth.unlock_network",
                    actor_id=actor.user_id if actor else None,
                    actor_role=actor.role if actor else "cli",
                    object_type="network",
                    # A keyed tag: the address of a field office is not written down.
                    object_id=keys[-1][:8].hex(),
                    detail={"counters_cleared": cleared},
                )
            )
        return cleared


class DeviceService:
    """Devices belong to people: listing them, and revoking a lost or seized one."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.devices = DeviceRepository(session)
        self.tokens = TokenRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def may_manage(self, principal: Principal, owner_id: uuid.UUID) -> bool:
        """Whether ``principal`` may list or revoke the devices of ``owner_id``.

        An admin may; a coordinator may for members of an operation they belong
        to; everyone may for their own.
        """
        shares = principal.role == Role.COORDINATOR and await self.devices.shares_operation(
            owner_id, principal.user_id
        )
        return may_manage_devices(principal, owner_id=owner_id, shares_operation=shares)

    def _out_of_scope(self, principal: Principal, object_type: str, object_id: str) -> NotFound:
        return refused_as_not_found(
            N_("No such device among those you may manage."),
            keyring=self.runtime.keyring,
            action=f"{object_type}.devices",
            actor_id=principal.user_id,
            actor_role=principal.role,
            object_type=object_type,
            object_id=object_id,
        )

    async def list_for(self, principal: Principal, owner_id: uuid.UUID) -> list[Device]:
        """The devices of ``owner_id``, if the caller may see them (else not found, audited)."""
        if not await self.may_manage(principal, owner_id):
            raise self._out_of_scope(principal, "user", str(owner_id))
        return await self.devices.list_for_user(owner_id)

    async def revoke(self, principal: Principal, device_id: uuid.UUID) -> tuple[Device, int]:
        """Revoke a device and every token bound to it.

        Others' devices are reported as not found (and the attempt audited), so
        existence does not leak.

        Returns:
            The device and how many tokens were revoked.
        """
        device = await self.devices.get(device_id)
        if device is None or not (
            principal.role != Role.CASEWORKER
            and await self.may_manage(principal, device.registered_by)
        ):
            raise self._out_of_scope(principal, "device", str(device_id))
        now = utcnow()
        if device.revoked_at is None:
            device.revoked_at = now
            device.revoked_by = principal.user_id
        revoked = await self.tokens.revoke_for_device(device_id, at=now)
        self.audit.record(
            AuditEvent(
                action="device.revoke",
                actor_id=principal.user_id,
                actor_role=principal.role,
                object_type="device",
                object_id=str(device_id),
                detail={"tokens_revoked": revoked},
            )
        )
        return device, revoked
