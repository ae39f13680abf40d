"""Speed checks under load: the correct vectorised solutions must pass them every time,
and the loops of tests/mutants (expect = "too slow") fail them every time, even while
other processes keep every core busy.

    python benchmarks/speed_under_load.py [--runs 50] [--busy N] [--kata 04_losses/cross_entropy]

Starts N busy processes (default: one per core), then runs each speed check on its
kata's solution and on each of its slow mutants `runs` times and prints how many came
out right, with the worst ratio seen (the highest for a solution, the lowest for a loop).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import zlib
from math import nan
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import all_katas, find_kata, topics  # noqa: E402
from graders.engine.learner import KataFailure, Learner  # noqa: E402
from graders.engine.registry import checks_for, load_topic_graders  # noqa: E402
from tests.mutants_catalog import apply, load_mutants  # noqa: E402

BUSY = "while True: pass"


def timed_runs(key, filename, check, source, should_pass, runs):
    """(runs that came out right, the ratios seen, seconds) for one kata file's source."""
    right, ratios, start = 0, [], time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_text(source)
        learner = Learner(path)
        try:
            for run in range(runs):
                learner.begin_check(check.timeout or 60)
                rng = np.random.default_rng([run, zlib.crc32(key.encode())])
                try:
                    text = check.run(learner, rng)
                    learner.end_check()
                    passed = True
                except KataFailure as failure:
                    text, passed = str(failure), False
                    if should_pass or "too slow" not in text:
                        print(f"  {key} run {run}: {text.splitlines()[0]}")
                right += passed == should_pass and (passed or "too slow" in text)
                ratios += [float(m) for m in re.findall(r"([\d.]+)x a vectorised", text)]
        finally:
            learner.close()
    return right, ratios, time.perf_counter() - start


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
            solution = kata.path("solutions").read_text()
            limit = re.search(r"at most (\d+)x", check.name).group(1)
            variants = [("solution", solution, True)] + [
                (m["name"], apply(solution, m["replace"]), False)
                for topic, m in load_mutants(kata.topic)
                if f"{topic}/{m['kata']}" == key and m["expect"] == "too slow"
            ]
            for name, source, should_pass in variants:
                right, ratios, seconds = timed_runs(key, kata.filename, check, source,
                                                    should_pass, args.runs)  # fmt: skip
                failures += args.runs - right
                worst = max(ratios, default=nan) if should_pass else min(ratios, default=nan)
                print(
                    f"  {key:28} {name[:40]:40} {right}/{args.runs} "
                    f"{'passed' if should_pass else 'too slow'}, worst ratio {worst:.1f}x "
                    f"(limit {limit}x), {seconds:.0f} s"
                )
    finally:
        for process in busy:
            process.kill()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
