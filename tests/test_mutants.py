"""Every grader rejects wrong implementations, names the known mistakes, and accepts
correct implementations written differently. Mutants live in tests/mutants/<topic>.toml."""

import pytest

from graders.catalog import find_kata
from tests.conftest import available_katas, solution_source
from tests.mutants_catalog import apply, load_mutants

MUTANTS = [
    pytest.param(topic, mutant, id=f"{topic}/{mutant['kata']}: {mutant['name']}")
    for topic, mutant in load_mutants()
]


@pytest.mark.parametrize(("topic", "mutant"), MUTANTS)
def test_mutant(grade, kata_tree, topic, mutant):
    kata = find_kata(topic, mutant["kata"])
    path = kata_tree(topic, kata.id, apply(solution_source(kata), mutant["replace"]))
    graded = grade(path)
    if mutant["expect"] == "pass":
        assert graded.statuses == {kata.key: "passed"}, graded.output
        return
    assert graded.statuses == {kata.key: "failing"}, graded.output
    assert graded.exit_code == 1
    assert mutant["expect"] in graded.text(kata.key), graded.output
    assert "Traceback" not in graded.output, "a wrong answer must not show a traceback"


def test_every_available_kata_has_mutants_and_an_alternative():
    """Beyond the curriculum's listed mistakes: one wrong implementation of our own, and
    one correct implementation written differently, for every kata."""
    kinds = {}
    for topic, mutant in (p.values for p in MUTANTS):
        kind = (
            "pass"
            if mutant["expect"] == "pass"
            else ("listed" if mutant.get("listed") else "unlisted")
        )
        kinds.setdefault((topic, mutant["kata"]), set()).add(kind)
    for kata in available_katas():
        assert {"pass", "unlisted"} <= kinds.get((kata.topic, kata.id), set()), kata.key
