"""Run a kata's graders on functions defined in a notebook (the nbgrader course).

A locked test cell of the course calls grade_in_notebook("03_optimizers/adam",
globals()): the same checks as `pytest exercises/...`, on the functions the
student's cells defined, failing (so nbgrader gives 0 points) with the same
messages.
"""

from __future__ import annotations

import secrets
import zlib
from pathlib import Path
from types import SimpleNamespace

from numpy.random import default_rng

from graders.catalog import topics
from graders.engine.learner import KataFailure, Learner, LearnerRaised, NotStarted
from graders.engine.registry import checks_for, load_topic_graders


def grade_in_notebook(kata_key: str, namespace: dict, seed: int | None = None) -> None:
    """Grade the functions in `namespace` as kata `kata_key`; AssertionError if any check fails."""
    topic = next(t for t in topics() if t.id == kata_key.split("/")[0])
    load_topic_graders(topic)
    seed = secrets.randbelow(10**6) if seed is None else seed
    functions = {k: v for k, v in namespace.items() if not k.startswith("_")}
    learner = Learner(SimpleNamespace(**functions), Path(f"{kata_key.split('/')[1]} (notebook)"))
    failures = []
    for check in checks_for(kata_key):
        rng = default_rng([seed, zlib.crc32(f"{kata_key}::{check.name}".encode())])
        try:
            note = check.run(learner, rng)
        except NotStarted as error:
            raise AssertionError(
                f"not started: {error.function} still raises NotImplementedError"
            ) from None
        except KataFailure as error:
            failures.append(f"✗ {check.name}\n{error}")
        except LearnerRaised as error:
            failures.append(
                f"✗ {check.name}\nyour code raised {type(error.error).__name__}: "
                f"{error.error}\n  called   {error.call}"
            )
        else:
            print(f"✓ {check.name}" + (f"\n  note: {note}" if note else ""))
    if failures:
        raise AssertionError("\n\n".join(failures) + f"\n(seed {seed})")
