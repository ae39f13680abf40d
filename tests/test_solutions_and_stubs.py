"""Every reference solution passes its graders; every generated stub is 'not started'."""

import pytest

from graders.catalog import REPO_ROOT
from graders.cli.stubs import strip_solutions
from tests.conftest import available_katas, solution_source

KATAS = available_katas()
TOPICS = sorted({k.topic for k in KATAS})


@pytest.mark.parametrize("topic", TOPICS)
def test_solutions_pass(grade, topic):
    graded = grade(REPO_ROOT / "solutions" / topic)
    expected = {k.key: "passed" for k in KATAS if k.topic == topic}
    assert graded.statuses == expected, graded.output
    assert graded.exit_code == 0


@pytest.mark.parametrize("topic", TOPICS)
def test_generated_stubs_are_not_started(grade, kata_tree, topic):
    for kata in (k for k in KATAS if k.topic == topic):
        path = kata_tree(topic, kata.id, strip_solutions(solution_source(kata)))
    graded = grade(path.parent)
    assert graded.statuses == {k.key: "not started" for k in KATAS if k.topic == topic}
    assert graded.exit_code == 1, "an untouched stub must fail the run"
    assert "Traceback" not in graded.output and "NotImplementedError()" not in graded.output
    assert graded.output.count("  TODO  ") == len(graded.statuses)
    assert "still raises NotImplementedError" in graded.output


def test_a_solved_topic_passes_while_a_stub_fails(grade, kata_tree):
    """One not-started kata makes the run red even when the others pass."""
    first, second = [k for k in KATAS if k.topic == "03_optimizers"][:2]
    kata_tree(first.topic, first.id, solution_source(first))
    path = kata_tree(second.topic, second.id, strip_solutions(solution_source(second)))
    graded = grade(path.parent)
    assert graded.statuses == {first.key: "passed", second.key: "not started"}
    assert graded.exit_code == 1
