"""`kata`: the learner's command line (a first version: progress and build).

kata                 grade every kata under exercises/ and show progress by topic
kata build           regenerate exercises/ stubs from solutions/ (never overwrites your work)
kata build --check   exit 1 if exercises/ is out of date with solutions/
"""

from __future__ import annotations

import argparse
import sys

from graders import stubs
from graders.catalog import REPO_ROOT, all_katas, topics
from graders.progress import grade_tree, progress_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kata", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command")
    status = commands.add_parser("status", help="grade everything and show progress (default)")
    status.add_argument("--tree", default="exercises", choices=("exercises", "solutions"))
    hint = commands.add_parser("hint", help="show a kata's hints, one at a time")
    hint.add_argument("kata", help="the kata's name, e.g. adam")
    hint.add_argument("number", nargs="?", type=int, default=1, help="which hint (1, 2, 3)")
    build = commands.add_parser("build", help="generate exercises/ stubs from solutions/")
    build.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if exercises/ is out of date"
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="with --check: every exercise must equal its stub (upstream CI)",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="regenerate edited exercises too, after backing them up",
    )
    args = parser.parse_args(argv)

    if args.command == "build":
        return run_build(args)
    if args.command == "hint":
        return run_hint(args.kata, args.number)
    return run_status(getattr(args, "tree", "exercises"))


def run_build(args) -> int:
    if args.check:
        problems = stubs.check(REPO_ROOT, strict=args.strict)
        for problem in problems:
            print(f"out of date: {problem}")
        print(
            "exercises/ is in sync with solutions/"
            if not problems
            else "run `kata build` to regenerate the stubs"
        )
        return 1 if problems else 0
    for line in stubs.build(REPO_ROOT, force=args.force) or ["exercises/ already up to date"]:
        print(line)
    return 0


def run_hint(name: str, number: int) -> int:
    matches = [k for k in all_katas() if name in (k.id, k.key)]
    if not matches:
        print(f"no kata named {name!r}; the katas are: {', '.join(k.id for k in all_katas())}")
        return 2
    kata = matches[0]
    if not kata.hints:
        print(f"{kata.id} has no hints yet")
        return 0
    number = min(max(number, 1), len(kata.hints))
    print(f"{kata.id}, hint {number} of {len(kata.hints)}: {kata.hints[number - 1]}")
    if number < len(kata.hints):
        print(f"still stuck? kata hint {kata.id} {number + 1}")
    return 0


def run_status(tree: str) -> int:
    print(progress_table(topics(), grade_tree(REPO_ROOT / tree)))
    return 0  # a view, not a verdict: `pytest exercises/...` gives the exit code


if __name__ == "__main__":
    sys.exit(main())
