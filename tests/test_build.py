"""`kata build`: stubs equal nbgrader's, the tree is in sync, learners' work is kept."""

import shutil

import nbformat
import pytest
from nbgrader.preprocessors import ClearSolutions

from graders.catalog import REPO_ROOT
from graders.cli import stubs
from graders.cli.kata import main
from tests.conftest import available_katas, solution_source

KATAS = available_katas()


def nbgrader_stub(source: str) -> str:
    """What nbgrader's ClearSolutions makes of a solution cell holding this source."""
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "grade": False,
        "solution": True,
        "locked": False,
        "grade_id": "kata",
    }
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    cleared, _ = ClearSolutions().preprocess(notebook, {})
    return cleared.cells[0].source


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.key)
def test_stub_equals_nbgrader_clear_solutions(kata):
    source = solution_source(kata)
    assert "### BEGIN SOLUTION" in source
    assert stubs.strip_solutions(source) == nbgrader_stub(source)


def test_unbalanced_markers_are_refused():
    with pytest.raises(ValueError, match="no END SOLUTION"):
        stubs.strip_solutions("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ValueError, match="nested"):
        stubs.strip_solutions("    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n")


def test_repository_is_in_sync(capsys):
    """The fork-safe check (solved exercises pass it); .ci/run and ci.yml add --strict."""
    assert main(["build", "--check"]) == 0, capsys.readouterr().out


@pytest.fixture
def repo_copy(tmp_path):
    for part in ("solutions", "exercises"):
        shutil.copytree(REPO_ROOT / part, tmp_path / part)
    (tmp_path / "graders" / "cli").mkdir(parents=True)
    shutil.copy(REPO_ROOT / stubs.LOCK_NAME, tmp_path / stubs.LOCK_NAME)
    return tmp_path


def test_check_fails_when_a_solution_changed_without_a_build(repo_copy):
    kata = KATAS[0]
    path = kata.path("solutions", repo_copy)
    path.write_text(path.read_text().replace('"""', '"""Changed. ', 1))
    problems = stubs.check(repo_copy)
    assert problems == [
        f"solutions/{kata.topic}/{kata.filename} changed since the last `kata build`"
    ]
    stubs.build(repo_copy)
    assert stubs.check(repo_copy, strict=True) == []


def test_solved_exercises_pass_the_check_but_not_the_strict_one(repo_copy):
    """In a learner's fork exercises/ is solved: --check must not fail forever there."""
    for kata in KATAS:
        shutil.copy(kata.path("solutions", repo_copy), kata.path("exercises", repo_copy))
    assert stubs.check(repo_copy) == []
    assert len(stubs.check(repo_copy, strict=True)) == len(KATAS)


def test_build_never_overwrites_edited_work_without_a_copy(repo_copy):
    kata = KATAS[0]
    exercise = kata.path("exercises", repo_copy)
    exercise.write_text("# my work\n")
    solution = kata.path("solutions", repo_copy)
    solution.write_text(solution.read_text().replace('"""', '"""Changed. ', 1))
    report = stubs.build(repo_copy)
    assert exercise.read_text() == "# my work\n"
    assert any(line.startswith("kept") for line in report)
    report = stubs.build(repo_copy, force=True)
    backups = list((repo_copy / stubs.BACKUP_DIR).rglob(kata.filename))
    assert [b.read_text() for b in backups] == ["# my work\n"]
    assert "Changed." in exercise.read_text()


def test_pristine_stubs_are_regenerated(repo_copy):
    kata = KATAS[0]
    solution = kata.path("solutions", repo_copy)
    solution.write_text(solution.read_text().replace('"""', '"""Changed. ', 1))
    stubs.build(repo_copy)
    assert "Changed." in kata.path("exercises", repo_copy).read_text()
