"""Runtime configuration, read from the environment (prefix ``LANTERN_``) and ``.env``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything an operator can set. Every field maps to ``LANTERN_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="LANTERN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mode: Literal["development", "production"] = Field(
        default="development",
        description="`production` refuses to start with development keys or debug output.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Where the SQLite database and keys live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default `sqlite+aiosqlite:///<data_dir>/lantern.db`.",
    )
    key_file: Path | None = Field(
        default=None, description="Master key file (mode 0600); default `<data_dir>/lantern.key`."
    )
    token_lifetime_seconds: int = Field(default=12 * 3600, ge=60, le=30 * 24 * 3600)
    console_idle_seconds: int = Field(
        default=30 * 60,
        ge=60,
        le=12 * 3600,
        description="A console (browser) session unused this long must sign in again.",
    )
    # RFC 9106 section 4, second recommended option (memory-constrained): t=3, m=64 MiB.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_cost_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)
    argon2_max_concurrency: int = Field(
        default=4, ge=1, le=64, description="Password hashes computed at once per worker."
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Anonymous requests (no valid token: sign-in, bad tokens) per client "
        "network (IPv4 address, IPv6 /64) per minute, per worker; 0 disables.",
    )
    rate_limit_device_per_minute: int = Field(
        default=600,
        ge=0,
        description="Signed-in requests per account and device (or token, without a "
        "device) per minute, per worker; 0 disables. Phones behind one address "
        "each have their own.",
    )
    login_account_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins per account and network, or device."
    )
    login_address_max_failures: int = Field(
        default=50, ge=1, description="Per network, across accounts (field offices share one)."
    )
    login_account_ceiling: int = Field(
        default=50,
        ge=1,
        description="Failed sign-ins per account from untrusted networks and devices; "
        "slows guessing from many networks, never applies where the owner signed in before.",
    )
    login_trust_days: int = Field(
        default=30, ge=0, description="How long a network or device stays trusted after a sign-in."
    )
    login_backoff_base_seconds: float = Field(default=2.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    login_failure_window_seconds: float = Field(default=3600.0, gt=0)
    trust_forwarded_for: bool = Field(
        default=False, description="Take the client address from X-Forwarded-For (behind a proxy)."
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses of the proxies whose X-Forwarded-For is trusted.",
    )
    cors_origins: list[str] = Field(default_factory=list)
    docs_enabled: bool | None = Field(
        default=None,
        description="Serve the interactive API docs (they load scripts from a CDN); "
        "default on in development, off in production. The OpenAPI document is always served.",
    )
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout_seconds: float = Field(
        default=30,
        gt=0,
        le=600,
        description="How long a request waits for a pooled database connection before it fails.",
    )
    sync_horizon_days: int = Field(
        default=90,
        ge=1,
        description="`lantern sync compact` removes superseded change-log rows older than this; "
        "a device whose cursor is older must sync from scratch (its unpushed changes stay).",
    )
    sqlite_busy_timeout_ms: int = Field(default=15000, ge=0)
    clock_tolerance_seconds: int = Field(
        default=300,
        ge=0,
        le=86400,
        description="How far ahead of the server's clock a phone's `recorded_at` on a consent may "
        "be; a later one is refused (the server orders consents by when it received them).",
    )
    duplicates_match_seconds: int = Field(
        default=30,
        ge=0,
        le=86400,
        description="How often the server compares the person-match encodings sync stored "
        "with their blocks and proposes possible duplicates (0: only `lantern duplicates match`).",
    )
    retention_days_after_closure: int = Field(
        default=365,
        ge=0,
        le=36500,
        description="`lantern retention run --apply` erases cases closed more than this many "
        "days ago (a coordinator closes a case with `POST /api/v1/cases/{id}/close`).",
    )

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @cached_property
    def effective_database_url(self) -> str:
        """The database URL in force, defaulting to SQLite under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'lantern.db'}"

    @cached_property
    def effective_key_file(self) -> Path:
        """The key file in force, defaulting to ``<data_dir>/lantern.key``."""
        return (self.key_file or self.data_dir / "lantern.key").expanduser().resolve()

    @property
    def serve_docs(self) -> bool:
        """Whether the interactive docs are served."""
        return self.docs_enabled if self.docs_enabled is not None else self.mode == "development"

    @property
    def is_sqlite(self) -> bool:
        """Whether the configured store is SQLite."""
        return self.effective_database_url.startswith("sqlite")
