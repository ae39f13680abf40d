"""Grade kata files in-process and render the learner's progress table."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from graders.catalog import Kata, Topic
from graders.engine.plugin import GRADING_ARGS, RESULTS, own_configuration

SYMBOLS = {"passed": "✓", "failing": "✗", "not started": "·", "coming": " "}
COLOURS = {"passed": "32", "failing": "31", "not started": "33", "coming": "2"}


class _Collector:
    """Reads the grading plugin's per-kata results when the session ends."""

    def __init__(self):
        self.statuses: dict[str, str] = {}

    def pytest_sessionfinish(self, session):
        results = session.config.stash[RESULTS]
        self.statuses = {key: results.status(key) for key, (_, _, c) in results.katas.items() if c}


def grade_quietly(
    paths: list[Path], root: Path, extra_args: tuple[str, ...] = ()
) -> dict[str, str]:
    """{'03_optimizers/adam': 'passed' | 'failing' | 'not started'} for the kata files in
    paths, of the tree at root."""
    collector = _Collector()
    existing = [str(p) for p in paths if p.exists()]
    if existing:
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(
                [
                    *existing,
                    *GRADING_ARGS,
                    *own_configuration(root),
                    "-p",
                    "no:terminal",
                    "-p",
                    "no:cacheprovider",
                    "--kata-no-history",  # a look at progress is not an attempt
                    *extra_args,
                ],
                plugins=[collector],
            )
    return collector.statuses


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + "]"


def next_kata(topics: tuple[Topic, ...], statuses: dict[str, str]) -> Kata | None:
    """The first kata, in course order, that is graded and not passing."""
    for topic in topics:
        for kata in topic.katas:
            if statuses.get(kata.key) in ("failing", "not started"):
                return kata
    return None


def progress_table(
    topics: tuple[Topic, ...], statuses: dict[str, str], colour=False, where=None
) -> str:
    """One block per topic: its katas with status and questions; bars per topic and overall.
    where(kata) is the path shown for the next kata (default exercises/<topic>/<kata>.py)."""

    def paint(text, status):
        return f"\033[{COLOURS[status]}m{text}\033[0m" if colour else text

    width = max(len(k.id) for t in topics for k in t.katas)
    upcoming = next_kata(topics, statuses)
    lines = []
    passed_total = available_total = 0
    for topic in topics:
        available = [k for k in topic.katas if k.key in statuses]
        passed = sum(statuses[k.key] == "passed" for k in available)
        passed_total += passed
        available_total += len(available)
        summary = (
            f"{passed}/{len(available)} {bar(passed, len(available))}"
            if available
            else "coming soon"
        )
        lines.append(f"{topic.id}  {topic.title}  {summary}")
        for kata in topic.katas:
            status = statuses.get(kata.key, "coming")
            questions = " ".join(f"Q{q}" for q in kata.questions)
            row = f"  {SYMBOLS[status]} {kata.id:{width}}  {status:11}  {questions}"
            if kata is upcoming:
                row += "   <- next"
            lines.append(paint(row, status))
    lines.append("")
    lines.append(
        f"overall: {passed_total}/{available_total} katas passed "
        f"{bar(passed_total, available_total, 30)}"
    )
    if upcoming:
        path = where(upcoming) if where else f"exercises/{upcoming.topic}/{upcoming.filename}"
        lines.append(f"next: {path}  ({upcoming.title})")
        lines.append(f"      grade it with: pytest {path}    a nudge: kata hint {upcoming.id}")
    elif available_total:
        lines.append("every kata passes: the whole course is done.")
    return "\n".join(lines)
