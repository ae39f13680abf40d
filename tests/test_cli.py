"""`kata`, driven through its real entry point (python -m graders.cli) on a copy of the repo."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import jsonschema

from graders.catalog import REPO_ROOT, all_katas, find_kata, topics
from graders.cli.progress import progress_table
from graders.cli.stubs import strip_solutions
from graders.engine.registry import checks_for
from graders.engine.results import SCHEMA_PATH
from tests.conftest import available_katas

ADAM = find_kata("03_optimizers", "adam")


# the code under test, whatever copy of dl-katas is installed in this environment
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def kata(repo, *args, timeout=120, env=()):
    """`kata --root repo ARGS`, run from the top of repo (paths are shown relative to it)."""
    return subprocess.run(
        [sys.executable, "-m", "graders.cli", "--root", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=repo,
        env={**ENV, **dict(env)},
    )


def solve(repo, k=ADAM):
    shutil.copy(k.path("solutions", repo), k.path("exercises", repo))


def test_status_shows_every_topic_and_the_next_kata(repo):
    result = kata(repo)
    assert result.returncode == 0, result.stderr
    for topic in topics():
        assert topic.id in result.stdout
    assert "coming" not in result.stdout, "every kata of the curriculum has graders"
    assert f"overall: 0/{len(all_katas())} katas passed" in result.stdout
    assert "next: exercises/01_neurons/neuron.py" in result.stdout


def test_check_grades_writes_valid_results_and_sets_the_exit_code(repo):
    schema = json.loads(SCHEMA_PATH.read_text())
    result = kata(repo, "check", "adam", "--json", str(repo / "r.json"))
    assert result.returncode == 1 and "not started" in result.stdout
    data = json.loads((repo / "r.json").read_text())
    jsonschema.validate(data, schema)
    assert data["status"] == "fail" and data["katas"][0]["status"] == "not started"
    assert (repo / ".kata" / "results.json").exists()
    solve(repo)
    result = kata(repo, "check", "03_optimizers/adam", "--json", str(repo / "r.json"))
    assert result.returncode == 0, result.stdout
    data = json.loads((repo / "r.json").read_text())
    jsonschema.validate(data, schema)
    assert data["status"] == "pass" and data["katas"][0]["score"] == 1.0
    assert kata(repo, "check", "adma").returncode == 2


def test_a_kata_that_exits_fails_and_the_run_finishes(repo):
    path = ADAM.path("exercises", repo)
    path.write_text(
        path.read_text().replace("raise NotImplementedError()", "import os\n    os._exit(3)")
    )
    result = kata(repo, "check", "adam", "--json", str(repo / "r.json"))
    assert result.returncode == 1
    data = json.loads((repo / "r.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert data["status"] == "fail" and "exit code 3" in data["katas"][0]["reason"]


def test_results_say_error_when_the_grading_process_dies(repo):
    """If the grading process itself ends mid-run, the results file says "error"."""
    (repo / "die_mid_run.py").write_text(
        "import os\n\ndef pytest_runtest_call(item):\n    os._exit(0)\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "graders.cli",
            "--root",
            str(repo),
            "check",
            "adam",
            "--json",
            str(repo / "r.json"),
            "--",
            "-p",
            "die_mid_run",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**ENV, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{repo}"},
    )
    assert result.returncode != 0
    data = json.loads((repo / "r.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert data["status"] == "error" and "did not finish" in data["message"]
    assert "grading did not finish" in result.stderr


def test_next_shows_file_contract_and_questions(repo):
    for k in (find_kata("01_neurons", n) for n in ("neuron", "mlp", "linear_collapse")):
        solve(repo, k)
    result = kata(repo, "next")
    assert result.returncode == 0
    assert "file: exercises/02_activations/sigmoid.py" in result.stdout
    assert "def sigmoid(z)" in result.stdout and "Q7, Q15" in result.stdout


def test_hints_come_in_order_and_the_order_persists(repo):
    outputs = [kata(repo, "hint", "adam").stdout for _ in range(4)]
    for i in range(3):
        assert f"hint {i + 1} of 3: {ADAM.hints[i]}" in outputs[i]
    assert "all 3 hints shown" in outputs[3]
    again = kata(repo, "hint", "adam", "--again").stdout
    assert all(h in again for h in ADAM.hints)
    assert kata(repo, "hint", "adamm").returncode == 2


def test_reset_backs_up_then_restores_the_stub_byte_for_byte(repo):
    path = ADAM.path("exercises", repo)
    path.write_text("# my work, half done\n")
    result = kata(repo, "reset", "adam")
    assert result.returncode == 0
    saved = re.search(r"saved your version as (\S+)", result.stdout).group(1)
    assert (repo / saved).read_text() == "# my work, half done\n"
    assert path.read_bytes() == strip_solutions(ADAM.path("solutions", repo).read_text()).encode()
    assert "nothing to do" in kata(repo, "reset", "adam").stdout
    path.write_text("# more work\n")
    typo = kata(repo, "reset", "adm")
    assert typo.returncode == 2 and path.read_text() == "# more work\n"
    assert kata(repo, "reset", "03_optimizers").returncode == 2  # a topic, not a kata


def test_solution_only_once_passed_or_given_up(repo):
    locked = kata(repo, "solution", "adam")
    assert locked.returncode == 1 and "BEGIN SOLUTION" not in locked.stdout
    assert "BEGIN SOLUTION" in kata(repo, "solution", "adam", "--give-up").stdout
    solve(repo)
    shown = kata(repo, "solution", "adam")
    assert shown.returncode == 0 and "BEGIN SOLUTION" in shown.stdout


def test_every_subcommand_has_help(repo):
    for command in (
        "status",
        "check",
        "next",
        "hint",
        "watch",
        "reset",
        "solution",
        "mistakes",
        "review",
        "bughunt",
        "build",
        "notebooks",
    ):
        result = kata(repo, command, "--help")
        assert result.returncode == 0 and "usage: kata" in result.stdout


def _read_until(process, text, deadline):
    """The watcher's output up to and including the first line that starts with text."""
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(text):  # "graded in 0.1 s ...", not pytest's "8 not graded in"
            return "".join(lines)
    raise AssertionError(f"never saw {text!r}; got:\n{''.join(lines)}")


def test_watch_regrades_on_save_and_survives_a_syntax_error(repo):
    path = ADAM.path("exercises", repo)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "graders.cli",
            "--root",
            str(repo),
            "watch",
            "adam",
            "--poll",
            "0.05",
            "--max-runs",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO_ROOT,
        env=ENV,
    )
    deadline = time.monotonic() + 120
    try:
        first = _read_until(process, "graded in", deadline)
        assert "not started" in first
        path.write_text(path.read_text() + "\ndef broken(:\n")
        second = _read_until(process, "graded in", deadline)
        assert "could not be loaded" in second and "SyntaxError" in second
        solve(repo)
        third = _read_until(process, "graded in", deadline)
        available_katas()  # loads every topic's graders
        assert f"{len(checks_for(ADAM.key))} passed" in third
        assert "warning" not in third.lower(), "a re-grade must not print pytest's warnings"
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


def test_progress_table_marks_status_and_next_kata():
    statuses = {
        "03_optimizers/gradient_descent": "passed",
        "03_optimizers/momentum": "failing",
        "03_optimizers/adam": "not started",
    }
    table = progress_table(topics(), statuses)
    assert re.search(r"✓ gradient_descent +passed", table)
    assert re.search(r"✗ momentum +failing .*<- next", table)
    assert re.search(r"· adam +not started +Q31", table)
    assert "next: exercises/03_optimizers/momentum.py" in table
    assert "overall: 1/3 katas passed" in table
