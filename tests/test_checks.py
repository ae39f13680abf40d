"""Messages that stay right: a mistake is named only when it is that mistake here, and a
near miss is told as one."""

import numpy as np
import pytest

from graders.engine.checks import Mistake, assert_matches
from graders.engine.learner import KataFailure

EXPECTED = {"out": np.array([1.0, 2.0, 3.0])}


def failure(got, mistakes=()):
    with pytest.raises(KataFailure) as raised:
        assert_matches({"out": got}, EXPECTED, call="f(x)", oracle="torch", mistakes=mistakes)
    return str(raised.value)


def test_a_mistake_that_matches_is_named():
    doubled = Mistake("doubled", lambda: {"out": EXPECTED["out"] * 2})
    assert "looks like: doubled" in failure(EXPECTED["out"] * 2, [doubled])


def test_a_mistake_right_on_these_inputs_names_nothing():
    # the "mistake" equals the expected output here, so it cannot explain a wrong answer
    harmless = Mistake("harmless", lambda: {"out": EXPECTED["out"].copy()})
    assert "looks like" not in failure(EXPECTED["out"] * 2, [harmless])


def test_a_mistake_only_near_the_learners_answer_is_not_named():
    near = Mistake("near", lambda: {"out": EXPECTED["out"] * 2 * (1 + 1e-5)})
    assert "looks like" not in failure(EXPECTED["out"] * 2, [near])


def test_a_near_miss_is_told_as_one():
    text = failure(EXPECTED["out"].astype(np.float32).astype(np.float64) * (1 + 3e-7))
    assert "close, but not within tolerance" in text and "3e-07" in text
    assert "close, but" not in failure(EXPECTED["out"] * 1.1)
