"""The demos run on the learner's own katas where they pass, and say so where they fall
back to a reference."""

import re
import subprocess
import sys

from graders.catalog import REPO_ROOT, find_kata
from graders.cli.stubs import strip_solutions


def run_demo(tree: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "graders.demos.gradient_through_time", "--tree", tree],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def norms(output: str) -> dict[int, list[float]]:
    rows = re.findall(r"^\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", output, re.M)
    return {int(t): [float(v) for v in values] for t, *values in rows}


def test_gradient_through_time_uses_passing_katas_and_shows_the_vanishing(tmp_path):
    solved = run_demo("solutions")
    assert "your rnn.py" in solved and "your lstm.py" in solved
    assert "torch reference" not in solved
    table = norms(solved)
    rnn, lstm_open = [table[t][0] for t in (1, 50)], [table[t][2] for t in (1, 50)]
    assert rnn[1] < 1e-6 * rnn[0], "a vanilla RNN's gradient vanishes over 50 steps"
    assert lstm_open[1] > 0.1 * lstm_open[0], "an open forget gate keeps it alive"
    for kata_id in ("rnn", "lstm"):  # a tree of stubs (not exercises/: a fork may solve it)
        kata = find_kata("12_sequences", kata_id)
        stub = kata.path(str(tmp_path))
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text(strip_solutions(kata.path("solutions").read_text()))
    stubs = run_demo(str(tmp_path))
    assert "not started yet: using a torch reference instead" in stubs
    reference = norms(stubs)  # the torch reference gives the same figures
    assert all(abs(a - b) <= 1e-6 * abs(b) for t in table for a, b in zip(reference[t], table[t]))
