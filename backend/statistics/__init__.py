"""Statistics that cannot identify anyone: suppression of small counts in tables.

Pure: the standard library, numpy and scipy (for the attacker's linear
programme) only, no web or database import (an import-linter contract holds it
to that). The route builds ``Table`` or ``OneWayTable`` values from consented
cases, ``protect`` hides what must be hidden (``protect_linked`` for tables of the
same people), ``may_release`` says whether new counts may follow the releases
an audience already has, and ``to_csv`` renders the result. See
``docs/statistics.md`` for the rules and the attack model.
"""

from __future__ import annotations

from backend.statistics._model import (
    REASONS,
    Cell,
    InvalidTable,
    OneWayTable,
    ProtectedOneWayTable,
    ProtectedTable,
    Reason,
    Table,
)
from backend.statistics.export import SUPPRESSED_MARKER, to_csv
from backend.statistics.protect import DEFAULT_K, protect
from backend.statistics.release import (
    TOTAL_TERM,
    Terms,
    carried_over,
    hidden_terms,
    may_release,
    protect_linked,
    table_terms,
    terms_of,
    withheld,
)

__all__ = [
    "DEFAULT_K",
    "REASONS",
    "SUPPRESSED_MARKER",
    "TOTAL_TERM",
    "Cell",
    "InvalidTable",
    "OneWayTable",
    "ProtectedOneWayTable",
    "ProtectedTable",
    "Reason",
    "Table",
    "Terms",
    "carried_over",
    "hidden_terms",
    "may_release",
    "protect",
    "protect_linked",
    "table_terms",
    "terms_of",
    "to_csv",
    "withheld",
]
