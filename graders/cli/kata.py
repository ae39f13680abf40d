"""`kata`: the learner's command line.

    kata                      progress by topic, and the next kata to do (same as `kata status`)
    kata check [NAME ...]     grade topics or katas (all by default), as `pytest exercises/...`
    kata next                 the first kata not yet passing: file, contract, questions
    kata hint KATA            the next hint for a kata (remembered between calls)
    kata watch [NAME]         re-grade on every save, in a warm process
    kata reset KATA           restore the pristine stub (your version is saved first)
    kata solution KATA        the reference solution, once the kata passes (or --give-up)
    kata mistakes             your recurring named mistakes, with the fix and the kata to redo
    kata review [KATA]        what is due for review; KATA (or --next): a fresh copy to redo
    kata bughunt [KATA]       a known wrong implementation of KATA to debug; no KATA: your hunts
    kata interview            a timed mock interview: fresh stubs, no hints, follow-up questions
    kata build [--check]      regenerate exercises/ stubs from solutions/ (maintainers)
    kata notebooks OUT_DIR    the katas as an nbgrader course (needs the notebooks extra)

NAME is a topic (03_optimizers), a kata (adam) or both (03_optimizers/adam).
kata check and kata watch take --review or --bughunt to grade those copies under .kata/.
Every subcommand has --help. KATA_NOW=2026-12-24 moves the clock (reviews, history).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from graders.catalog import REPO_ROOT, all_katas, find_checkout, topics
from graders.cli import bughunt, mistakes, review, stubs
from graders.cli.common import (
    UsageError,
    exercise,
    grade_in_child,
    one_kata,
    resolve,
    shown,
    where,
)
from graders.cli.practice_commands import (
    bughunt_report,
    locked_by_interview,
    practice_lines,
    review_report,
    run_bughunt,
    run_interview,
    run_mistakes,
    run_review,
)
from graders.cli.progress import grade_quietly, next_kata, progress_table
from graders.cli.scratch import scratch_file
from graders.engine.plugin import GRADING_ARGS, own_configuration
from graders.engine.state import STATE_DIR, read_json, write_json


def main(argv: list[str] | None = None) -> int:
    original = argv
    argv = list(sys.argv[1:] if argv is None else argv)
    # everything after a bare `--` goes to pytest: kata check adam -- --kata-seed 7
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    args.pytest_args = extra
    args.root, found_here = locate(args.root)
    if found_here and not same_checkout(args.root, REPO_ROOT):
        return run_in_checkout(args.root, sys.argv[1:] if original is None else original)
    try:
        return COMMANDS[args.command or "status"](args)
    except UsageError as error:
        print(f"kata: {error}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kata",
        usage="kata [--root ROOT] [COMMAND] [--help]",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root",
        default=os.environ.get("DL_KATAS_ROOT"),
        help="the checkout to act on (default: the one holding the current folder)",
    )
    # the docstring lists the commands, once: `kata --help` fits one screen
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)

    commands.add_parser("status", help="progress by topic, and the next kata to do")
    check = commands.add_parser("check", help="grade topics or katas (all by default)")
    check.add_argument("names", nargs="*", metavar="NAME", help="topics or katas")
    check.add_argument(
        "--json", metavar="PATH", help="also write results.json here (always: .kata/results.json)"
    )
    add_scratch_choice(check)
    commands.add_parser("next", help="the first kata not yet passing, with its contract")
    hint = commands.add_parser("hint", help="the next hint for a kata, one per call")
    hint.add_argument("kata", metavar="KATA")
    hint.add_argument("--again", action="store_true", help="show every hint seen so far")
    watch = commands.add_parser("watch", help="re-grade on every save (Ctrl-C to stop)")
    watch.add_argument(
        "name", nargs="?", metavar="NAME", help="a topic or kata (default: the next kata)"
    )
    watch.add_argument(
        "--poll",
        type=float,
        default=0.05,
        metavar="SECONDS",
        help="how often to look for saved files (default 0.05 s)",
    )
    watch.add_argument("--max-runs", type=int, default=0, help=argparse.SUPPRESS)
    add_scratch_choice(watch)
    reset = commands.add_parser("reset", help="restore a kata's stub, saving your version first")
    reset.add_argument("kata", metavar="KATA")
    solution = commands.add_parser("solution", help="show the reference solution of a passed kata")
    solution.add_argument("kata", metavar="KATA")
    solution.add_argument("--give-up", action="store_true", help="show it even if not passed")
    commands.add_parser("mistakes", help="your recurring named mistakes, most frequent first")
    reviewing = commands.add_parser(
        "review", help="spaced review of passed katas: what is due, or a fresh copy to redo"
    )
    reviewing.add_argument("kata", nargs="?", metavar="KATA", help="the kata to review now")
    reviewing.add_argument("--next", action="store_true", help="review the most overdue kata")
    reviewing.add_argument(
        "--give-up", action="store_true", help="end KATA's review as failed: back to box 1"
    )
    hunting = commands.add_parser("bughunt", help="debug a known wrong implementation of a kata")
    hunting.add_argument("kata", nargs="?", metavar="KATA", help="(none: the hunts so far)")
    hunting.add_argument("--seed", type=int, help="pick the same bug again with the same seed")
    mock = commands.add_parser(
        "interview", help="a timed mock interview: fresh stubs, no hints, follow-up questions"
    )
    mock.add_argument("--minutes", type=float, default=45, help="its length (default 45)")
    mock.add_argument("--katas", type=int, default=2, metavar="N", help="how many (default 2)")
    mock.add_argument("--topic", help="only katas of this topic (default: any)")
    mock.add_argument("--seed", type=int, help="the same katas and questions again")
    mock.add_argument("--status", action="store_true", help="time left, and the files")
    mock.add_argument("--done", action="store_true", help="end it now: grade, then questions")
    mock.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="TEXT",
        help="your answer to the next follow-up question (once per question; no terminal)",
    )
    mock.add_argument(
        "--rating",
        action="append",
        default=[],
        type=int,
        choices=range(1, 6),
        metavar="1-5",
        help="how well you answered it, 1 to 5 (once per question; no terminal)",
    )
    notebooks = commands.add_parser("notebooks", help="write the katas as an nbgrader course")
    notebooks.add_argument("out", metavar="OUT_DIR", help="the course directory to write")
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
    return parser


# ---------------------------------------------------------------- where: the checkout


def locate(explicit: str | None) -> tuple[Path, bool]:
    """The checkout to act on, and whether it was found from the current folder: --root
    (or DL_KATAS_ROOT) if given, else the checkout holding the current folder, else (said
    in one line) the one this `kata` is installed from."""
    if explicit:
        return Path(explicit).resolve(), False
    here = find_checkout(Path.cwd())
    if here is not None:
        return here, True
    print(
        f"kata: {Path.cwd()} is not inside a dl-katas checkout (no graders/catalog.toml and "
        f"exercises/ here or above); using {REPO_ROOT}, the one kata is installed from",
        file=sys.stderr,
    )
    return REPO_ROOT, False


def same_checkout(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def run_in_checkout(root: Path, argv: list[str]) -> int:
    """Run this command with `root`'s own graders package: its catalogue, its graders and
    its CLI, whatever copy of dl-katas is installed. Mixing another checkout's graders
    with this one's exercises could grade them against checks of another version."""
    if not (root / "graders" / "cli" / "kata.py").is_file():
        raise SystemExit(f"kata: {root} has no graders/cli/kata.py: a damaged checkout?")
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": str(root) + (os.pathsep + path if path else "")}
    command = [sys.executable, "-m", "graders.cli", *argv]
    if os.name == "posix":
        os.execve(sys.executable, command, env)
    return subprocess.run(command, env=env).returncode


# ---------------------------------------------------------------- names and paths


def state_path(args) -> Path:
    return args.root / STATE_DIR / "state.json"


def load_state(args) -> dict:
    return read_json(state_path(args))


def save_state(args, state: dict) -> None:
    write_json(state_path(args), state)


def add_scratch_choice(parser) -> None:
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--review", action="store_true", help="grade your review copies (.kata/review/)"
    )
    choice.add_argument(
        "--bughunt", action="store_true", help="grade your bug hunts (.kata/bughunt/)"
    )


def scratch_kind(args) -> str | None:
    return (
        "review"
        if getattr(args, "review", False)
        else ("bughunt" if getattr(args, "bughunt", False) else None)
    )


def graded_files(args, names: list[str]) -> list[Path]:
    """The files `kata check` / `kata watch` grade: exercises/, or with --review or
    --bughunt the copies under .kata/ (without names: every open review or hunt)."""
    kind = scratch_kind(args)
    if kind is None:
        katas = resolve(names) if names else all_katas()
        return [exercise(args, k) for k in katas if exercise(args, k).exists()]
    if names:
        katas = resolve(names)
    elif kind == "review":
        opened = review.load(args.root)["katas"]
        katas = [k for k in all_katas() if (opened.get(k.key) or {}).get("open")]
    else:
        hunted = {h["kata"] for h in bughunt.refresh(args.root)["hunts"]}
        katas = [k for k in all_katas() if k.key in hunted]
    return [p for k in katas if (p := scratch_file(args.root, kind, k)).exists()]


def colour_wanted() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


# ---------------------------------------------------------------- subcommands


def run_status(args) -> int:
    statuses = grade_quietly([args.root / "exercises"], args.root)
    print(progress_table(topics(), statuses, colour=colour_wanted(), where=where(args)))
    review.enrol_passed(args.root, statuses)
    for line in practice_lines(args):
        print(line)
    return 0


def run_check(args) -> int:
    """Grade in a child process, so that a kata file ending the process (os._exit) cannot
    make the run look green: the verdict is the child's exit code AND a complete
    results file saying "pass"."""
    paths = [str(p) for p in graded_files(args, args.names)]
    if not paths:
        where = {"review": ".kata/review/ (kata review KATA)", "bughunt": ".kata/bughunt/ "
                 "(kata bughunt KATA)"}.get(scratch_kind(args), "exercises/")  # fmt: skip
        print(f"nothing to grade: no kata file found for {' '.join(args.names) or where}")
        return 1
    default = args.root / STATE_DIR / "results.json"
    results = Path(args.json) if args.json else default
    code, status = grade_in_child(args, paths, results)
    if results != default:
        default.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(results, default)
    if scratch_kind(args) == "review":
        print(review_report(args, paths))
    elif scratch_kind(args) == "bughunt":
        print(bughunt_report(args, paths))
    return 0 if code == 0 and status == "pass" else 1


def run_next(args) -> int:
    statuses = grade_quietly([args.root / "exercises"], args.root)
    # a kata still failing with mistakes you keep making comes first, then course order
    weights = mistakes.weights(args.root)
    stuck = [k for k in all_katas() if statuses.get(k.key) == "failing" and weights.get(k.key)]
    kata = max(stuck, key=lambda k: weights[k.key]) if stuck else next_kata(topics(), statuses)
    if kata is None:
        print("every kata passes: the whole course is done.")
        for line in practice_lines(args):
            print(line)
        return 0
    path = exercise(args, kata)
    print(f"next: {kata.key}  ({statuses[kata.key]})\n  {kata.title}")
    if stuck:
        print(
            f"  chosen first: your history has {weights[kata.key]} graded runs of it with a "
            "named mistake (kata mistakes)"
        )
    print(f"  file: {shown(path)}")
    print(
        f"  questions: {', '.join(f'Q{q}' for q in kata.questions) or '-'} "
        f"(answered in {shown(path.parent / 'README.md')})"
    )
    print("\n" + contract(path))
    print(
        f"\ngrade it:  pytest {shown(path)}     "
        f"watch it:  kata watch {kata.id}     a nudge:  kata hint {kata.id}"
    )
    return 0


def contract(path: Path) -> str:
    """The module docstring and each public function's signature and docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = [ast.get_docstring(tree) or ""]
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            header = (
                f"def {node.name}({ast.unparse(node.args)})"
                if isinstance(node, ast.FunctionDef)
                else f"class {node.name}"
            )
            doc = ast.get_docstring(node) or ""
            parts.append(header + "\n" + "\n".join("    " + line for line in doc.splitlines()))
    return "\n\n".join(p for p in parts if p)


def run_hint(args) -> int:
    kata = one_kata(args.kata)
    if locked_by_interview(args, "hint"):
        return 1
    if not kata.hints:
        print(f"{kata.id} has no hints yet")
        return 0
    state = load_state(args)
    seen = state.setdefault("hints", {}).get(kata.key, 0)
    if args.again:
        if seen == 0:
            print(f"no hint seen yet for {kata.id}: kata hint {kata.id}")
        for i in range(seen):
            print(f"{kata.id}, hint {i + 1} of {len(kata.hints)}: {kata.hints[i]}")
        return 0
    if seen >= len(kata.hints):
        print(
            f"{kata.id}: all {len(kata.hints)} hints shown (kata hint {kata.id} --again). "
            f"Still stuck? kata solution {kata.id} --give-up"
        )
        return 0
    print(f"{kata.id}, hint {seen + 1} of {len(kata.hints)}: {kata.hints[seen]}")
    state["hints"][kata.key] = seen + 1
    save_state(args, state)
    if seen + 1 < len(kata.hints):
        print(f"still stuck? kata hint {kata.id} gives the next one")
    return 0


def run_watch(args) -> int:
    import pytest

    if args.name or scratch_kind(args):
        files = graded_files(args, [args.name] if args.name else [])
    else:
        upcoming = next_kata(topics(), grade_quietly([args.root / "exercises"], args.root))
        files = graded_files(args, [upcoming.key] if upcoming else [])
    if not files:
        raise UsageError("nothing to watch: no kata file found")

    def stamp():
        return {f: f.stat().st_mtime_ns if f.exists() else 0 for f in files}

    seen, runs = stamp(), 0
    try:
        while True:
            if colour_wanted():
                print("\033[2J\033[H", end="")
            start = time.perf_counter()
            pytest.main(
                [
                    *map(str, files),
                    "-q",
                    *GRADING_ARGS,
                    *own_configuration(args.root),
                    "-p",
                    "no:cacheprovider",
                    "--no-header",
                    *args.pytest_args,
                ]
            )
            print(
                f"graded in {time.perf_counter() - start:.2f} s · watching "
                f"{', '.join(f.name for f in files)} (every {args.poll:g} s; Ctrl-C to stop)",
                flush=True,
            )
            runs += 1
            if args.max_runs and runs >= args.max_runs:
                return 0
            while (now := stamp()) == seen:
                time.sleep(args.poll)
            seen = now
    except KeyboardInterrupt:
        print("\nstopped watching")
        return 0


def run_reset(args) -> int:
    kata = one_kata(args.kata)
    target = exercise(args, kata)
    solution = kata.path("solutions", args.root)
    if not solution.exists():
        raise UsageError(f"{kata.id} has no stub to restore")
    stub = stubs.stub_for(kata, args.root)
    if target.exists():
        mine = target.read_text(encoding="utf-8")
        if mine == stub:
            print(f"{shown(target)} is already the pristine stub: nothing to do")
            return 0
        backup = (
            args.root
            / STATE_DIR
            / "backups"
            / time.strftime("%Y%m%d-%H%M%S")
            / kata.topic
            / kata.filename
        )
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup.write_text(mine, encoding="utf-8")
        if backup.read_text(encoding="utf-8") != mine:  # never lose work: verify the copy
            raise UsageError(f"could not save your version to {backup}; nothing was changed")
        print(f"saved your version as {shown(backup)}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(stub, encoding="utf-8")
    print(f"restored the stub of {shown(target)}")
    return 0


def run_solution(args) -> int:
    kata = one_kata(args.kata)
    if locked_by_interview(args, "solution"):
        return 1
    solution = kata.path("solutions", args.root)
    if not args.give_up:
        status = grade_quietly([exercise(args, kata)], args.root).get(kata.key, "not started")
        if status != "passed":
            print(
                f"{kata.id} is {status}: solve it first (kata check {kata.id}), or see the "
                f"reference anyway with: kata solution {kata.id} --give-up"
            )
            return 1
    print(f"# {shown(solution)}\n")
    print(solution.read_text(encoding="utf-8"))
    return 0


def run_build(args) -> int:
    if args.check:
        problems = stubs.check(args.root, strict=args.strict)
        for problem in problems:
            print(f"out of date: {problem}")
        print(
            "exercises/ is in sync with solutions/"
            if not problems
            else "run `kata build` to regenerate the stubs"
        )
        return 1 if problems else 0
    for line in stubs.build(args.root, force=args.force) or ["exercises/ already up to date"]:
        print(line)
    return 0


def run_notebooks(args) -> int:
    try:
        import jupytext  # noqa: F401

        from graders.cli.notebooks import write_course
    except ImportError:
        raise UsageError("needs the notebooks extra: pip install -e '.[notebooks]'") from None
    for path in write_course(Path(args.out), args.root):
        print(f"wrote {path}")
    print(f"next: cd {args.out} && nbgrader generate_assignment 03_optimizers (see README)")
    return 0


COMMANDS = {
    "status": run_status,
    "check": run_check,
    "next": run_next,
    "hint": run_hint,
    "watch": run_watch,
    "reset": run_reset,
    "solution": run_solution,
    "mistakes": run_mistakes,
    "review": run_review,
    "bughunt": run_bughunt,
    "interview": run_interview,
    "build": run_build,
    "notebooks": run_notebooks,
}


if __name__ == "__main__":
    sys.exit(main())
