"""`kata mistakes`: the learner's recurring named mistakes, read from .kata/history.jsonl.

A mistake counts once per graded run that made it (however many checks named it), so that
"3×" means three attempts. Most frequent first, then most recently seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graders.engine.history import read_history


@dataclass
class Recurring:
    kata: str  # "03_optimizers/adam"
    mistake: str
    fix: str
    count: int
    last: str  # ISO time of the last run that made it
    fixed_since: bool  # the kata's latest graded run (in that tree) passed
    tree: str = ""  # where it was last made: exercises, review, bughunt, interview


def recurring(records: list[dict]) -> list[Recurring]:
    """Named mistakes by (kata, mistake), most frequent then most recent first."""
    found: dict[tuple[str, str], Recurring] = {}
    latest_status: dict[tuple[str, str], str] = {}
    for record in records:
        if record.get("tree") == "bughunt":  # the bugs of a hunt are ours, not the learner's
            continue
        latest_status[(record["kata"], record.get("tree", ""))] = record.get("status", "")
        named = {
            f["mistake"]: f.get("fix") or "" for f in record.get("failures", ()) if f.get("mistake")
        }
        for mistake, fix in named.items():
            entry = found.setdefault(
                (record["kata"], mistake), Recurring(record["kata"], mistake, fix, 0, "", False)
            )
            entry.count += 1
            entry.last = record["time"]
            entry.fix = fix or entry.fix
            entry.tree = record.get("tree", "")
    for entry in found.values():
        entry.fixed_since = latest_status.get((entry.kata, entry.tree)) == "passed"
    return sorted(found.values(), key=lambda e: (e.count, e.last), reverse=True)


def profile(root: Path) -> list[Recurring]:
    return recurring(read_history(root))


def weights(root: Path) -> dict[str, int]:
    """How many runs made a named mistake, per kata: what `kata next`, `kata review --next`
    and `kata interview` weight their choice by."""
    counts: dict[str, int] = {}
    for entry in profile(root):
        counts[entry.kata] = counts.get(entry.kata, 0) + entry.count
    return counts


def render(entries: list[Recurring], runs: int, redo) -> str:
    """The profile as text; redo(kata key) says how to redo that kata."""
    if not entries:
        return (
            f"no named mistake in your history yet ({runs} graded runs recorded): when a "
            "grader recognises a classic mistake in your code, it is listed here"
        )
    lines = [f"your recurring mistakes ({runs} graded runs recorded, most frequent first):"]
    for entry in entries:
        state = "fixed since" if entry.fixed_since else "not fixed yet"
        lines.append(
            f"  {entry.count}×  {entry.kata}: {entry.mistake}  "
            f"(last {entry.last[:16].replace('T', ' ')}, {state})"
        )
        if entry.fix:
            lines.append(f"        fix:  {entry.fix}")
        lines.append(f"        redo: {redo(entry.kata)}")
    return "\n".join(lines)
