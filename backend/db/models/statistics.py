"""The ledger of statistics released to each audience (what it may be compared against)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.db.base import Base, utcnow


class StatisticsRelease(Base):
    """One release of protected counts to one audience, with the true counts behind it.

    An audience is everyone who receives the same figures (``operation:<id>``:
    the operation's coordinators; ``investigation:<id>``). A new release is
    only made when it differs from every earlier one of its audience by 0 or
    at least k in every count (``backend.statistics.may_release``); until then
    the latest is served again, rendered from ``tables`` by the same
    deterministic protection.
    """

    __tablename__ = "statistics_releases"
    __table_args__ = (UniqueConstraint("audience", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    audience: Mapped[str] = mapped_column(String(64))
    #: 1, 2, … per audience; the unique pair stops two readers releasing at once.
    seq: Mapped[int]
    #: The true counts released, by term (JSON): what later releases are compared with.
    terms: Mapped[str] = mapped_column(Text)
    #: The true tables (JSON) the served figures are protected from.
    tables: Mapped[str] = mapped_column(Text)
    #: The ids of the cases counted (JSON list), or ``null`` when the caller does
    #: not track them: a release stops being served once one of them is no
    #: longer counted (consent withdrawn, case erased or transferred).
    cases: Mapped[str | None] = mapped_column(Text)
    #: Terms (JSON list) hidden because an earlier release hid them and they have
    #: not changed since: an input of the protection, so the served figures can
    #: be computed again exactly.
    kept: Mapped[str] = mapped_column(Text, default="[]")
    #: Terms (JSON list) the served figures hide: what later releases keep hidden.
    hidden: Mapped[str] = mapped_column(Text, default="[]")
    released_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
