"""results.json: the grading outcome for machines (CI summaries, other tools).

The shape is exercism's test-runner results, version 3 (version, status, message,
tests[] of name/status/message/task_id), extended with `katas` (per-kata status and
score) and `seed`. graders/engine/results.schema.json describes it.

A run writes an "error" file first and replaces it, atomically, with the real
results only when the session finishes: a run that crashes or is killed leaves
"error" behind, never a pass.
"""

from __future__ import annotations

from pathlib import Path

from graders.catalog import all_katas
from graders.engine.state import write_json

SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
EXERCISM_STATUS = {"passed": "pass", "failing": "fail", "not started": "fail"}
MESSAGE_LIMIT = 65535


_write = write_json  # atomic: a temporary file, then a rename


def write_pending(path: Path, seed: int) -> None:
    _write(
        path,
        {
            "version": 3,
            "status": "error",
            "seed": seed,
            "tests": [],
            "katas": [],
            "message": "grading started but did not finish (a crash or a kill?)",
        },
    )


def write_results(path: Path, results) -> dict:
    """Write the finished session's results (a plugin.KataResults); returns the data."""
    order = {kata.key: i for i, kata in enumerate(all_katas(), start=1)}
    tests, katas = [], []
    for key, (kata, file, checks) in sorted(results.katas.items(), key=lambda kv: order[kv[0]]):
        if not checks:
            continue
        for check in checks:
            tests.append(
                {
                    "name": f"{key}::{check.name}",
                    "status": EXERCISM_STATUS[check.status],
                    "message": check.message[:MESSAGE_LIMIT] or None,
                    "task_id": order[key],
                }
            )
        passed = sum(c.status == "passed" for c in checks)
        katas.append(
            {
                "kata": key,
                "title": kata.title,
                "file": str(file),
                "status": results.status(key),
                "passed": passed,
                "checks": len(checks),
                "score": round(passed / len(checks), 4),
                "reason": next((c.reason for c in checks if c.status != "passed"), ""),
            }
        )
    if not tests:
        status, message = "error", "no kata was graded"
    elif all(t["status"] == "pass" for t in tests):
        status, message = "pass", None
    else:
        status, message = "fail", None
    data = {
        "version": 3,
        "status": status,
        "message": message,
        "seed": results.seed,
        "tests": tests,
        "katas": katas,
    }
    _write(path, data)
    return data
