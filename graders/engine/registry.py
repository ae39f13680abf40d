"""Where graders register their checks: one list of named checks per kata, each with the
input regimes it visits, and, per kata, the regimes its contract rules out (and why)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from graders.catalog import Topic

# The input regimes a kata's checks must visit, where its contract allows them.
REGIMES = {
    "hyperparameters": "defaults, values away from them, and the boundary values the "
    "contract allows (0, 1, above 1, the smallest and largest sensible)",
    "shapes": "N = 1, the smallest sizes, non-square shapes, square ones where an axis "
    "mix-up would hide, 3-D where allowed",
    "layout": "non-contiguous inputs: transposed, strided and sliced views",
    "exact values": "zeros, ties, values exactly at kinks and thresholds",
    "extremes": "overflow-scale inputs wherever it exponentiates or divides, mixed scales "
    "in one array and one slice, tiny magnitudes where eps matters, a large common offset",
    "aliasing": "every path visited, the ones with nothing to do included, so that no "
    "returned array or list is an argument or shares its memory; the named return type",
    "randomness": "same seed, same result; other seed, other result; only the given rng; "
    "the distribution (spread, independence, single elements), not only its mean",
    "process": "each step of a procedure (epochs, batches, a schedule, a stopping rule), "
    "not only its end result",
}


@dataclass(frozen=True)
class Check:
    kata_key: str  # "03_optimizers/adam"
    name: str  # "matches torch.optim.Adam over 5 steps": the test id a learner reads
    run: Callable  # run(learner, rng) -> optional note shown once the kata passes
    timeout: float | None = None  # seconds, for checks that train (default: --kata-timeout)
    regimes: tuple[str, ...] = ()  # which of REGIMES its inputs visit


_CHECKS: dict[str, list[Check]] = {}
_NOT_APPLICABLE: dict[str, dict[str, str]] = {}


def check(kata_key: str, name: str, timeout: float | None = None, regimes=()):
    """Decorator: register `run(learner, rng)` as one graded check of a kata."""
    unknown = set(regimes) - set(REGIMES)
    if unknown:
        raise ValueError(f"{kata_key}: {name!r}: unknown regimes {sorted(unknown)}")

    def register(run):
        checks = _CHECKS.setdefault(kata_key, [])
        new = Check(kata_key, name, run, timeout, tuple(regimes))
        for i, existing in enumerate(checks):
            if existing.name == name:
                if existing.run.__qualname__ != run.__qualname__:
                    raise ValueError(f"two checks of {kata_key} are named {name!r}")
                checks[i] = new  # the module was imported again
                return run
        checks.append(new)
        return run

    return register


def not_applicable(kata_key: str, **reasons: str) -> None:
    """Record the regimes a kata's contract rules out, each with the reason:
    not_applicable("03_optimizers/newton", randomness="deterministic: no rng").
    Regime names with spaces are written with underscores (exact_values)."""
    named = {name.replace("_", " "): reason for name, reason in reasons.items()}
    unknown = set(named) - set(REGIMES)
    if unknown or not all(isinstance(r, str) and r.strip() for r in named.values()):
        raise ValueError(f"{kata_key}: unknown regimes or empty reasons: {named}")
    _NOT_APPLICABLE.setdefault(kata_key, {}).update(named)


def regimes_covered(kata_key: str) -> set[str]:
    return {r for c in _CHECKS.get(kata_key, []) for r in c.regimes}


def regimes_ruled_out(kata_key: str) -> dict[str, str]:
    return dict(_NOT_APPLICABLE.get(kata_key, {}))


def load_topic_graders(topic: Topic) -> bool:
    """Import graders/<topic>.py if it exists; False while the topic is still coming."""
    if importlib.util.find_spec(topic.grader_module) is None:
        return False
    importlib.import_module(topic.grader_module)
    return True


def checks_for(kata_key: str) -> list[Check]:
    return list(_CHECKS.get(kata_key, []))
