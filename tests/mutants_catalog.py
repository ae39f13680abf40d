"""Reading tests/mutants/<topic>.toml: the wrong (and rightly different) implementations."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MUTANT_DIR = Path(__file__).with_name("mutants")

# What a wrong mutant's `kinds` may say; every kata needs at least one of each.
KINDS = {
    "argument": "wrong only when an argument is away from its usual value: an optional "
    "parameter off its default, a mode other than the first, or an input a quick test "
    "would not pick (soft labels, unequal batch sizes, a non-square matrix)",
    "edge": "wrong only at an edge: one sample, a kink (z = 0), a tie, an extreme value, "
    "a 3-D input where one is allowed",
    "in-place": "modifies an argument in place",
    "boundary": "wrong only at a boundary value the contract allows: a keyword at 0 or 1, "
    "above 1, the smallest or largest sensible value",
    "layout": "wrong only on a non-contiguous input (a transposed, strided or sliced view) "
    "or where an axis mix-up shows (a square shape)",
    "extreme": "wrong only at overflow scale, at mixed scales, at tiny magnitudes or with a "
    "large common offset",
    "alias": "hands back an argument, a view of one, or an argument's own list or dict, on "
    "some path",
    "distribution": "right on average, wrong in the distribution: the spread, independence "
    "across elements or calls, single elements, or randomness from outside the given rng",
    "process": "right end result, wrong steps: a loop, a schedule or a stopping rule that "
    "does something else on the way",
}
# The regime (graders.engine.registry.REGIMES) a kind belongs to: a kata needs a mutant of
# the kind unless its graders rule the regime out (registry.not_applicable). The first
# three kinds are needed by every kata.
KIND_REGIME = {
    "boundary": "hyperparameters",
    "layout": "layout",
    "extreme": "extremes",
    "alias": "aliasing",
    "distribution": "randomness",
    "process": "process",
}


def load_mutants(topic: str | None = None):
    """(topic, mutant) pairs, every topic file in order (or only `topic`'s). A topic's
    mutants are in <topic>.toml, or split over <topic>.<part>.toml files."""
    for path in sorted(MUTANT_DIR.glob("*.toml")):
        if topic and path.stem.split(".")[0] != topic:
            continue
        for mutant in tomllib.loads(path.read_text(encoding="utf-8"))["mutant"]:
            unknown = set(mutant.get("kinds", ())) - set(KINDS)
            assert not unknown, f"{path.name}: {mutant['name']}: unknown kinds {unknown}"
            assert not (mutant.get("kinds") and mutant["expect"] == "pass"), (
                f"{path.name}: {mutant['name']}: an alternative has no kind"
            )
            yield path.stem.split(".")[0], mutant


def apply(source: str, replacements) -> str:
    """The solution with each [old, new] edit applied; each old must occur exactly once."""
    for old, new in replacements:
        assert source.count(old) == 1, f"mutant edit not found exactly once: {old!r}"
        source = source.replace(old, new)
    return source
