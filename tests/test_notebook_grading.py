"""Grading a notebook's cells: the source of the cell that defines a kata (the last one
run), with the cells of the katas it builds on, graded in a worker like a kata file."""

import pytest

from graders.catalog import REPO_ROOT, find_kata
from graders.cli.notebook_grading import grade_in_notebook
from graders.cli.notebooks import notebook_source


def cell(kata_key: str) -> str:
    """The kata's solution cell, as the course notebook holds it (sibling lines dropped)."""
    return notebook_source(find_kata(*kata_key.split("/")), REPO_ROOT)[0]


def test_a_kata_built_on_others_is_graded_from_the_history(capsys):
    history = [
        "",
        cell("05_backprop/two_layer_net"),
        cell("09_training/batching"),
        cell("09_training/train_loop"),
        'grade_in_notebook("09_training/train_loop", globals())',
    ]
    grade_in_notebook("09_training/train_loop", {"In": history}, seed=3)
    assert "✓ same seed, same result" in capsys.readouterr().out


def test_the_last_run_of_a_cell_is_the_one_graded():
    right = cell("03_optimizers/adam")
    wrong = right.replace("m_hat = m / (1 - beta1**t)", "m_hat = m")
    with pytest.raises(AssertionError) as failure:
        grade_in_notebook("03_optimizers/adam", {"In": ["", right, wrong]}, seed=3)
    assert "wrong w after step 1" in str(failure.value)
    grade_in_notebook("03_optimizers/adam", {"In": ["", wrong, right]}, seed=3)


def test_a_stub_cell_is_not_started():
    stub = cell("03_optimizers/adam").split("### BEGIN SOLUTION")[0] + "raise NotImplementedError()"
    with pytest.raises(AssertionError, match="not started: adam_step"):
        grade_in_notebook("03_optimizers/adam", {"In": ["", stub]}, seed=3)
