"""The course catalogue (catalog.toml) as Python objects, and where its files live."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
REPO_ROOT = Path(__file__).resolve().parent.parent
KATA_TREES = ("exercises", "solutions")
# the learner's scratch trees: .kata/review/<topic>/<kata>.py, .kata/bughunt/...,
# .kata/interview/<session>/<topic>/<kata>.py
SCRATCH_DIR = ".kata"


@dataclass(frozen=True)
class Kata:
    topic: str
    id: str
    title: str
    functions: tuple[str, ...]
    questions: tuple[int, ...]
    hints: tuple[str, ...] = ()
    points: int = 1  # the kata's weight in the nbgrader course

    @property
    def key(self) -> str:
        """'03_optimizers/adam': the name graders register under."""
        return f"{self.topic}/{self.id}"

    @property
    def filename(self) -> str:
        return f"{self.id}.py"

    def path(self, tree: str = "exercises", root: Path = REPO_ROOT) -> Path:
        return root / tree / self.topic / self.filename


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    questions: tuple[int, ...]
    katas: tuple[Kata, ...] = field(default=())

    @property
    def grader_module(self) -> str:
        """'03_optimizers' is graded by graders/topics/optimizers.py."""
        return "graders.topics." + self.id.split("_", 1)[1]


@cache
def topics() -> tuple[Topic, ...]:
    data = tomllib.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    result = []
    for t in data["topic"]:
        katas = tuple(
            Kata(
                topic=t["id"],
                id=k["id"],
                title=k["title"],
                functions=tuple(k["functions"]),
                questions=tuple(k.get("questions", ())),
                hints=tuple(k.get("hints", ())),
                points=int(k.get("points", 1)),
            )
            for k in t.get("kata", ())
        )
        result.append(Topic(t["id"], t["title"], tuple(t.get("questions", ())), katas))
    return tuple(result)


def all_katas() -> list[Kata]:
    return [k for t in topics() for k in t.katas]


def find_kata(topic_id: str, kata_id: str) -> Kata | None:
    for kata in all_katas():
        if kata.topic == topic_id and kata.id == kata_id:
            return kata
    return None


def kata_for_path(path: Path) -> Kata | None:
    """The kata a file is, if it sits at <exercises|solutions>/<topic>/<kata>.py, or at
    <topic>/<kata>.py somewhere under a .kata/ scratch folder."""
    if path.suffix != ".py":
        return None
    if path.parent.parent.name not in KATA_TREES and SCRATCH_DIR not in path.parts[:-3]:
        return None
    return find_kata(path.parent.name, path.stem)


def is_checkout(folder: Path) -> bool:
    """A dl-katas checkout: the folder holding graders/catalog.toml and exercises/."""
    folder = Path(folder)
    return (folder / "graders" / "catalog.toml").is_file() and (folder / "exercises").is_dir()


def find_checkout(start: Path) -> Path | None:
    """The checkout holding `start` (a folder or a file), walking up; None outside one."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if is_checkout(folder):
            return folder
    return None
