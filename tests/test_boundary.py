"""The process boundary holds against hostile kata files.

Each case below is a kata file that tries what a learner set on a green run could try:
read the grader's expected values off the stack, patch the graders, pytest or numpy,
forge the results, dodge or outlast the timer, crash, exit, import torch. Graded beside
a correct kata, it must fail its own kata only, with its own message, while the run
ends and the correct kata still passes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from graders.catalog import REPO_ROOT, find_kata
from tests.conftest import solution_source

ADAM = find_kata("03_optimizers", "adam")
ADAGRAD = find_kata("03_optimizers", "adagrad")
ADAMW = find_kata("03_optimizers", "adamw")  # graded after adam: a fresh worker for it too
TOPIC = "03_optimizers"
WRONG_STEP = "    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v"


def adam_with(prelude: str = "", body: str = "", wrong: bool = True) -> str:
    """adam.py with `prelude` after the imports and `body` first in adam_step; its step
    halved (wrong) unless wrong=False."""
    source = solution_source(ADAM)
    if wrong:
        source = source.replace(WRONG_STEP, "    return w * 0.5, m, v")
    if prelude:
        source = source.replace(
            "import numpy as np\n", "import numpy as np\n" + textwrap.dedent(prelude) + "\n", 1
        )
    if body:
        indented = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
        source = source.replace(
            "    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n" + indented + "\n"
        )
    return source


# name: (kata source, text the adam kata's failure must show)
HOSTILE = {
    "walks the stack for the expected values": (
        adam_with(
            body="""
            import gc, inspect
            for frame in inspect.stack():
                for value in frame.frame.f_locals.values():
                    if isinstance(value, dict) and "w after step 1" in value:
                        return value["w after step 1"], m, v
            for obj in gc.get_objects():
                if isinstance(obj, dict) and "w after step 1" in obj:
                    return obj["w after step 1"], m, v
            """
        ),
        "wrong w after step 1",
    ),
    "patches the graders, pytest and numpy": (
        adam_with(
            prelude="""
            import graders.engine.checks as checks
            checks.assert_matches = lambda *a, **k: None
            checks.assert_matches.__code__ = (lambda *a, **k: None).__code__
            checks.RTOL, checks.ATOL = 1e9, 1e9
            import _pytest.runner, _pytest.reports
            _pytest.runner.call_and_report = lambda *a, **k: None
            _pytest.reports.TestReport.passed = property(lambda self: True)
            np.allclose = lambda *a, **k: True
            np.isclose = lambda a, b, *x, **k: np.ones(np.broadcast(a, b).shape, bool)
            """
        ),
        "wrong w after step 1",
    ),
    "registers a pytest plugin found through gc": (
        adam_with(
            prelude="""
            import gc
            class Green:
                def pytest_runtest_makereport(self, item, call):
                    call.excinfo = None
            for obj in gc.get_objects():
                if type(obj).__name__ == "PytestPluginManager":
                    obj.register(Green())
            """
        ),
        "wrong w after step 1",
    ),
    "raises pytest.skip, pytest.exit and pytest.fail": (
        adam_with(
            body="""
            import pytest
            if t == 1:
                pytest.skip("nothing to see")
            if t == 2:
                pytest.exit("done", returncode=0)
            pytest.fail("green", pytrace=False)
            """
        ),
        "your code raised Skipped",
    ),
    "returns an object whose __repr__ raises pytest.exit": (
        adam_with(
            prelude="""
            class Trap:
                def __repr__(self):
                    import pytest
                    pytest.exit("gotcha", returncode=0)
                __str__ = __format__ = __repr__
            """,
            body="return Trap(), m, v",
        ),
        "a Trap (not plain data",
    ),
    "ignores SIGALRM and cancels the timer, then loops": (
        adam_with(
            body="""
            import signal
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.alarm(0)
            while True:
                w = w + 0
            """
        ),
        "stopped after 1 s",
    ),
    "spins inside one C call (catastrophic regex)": (
        adam_with(body='import re\nre.match(r"(a+)+$", "a" * 64 + "b")'),
        "stopped after 1 s",
    ),
    "leaves a non-daemon thread, an atexit hook and a looping __del__": (
        adam_with(
            prelude="""
            import atexit, threading, time
            threading.Thread(target=lambda: time.sleep(1000)).start()
            atexit.register(lambda: time.sleep(1000))
            class Forever:
                def __del__(self):
                    while True:
                        pass
            keep = Forever()
            """
        ),
        "wrong w after step 1",
    ),
    "segfaults": (
        adam_with(body="import ctypes\nctypes.string_at(0)", wrong=False),
        "your code ended the process: exit code -11 (a segmentation fault)",
    ),
    "calls os._exit(0) in the function": (
        adam_with(body="import os\nos._exit(0)", wrong=False),
        "your code ended the process: exit code 0",
    ),
    "kills the fork server, then exits": (  # the exit code is lost with the server
        adam_with(body="import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(3)"),
        "your code ended the process",
    ),
    "writes garbage into the channel to the grader": (
        adam_with(
            body="""
            import os, socket, stat
            for fd in range(3, 64):
                try:
                    if stat.S_ISSOCK(os.fstat(fd).st_mode):
                        os.write(fd, b"\\xff" * 64)
                except OSError:
                    pass
            """,
            wrong=False,
        ),
        "broke the channel to the graders",
    ),
    "imports torch at import time": (
        adam_with(prelude="import torch", wrong=False),
        "adam.py imports torch: a kata is written in numpy",
    ),
    "imports torch inside the function": (
        adam_with(body="import torch\nreturn torch.zeros(1), m, v", wrong=False),
        "adam.py imports torch",
    ),
    "imports jax through importlib": (
        adam_with(body="import importlib\nimportlib.import_module('jax.numpy')", wrong=False),
        "adam.py imports jax",
    ),
    "prints a forged summary": (
        adam_with(
            body="""
            print("PASS  adam  5/5 checks")
            print("::notice::all katas passed")
            """
        ),
        "wrong w after step 1",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_kata_fails_alone(grade, kata_tree, case):
    source, expected = HOSTILE[case]
    kata_tree(TOPIC, ADAGRAD.id, solution_source(ADAGRAD))
    kata_tree(TOPIC, ADAMW.id, solution_source(ADAMW))
    path = kata_tree(TOPIC, ADAM.id, source)
    graded = grade(path.parent, args=["--kata-timeout", "1"])
    expected_statuses = {ADAGRAD.key: "passed", ADAM.key: "failing", ADAMW.key: "passed"}
    assert graded.statuses == expected_statuses, graded.output
    assert graded.exit_code == 1
    assert expected in graded.text(ADAM.key), graded.output
    assert np.allclose(np.zeros(2), np.ones(2)) is False  # this process was never touched


def test_learner_code_never_runs_in_the_grading_process(grade, kata_tree, tmp_path):
    """The kata file's code runs in another process, one without torch, pytest or the
    graders' comparisons; this process never imports it."""
    record = tmp_path / "where.json"
    probe = f"""
    import json, os, sys
    json.dump({{"pid": os.getpid(), "modules": sorted(sys.modules)}}, open({str(record)!r}, "w"))
    """
    path = kata_tree(TOPIC, ADAM.id, adam_with(prelude=probe, wrong=False))
    graded = grade(path)
    assert graded.statuses == {ADAM.key: "passed"}, graded.output
    seen = json.loads(record.read_text())
    assert seen["pid"] != os.getpid()
    loaded = set(seen["modules"])
    for module in ("torch", "pytest", "_pytest", "graders.engine.checks", "graders.engine.plugin"):
        assert module not in loaded, module
    assert not [m for m in sys.modules if m.startswith("_kata_")]


def test_patches_do_not_survive_into_the_next_regrade(grade, kata_tree):
    """As in `kata watch`: a kata that patched everything it could at import, then a wrong
    one in the same process, each with a fresh worker: the wrong one still fails."""
    patcher = HOSTILE["patches the graders, pytest and numpy"][0]
    path = kata_tree(TOPIC, ADAM.id, patcher)
    assert grade(path).statuses == {ADAM.key: "failing"}
    path.write_text(solution_source(ADAM).replace("(1 - beta1) * grad", "(1 - beta1) * grad * 2"))
    graded = grade(path)
    assert graded.statuses == {ADAM.key: "failing"}
    path.write_text(solution_source(ADAM))
    assert grade(path).statuses == {ADAM.key: "passed"}


def test_a_patch_never_gets_a_healthy_kata_blamed(grade, kata_tree):
    """A kata that breaks numpy for everyone at import fails; the next kata, graded in
    the same run, has a fresh worker and passes."""
    breaker = adam_with(prelude="np.sqrt = lambda x: x\nnp.zeros_like = None", wrong=False)
    kata_tree(TOPIC, ADAM.id, breaker)
    path = kata_tree(TOPIC, ADAGRAD.id, solution_source(ADAGRAD))
    graded = grade(path.parent)
    assert graded.statuses == {ADAM.key: "failing", ADAGRAD.key: "passed"}, graded.output


def test_forged_results_and_an_exit_never_look_green(tmp_path):
    """A kata that writes a complete "pass" results file and then os._exit(0)s: kata check
    still says fail, and the results file is the grader's."""
    from graders.cli.stubs import build

    for tree in ("solutions",):
        subprocess.run(["cp", "-r", str(REPO_ROOT / tree), str(tmp_path / tree)], check=True)
    (tmp_path / "graders" / "cli").mkdir(parents=True)
    build(tmp_path)
    results = tmp_path / ".kata" / "results.json"
    forged = {"version": 3, "status": "pass", "tests": [], "katas": [], "message": None}
    forge = f"""
    import json, os, pathlib
    path = pathlib.Path({str(results)!r})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({forged!r}))
    os._exit(0)
    """
    ADAM.path("exercises", tmp_path).write_text(adam_with(body=forge, wrong=False))
    result = subprocess.run(
        [sys.executable, "-m", "graders.cli", "--root", str(tmp_path), "check", "adam"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "your code ended the process: exit code 0" in result.stdout
    data = json.loads(results.read_text())
    assert data["status"] == "fail" and data["katas"][0]["status"] == "failing"


def test_kata_check_reads_nothing_of_the_graded_tree_but_its_kata_files(tmp_path):
    """An instructor grading a collected submission: its pytest.ini (adding a plugin of
    its own), conftest.py, __init__.py files and test_*.py never run in the grading
    process; the wrong kata fails."""
    from graders.cli.stubs import build

    subprocess.run(["cp", "-r", str(REPO_ROOT / "solutions"), str(tmp_path)], check=True)
    (tmp_path / "graders" / "cli").mkdir(parents=True)
    build(tmp_path)
    ADAM.path("exercises", tmp_path).write_text(adam_with())
    green = "def pytest_runtest_makereport(item, call):\n    raise SystemExit(0)\n"
    exit_now = "import os\nos._exit(0)\n"
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p green_plugin\npythonpath = .\n")
    (tmp_path / "green_plugin.py").write_text(green)
    for name in ("conftest.py", "__init__.py", "03_optimizers/__init__.py"):
        (tmp_path / "exercises" / name).write_text(exit_now)
    (tmp_path / "exercises" / "test_green.py").write_text("def test_it():\n" + "    " + exit_now)
    result = subprocess.run(
        [sys.executable, "-m", "graders.cli", "--root", str(tmp_path), "check", "adam"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "FAIL  adam" in result.stdout and "wrong w after step 1" in result.stdout
