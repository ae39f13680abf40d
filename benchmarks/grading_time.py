"""Time to feedback, side by side in one run, next to the floor of importing numpy, torch
and pytest.

    python benchmarks/grading_time.py [topic] [--runs N] [--project-plugins-only]

Cold: separate processes grading one topic (solutions/ and the exercises/ stubs), all
every topic, and `kata check <topic>`. Warm: one process re-grading one kata file after
each save, as `kata watch` does (torch and the graders imported once), timed around the
re-grade alone and, with a real `kata watch`, from the save to the printed verdict.
Targets: one topic within 1.5x the floor, all topics within 4x, save to verdict under
0.3 s.

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
import tempfile
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


def save_to_verdict_seconds(runs: int, plugins: list[str]) -> list[float]:
    """A real `kata watch` on a copy of one solved kata: the time from writing the file
    to the line that ends its re-grade ("graded in ...")."""
    with tempfile.TemporaryDirectory() as root:
        kata = Path(root) / "exercises" / "03_optimizers" / "adam.py"
        kata.parent.mkdir(parents=True)
        source = (ROOT / "solutions" / "03_optimizers" / "adam.py").read_text()
        kata.write_text(source)
        command = [sys.executable, "-m", "graders.cli", "--root", root, "watch", "adam",
                   "--max-runs", str(runs + 1), "--", *plugins]  # fmt: skip
        watch = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        times = []

        def until_verdict():
            for line in watch.stdout:
                if line.startswith("graded in"):
                    return
            raise RuntimeError("kata watch ended before its verdict")

        until_verdict()  # the first grading, at start
        for k in range(runs):
            time.sleep(0.3)
            start = time.perf_counter()
            kata.write_text(source + f"\n# save {k}\n")
            until_verdict()
            times.append(time.perf_counter() - start)
        watch.wait(timeout=60)
    return times


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
        "pytest solutions (every topic)": [*pytest, "solutions"],
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
    saves = save_to_verdict_seconds(max(args.runs, 5), plugins)
    print(
        f"  {'kata watch adam: save to verdict':36} {statistics.median(saves):6.2f} s"
        f"   (min {min(saves):.2f}, max {max(saves):.2f}; {len(saves)} saves)"
    )
    one = statistics.median(times[f"pytest solutions/{args.topic}"]) / floor
    every = statistics.median(times["pytest solutions (every topic)"]) / floor
    print(
        f"targets: one topic {one:.2f}x <= 1.5x, all topics {every:.2f}x <= 4x, "
        f"save to verdict {statistics.median(saves):.2f} s <= 0.3 s"
    )


if __name__ == "__main__":
    main()
