"""Reading tests/mutants/<topic>.toml: the wrong (and rightly different) implementations."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MUTANT_DIR = Path(__file__).with_name("mutants")


def load_mutants():
    """(topic, mutant) pairs, every topic file in order."""
    for path in sorted(MUTANT_DIR.glob("*.toml")):
        for mutant in tomllib.loads(path.read_text(encoding="utf-8"))["mutant"]:
            yield path.stem, mutant


def apply(source: str, replacements) -> str:
    """The solution with each [old, new] edit applied; each old must occur exactly once."""
    for old, new in replacements:
        assert source.count(old) == 1, f"mutant edit not found exactly once: {old!r}"
        source = source.replace(old, new)
    return source
