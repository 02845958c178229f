"""The linkage benchmark runs end to end at a small scale (not timed: figures are for bench/)."""

from __future__ import annotations

import pytest

from bench.linkage_bench import main


def test_the_linkage_benchmark_runs_at_a_small_scale(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--cases", "300", "--lookups", "20"])
    out = capsys.readouterr().out
    assert "300 cases, 3000 disclosures" in out
    for measure in (
        "| lookup p50 / p99",
        "| partial search",
        "| cluster expansion",
        "| full TagPack export",
    ):
        assert measure in out, out
