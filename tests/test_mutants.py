"""Every grader rejects wrong implementations, names the known mistakes, and accepts
correct implementations written differently. Mutants live in tests/mutants/<topic>.toml."""

import pytest

from graders.catalog import find_kata
from tests.conftest import available_katas, solution_source
from tests.mutants_catalog import KINDS, apply, load_mutants

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


def test_every_available_kata_has_mutants_of_every_kind_and_an_alternative():
    """At least four wrong implementations per kata, among them one wrong only off the
    usual arguments, one wrong only at an edge and one that updates an argument in place;
    and one correct implementation written differently (tests/mutants_catalog.py KINDS)."""
    found = {}
    for topic, mutant in (p.values for p in MUTANTS):
        tags = found.setdefault((topic, mutant["kata"]), {"wrong": 0})
        if mutant["expect"] == "pass":
            tags["pass"] = True
            continue
        tags["wrong"] += 1
        tags.update(dict.fromkeys(mutant.get("kinds", ()), True))
    gaps = []
    for kata in available_katas():
        tags = found.get((kata.topic, kata.id), {"wrong": 0})
        missing = [k for k in (*KINDS, "pass") if k not in tags]
        if tags["wrong"] < 4:
            missing.append(f"{4 - tags['wrong']} more wrong mutants")
        if missing:
            gaps.append(f"{kata.key}: {', '.join(missing)}")
    assert not gaps, "\n".join(gaps)
