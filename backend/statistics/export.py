"""CSV rendering of a protected table."""

from __future__ import annotations

import csv
import io

from backend.statistics._model import Cell, ProtectedOneWayTable, ProtectedTable

__all__ = ["SUPPRESSED_MARKER", "to_csv"]

#: What a suppressed cell shows, whatever the reason it is hidden. One marker
#: for every reason: ``<5`` would be false for a complementary cell (which can
#: hold any count) and two markers would tell a reader which cells are below k.
#: ``[c]`` ("confidential") is the marker the UK's Office for National
#: Statistics uses in its tables.
SUPPRESSED_MARKER = "[c]"

# A spreadsheet runs a field starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(label: str) -> str:
    return f"'{label}" if label.startswith(_FORMULA_STARTS) else label


def _shown(cell: Cell) -> str:
    return SUPPRESSED_MARKER if cell.value is None else str(cell.value)


def to_csv(
    table: ProtectedTable | ProtectedOneWayTable,
    *,
    heading: str = "",
    total_label: str = "Total",
    count_label: str = "Count",
) -> str:
    """Render a protected table as CSV (RFC 4180: CRLF line ends, quoted as needed).

    A two-way table has a header row of column labels and a last column and
    last row of totals; a one-way table has one row per label and a last row
    for the total. Suppressed cells show ``SUPPRESSED_MARKER``; the reasons
    are never written. Labels that a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) are
    prefixed with ``'``.

    Args:
        table: The output of ``protect``.
        heading: The top-left field.
        total_label: The label of the totals row (and column).
        count_label: The header of a one-way table's counts column.

    Returns:
        The CSV text.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if isinstance(table, ProtectedOneWayTable):
        writer.writerow([_text(heading), _text(count_label)])
        for label, cell in zip(table.labels, table.cells, strict=True):
            writer.writerow([_text(label), _shown(cell)])
        writer.writerow([_text(total_label), _shown(table.total)])
        return out.getvalue()
    writer.writerow([_text(heading), *map(_text, table.column_labels), _text(total_label)])
    for label, row, total in zip(table.row_labels, table.cells, table.row_totals, strict=True):
        writer.writerow([_text(label), *map(_shown, row), _shown(total)])
    writer.writerow(
        [_text(total_label), *map(_shown, table.column_totals), _shown(table.grand_total)]
    )
    return out.getvalue()
