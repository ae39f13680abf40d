"""Time to feedback, side by side in one run, next to the floor of importing numpy, torch
and pytest.

    python benchmarks/grading_time.py [topic] [--runs N] [--project-plugins-only]

Cold: separate processes grading one topic (solutions/ and the exercises/ stubs), all
ten topics, and `kata check <topic>`. Warm: one process re-grading one kata file after
each save, as `kata watch` does (torch and the graders imported once). Targets: one
topic within 1.5x the floor, all topics within 10x, a warm re-grade under 0.3 s.

Every pytest plugin installed in the environment loads on each run (hypothesis's
alone costs about 0.9 s): --project-plugins-only measures what a learner's fresh
venv sees, plugin autoloading off, only pytest-timeout and ours.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def warm_regrade_seconds(topic: str, runs: int, plugins: list[str]) -> list[float]:
    """Re-grade one kata file in a warm process after each touch, as `kata watch` does."""
    script = f"""
import contextlib, io, pathlib, time, pytest
path = sorted(pathlib.Path("solutions/{topic}").glob("*.py"))[0]
from graders.engine.plugin import GRADING_ARGS
args = [str(path), "-q", *GRADING_ARGS, "-p", "no:cacheprovider", *{plugins!r}]
with contextlib.redirect_stdout(io.StringIO()):
    pytest.main(args)  # warm-up: imports torch, numpy and the graders once
times = []
for _ in range({runs}):
    path.touch()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args)
    times.append(time.perf_counter() - start)
print(" ".join(map(str, times)))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [float(t) for t in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="03_optimizers")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--project-plugins-only",
        action="store_true",
        help="disable other installed pytest plugins, as in a fresh venv",
    )
    args = parser.parse_args()
    python = sys.executable
    if args.project_plugins_only:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    plugins = ["-p", "pytest_timeout"] if args.project_plugins_only else []
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins]
    commands = {
        "import numpy, torch, pytest": [python, "-c", "import numpy, torch, pytest"],
        f"pytest solutions/{args.topic}": [*pytest, f"solutions/{args.topic}"],
        f"pytest exercises/{args.topic}": [*pytest, f"exercises/{args.topic}"],
        "pytest solutions (all 10 topics)": [*pytest, "solutions"],
        f"kata check {args.topic} (stubs)": [
            python,
            "-m",
            "graders.cli",
            "check",
            args.topic,
            "--",
            "-p",
            "no:cacheprovider",
            *plugins,
        ],
    }
    for command in commands.values():  # warm the file cache once
        wall_time(command)
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall_time(command))
    floor = statistics.median(times["import numpy, torch, pytest"])
    print(f"median of {args.runs} runs each, Python {sys.version.split()[0]}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:36} {median:6.2f} s   {median / floor:5.2f}x the floor"
            f"   (min {min(values):.2f}, max {max(values):.2f})"
        )
    warm = warm_regrade_seconds(args.topic, max(args.runs, 5), plugins)
    print(
        f"  {'warm re-grade of one kata (watch)':36} {statistics.median(warm):6.2f} s"
        f"   (min {min(warm):.2f}, max {max(warm):.2f}; {len(warm)} saves)"
    )


if __name__ == "__main__":
    main()
