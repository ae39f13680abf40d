"""`kata review`: passed katas come back on a schedule (Leitner boxes).

A kata enters box 1 when it first passes in exercises/. Box b is due INTERVALS[b - 1] days
after its last review. `kata review KATA` writes a fresh stub to .kata/review/<topic>/
<kata>.py and opens a review; the review's first graded run decides it: a pass moves the
kata up a box (due later), a failure sends it back to box 1 (due tomorrow), and so does
`kata review KATA --give-up`. After a failure the file can still be finished; only a new
review moves the kata again.

Why Leitner and not SM-2: five boxes with fixed intervals are simple to explain ("box 3:
due again in 7 days"), need no per-kata ease factor to tune, and a kata is either
rewritten correctly from a blank stub or it is not: there is no graded recall quality
for SM-2's ease to use.

State: .kata/review.json, {"version": 1, "history_lines": n, "katas": {"03_optimizers/
adam": {"box": 2, "due": "2026-12-05", "reviews": 1, "open": null | {"started",
"history_line", "outcome"}}}}. It is brought up to date from .kata/history.jsonl (what the
grading process recorded) each time it is read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from graders.catalog import Kata
from graders.cli.scratch import scratch_file, write_scratch
from graders.cli.stubs import stub_for
from graders.engine.history import read_history
from graders.engine.state import now, read_json, state_dir, write_json

INTERVALS = (1, 3, 7, 14, 30)  # days, for boxes 1..5


def state_path(root: Path) -> Path:
    return state_dir(root) / "review.json"


def day_of(moment: str) -> date:
    return datetime.fromisoformat(moment).date()


def due_after(box: int, day: date) -> str:
    return (day + timedelta(days=INTERVALS[box - 1])).isoformat()


def enrol(state: dict, key: str, day: date) -> bool:
    if key in state["katas"]:
        return False
    state["katas"][key] = {"box": 1, "due": due_after(1, day), "reviews": 0, "open": None}
    return True


def settle(entry: dict, outcome: str, day: date) -> None:
    """Close the open review's verdict: up a box on a pass, back to box 1 otherwise."""
    entry["box"] = min(entry["box"] + 1, len(INTERVALS)) if outcome == "passed" else 1
    entry["due"] = due_after(entry["box"], day)
    entry["reviews"] += 1
    entry["open"]["outcome"] = outcome


def load(root: Path) -> dict:
    """The schedule, brought up to date with the history."""
    state = read_json(state_path(root), {"history_lines": 0, "katas": {}})
    records = read_history(root)
    changed = False
    for index in range(state["history_lines"], len(records)):
        record = records[index]
        key, day = record["kata"], day_of(record["time"])
        if record["tree"] == "exercises" and record["status"] == "passed":
            changed |= enrol(state, key, day)
        entry = state["katas"].get(key)
        opened = entry and entry.get("open")
        if record["tree"] == "review" and opened and opened.get("outcome") is None:
            if index >= opened["history_line"]:
                settle(entry, "passed" if record["status"] == "passed" else "failed", day)
                changed = True
    if changed or state["history_lines"] != len(records):
        state["history_lines"] = len(records)
        write_json(state_path(root), state)
    return state


def enrol_passed(root: Path, statuses: dict[str, str]) -> None:
    """Katas seen passing (by `kata status`) join the schedule, if not in it already."""
    state = load(root)
    today = now().date()
    if any([enrol(state, key, today) for key, s in statuses.items() if s == "passed"]):
        write_json(state_path(root), state)


def due(state: dict, today: date) -> list[tuple[str, dict]]:
    """Katas due today or earlier, most overdue first."""
    items = [(k, e) for k, e in state["katas"].items() if date.fromisoformat(e["due"]) <= today]
    return sorted(items, key=lambda item: item[1]["due"])


def upcoming(state: dict, today: date) -> tuple[str, dict] | None:
    later = [(k, e) for k, e in state["katas"].items() if date.fromisoformat(e["due"]) > today]
    return min(later, key=lambda item: item[1]["due"]) if later else None


def start(root: Path, kata: Kata) -> tuple[Path, dict, list[Kata]]:
    """Open a review of kata: a fresh stub in .kata/review/; returns its file, its entry
    and the katas it builds on."""
    state = load(root)
    entry = state["katas"][kata.key]
    path = scratch_file(root, "review", kata)
    needed = write_scratch(root, path, stub_for(kata, root))
    entry["open"] = {
        "started": now().isoformat(),
        "history_line": len(read_history(root)),
        "outcome": None,
    }
    write_json(state_path(root), state)
    return path, entry, needed


def give_up(root: Path, kata: Kata) -> dict:
    state = load(root)
    entry = state["katas"][kata.key]
    if not entry.get("open") or entry["open"].get("outcome") is not None:
        entry["open"] = {"started": now().isoformat(), "history_line": 0, "outcome": None}
    settle(entry, "gave up", now().date())
    write_json(state_path(root), state)
    return entry
