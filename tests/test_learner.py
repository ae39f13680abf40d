"""The defensive call wrapper: in-place changes are found however deep the argument nests."""

import numpy as np
import pytest

from graders.engine.learner import KataFailure, LearnerFunction


def call(function, *args):
    return LearnerFunction(function.__name__, function)(*args)


def test_a_pure_function_passes_with_nested_arguments():
    def pure(params):
        return sum(float(W.sum() + b.sum()) for W, b in params["layers"])

    params = {"layers": [(np.ones((2, 2)), np.zeros(2))]}
    assert call(pure, params) == 4.0


@pytest.mark.parametrize(
    ("edit", "label"),
    [
        (lambda p: p["layers"][0][1].__iadd__(1), "params['layers'][0][1]"),
        (lambda p: p["layers"][0][0].__setitem__((0, 0), 5.0), "params['layers'][0][0]"),
        (lambda p: p.__setitem__("scale", np.ones(1)), None),
        (lambda p: p["layers"].append((np.ones(1), np.ones(1))), None),
    ],
)
def test_in_place_changes_anywhere_in_the_argument_fail(edit, label):
    def mutates(params):
        edit(params)

    params = {"layers": [(np.ones((2, 2)), np.zeros(2))]}
    with pytest.raises(KataFailure) as failure:
        call(mutates, params)
    expected = f"modified its argument {label!r} in place" if label else "changed the contents"
    assert expected in str(failure.value)


def test_a_number_changed_in_a_list_fails_and_a_number_alone_is_fine():
    def overwrite_tail(losses, patience):
        losses[2] = float("inf")
        patience += 1  # rebinding a local: the caller's number cannot change

    with pytest.raises(KataFailure) as failure:
        call(overwrite_tail, [0.5, 0.4, 0.45], 2)
    assert "modified its argument 'losses[2]' in place (0.45 became inf)" in str(failure.value)
    assert "copy the list" in str(failure.value)
