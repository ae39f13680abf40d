"""Grade every solution under many seeds, in one warm process: no correct kata may fail.

    python tools/seed_sweep.py [--first 1] [--count 200] [--topic 03_optimizers]

Prints each seed that fails (with each failing check and its reason) and a total; exits 1
on any failure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import REPO_ROOT  # noqa: E402
from graders.engine.plugin import GRADING_ARGS, RESULTS  # noqa: E402


class Statuses:
    def __init__(self):
        self.failing: list[str] = []
        self.reasons: list[str] = []  # each failing check, with its one-line reason

    def pytest_sessionfinish(self, session):
        results = session.config.stash[RESULTS]
        self.failing = [
            k for k, (_, _, c) in results.katas.items() if results.status(k) != "passed"
        ]
        self.reasons = [
            f"  {key}: {check.name}: {check.reason}"
            for key in self.failing
            for check in results.katas[key][2]
            if check.status != "passed"
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--topic", help="only this topic's solutions")
    args = parser.parse_args()
    target = REPO_ROOT / "solutions" / (args.topic or "")
    start, bad = time.perf_counter(), 0
    for seed in range(args.first, args.first + args.count):
        statuses = Statuses()
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(
                [
                    str(target),
                    *GRADING_ARGS,
                    "-p",
                    "no:cacheprovider",
                    "-q",
                    "--kata-seed",
                    str(seed),
                ],
                plugins=[statuses],
            )
        if code != 0:
            bad += 1
            print(
                f"seed {seed}: exit {code}, failing: {', '.join(statuses.failing) or '?'}",
                *statuses.reasons,
                sep="\n",
                flush=True,
            )
    print(f"{args.count - bad}/{args.count} seeds green in {time.perf_counter() - start:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
