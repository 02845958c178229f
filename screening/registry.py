"""The registry of instrument versions, loaded and validated at start-up.

Definitions live in ``screening/instruments/<key>/v<version>.toml``. Every file
present is loaded, so a version, once published, stays loadable for as long as
its file is kept: completed screenings keep the version they used forever.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from screening.definition import parse_instrument
from screening.errors import DefinitionProblem, InstrumentDefinitionError, UnknownInstrument
from screening.model import Instrument

__all__ = ["InstrumentRegistry", "load_registry"]

_FILE = re.compile(r"^v(?P<version>[1-9][0-9]*)\.toml$")


class InstrumentRegistry:
    """Validated instrument versions, by key and version."""

    def __init__(self, instruments: Iterable[Instrument]) -> None:
        """Build a registry from already validated instruments.

        Raises:
            ValueError: Two instruments share a key and version.
        """
        self._by_key: dict[str, dict[int, Instrument]] = {}
        for instrument in instruments:
            versions = self._by_key.setdefault(instrument.key, {})
            if instrument.version in versions:
                raise ValueError(f"duplicate instrument {instrument.key} v{instrument.version}")
            versions[instrument.version] = instrument

    def get(self, key: str, version: int | None = None) -> Instrument:
        """Return one instrument version.

        Args:
            key: The instrument key, e.g. ``"scam_compound"``.
            version: The version; None for the latest.

        Raises:
            UnknownInstrument: No such key, or no such version of it.
        """
        versions = self._by_key.get(key)
        if not versions:
            raise UnknownInstrument(key, version)
        if version is None:
            return versions[max(versions)]
        try:
            return versions[version]
        except KeyError:
            raise UnknownInstrument(key, version) from None

    def keys(self) -> tuple[str, ...]:
        """The instrument keys, sorted."""
        return tuple(sorted(self._by_key))

    def versions(self, key: str) -> tuple[int, ...]:
        """The versions of one instrument, oldest first.

        Raises:
            UnknownInstrument: No such key.
        """
        versions = self._by_key.get(key)
        if not versions:
            raise UnknownInstrument(key)
        return tuple(sorted(versions))

    def protected_items(self, key: str) -> frozenset[str]:
        """Ids of the items marked ``protected`` in any version of an instrument.

        Item ids are stable across versions, so a promise made in one version
        covers the same question's answers stored under every other version
        (v2 asked ``afraid_of_arrest`` with the same promise before v3 marked it).

        Raises:
            UnknownInstrument: No such key.
        """
        return frozenset(
            item.id
            for version in self.versions(key)
            for item in self._by_key[key][version].items
            if item.protected
        )

    def __iter__(self) -> Iterator[Instrument]:
        """Every instrument version, by key then version."""
        return iter([self._by_key[k][v] for k in self.keys() for v in self.versions(k)])


def load_registry(*, directory: Path | Traversable | None = None) -> InstrumentRegistry:
    """Load and validate every instrument definition.

    Args:
        directory: Where the ``<key>/v<version>.toml`` files are; defaults to
            the definitions shipped in ``screening/instruments``.

    Returns:
        The registry.

    Raises:
        InstrumentDefinitionError: A file is misnamed, invalid, or its key and
            version do not match its path.
    """
    root = directory if directory is not None else resources.files("screening") / "instruments"
    instruments = []
    for folder in sorted(root.iterdir(), key=lambda t: t.name):
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        for file in sorted(folder.iterdir(), key=lambda t: t.name):
            if not file.name.endswith(".toml"):
                continue
            source = f"{folder.name}/{file.name}"
            match = _FILE.match(file.name)
            if match is None:
                raise InstrumentDefinitionError(
                    source, [DefinitionProblem(path="$", reason="name must be v<version>.toml")]
                )
            instrument = parse_instrument(file.read_bytes(), source=source)
            problems = []
            if instrument.key != folder.name:
                problems.append(
                    DefinitionProblem(path="key", reason=f"must match its folder {folder.name!r}")
                )
            if instrument.version != int(match["version"]):
                problems.append(
                    DefinitionProblem(
                        path="version", reason=f"must match the file name {file.name}"
                    )
                )
            if problems:
                raise InstrumentDefinitionError(source, problems)
            instruments.append(instrument)
    return InstrumentRegistry(instruments)
