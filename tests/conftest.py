"""Shared fixtures: grade kata files in-process, as a learner's `pytest` run would."""

from __future__ import annotations

import importlib.util
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy.random  # noqa: F401  (see below)
import pytest

from graders.catalog import REPO_ROOT, all_katas, topics
from graders.cli.stubs import build
from graders.engine.plugin import GRADING_ARGS, RESULTS
from graders.engine.registry import checks_for, load_topic_graders

# pytester's in-process runs drop every module first imported during the run;
# re-importing a C extension (numpy.random, ...) afterwards can crash the process.
# So every module grading needs is imported before the first such run: numpy.random
# here, and the rest by grading all solutions once (warm_grading_imports below).

pytest_plugins = ["pytester"]
SIBLING = re.compile(r'sibling\(__file__, "([^"]+)", "([^"]+)"\)')
# `pytest` alone runs the repository's own tests, which need the dev extra: without it,
# one line says what to install instead of a traceback per test module that imports it
# (a learner grades their katas with `pytest exercises/...`, which never loads this file).
DEV_MODULES = {
    "jsonschema": "jsonschema",
    "yaml": "pyyaml",
    "nbgrader": "nbgrader",
    "jupytext": "jupytext",
}


def missing_dev_packages() -> list[str]:
    return [package for module, package in DEV_MODULES.items() if not _importable(module)]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module set to None in sys.modules
        return False


def pytest_configure(config):
    missing = missing_dev_packages()
    if missing:
        raise pytest.UsageError(
            f"the repository's own tests need the dev extra ({', '.join(missing)} missing): "
            "pip install -e '.[dev]'  (to grade your katas instead: pytest exercises/...)"
        )


def available_katas():
    """Katas that have graders (the others are still 'coming')."""
    for topic in topics():
        load_topic_graders(topic)
    return [k for k in all_katas() if checks_for(k.key)]


@dataclass
class Graded:
    """What one grading run produced."""

    exit_code: int
    output: str
    statuses: dict  # kata key -> passed / failing / not started
    messages: dict  # kata key -> the failure messages of its checks, joined

    def text(self, key: str) -> str:
        return self.messages.get(key, "")


class _Collect:
    def __init__(self):
        self.statuses, self.messages = {}, {}

    def pytest_runtest_logreport(self, report):
        if getattr(report, "kata_status", None) in ("failing", "not started"):
            key = "/".join(Path(report.fspath).parts[-2:])[:-3]
            self.messages[key] = self.messages.get(key, "") + str(report.longrepr) + "\n"

    def pytest_sessionfinish(self, session):
        results = session.config.stash[RESULTS]
        self.statuses = {k: results.status(k) for k, (_, _, c) in results.katas.items() if c}


@pytest.fixture(scope="session", autouse=True)
def warm_grading_imports():
    """Grade every solution once, outside pytester, so its lazy imports stay loaded."""
    pytest.main(
        [
            str(REPO_ROOT / "solutions"),
            "-p",
            "graders.engine.plugin",
            "-p",
            "no:terminal",
            "-p",
            "no:cacheprovider",
        ]
    )


@pytest.fixture
def grade(pytester, request):
    """grade(path, ...extra args) -> Graded, running the grading plugin in-process.

    Inner runs use this session's seed (printed in its header), so that
    `pytest --kata-seed N` replays a failing repository test exactly.
    """
    seed = str(request.config.stash[RESULTS].seed)

    def run(*paths, args=()):
        if "--kata-seed" not in args:
            args = ("--kata-seed", seed, *args)
        collect = _Collect()
        result = pytester.runpytest_inprocess(
            *GRADING_ARGS,
            "-p",
            "no:cacheprovider",
            *map(str, paths),
            *args,
            plugins=[collect],
        )
        return Graded(int(result.ret), result.stdout.str(), collect.statuses, collect.messages)

    return run


@pytest.fixture
def repo(tmp_path):
    """A fresh learner's checkout: solutions/ and the stubs built from them, nothing solved
    (built, not copied, so that these tests pass in a fork whose exercises are solved)."""
    shutil.copytree(REPO_ROOT / "solutions", tmp_path / "solutions")
    (tmp_path / "graders" / "cli").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "graders" / "catalog.toml", tmp_path / "graders")  # a checkout
    (tmp_path / "tests").mkdir()  # kata bughunt's known wrong implementations
    shutil.copy(REPO_ROOT / "tests" / "mutants_catalog.py", tmp_path / "tests")
    shutil.copytree(REPO_ROOT / "tests" / "mutants", tmp_path / "tests" / "mutants")
    build(tmp_path)
    for readme in (REPO_ROOT / "exercises").glob("*/README.md"):
        shutil.copy(readme, tmp_path / "exercises" / readme.parent.name / "README.md")
    return tmp_path


@pytest.fixture
def kata_tree(tmp_path):
    """make(topic, kata, source, tree='exercises') writes one kata file in a fresh tree."""

    def make(topic: str, kata: str, source: str, tree: str = "exercises") -> Path:
        path = tmp_path / tree / topic / f"{kata}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        # katas built on earlier ones (sibling(__file__, topic, kata)) get the reference
        # version of each file they use, unless the tree already has one
        for dep_topic, dep_kata in SIBLING.findall(source):
            dependency = tmp_path / tree / dep_topic / f"{dep_kata}.py"
            if not dependency.exists():
                dependency.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO_ROOT / "solutions" / dep_topic / f"{dep_kata}.py", dependency)
        return path

    return make


def solution_source(kata) -> str:
    return kata.path("solutions").read_text(encoding="utf-8")
