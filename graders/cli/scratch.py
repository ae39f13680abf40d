"""Scratch copies of a kata under .kata/ (reviews, bug hunts, interviews): the learner's
file in exercises/ is never touched.

    .kata/review/<topic>/<kata>.py
    .kata/bughunt/<topic>/<kata>.py
    .kata/interview/<session>/<topic>/<kata>.py

A kata built on others (train_loop loads two_layer_net and batching through `sibling`)
finds them next to its file, as in exercises/: the learner's own versions are copied there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from graders.catalog import Kata, find_kata
from graders.engine.state import state_dir
from graders.kata_files import siblings_of


def scratch_tree(root: Path, kind: str, session: str | None = None) -> Path:
    tree = state_dir(root) / kind
    return tree / session if session else tree


def scratch_file(root: Path, kind: str, kata: Kata, session: str | None = None) -> Path:
    return scratch_tree(root, kind, session) / kata.topic / kata.filename


def write_scratch(root: Path, path: Path, source: str) -> list[Kata]:
    """Write a scratch kata file, with the learner's files of the katas it builds on next
    to it; returns those katas."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    needed = []
    for topic, name in siblings_of(source):
        dependency = find_kata(topic, name)
        target = path.parents[1] / topic / f"{name}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        mine = dependency.path("exercises", root)
        if mine.exists():
            shutil.copy(mine, target)
        needed.append(dependency)
    return needed
