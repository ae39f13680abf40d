"""What every `kata` subcommand shares: kata names, paths as the learner sees them, and
grading in a child process."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

from graders.catalog import Kata, all_katas, topics
from graders.engine.plugin import GRADING_ARGS, own_configuration


class UsageError(Exception):
    """A name or argument the learner mistyped: exit code 2 with a helpful message."""


def shown(path: Path) -> str:
    """A path the learner can click: relative to the current folder."""
    return os.path.relpath(path)


def exercise(args, kata: Kata) -> Path:
    return kata.path("exercises", args.root)


def where(args):
    """kata -> the path of its exercise, as the learner sees it from here."""
    return lambda kata: shown(exercise(args, kata))


def resolve(names: list[str]) -> list[Kata]:
    """Katas named by topic id, kata id or 'topic/kata'; a typo is a UsageError."""
    katas = all_katas()
    chosen = []
    for name in names:
        name = name.rstrip("/").removeprefix("exercises/").removesuffix(".py")
        match = [k for k in katas if name in (k.id, k.key, k.topic)]
        if not match:
            known = [k.id for k in katas] + [t.id for t in topics()]
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise UsageError(f"no topic or kata named {name!r}{hint}")
        chosen += [k for k in match if k not in chosen]
    return chosen


def one_kata(name: str) -> Kata:
    katas = resolve([name])
    if len(katas) != 1:
        raise UsageError(f"{name!r} is a topic; name one kata, e.g. {katas[0].id}")
    return katas[0]


def grade_in_child(args, paths: list[str], results: Path) -> tuple[int, str | None]:
    """pytest's exit code and the results file's status, graded in a child process."""
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *paths,
            *GRADING_ARGS,
            *own_configuration(args.root),
            "--kata-results",
            str(results),
            *args.pytest_args,
        ]
    ).returncode
    try:
        status = json.loads(results.read_text(encoding="utf-8")).get("status")
    except (OSError, json.JSONDecodeError):
        status = None
    if status != "pass" and code == 0:
        print(
            "kata: grading did not finish (a kata file ended the process?): not a pass",
            file=sys.stderr,
        )
    return code, status
