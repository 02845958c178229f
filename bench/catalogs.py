"""What a worker pays at start-up to read every catalogue's ``.po``.

Run with ``.venv/bin/python -m bench.catalogs [--rounds N]``. Each round loads
every shipped language with ``Catalogs.load`` from a fresh copy of ``locales/``
(Babel already imported); the figure is the median over the rounds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from backend.i18n.catalogs import LOCALES_DIR, Catalogs


def main() -> None:
    """Print the median time of ``Catalogs.load`` over fresh copies of ``locales/``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            root = Path(tmp) / f"locales-{round_}"
            shutil.copytree(LOCALES_DIR, root)
            start = time.perf_counter()
            catalogs = Catalogs.load(root)
            times.append(time.perf_counter() - start)
    print(
        f"Catalogs.load, {len(catalogs.languages)} languages of "
        f"{catalogs.languages['en'].messages} messages: "
        f"median {statistics.median(times):.3f} s, max {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
