"""Benchmarks: run with `make bench` (or `python -m bench`); figures go to RESULTS.md."""
