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
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from graders.catalog import REPO_ROOT, Kata, all_katas, find_checkout, topics
from graders.cli import bughunt, interview, mistakes, review, stubs
from graders.cli.progress import grade_quietly, next_kata, progress_table
from graders.cli.scratch import scratch_file
from graders.engine.history import read_history
from graders.engine.plugin import GRADING_ARGS, own_configuration
from graders.engine.state import STATE_DIR, now, read_json, write_json


class UsageError(Exception):
    """A name or argument the learner mistyped: exit code 2 with a helpful message."""


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


def shown(path: Path) -> str:
    """A path the learner can click: relative to the current folder."""
    return os.path.relpath(path)


# ---------------------------------------------------------------- names and paths


def exercise(args, kata: Kata) -> Path:
    return kata.path("exercises", args.root)


def where(args):
    """kata -> the path of its exercise, as the learner sees it from here."""
    return lambda kata: shown(exercise(args, kata))


def resolve(names: list[str]) -> list[Kata]:
    """Katas named by topic id, kata id or 'topic/kata'; a typo is a UsageError."""
    katas = all_katas()
    chosen = []
    for name in names:
        name = name.rstrip("/").removeprefix("exercises/").removesuffix(".py")
        match = [k for k in katas if name in (k.id, k.key, k.topic)]
        if not match:
            known = [k.id for k in katas] + [t.id for t in topics()]
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise UsageError(f"no topic or kata named {name!r}{hint}")
        chosen += [k for k in match if k not in chosen]
    return chosen


def one_kata(name: str) -> Kata:
    katas = resolve([name])
    if len(katas) != 1:
        raise UsageError(f"{name!r} is a topic; name one kata, e.g. {katas[0].id}")
    return katas[0]


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


def practice_lines(args) -> list[str]:
    """Reviews due, bug hunts, the top mistake: one line each, where there is something."""
    lines = []
    schedule = review.load(args.root)
    due_now = review.due(schedule, now().date())
    if due_now:
        names = ", ".join(key.split("/")[1] for key, _ in due_now)
        lines.append(f"due for review: {names}   (kata review --next)")
    found, started = bughunt.summary(args.root)
    if started:
        lines.append(f"bug hunts: {found} of {started} bugs found   (kata bughunt)")
    top = mistakes.profile(args.root)
    if top and not top[0].fixed_since:
        lines.append(
            f"your most frequent mistake: {top[0].mistake} in {top[0].kata.split('/')[1]} "
            f"({top[0].count}×)   (kata mistakes)"
        )
    return lines  # a view, not a verdict: `kata check` gives the exit code


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


def grade_in_child(args, paths: list[str], results: Path) -> tuple[int, str | None]:
    """pytest's exit code and the results file's status, graded in a child process."""
    code = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *paths,
            *GRADING_ARGS,
            *own_configuration(args.root),
            "--kata-results",
            str(results),
            *args.pytest_args,
        ]
    ).returncode
    try:
        status = json.loads(results.read_text(encoding="utf-8")).get("status")
    except (OSError, json.JSONDecodeError):
        status = None
    if status != "pass" and code == 0:
        print(
            "kata: grading did not finish (a kata file ended the process?): not a pass",
            file=sys.stderr,
        )
    return code, status


def keys_of(paths) -> list[str]:
    return ["/".join(Path(p).parts[-2:])[:-3] for p in paths]


def review_report(args, paths) -> str:
    katas = review.load(args.root)["katas"]
    lines = []
    for key in keys_of(paths):
        entry = katas.get(key)
        if not entry or not entry.get("open"):
            continue
        outcome = entry["open"].get("outcome")
        name = key.split("/")[1]
        if outcome is None:
            lines.append(f"review of {name}: not graded yet (still not started?)")
        else:
            lines.append(
                f"review of {name}: {outcome}; now in box {entry['box']}, due again {entry['due']}"
            )
    return "\n".join(lines)


def bughunt_report(args, paths) -> str:
    hunts = bughunt.refresh(args.root)["hunts"]
    lines = []
    for key in keys_of(paths):
        hunt = next((h for h in reversed(hunts) if h["kata"] == key), None)
        if hunt is None:
            continue
        name = key.split("/")[1]
        lines.append(
            f"bug found in {name}: it was '{hunt['mutant']}'"
            if hunt.get("found")
            else f"the bug in {name} is still there: the checks above say where it shows"
        )
    found, started = bughunt.summary(args.root)
    lines.append(f"bug hunts: {found} of {started} bugs found")
    return "\n".join(lines)


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


def locked_by_interview(args, what: str) -> bool:
    session = interview.active(args.root)
    if session is None:
        return False
    print(
        f"kata {what} is locked during your mock interview ({time_left_text(session)}): "
        "kata interview --status shows it, kata interview --done ends it"
    )
    return True


def time_left_text(session: dict) -> str:
    seconds = int(interview.time_left(session).total_seconds())
    if seconds <= 0:
        return "time is up"
    return f"{seconds // 60} min {seconds % 60:02d} s left"


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


def run_mistakes(args) -> int:
    schedule = review.load(args.root)["katas"]

    def redo(key: str) -> str:
        kata = one_kata(key)
        if key in schedule:
            return f"kata review {kata.id}   (a fresh copy; yours is kept)"
        return f"pytest {shown(exercise(args, kata))}"

    print(mistakes.render(mistakes.profile(args.root), len(read_history(args.root)), redo))
    return 0


def run_review(args) -> int:
    schedule = review.load(args.root)
    today = now().date()
    if args.kata is None and not args.next:
        if args.give_up:
            raise UsageError("name the kata to give up: kata review KATA --give-up")
        print(review_overview(schedule, today))
        return 0
    if args.next:
        due_now = review.due(schedule, today)
        if not due_now:
            print(review_overview(schedule, today))
            return 0
        weights = mistakes.weights(args.root)
        first_day = due_now[0][1]["due"]  # most overdue first; then what you get wrong most
        key = max((k for k, e in due_now if e["due"] == first_day), key=lambda k: weights.get(k, 0))
        kata = one_kata(key)
    else:
        kata = one_kata(args.kata)
    entry = schedule["katas"].get(kata.key)
    if entry is None:
        raise UsageError(
            f"{kata.id} is not on your review schedule: a kata joins it when it passes "
            f"(kata check {kata.id})"
        )
    if args.give_up:
        entry = review.give_up(args.root, kata)
        print(f"{kata.id}: back to box 1, due again {entry['due']}")
        return 0
    path, entry, needed = review.start(args.root, kata)
    when = "" if entry["due"] <= today.isoformat() else f" (early: due {entry['due']})"
    print(f"review {kata.id}, box {entry['box']} of {len(review.INTERVALS)}{when}")
    print(f"  write it again from the stub: {shown(path)}")
    print(f"  your {shown(exercise(args, kata))} is not touched")
    for dependency in needed:
        print(f"  it builds on your {dependency.key}.py: copied next to it")
    print(
        f"  grade it:  kata check --review {kata.id}   (or: pytest {shown(path)}, "
        f"kata watch {kata.id} --review)"
    )
    print(f"  a pass moves it up a box; a failure or kata review {kata.id} --give-up, to box 1")
    return 0


def review_overview(schedule: dict, today) -> str:
    if not schedule["katas"]:
        return (
            "nothing to review yet: a kata joins the review schedule when it passes, "
            "and comes back 1, 3, 7, 14 and 30 days later"
        )
    lines = []
    due_now = review.due(schedule, today)
    if due_now:
        lines.append(f"due for review today ({today}):")
        for key, entry in due_now:
            lines.append(f"  {key}  box {entry['box']}, due {entry['due']}")
        lines.append("start one: kata review KATA, or kata review --next")
    else:
        lines.append(f"nothing is due today ({today})")
    following = review.upcoming(schedule, today)
    if following:
        key, entry = following
        days = (date.fromisoformat(entry["due"]) - today).days
        unit = "day" if days == 1 else "days"
        lines.append(f"next due: {key} on {entry['due']} (in {days} {unit}), box {entry['box']}")
    return "\n".join(lines)


def run_bughunt(args) -> int:
    if args.kata is None:
        state = bughunt.refresh(args.root)
        if not state["hunts"]:
            print("no bug hunt yet: kata bughunt KATA writes a known wrong version to debug")
            return 0
        for hunt in state["hunts"]:
            done = f"found ({hunt['mutant']})" if hunt.get("found") else "not found yet"
            print(f"  {hunt['kata']}  started {hunt['started'][:16].replace('T', ' ')}  {done}")
        found, started = bughunt.summary(args.root)
        print(f"bug hunts: {found} of {started} bugs found")
        return 0
    kata = one_kata(args.kata)
    try:
        path, hunt, needed = bughunt.start(args.root, kata, args.seed)
    except bughunt.NoMutants as error:
        raise UsageError(str(error)) from None
    print(f"this {bughunt.subject(kata)} has one bug: find it and fix it.")
    print(f"  file: {shown(path)}   (seed {hunt['seed']}: kata bughunt {kata.id} --seed "
          f"{hunt['seed']} writes the same one)")  # fmt: skip
    for dependency in needed:
        print(f"  it builds on your {dependency.key}.py: copied next to it (it must pass)")
    print(f"  grade it:  kata check --bughunt {kata.id}   (or: pytest {shown(path)})")
    return 0


def run_interview(args) -> int:
    session = interview.active(args.root)
    if session is None:
        if args.status or args.done:
            print("no mock interview is running: kata interview starts one")
            return 0
        return start_interview(args)
    if args.done or interview.time_left(session).total_seconds() <= 0:
        if not args.done:
            print("time is up: grading your interview")
        return finish_interview(args, session)
    print(f"mock interview {session['id']}: {time_left_text(session)}")
    for kata in interview.session_katas(session):
        print(f"  {kata.key}: {shown(interview.file_of(args.root, session, kata))}")
    print("kata interview --done ends it now (hints and solutions are locked until then)")
    return 0


def start_interview(args) -> int:
    if args.topic and not any(t.id == args.topic for t in topics()):
        raise UsageError(f"no topic named {args.topic!r}")
    if args.katas < 1 or args.minutes <= 0:
        raise UsageError("--katas and --minutes must be positive")
    seed = interview.new_seed() if args.seed is None else args.seed
    rng = random.Random(seed)
    schedule = review.load(args.root)
    weights = dict(mistakes.weights(args.root))
    for key, _ in review.due(schedule, now().date()):
        weights[key] = weights.get(key, 0) + 2  # due for review: more likely
    katas = interview.choose_katas(args.root, args.katas, args.topic, rng, weights)
    if not katas:
        raise UsageError("no kata to interview on")
    session = interview.start(args.root, katas, args.minutes, seed, rng)
    print(f"mock interview {session['id']}: {len(katas)} katas in {args.minutes:g} minutes "
          f"(seed {seed})")  # fmt: skip
    for kata in katas:
        print(f"  {kata.key}: {shown(interview.file_of(args.root, session, kata))}")
    print(
        "The docstrings say what a candidate is told: signature, shapes, conventions; "
        "no hints (kata hint and kata solution are locked until the end)."
    )
    print(
        "Check your work with pytest on a file; kata interview --status shows the time "
        "left; kata interview --done ends it (or run it again once the time is up)."
    )
    return 0


def finish_interview(args, session: dict) -> int:
    results = args.root / STATE_DIR / "interview" / session["id"] / "results.json"
    paths = [
        str(interview.file_of(args.root, session, k)) for k in interview.session_katas(session)
    ]
    paths = [p for p in paths if Path(p).exists()]
    if paths:  # (pytest without a path would collect the current folder)
        grade_in_child(args, paths, results)
    try:
        graded = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        graded = {}
    scores = interview.kata_scores(args.root, session, graded)
    answers = ask_follow_ups(args, interview.session_questions(args.root, session))
    card = interview.finish(args.root, session, scores, answers)
    path = interview.scorecard_path(args.root, session["id"])
    print("\n" + interview.render(card, shown(path)))
    return 0


def ask_follow_ups(args, questions) -> list[dict]:
    """Each question, then our answer, then your self-rating: typed at a terminal, or
    given with --answer / --rating (in order) when there is none."""
    interactive = sys.stdin.isatty() and not (args.answer or args.rating)
    answers = []
    for i, question in enumerate(questions):
        print(f"\nfollow-up {i + 1} of {len(questions)}, Q{question.number}: {question.text}")
        if interactive:
            given = input("your answer (type it, or say it aloud; then Enter): ").strip()
        else:
            given = args.answer[i] if i < len(args.answer) else None
            if given:
                print(f"your answer: {given}")
        print(f"\nour answer (exercises/{question.topic}/README.md):\n{question.answer}\n")
        rating = args.rating[i] if i < len(args.rating) else None
        while interactive and rating is None:
            typed = input("how well did you answer? 1 (not at all) to 5 (fully): ").strip()
            rating = int(typed) if typed in {"1", "2", "3", "4", "5"} else None
        answers.append(
            {
                "number": question.number,
                "topic": question.topic,
                "question": question.text,
                "answer": given or None,
                "rating": rating,
            }  # fmt: skip
        )
    return answers


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
