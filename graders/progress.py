"""Grade a tree of kata files in-process and render the learner's progress table."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.catalog import Topic
from graders.plugin import RESULTS

SYMBOLS = {"passed": "✓", "failing": "✗", "not started": "·", "coming": " "}


class _Collector:
    """Reads the grading plugin's per-kata results when the session ends."""

    def __init__(self):
        self.statuses: dict[str, str] = {}

    def pytest_sessionfinish(self, session):
        results = session.config.stash[RESULTS]
        self.statuses = {key: results.status(key) for key, (_, _, c) in results.katas.items() if c}


def grade_tree(tree: Path, extra_args: tuple[str, ...] = ()) -> dict[str, str]:
    """{'03_optimizers/adam': 'passed' | 'failing' | 'not started'} for every kata in tree."""
    collector = _Collector()
    if tree.exists():
        pytest.main(
            [str(tree), "-p", "no:terminal", "-p", "no:cacheprovider", *extra_args],
            plugins=[collector],
        )
    return collector.statuses


def bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else 0
    return "[" + "#" * filled + "." * (width - filled) + "]"


def progress_table(topics: tuple[Topic, ...], statuses: dict[str, str]) -> str:
    """One block per topic: its katas with status and questions; bars per topic and overall."""
    width = max(len(k.id) for t in topics for k in t.katas)
    lines, next_kata = [], None
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
            if next_kata is None and status in ("failing", "not started"):
                next_kata = kata
            questions = " ".join(f"Q{q}" for q in kata.questions)
            lines.append(f"  {SYMBOLS[status]} {kata.id:{width}}  {status:11}  {questions}")
    lines.append("")
    lines.append(
        f"overall: {passed_total}/{available_total} katas passed "
        f"{bar(passed_total, available_total, 30)}"
    )
    if next_kata:
        path = f"exercises/{next_kata.topic}/{next_kata.filename}"
        lines.append(f"next: {path}  ({next_kata.title})")
        lines.append(f"      grade it with: pytest {path}")
    elif available_total:
        lines.append("every kata passes: the whole course is done.")
    return "\n".join(lines)
