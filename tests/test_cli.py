"""`kata` shows the whole course and where the learner stands."""

import re

from graders.catalog import topics
from graders.cli import main
from graders.progress import progress_table


def test_kata_shows_all_ten_topics(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for topic in topics():
        assert topic.id in out
    assert "overall:" in out
    assert "coming" not in out, "every kata of the curriculum has graders"


def test_progress_table_marks_status_and_next_kata():
    statuses = {
        "03_optimizers/gradient_descent": "passed",
        "03_optimizers/momentum": "failing",
        "03_optimizers/adam": "not started",
    }
    table = progress_table(topics(), statuses)
    assert re.search(r"✓ gradient_descent +passed", table)
    assert re.search(r"✗ momentum +failing", table)
    assert re.search(r"· adam +not started +Q31", table)
    assert "next: exercises/03_optimizers/momentum.py" in table
    assert "overall: 1/3 katas passed" in table


def test_hints_come_one_at_a_time(capsys):
    assert main(["hint", "adam"]) == 0
    out = capsys.readouterr().out
    assert "hint 1 of 3" in out and "kata hint adam 2" in out
    assert main(["hint", "adam", "3"]) == 0
    assert "hint 3 of 3" in capsys.readouterr().out
    assert main(["hint", "adamm"]) == 2
