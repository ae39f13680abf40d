"""The practice loop's subcommands: `kata mistakes`, `kata review`, `kata bughunt` and
`kata interview` (their logic: mistakes.py, review.py, bughunt.py, interview.py), the lines
they add to `kata` and `kata check`, and the lock an interview puts on hints and solutions."""

from __future__ import annotations

import json
import random
import sys
import textwrap
from datetime import date
from pathlib import Path

from graders.catalog import topics
from graders.cli import bughunt, interview, mistakes, review
from graders.cli.common import UsageError, exercise, grade_in_child, one_kata, shown
from graders.engine.history import read_history
from graders.engine.state import STATE_DIR, now


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
        print(f"\nour short answer:\n{textwrap.fill(question.short_answer, 92)}")
        print(f"the depth: exercises/{question.topic}/README.md, Q{question.number}\n")
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
