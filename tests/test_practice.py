"""The practice loop end to end, in a temporary checkout: the mistake profile, bug hunts,
reviews on a schedule (tests/test_cli.py's `repo` and `kata`)."""

import json
import shutil
import subprocess
import sys

from graders.catalog import find_kata
from graders.cli.stubs import strip_solutions
from graders.engine.history import read_history
from tests.mutants_catalog import apply, load_mutants
from tests.test_cli import ENV, kata, solve

ADAM = find_kata("03_optimizers", "adam")
TRAIN_LOOP = find_kata("09_training", "train_loop")
NO_BIAS_CORRECTION = "this is Adam without bias correction"


def mutant(k, name):
    return next(m for _, m in load_mutants(k.topic) if m["kata"] == k.id and m["name"] == name)


def pytest_in(repo, *args, env=()):
    """A learner's own `pytest ...` at the top of their checkout."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "graders.engine.plugin",
            "-p",
            "no:cacheprovider",
            *map(str, args),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo,
        env={**ENV, **dict(env)},
    )


def test_a_wrong_adam_is_recorded_and_shown_by_kata_mistakes(repo):
    path = ADAM.path("exercises", repo)
    path.write_text(
        apply(
            ADAM.path("solutions", repo).read_text(), mutant(ADAM, "no bias correction")["replace"]
        )
    )
    assert kata(repo, "check", "adam").returncode == 1
    assert pytest_in(repo, "exercises/03_optimizers/adam.py").returncode == 1
    records = read_history(repo)
    assert [(r["kata"], r["tree"], r["status"]) for r in records] == [
        ("03_optimizers/adam", "exercises", "failing")
    ] * 2
    assert any(f["mistake"] == NO_BIAS_CORRECTION for f in records[0]["failures"])
    assert (
        json.loads((repo / ".kata" / "history.jsonl").read_text().splitlines()[0])["version"] == 1
    )

    shown = kata(repo, "mistakes").stdout
    assert f"2×  03_optimizers/adam: {NO_BIAS_CORRECTION}" in shown
    assert "fix:  divide m by 1 − beta1**t" in shown
    assert "redo: pytest exercises/03_optimizers/adam.py" in shown
    following = kata(repo, "next").stdout
    assert "next: 03_optimizers/adam  (failing)" in following and "chosen first" in following
    status = kata(repo).stdout  # a look at progress is not a graded run
    assert f"your most frequent mistake: {NO_BIAS_CORRECTION} in adam (2×)" in status
    assert len(read_history(repo)) == 2


def test_a_bug_hunt_fails_before_the_fix_and_passes_after(repo):
    started = kata(repo, "bughunt", "adam", "--seed", "3")
    assert started.returncode == 0, started.stderr
    assert "this adam_step has one bug: find it and fix it." in started.stdout
    hunt = repo / ".kata" / "bughunt" / "03_optimizers" / "adam.py"
    assert f"file: {hunt.relative_to(repo)}" in started.stdout
    exercise = ADAM.path("exercises", repo).read_text()
    assert exercise == strip_solutions(ADAM.path("solutions", repo).read_text())  # untouched
    again = kata(repo, "bughunt", "adam", "--seed", "3")
    assert (
        json.loads((repo / ".kata" / "bughunt.json").read_text())["hunts"][0]["mutant"]
        == (json.loads((repo / ".kata" / "bughunt.json").read_text())["hunts"][1]["mutant"])
    ), again.stdout

    before = kata(repo, "check", "--bughunt", "adam")
    assert before.returncode == 1 and "the bug in adam is still there" in before.stdout
    assert "0 of 2 bugs found" in before.stdout
    hunt.write_text(ADAM.path("solutions", repo).read_text())  # the fix
    after = pytest_in(repo, hunt.relative_to(repo))
    assert after.returncode == 0, after.stdout
    listing = kata(repo, "bughunt").stdout
    assert "found (" in listing and "1 of 2 bugs found" in listing
    assert "bug hunts: 1 of 2 bugs found" in kata(repo).stdout
    assert "no named mistake" in kata(repo, "mistakes").stdout, "a hunt's bug is not yours"


def test_a_bug_hunt_of_a_kata_built_on_others_gets_them_next_to_it(repo):
    for dependency in ("05_backprop/two_layer_net", "09_training/batching"):
        solve(repo, find_kata(*dependency.split("/")))
    started = kata(repo, "bughunt", "train_loop", "--seed", "1")
    assert "this train_classifier has one bug" in started.stdout, started.stdout + started.stderr
    assert "it builds on your 05_backprop/two_layer_net.py" in started.stdout
    tree = repo / ".kata" / "bughunt"
    assert (tree / "05_backprop" / "two_layer_net.py").exists()
    assert kata(repo, "check", "--bughunt", "train_loop").returncode == 1
    shutil.copy(TRAIN_LOOP.path("solutions", repo), tree / "09_training" / "train_loop.py")
    fixed = kata(repo, "check", "--bughunt", "train_loop")
    assert fixed.returncode == 0 and "bug found in train_loop" in fixed.stdout, fixed.stdout


def day(n):
    return {"KATA_NOW": f"2026-03-{n:02d}T09:00:00"}


def test_a_review_cycle_pass_moves_it_later_and_a_failure_sooner(repo):
    assert "nothing to review yet" in kata(repo, "review").stdout
    solve(repo)
    assert kata(repo, "check", "adam", env=day(1)).returncode == 0
    assert (
        "next due: 03_optimizers/adam on 2026-03-02 (in 1 day), box 1"
        in kata(repo, "review", env=day(1)).stdout
    )

    due = kata(repo, "review", env=day(2))
    assert "03_optimizers/adam  box 1, due 2026-03-02" in due.stdout
    started = kata(repo, "review", "--next", env=day(2))
    assert "review adam, box 1 of 5" in started.stdout, started.stdout + started.stderr
    copy = repo / ".kata" / "review" / "03_optimizers" / "adam.py"
    stub = strip_solutions(ADAM.path("solutions", repo).read_text())
    assert copy.read_text() == stub
    assert ADAM.path("exercises", repo).read_text() == ADAM.path("solutions", repo).read_text()
    assert "review of adam: not graded yet" in kata(repo, "check", "--review", env=day(2)).stdout
    shutil.copy(ADAM.path("solutions", repo), copy)
    passed = kata(repo, "check", "--review", "adam", env=day(2))
    assert passed.returncode == 0
    assert "review of adam: passed; now in box 2, due again 2026-03-05" in passed.stdout  # later

    kata(repo, "review", "adam", env=day(5))
    copy.write_text(stub.replace("raise NotImplementedError()", "return w, m, v"))
    watched = kata(repo, "watch", "adam", "--review", "--max-runs", "1", env=day(5))
    assert "graded in" in watched.stdout and "failed" in watched.stdout
    overview = kata(repo, "review", env=day(5)).stdout
    assert "next due: 03_optimizers/adam on 2026-03-06 (in 1 day), box 1" in overview  # sooner

    kata(repo, "review", "adam", env=day(6))
    shutil.copy(ADAM.path("solutions", repo), copy)
    assert pytest_in(repo, copy.relative_to(repo), env=day(6)).returncode == 0
    assert "box 2, due again 2026-03-09" in kata(repo, "check", "--review", env=day(6)).stdout
    gave_up = kata(repo, "review", "adam", "--give-up", env=day(7))
    assert "adam: back to box 1, due again 2026-03-08" in gave_up.stdout
    assert ADAM.path("exercises", repo).read_text() == ADAM.path("solutions", repo).read_text()


def test_an_interview_of_two_katas_times_out_and_writes_its_scorecard(repo):
    start = {"KATA_NOW": "2026-03-01T09:00:00"}
    started = kata(repo, "interview", "--katas", "2", "--minutes", "30", "--topic",
                   "03_optimizers", "--seed", "4", env=start)  # fmt: skip
    assert started.returncode == 0, started.stderr
    files = sorted((repo / ".kata" / "interview").rglob("*.py"))
    assert len(files) == 2 and all(f.parent.name == "03_optimizers" for f in files)
    first, second = (find_kata("03_optimizers", f.stem) for f in files)
    contract = files[0].read_text()
    assert "Args:" in contract and "Returns:" in contract and "NotImplementedError" in contract
    assert len(contract) < len(strip_solutions(first.path("solutions", repo).read_text()))

    locked = kata(repo, "hint", first.id, env=start)
    assert locked.returncode == 1 and "locked during your mock interview" in locked.stdout
    assert "locked" in kata(repo, "solution", first.id, "--give-up", env=start).stdout
    assert "30 min 00 s left" in kata(repo, "interview", "--status", env=start).stdout

    shutil.copy(first.path("solutions", repo), files[0])  # one solved, one not
    late = {"KATA_NOW": "2026-03-01T09:31:00"}
    ended = kata(repo, "interview", "--status", "--answer", "an answer", "--rating", "4",
                 "--rating", "2", env=late)  # fmt: skip
    assert ended.returncode == 0, ended.stderr
    assert "time is up" in ended.stdout and "follow-up 1 of" in ended.stdout
    assert "our short answer:" in ended.stdout
    assert "the depth: exercises/03_optimizers/README.md, Q" in ended.stdout
    assert "scorecard: interview 20260301-090000 (30 min, time up)" in ended.stdout
    assert "katas passed: 1 of 2" in ended.stdout
    card = json.loads((repo / ".kata" / "interviews" / "20260301-090000.json").read_text())
    assert card["version"] == 1 and card["timed_out"] and card["katas_passed"] == 1
    assert {(k["kata"], k["passed"]) for k in card["katas"]} == {
        (first.key, True),
        (second.key, False),
    }
    assert 2 <= len(card["questions"]) <= 3
    assert [q["rating"] for q in card["questions"]][:2] == [4, 2]
    assert card["questions"][0]["answer"] == "an answer"
    assert "hint 1 of" in kata(repo, "hint", first.id, env=late).stdout  # unlocked


def test_kata_help_lists_every_command_in_one_screen(repo):
    shown = kata(repo, "--help").stdout
    assert len(shown.splitlines()) <= 40
    for command in ("check", "mistakes", "review", "bughunt", "interview", "watch", "hint"):
        assert f"kata {command}" in shown
