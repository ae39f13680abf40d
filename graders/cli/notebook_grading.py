"""Run a kata's graders on the code of a notebook's cells (the nbgrader course).

A locked test cell of the course calls grade_in_notebook("03_optimizers/adam", globals()):
the same checks as `pytest exercises/...`, failing (so nbgrader gives 0 points) with the
same messages. As everywhere, the student's code is graded in a worker process: the
source of the cell that defines the kata's functions (the last one run, from IPython's
input history) is written to a kata file, with the cells of the katas it builds on
before it, and that file is graded. The kernel itself has run the student's cells, so a
notebook grade is as trustworthy as nbgrader's own model; for a grade the student's code
cannot touch, export the cells to files and run `kata check` on them (README).
"""

from __future__ import annotations

import ast
import inspect
import secrets
import tempfile
import zlib
from pathlib import Path

from numpy.random import default_rng

from graders.catalog import REPO_ROOT, Kata, find_kata, topics
from graders.cli.notebooks import notebook_source
from graders.engine.learner import KataFailure, Learner, LearnerRaised, LoadFailed, NotStarted
from graders.engine.registry import checks_for, load_topic_graders
from graders.engine.workers import WorkerBroke, WorkerDied, WorkerTimedOut

SECONDS_PER_CHECK = 5.0


def defines(source: str, names) -> bool:
    """Whether a cell's top level defines every one of `names` (functions or classes)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    return set(names) <= defined


def cell_source(kata: Kata, namespace: dict) -> str:
    """The source of the last cell run that defines the kata's functions; failing that
    (no IPython history), the functions' own source."""
    history = namespace.get("In") or namespace.get("_ih") or []
    for source in reversed(list(history)):
        if isinstance(source, str) and defines(source, kata.functions):
            return source
    parts = ["import numpy as np"]
    for name in kata.functions:
        if name in namespace:
            try:
                parts.append(inspect.getsource(namespace[name]))
            except (OSError, TypeError):
                continue
    return "\n\n".join(parts)


def kata_file(kata: Kata, namespace: dict, directory: Path) -> Path:
    """<directory>/exercises/<topic>/<kata>.py: the cells of the katas it builds on, then its own."""
    try:
        _, needed = notebook_source(kata, REPO_ROOT)
    except OSError:  # no solutions/ beside this install: nothing known to build on
        needed = []
    sources = [cell_source(k, namespace) for k in needed if k is not None]
    path = kata.path("exercises", directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([*sources, cell_source(kata, namespace)]), encoding="utf-8")
    return path


def grade_in_notebook(kata_key: str, namespace: dict, seed: int | None = None) -> None:
    """Grade the notebook's code for kata `kata_key`; AssertionError if any check fails."""
    topic_id, kata_id = kata_key.split("/")
    load_topic_graders(next(t for t in topics() if t.id == topic_id))
    kata = find_kata(topic_id, kata_id)
    seed = secrets.randbelow(10**6) if seed is None else seed
    failures = []
    with tempfile.TemporaryDirectory(prefix="kata-notebook-") as directory:
        path = kata_file(kata, namespace, Path(directory))
        try:
            learner = Learner(path, SECONDS_PER_CHECK)
        except LoadFailed as error:
            raise AssertionError(f"the kata's cell could not be run: {error.error}") from None
        except KataFailure as error:
            raise AssertionError(str(error)) from None
        try:
            for check in checks_for(kata_key):
                rng = default_rng([seed, zlib.crc32(f"{kata_key}::{check.name}".encode())])
                learner.begin_check(max(SECONDS_PER_CHECK, check.timeout or 0))
                try:
                    note = check.run(learner, rng)
                    learner.end_check()
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
                except (WorkerTimedOut, WorkerDied, WorkerBroke) as error:
                    what = error.explain() if isinstance(error, WorkerDied) else str(error)
                    failures.append(f"✗ {check.name}\n{what}")
                    break
                else:
                    print(f"✓ {check.name}" + (f"\n  note: {note}" if note else ""))
        finally:
            learner.close()
    if failures:
        raise AssertionError("\n\n".join(failures) + f"\n(seed {seed})")
