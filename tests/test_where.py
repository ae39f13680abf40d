"""`kata` acts on the checkout it is run in, and a bare `pytest` without the dev extra says
what to install."""

import os
import shutil
import subprocess
import sys

from graders.catalog import REPO_ROOT, find_kata
from graders.cli.stubs import build, strip_solutions

ADAM = find_kata("03_optimizers", "adam")
# the installed copy of dl-katas: the code under test, whatever checkout the learner is in
ENV = {k: v for k, v in os.environ.items() if k != "DL_KATAS_ROOT"}
ENV["PYTHONPATH"] = str(REPO_ROOT)


def second_clone(tmp_path):
    """Another checkout of dl-katas, with code of its own (its own catalogue)."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "graders", clone / "graders", ignore=ignore)
    shutil.copytree(REPO_ROOT / "solutions", clone / "solutions", ignore=ignore)
    build(clone)
    return clone


def kata_in(folder, *args):
    return subprocess.run(
        [sys.executable, "-m", "graders.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
        env=ENV,
    )


def test_kata_acts_on_the_checkout_it_is_run_in_with_that_checkout_s_code(tmp_path):
    clone = second_clone(tmp_path)
    catalog = clone / "graders" / "catalog.toml"
    catalog.write_text(catalog.read_text().replace(ADAM.hints[0], "a hint only the clone has"))
    mine = ADAM.path("exercises", clone)
    mine.write_text("# my work in the clone\n")
    original = ADAM.path("exercises", REPO_ROOT).read_bytes()
    here = mine.parent

    reset = kata_in(here, "reset", "adam")
    assert reset.returncode == 0, reset.stderr
    assert "restored the stub of adam.py" in reset.stdout  # relative to where we are
    assert mine.read_text() == strip_solutions(ADAM.path("solutions", clone).read_text())
    assert ADAM.path("exercises", REPO_ROOT).read_bytes() == original
    backups = list((clone / ".kata" / "backups").rglob("adam.py"))
    assert [b.read_text() for b in backups] == ["# my work in the clone\n"]

    hint = kata_in(clone / "exercises", "hint", "adam")
    assert "a hint only the clone has" in hint.stdout, hint.stdout + hint.stderr
    assert (clone / ".kata" / "state.json").exists()


def test_outside_a_checkout_kata_says_so_in_one_line(tmp_path):
    result = kata_in(tmp_path, "hint", "adam", "--again")
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and "is not inside a dl-katas checkout" in lines[0], result.stderr


def test_bare_pytest_without_the_dev_extra_says_what_to_install():
    blocked = "import sys; sys.modules['jsonschema'] = None; import pytest; "
    result = subprocess.run(
        [sys.executable, "-c", blocked + "sys.exit(pytest.main(['tests/test_layout.py']))"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=ENV,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 4
    assert output.count("\n") == 0 and "pip install -e '.[dev]'" in output
    assert "Traceback" not in output
