"""The nbgrader course, run through the real nbgrader commands (the notebooks extra)."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from graders.catalog import REPO_ROOT, topics

nbgrader = pytest.importorskip(
    "nbgrader", reason="needs the notebooks extra: pip install -e '.[notebooks]'"
)
pytest.importorskip("jupytext", reason="needs the notebooks extra")
if shutil.which("nbgrader") is None:
    pytest.skip("the nbgrader command is not on PATH", allow_module_level=True)

ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}  # the kernel grades with this code
TOPIC = "03_optimizers"


def run(args, cwd):
    result = subprocess.run(args, cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("course")
    run([sys.executable, "-m", "graders.cli", "notebooks", str(out)], REPO_ROOT)
    return out


def notebook(path):
    return json.loads(path.read_text())


def test_every_topic_generates_a_release_with_stubs_only(course):
    for topic in topics():
        source = course / "source" / topic.id / f"{topic.id}.ipynb"
        cells = notebook(source)["cells"]
        assert all(not c.get("outputs") for c in cells), "notebooks are written without outputs"
        run(["nbgrader", "generate_assignment", topic.id, "--force"], course)
        released = (course / "release" / topic.id / f"{topic.id}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in released
        assert released.count("raise NotImplementedError()") >= len(topic.katas)


def submit(course, student, cells_edit=None):
    target = course / "submitted" / student / TOPIC / f"{TOPIC}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if student == "stubs":
        shutil.copy(course / "release" / TOPIC / f"{TOPIC}.ipynb", target)
        return
    data = notebook(course / "source" / TOPIC / f"{TOPIC}.ipynb")
    if cells_edit:
        for cell in data["cells"]:
            cells_edit(cell)
    target.write_text(json.dumps(data))


def break_adam(cell):
    if cell["metadata"].get("nbgrader", {}).get("grade_id") == "adam-solution":
        source = "".join(cell["source"])
        cell["source"] = source.replace("m_hat = m / (1 - beta1**t)", "m_hat = m").replace(
            "v_hat = v / (1 - beta2**t)", "v_hat = v"
        )


def test_autograde_full_zero_and_one_wrong_kata(course):
    from nbgrader.api import Gradebook

    run(["nbgrader", "generate_assignment", TOPIC, "--force"], course)
    submit(course, "solutions")
    submit(course, "stubs")
    submit(course, "one_wrong", break_adam)
    start = time.perf_counter()
    run(["nbgrader", "autograde", TOPIC, "--create", "--force"], course)
    seconds = time.perf_counter() - start
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            s: gradebook.find_submission(TOPIC, s).score
            for s in ("solutions", "stubs", "one_wrong")
        }
        full = gradebook.find_submission(TOPIC, "solutions").max_score
    adam_points = next(k.points for t in topics() for k in t.katas if k.key == f"{TOPIC}/adam")
    assert scores == {"solutions": full, "stubs": 0, "one_wrong": full - adam_points}
    run(["nbgrader", "generate_feedback", TOPIC, "--force"], course)
    feedback = (course / "feedback" / "one_wrong" / TOPIC / f"{TOPIC}.html").read_text()
    assert "Adam without bias correction" in feedback
    print(f"autograde of 3 submissions of {TOPIC}: {seconds:.1f} s")
