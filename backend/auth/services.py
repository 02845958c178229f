"""Signing in and out, resolving bearer tokens, revoking devices."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import unicodedata
import uuid

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit.services import AuditEvent, AuditLog, audit_side_effect
from backend.auth.principal import Principal
from backend.auth.repositories import DeviceRepository, ThrottleRepository, TokenRepository
from backend.db.base import utcnow
from backend.db.models import AccessToken, Device, User
from backend.errors import (
    DeviceRevoked,
    InvalidCredentials,
    NotFound,
    SideEffect,
    TooManyAttempts,
    Unauthenticated,
)
from backend.i18n import N_
from backend.runtime import Runtime
from backend.users.repositories import UserRepository

__all__ = ["AuthService", "DeviceService", "IssuedToken", "normalise_username"]

TOKEN_PREFIX = "lt1_"  # noqa: S105 - a marker for secret scanners, not a secret


def normalise_username(username: str) -> str:
    """The stored form of a username: NFKC, case-folded, trimmed."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


class IssuedToken(msgspec.Struct, kw_only=True, frozen=True):
    """A new bearer token; the only time the token itself exists outside the client."""

    access_token: str
    expires_at: dt.datetime
    role: str
    user_id: uuid.UUID
    device_id: uuid.UUID | None


class AuthService:
    """Sign-in with throttling, token issue and resolution, sign-out."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
        self.devices = DeviceRepository(session)
        self.throttle = ThrottleRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    # -- tokens ---------------------------------------------------------------

    def _hash_token(self, token: str, key_id: str) -> bytes:
        key = self.runtime.keyring.derive("token-hash", key_id=key_id)
        return hmac.new(key, token.encode(), hashlib.sha256).digest()

    def _token_hashes(self, token: str) -> list[bytes]:
        """The keyed hash of ``token`` under every master key (tokens outlive rotation)."""
        return [self._hash_token(token, kid) for kid in self.runtime.keyring.key_ids]

    async def authenticate(self, token: str) -> Principal:
        """Resolve a bearer token to its principal.

        Raises:
            Unauthenticated: unknown, expired or revoked token, or disabled user.
            DeviceRevoked: the token's device was revoked.
        """
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            raise Unauthenticated(N_("The access token is not valid."))
        found = None
        for token_hash in self._token_hashes(token):
            found = await self.tokens.get_with_user(token_hash)
            if found:
                break
        if found is None:
            raise Unauthenticated(N_("The access token is not valid."))
        row, user = found
        if row.revoked_at is not None:
            if row.revoke_reason == "device_revoked":
                raise self._device_revoked(
                    user, row.device_id, action="auth.request_from_revoked_device"
                )
            raise Unauthenticated(N_("The access token has been revoked."))
        if row.expires_at <= utcnow():
            raise Unauthenticated(N_("The access token has expired."))
        if user.disabled_at is not None:
            raise Unauthenticated(N_("The account is disabled."))
        return Principal(
            user_id=user.id,
            username=user.username,
            role=user.role,  # type: ignore[arg-type]
            token_id=row.id,
            device_id=row.device_id,
        )

    # -- sign-in --------------------------------------------------------------

    def _throttle_keys(self, username: str, client_address: str) -> tuple[bytes, bytes]:
        key = self.runtime.keyring.derive("login-throttle")
        account = hmac.new(key, b"account\x00" + username.encode(), hashlib.sha256).digest()
        address = hmac.new(key, b"address\x00" + client_address.encode(), hashlib.sha256).digest()
        return account, address

    def _record_failure(self, keys: tuple[bytes, bytes]) -> SideEffect:
        settings = self.settings

        async def effect(session: AsyncSession) -> None:
            repo = ThrottleRepository(session)
            now = utcnow()
            window_start = now - dt.timedelta(seconds=settings.login_failure_window_seconds)
            limits = (settings.login_account_max_failures, settings.login_address_max_failures)
            for key, limit in zip(keys, limits, strict=True):
                failures = await repo.record_failure(key, now=now, window_start=window_start)
                if failures >= limit:
                    delay = settings.login_backoff_base_seconds * 2 ** min(failures - limit, 32)
                    await repo.lock_until(
                        key,
                        now + dt.timedelta(seconds=min(settings.login_backoff_max_seconds, delay)),
                    )

        return effect

    async def login(
        self, *, username: str, password: str, device_id: uuid.UUID | None, client_address: str
    ) -> IssuedToken:
        """Check the credentials and issue a token, optionally bound to a device.

        The answer and the work done are the same for an unknown user as for a
        wrong password, so neither the response nor its timing tells them apart.

        Raises:
            TooManyAttempts: the account or the address is backing off.
            InvalidCredentials: unknown user, wrong password or disabled account.
            DeviceRevoked: the device was revoked; the app must wipe its data.
        """
        name = normalise_username(username)
        keys = self._throttle_keys(name, client_address)
        now = utcnow()
        counters = await self.throttle.get_many(list(keys))
        locked = [
            c.locked_until for c in counters.values() if c.locked_until and c.locked_until > now
        ]
        if locked:
            retry_after = max(1, math.ceil((max(locked) - now).total_seconds()))
            raise TooManyAttempts(
                retry_after,
                side_effects=[
                    audit_side_effect(
                        AuditEvent(
                            action="auth.login", outcome="denied", detail={"reason": "throttled"}
                        ),
                        self.runtime.keyring,
                    )
                ],
            )
        user = await self.users.get_by_username(name)
        usable = user is not None and user.disabled_at is None
        verified = await self.runtime.hasher.verify(
            user.password_hash if user is not None and usable else None, password
        )
        if not verified.ok or user is None:
            raise InvalidCredentials(
                side_effects=[
                    self._record_failure(keys),
                    audit_side_effect(
                        AuditEvent(
                            action="auth.login",
                            outcome="failure",
                            object_type="user" if user else None,
                            object_id=str(user.id) if user else None,
                            device_id=device_id,
                            detail={"reason": "bad_credentials", "account_known": user is not None},
                        ),
                        self.runtime.keyring,
                    ),
                ]
            )
        if device_id is not None:
            await self._bind_device(user, device_id, now)
        if verified.needs_rehash:
            user.password_hash = await self.runtime.hasher.hash(password)
        await self.throttle.delete(keys[0])
        issued = await self._issue(user, device_id, now)
        await self.audit.append(
            AuditEvent(
                action="auth.login",
                actor_id=user.id,
                actor_role=user.role,
                device_id=device_id,
                detail={"rehashed": verified.needs_rehash},
            )
        )
        return issued

    def _device_revoked(
        self, user: User, device_id: uuid.UUID | None, *, action: str
    ) -> DeviceRevoked:
        """The answer to a revoked device, carrying the audit entry of the refusal."""
        event = AuditEvent(
            action=action,
            outcome="denied",
            actor_id=user.id,
            actor_role=user.role,
            device_id=device_id,
            detail={"reason": "device_revoked"},
        )
        return DeviceRevoked(
            N_("Wipe the data held on this device; it can no longer sync."),
            side_effects=[audit_side_effect(event, self.runtime.keyring)],
        )

    async def _bind_device(self, user: User, device_id: uuid.UUID, now: dt.datetime) -> None:
        device = await self.devices.register(device_id, user_id=user.id, at=now)
        if device.revoked_at is not None:
            raise self._device_revoked(user, device_id, action="auth.login")
        device.last_seen_at = now

    async def _issue(
        self, user: User, device_id: uuid.UUID | None, now: dt.datetime
    ) -> IssuedToken:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(seconds=self.settings.token_lifetime_seconds)
        key_id = self.runtime.keyring.active_id
        token_hash = self._hash_token(token, key_id)
        self.tokens.add(
            AccessToken(
                token_hash=token_hash,
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
            role=user.role,
            user_id=user.id,
            device_id=device_id,
        )

    async def logout(self, principal: Principal) -> None:
        """Revoke the token of this request."""
        await self.tokens.revoke(principal.token_id, at=utcnow(), reason="logout")
        await self.audit.append(
            AuditEvent(
                action="auth.logout",
                actor_id=principal.user_id,
                actor_role=principal.role,
                device_id=principal.device_id,
                object_type="token",
                object_id=str(principal.token_id),
            )
        )


class DeviceService:
    """Revoking a lost or seized device."""

    def __init__(self, session: AsyncSession, runtime: Runtime) -> None:
        self.runtime = runtime
        self.devices = DeviceRepository(session)
        self.tokens = TokenRepository(session)
        self.audit = AuditLog(session, runtime.keyring)

    async def revoke(self, principal: Principal, device_id: uuid.UUID) -> tuple[Device, int]:
        """Revoke a device and every token bound to it.

        An admin may revoke any device; a coordinator, a device registered by a
        member of one of their operations. Others' devices are reported as not
        found (and the attempt audited), so existence does not leak.

        Returns:
            The device and how many tokens were revoked.
        """
        device = await self.devices.get(device_id)
        allowed = device is not None and (
            principal.role == "admin"
            or await self.devices.shares_operation(device, principal.user_id)
        )
        if device is None or not allowed:
            raise NotFound(
                N_("No such device among those you may revoke."),
                side_effects=[
                    audit_side_effect(
                        AuditEvent(
                            action="device.revoke",
                            outcome="denied",
                            actor_id=principal.user_id,
                            actor_role=principal.role,
                            object_type="device",
                            object_id=str(device_id),
                            detail={"reason": "not_found" if device is None else "out_of_scope"},
                        ),
                        self.runtime.keyring,
                    )
                ],
            )
        now = utcnow()
        if device.revoked_at is None:
            device.revoked_at = now
            device.revoked_by = principal.user_id
        revoked = await self.tokens.revoke_for_device(device_id, at=now)
        await self.audit.append(
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
