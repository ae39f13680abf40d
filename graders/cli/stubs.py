"""Generate exercises/ from solutions/: the stubs a learner starts from.

A solution region is every line from one containing "BEGIN SOLUTION" to one
containing "END SOLUTION"; it becomes nbgrader's code stub at the indentation
of the BEGIN line, exactly as nbgrader's ClearSolutions does for a code cell
(tests/test_build.py compares the two on every solution file).

graders/cli/stubs.json records the hash of each stub last written, so that
`kata build` can tell a pristine stub (safe to regenerate) from a learner's
edited file (never overwritten), and `kata build --check` can tell "solutions/
changed but exercises/ was not rebuilt" (an error) from "the learner has
solved this" (fine, in a fork).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from graders.catalog import REPO_ROOT, all_katas

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
LOCK_NAME = "graders/cli/stubs.json"
BACKUP_DIR = ".kata/backups"


def strip_solutions(source: str) -> str:
    """Replace each solution region by the code stub, indented like its BEGIN line."""
    out, inside = [], False
    for number, line in enumerate(source.split("\n"), start=1):
        if BEGIN in line:
            if inside:
                raise ValueError(f"line {number}: nested {BEGIN}")
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub for stub in CODE_STUB)
        elif END in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"no {END} after the last {BEGIN}")
    return "\n".join(out)


def stub_for(kata, root: Path = REPO_ROOT) -> str:
    """The pristine stub of a kata: what `kata build` writes to exercises/."""
    return strip_solutions(kata.path("solutions", root).read_text(encoding="utf-8"))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class StubPlan:
    """The stub each solution file generates, keyed by its path under exercises/."""

    root: Path
    stubs: dict[str, str] = field(default_factory=dict)  # "03_optimizers/adam.py" -> text

    @classmethod
    def from_solutions(cls, root: Path = REPO_ROOT) -> StubPlan:
        plan = cls(root)
        for kata in all_katas():
            solution = kata.path("solutions", root)
            if solution.exists():
                rel = f"{kata.topic}/{kata.filename}"
                plan.stubs[rel] = strip_solutions(solution.read_text(encoding="utf-8"))
        return plan

    def exercise(self, rel: str) -> Path:
        return self.root / "exercises" / rel

    def lock(self) -> dict[str, str]:
        path = self.root / LOCK_NAME
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def build(root: Path = REPO_ROOT, force: bool = False) -> list[str]:
    """Write the stubs; an edited exercise is kept (or backed up first, with force)."""
    plan, report = StubPlan.from_solutions(root), []
    lock = plan.lock()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for rel, stub in plan.stubs.items():
        target = plan.exercise(rel)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == stub:
            continue
        if current is not None and sha256(current) != lock.get(rel):
            if not force:
                report.append(
                    f"kept    exercises/{rel}: you have edited it (--force backs it "
                    "up, then regenerates)"
                )
                continue
            backup = root / BACKUP_DIR / stamp / rel
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup)
            report.append(f"saved   your exercises/{rel} as {backup.relative_to(root)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stub, encoding="utf-8")
        report.append(f"wrote   exercises/{rel}")
    new_lock = {rel: sha256(stub) for rel, stub in sorted(plan.stubs.items())}
    if new_lock != lock:
        (root / LOCK_NAME).write_text(json.dumps(new_lock, indent=2) + "\n", encoding="utf-8")
        report.append(f"wrote   {LOCK_NAME}")
    return report


def check(root: Path = REPO_ROOT, strict: bool = False) -> list[str]:
    """Problems that mean exercises/ is out of date with solutions/ ([] when in sync).

    Not strict (the default, safe in a learner's fork): an exercise that differs
    from its stub counts as the learner's work, provided the recorded stub is
    current. Strict (upstream CI): every exercise must equal its generated stub.
    """
    plan, problems = StubPlan.from_solutions(root), []
    lock = plan.lock()
    for rel, stub in plan.stubs.items():
        if lock.get(rel) != sha256(stub):
            problems.append(f"solutions/{rel} changed since the last `kata build`")
        target = plan.exercise(rel)
        if not target.exists():
            problems.append(f"exercises/{rel} is missing")
        elif strict and target.read_text(encoding="utf-8") != stub:
            problems.append(f"exercises/{rel} differs from the stub solutions/{rel} generates")
    for rel in sorted(set(lock) - set(plan.stubs)):
        problems.append(f"{LOCK_NAME} lists {rel}, which has no solution")
    return problems
