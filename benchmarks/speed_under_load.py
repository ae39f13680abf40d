"""Speed checks under load: the correct vectorised solutions must pass them every time,
even while other processes keep every core busy.

    python benchmarks/speed_under_load.py [--runs 50] [--busy N] [--kata 04_losses/cross_entropy]

Starts N busy processes (default: one per core), then runs each speed check on its
kata's solution `runs` times and prints how many passed, with the worst ratio seen.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import all_katas, find_kata, topics  # noqa: E402
from graders.engine.learner import KataFailure, Learner  # noqa: E402
from graders.engine.registry import checks_for, load_topic_graders  # noqa: E402

BUSY = "while True: pass"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--kata", action="append", help="only this kata (topic/id), repeatable")
    args = parser.parse_args()
    for topic in topics():
        load_topic_graders(topic)
    speed_checks = [  # every kata with a speed check, in the catalogue's order
        kata.key for kata in all_katas()
        if any(c.name.startswith("speed") for c in checks_for(kata.key))
        and (not args.kata or kata.key in args.kata)
    ]  # fmt: skip
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.busy)]
    failures = 0
    try:
        time.sleep(1.0)
        print(f"{args.busy} busy processes on {os.cpu_count()} cores; {args.runs} runs each")
        for key in speed_checks:
            kata = find_kata(*key.split("/"))
            check = next(c for c in checks_for(key) if c.name.startswith("speed"))
            learner = Learner(kata.path("solutions"))
            passed, ratios, start = 0, [], time.perf_counter()
            try:
                for run in range(args.runs):
                    learner.begin_check(check.timeout or 60)
                    rng = np.random.default_rng([run, zlib.crc32(key.encode())])
                    try:
                        note = check.run(learner, rng)
                        learner.end_check()
                    except KataFailure as failure:
                        print(f"  {key} run {run}: {str(failure).splitlines()[0]}")
                        continue
                    passed += 1
                    ratios += [float(m) for m in re.findall(r"([\d.]+)x a vectorised", note)]
            finally:
                learner.close()
            failures += args.runs - passed
            print(
                f"  {key:28} {passed}/{args.runs} passed, worst ratio "
                f"{max(ratios, default=float('nan')):.1f}x (limit 25x), "
                f"{time.perf_counter() - start:.0f} s"
            )
    finally:
        for process in busy:
            process.kill()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
