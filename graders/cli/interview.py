"""`kata interview`: a timed mock interview on fresh interview stubs.

A session picks N katas (weighted towards those due for review and those with mistakes in
your history), writes their interview stubs (graders/cli/interview_stubs.py) to
.kata/interview/<session>/<topic>/<kata>.py, and locks `kata hint` and `kata solution` until
it is over. It ends with `kata interview --done`, or when it is run again after the time is
up: the files are graded by the same checks, two or three follow-up questions are asked
from the katas' topic READMEs, and a scorecard is written to .kata/interviews/<session>.json.

State: .kata/interview.json, {"version": 1, "active": null | {"id", "started",
"started_wall", "minutes", "deadline", "seed", "katas": [...], "questions": [[topic, n]]}}.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from graders.catalog import Kata, all_katas, find_kata
from graders.cli.interview_stubs import interview_stub
from graders.cli.questions import Question, topic_questions
from graders.cli.scratch import scratch_file, write_scratch
from graders.cli.stubs import stub_for
from graders.engine.history import named_mistake
from graders.engine.state import VERSION, now, read_json, state_dir, write_json

QUESTIONS = 3  # follow-up questions at the end (fewer if the katas' topics have fewer)


def state_path(root: Path) -> Path:
    return state_dir(root) / "interview.json"


def scorecard_path(root: Path, session_id: str) -> Path:
    return state_dir(root) / "interviews" / f"{session_id}.json"


def active(root: Path) -> dict | None:
    return read_json(state_path(root), {"active": None}).get("active")


def time_left(session: dict) -> timedelta:
    return datetime.fromisoformat(session["deadline"]) - now()


def choose_katas(root: Path, count: int, topic: str | None, rng, weights: dict) -> list[Kata]:
    """count katas, without repeats; weight 1, plus what is due and what you get wrong."""
    pool = [
        k
        for k in all_katas()
        if (topic is None or k.topic == topic) and k.path("solutions", root).exists()
    ]
    chosen = []
    while pool and len(chosen) < count:
        kata = rng.choices(pool, weights=[1 + weights.get(k.key, 0) for k in pool])[0]
        chosen.append(kata)
        pool.remove(kata)
    return chosen


def choose_questions(root: Path, katas: list[Kata], rng) -> list[Question]:
    """Up to QUESTIONS of the katas' own questions, topped up from their topics' others."""
    asked = {n for k in katas for n in k.questions}
    everything = [
        q for t in dict.fromkeys(k.topic for k in katas) for q in topic_questions(root, t)
    ]
    own = [q for q in everything if q.number in asked]
    others = [q for q in everything if q.number not in asked]
    picked = rng.sample(own, min(QUESTIONS, len(own)))
    picked += rng.sample(others, min(QUESTIONS - len(picked), len(others)))
    return sorted(picked, key=lambda q: q.number)


def start(root: Path, katas: list[Kata], minutes: float, seed: int, rng) -> dict:
    moment = now()
    session = {
        "id": moment.strftime("%Y%m%d-%H%M%S"),
        "started": moment.isoformat(),
        "started_wall": time.time(),
        "minutes": minutes,
        "deadline": (moment + timedelta(minutes=minutes)).isoformat(),
        "seed": seed,
        "katas": [k.key for k in katas],
        "questions": [[q.topic, q.number] for q in choose_questions(root, katas, rng)],
    }
    for kata in katas:
        write_scratch(root, file_of(root, session, kata), interview_stub(stub_for(kata, root)))
    write_json(state_path(root), {"version": VERSION, "active": session})
    return session


def file_of(root: Path, session: dict, kata: Kata) -> Path:
    return scratch_file(root, "interview", kata, session["id"])


def session_katas(session: dict) -> list[Kata]:
    return [find_kata(*key.split("/")) for key in session["katas"]]


def session_questions(root: Path, session: dict) -> list[Question]:
    found = []
    for topic, number in session["questions"]:
        found += [q for q in topic_questions(root, topic) if q.number == number]
    return found


def kata_scores(root: Path, session: dict, results: dict) -> list[dict]:
    """Per kata: passed, checks, when it was last edited, the mistakes named."""
    graded = {k["kata"]: k for k in results.get("katas", [])}
    scores = []
    for kata in session_katas(session):
        path = file_of(root, session, kata)
        entry = graded.get(kata.key, {})
        mistakes = []
        for test in results.get("tests", []):
            if test["name"].startswith(kata.key + "::") and test.get("message"):
                named = named_mistake(test["message"])
                if named and named[0] not in mistakes:
                    mistakes.append(named[0])
        edited = path.stat().st_mtime if path.exists() else None
        pristine = path.exists() and path.read_text(encoding="utf-8") == interview_stub(
            stub_for(kata, root)
        )
        scores.append(
            {
                "kata": kata.key,
                "file": path.relative_to(root).as_posix(),
                "status": entry.get("status", "not graded"),
                "passed": entry.get("status") == "passed",
                "checks": entry.get("checks", 0),
                "checks_passed": entry.get("passed", 0),
                "minutes_to_last_edit": None
                if pristine or edited is None
                else round(max(0.0, edited - session["started_wall"]) / 60, 1),
                "mistakes": mistakes,
            }
        )
    return scores


def finish(root: Path, session: dict, scores: list[dict], answers: list[dict]) -> dict:
    """Write the scorecard, end the session (hint and solution unlock); returns it."""
    ended = now()
    rated = [a["rating"] for a in answers if a.get("rating") is not None]
    card = {
        "version": VERSION,
        "session": session["id"],
        "started": session["started"],
        "ended": ended.isoformat(),
        "minutes": session["minutes"],
        "timed_out": ended >= datetime.fromisoformat(session["deadline"]),
        "katas": scores,
        "questions": answers,
        "katas_passed": sum(s["passed"] for s in scores),
        "mean_rating": round(sum(rated) / len(rated), 2) if rated else None,
    }
    write_json(scorecard_path(root, session["id"]), card)
    write_json(state_path(root), {"version": VERSION, "active": None})
    return card


def render(card: dict, saved_as: str) -> str:
    end = "time up" if card["timed_out"] else "ended with --done"
    lines = [f"scorecard: interview {card['session']} ({card['minutes']:g} min, {end})"]
    width = max(len(s["kata"]) for s in card["katas"])
    for s in card["katas"]:
        word = "PASS" if s["passed"] else ("TODO" if s["status"] == "not started" else "FAIL")
        edit = s["minutes_to_last_edit"]
        when = "untouched" if edit is None else f"last edit at {edit:g} min"
        named = f" · mistakes: {'; '.join(s['mistakes'])}" if s["mistakes"] else ""
        lines.append(
            f"  {word}  {s['kata']:{width}}  {s['checks_passed']}/{s['checks']} checks  "
            f"{when}{named}"
        )
    lines.append(f"  katas passed: {card['katas_passed']} of {len(card['katas'])}")
    for q in card["questions"]:
        rating = "not rated" if q.get("rating") is None else f"rated {q['rating']}/5"
        lines.append(f"  Q{q['number']}  {q['question']}  ({rating})")
    if card["mean_rating"] is not None:
        lines.append(f"  mean self-rating: {card['mean_rating']:g}/5")
    lines.append(f"saved: {saved_as}")
    return "\n".join(lines)


def new_seed() -> int:
    return random.SystemRandom().randrange(10**6)
