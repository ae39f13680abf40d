"""The mistake profile: every graded run of a learner's kata file appends what it found to
.kata/history.jsonl of the checkout the file belongs to, one JSON line per kata:

    {"version": 1, "time": "2026-12-02T13:40:00+00:00", "kata": "03_optimizers/adam",
     "tree": "exercises", "status": "failing", "passed": 0, "checks": 4, "seed": 177082,
     "failures": [{"check": "...", "mistake": "this is Adam without bias correction",
                   "fix": "divide m by 1 - beta1**t ..."}]}

The grading process writes it (where it writes results.json), never the learner's code.
Only a learner's files count: exercises/<topic>/<kata>.py and the scratch files under .kata/
(tree "review", "bughunt" or "interview"), of a checkout (a folder holding
graders/catalog.toml and exercises/); a kata not started is not an attempt.
"""

from __future__ import annotations

from pathlib import Path

from graders.catalog import find_checkout
from graders.engine.state import VERSION, append_line, now, read_lines, state_dir

HISTORY_NAME = "history.jsonl"
LOOKS_LIKE = "looks like: "


def history_path(root: Path) -> Path:
    return state_dir(root) / HISTORY_NAME


def named_mistake(message: str) -> tuple[str, str] | None:
    """(mistake, fix) from a failure's "looks like: <mistake>: <fix>" line, if it has one."""
    for line in message.splitlines():
        line = line.strip()
        if line.startswith(LOOKS_LIKE):
            says = line[len(LOOKS_LIKE) :].strip()
            mistake, _, fix = says.partition(": ")
            return mistake.rstrip(".").strip(), fix.strip()
    return None


def tree_of(path: Path, root: Path) -> str | None:
    """'exercises', 'review', 'bughunt' or 'interview' for a learner's file under root."""
    parts = Path(path).resolve().relative_to(root).parts
    if parts[0] == "exercises" and len(parts) == 3:
        return "exercises"
    if parts[0] == state_dir(root).name and len(parts) >= 4:
        return parts[1]
    return None


def records_of(results, moment: str) -> dict[Path, list[dict]]:
    """The history lines of one session (a plugin.KataResults), by checkout."""
    by_root: dict[Path, list[dict]] = {}
    for key, (_kata, file, checks) in results.katas.items():
        if not checks or results.status(key) == "not started":
            continue
        root = find_checkout(Path(file).resolve().parent)
        tree = tree_of(file, root) if root else None
        if tree is None:
            continue
        failures = []
        for check in checks:
            if check.status == "passed":
                continue
            mistake, fix = named_mistake(check.message) or (None, None)
            failures.append({"check": check.name, "mistake": mistake, "fix": fix})
        by_root.setdefault(root, []).append(
            {
                "version": VERSION,
                "time": moment,
                "kata": key,
                "tree": tree,
                "file": Path(file).resolve().relative_to(root).as_posix(),
                "status": results.status(key),
                "passed": sum(c.status == "passed" for c in checks),
                "checks": len(checks),
                "seed": results.seed,
                "failures": failures,
            }
        )
    return by_root


def record(results) -> None:
    """Append one session's outcomes to each checkout's history."""
    moment = now().isoformat()
    for root, records in records_of(results, moment).items():
        for line in records:
            append_line(history_path(root), line)


def read_history(root: Path) -> list[dict]:
    """Every recorded outcome, oldest first."""
    return [r for r in read_lines(history_path(root)) if r.get("version") == VERSION]
