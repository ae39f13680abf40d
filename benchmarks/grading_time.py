"""How long grading takes, next to the floor: importing numpy, torch and pytest.

    python benchmarks/grading_time.py [topic] [--runs N]

Cold: separate processes for `pytest solutions/<topic>`, `pytest exercises/<topic>`
and `kata check <topic>`. Warm: one process re-grading one kata file after each
"save", as `kata watch` does (torch and the graders imported once).

Prints the median wall time of each command over N runs (alternating, same
machine, same moment) and the ratio to the import floor. Target: grading
03_optimizers within about 1.5x the floor.

Every pytest plugin installed in the environment loads on each run (hypothesis's
alone costs about 0.9 s). --project-plugins-only measures what a learner's fresh
venv sees: plugin autoloading off, only pytest-timeout and ours.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topic", nargs="?", default="03_optimizers")
    parser.add_argument("--runs", type=int, default=7)
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
    commands = {
        "import numpy, torch, pytest": [python, "-c", "import numpy, torch, pytest"],
        f"pytest solutions/{args.topic}": [
            python,
            "-m",
            "pytest",
            f"solutions/{args.topic}",
            "-q",
            "-p",
            "no:cacheprovider",
            *plugins,
        ],
        f"pytest exercises/{args.topic}": [
            python,
            "-m",
            "pytest",
            f"exercises/{args.topic}",
            "-q",
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
    print(f"median of {args.runs} runs each, {sys.version.split()[0]}, cwd {ROOT}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:36} {median:6.2f} s   {median / floor:4.2f}x the import floor"
            f"   (min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
