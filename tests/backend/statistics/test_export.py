"""to_csv(): one marker for every hidden cell, totals last, no reasons, no formulas."""

from __future__ import annotations

import csv
import io

from backend.statistics import SUPPRESSED_MARKER, OneWayTable, Table, protect, to_csv


def test_a_two_way_table_renders_with_totals_and_the_marker() -> None:
    protected = protect(
        Table(
            row_labels=["child", "adult"],
            column_labels=["VN", "ID", "PH"],
            counts=[[1, 8, 9], [6, 10, 12]],
        )
    )
    assert to_csv(protected, heading="flag") == (
        "flag,VN,ID,PH,Total\r\nchild,[c],[c],9,18\r\nadult,[c],[c],12,28\r\nTotal,7,18,21,46\r\n"
    )


def test_a_one_way_table_renders_one_row_per_label_and_the_total() -> None:
    protected = protect(OneWayTable(labels=["strong", "some", "insufficient"], counts=[1, 2, 0]))
    assert to_csv(protected, heading="band", count_label="cases", total_label="All") == (
        "band,cases\r\nstrong,[c]\r\nsome,[c]\r\ninsufficient,0\r\nAll,[c]\r\n"
    )


def test_every_reason_shows_the_same_marker_and_no_reason_is_written() -> None:
    protected = protect(
        Table(
            row_labels=["a", "b", "c", "d"],
            column_labels=["w", "x", "y", "z"],
            counts=[[3, 3, 10, 10], [2, 2, 2, 10], [10, 10, 3, 3], [10, 10, 3, 3]],
        )
    )
    reasons = {cell.reason for row in protected.cells for cell in row}
    assert {"primary", "audit"} <= reasons
    text = to_csv(protected)
    fields = {field for row in csv.reader(io.StringIO(text)) for field in row}
    assert SUPPRESSED_MARKER in fields
    assert not fields & {"primary", "complementary", "audit", "<5"}


def test_labels_a_spreadsheet_would_run_are_neutralised() -> None:
    protected = protect(
        OneWayTable(
            labels=["=HYPERLINK(1)", "+1", "-", "@x", "plain, with comma"], counts=[9, 9, 9, 9, 9]
        )
    )
    rows = list(csv.reader(io.StringIO(to_csv(protected))))
    assert [row[0] for row in rows[1:-1]] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-",
        "'@x",
        "plain, with comma",
    ]
