"""Where graders register their checks: one list of named checks per kata."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from graders.catalog import Topic


@dataclass(frozen=True)
class Check:
    kata_key: str  # "03_optimizers/adam"
    name: str  # "matches torch.optim.Adam over 5 steps": the test id a learner reads
    run: Callable  # run(learner, rng) -> optional note shown once the kata passes
    timeout: float | None = None  # seconds, for checks that train (default: --kata-timeout)


_CHECKS: dict[str, list[Check]] = {}


def check(kata_key: str, name: str, timeout: float | None = None):
    """Decorator: register `run(learner, rng)` as one graded check of a kata."""

    def register(run):
        checks = _CHECKS.setdefault(kata_key, [])
        for i, existing in enumerate(checks):
            if existing.name == name:
                if existing.run.__qualname__ != run.__qualname__:
                    raise ValueError(f"two checks of {kata_key} are named {name!r}")
                checks[i] = Check(kata_key, name, run, timeout)  # the module was imported again
                return run
        checks.append(Check(kata_key, name, run, timeout))
        return run

    return register


def load_topic_graders(topic: Topic) -> bool:
    """Import graders/<topic>.py if it exists; False while the topic is still coming."""
    if importlib.util.find_spec(topic.grader_module) is None:
        return False
    importlib.import_module(topic.grader_module)
    return True


def checks_for(kata_key: str) -> list[Check]:
    return list(_CHECKS.get(kata_key, []))
