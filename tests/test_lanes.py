"""Lanes (graders/engine/lanes.py): kata files graded side by side in forked processes
are reported exactly as if this process had graded them all, and a lane that dies
leaves its checks to this process."""

import os
import re

from graders.catalog import find_kata
from graders.cli.stubs import strip_solutions
from graders.engine import lanes
from tests.conftest import solution_source

TIMINGS = re.compile(r"[\d.]+ ?(ms|s)\b|[\d.]+x")


def mixed_tree(kata_tree):
    """Passing, failing, not started, crashing and printing kata files, in one tree."""
    sigmoid, adam, mse = (find_kata(*k) for k in
                          [("02_activations", "sigmoid"), ("03_optimizers", "adam"),
                           ("04_losses", "mse")])  # fmt: skip
    kata_tree("02_activations", "sigmoid", solution_source(sigmoid).replace(
        "import numpy as np\n", "import numpy as np\nprint('hello from the kata')\n", 1))  # fmt: skip
    kata_tree("03_optimizers", "adam", strip_solutions(solution_source(adam)))
    kata_tree("04_losses", "mse", solution_source(mse).replace("def mse(", "def _old(", 1)
              + "\ndef mse(*a, **k):\n    import os\n    os._exit(3)\n")  # fmt: skip
    kata_tree("04_losses", "huber", "import numpy as np\n\ndef huber(*a, **k):\n    return 0.0\n")
    kata_tree("02_activations", "relu", solution_source(find_kata("02_activations", "relu")))
    return kata_tree("02_activations", "tanh", "").parents[1]


def test_two_lanes_report_what_one_process_reports(grade, kata_tree):
    tree = mixed_tree(kata_tree)
    one = grade(tree, args=("--kata-jobs", "1", "-rA"))
    two = grade(tree, args=("--kata-jobs", "2", "-rA"))
    assert one.exit_code == two.exit_code == 1
    assert one.statuses == two.statuses
    assert set(one.statuses.values()) == {"passed", "failing", "not started"}
    assert one.messages == two.messages
    assert "hello from the kata" in two.output
    lines = [TIMINGS.sub("T", line) for line in one.output.splitlines()]
    assert lines[1:] == [TIMINGS.sub("T", line) for line in two.output.splitlines()][1:]


def test_share_out_keeps_the_lanes_level():
    files = [(f"f{i}", ["a", "b"] + (["speed: x"] if i == 2 else [])) for i in range(6)]
    owner = lanes.share_out(files, 2)
    assert [owner[f] for f, _ in files] == [0, 1, 0, 1, 1, 1]  # f2 weighs 2 + 8: lane 1 catches up
    assert lanes.jobs_wanted("1") == 1 and lanes.jobs_wanted("auto") >= 1


def test_a_lane_that_ends_early_hands_its_checks_back():
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        with os.fdopen(write_end, "wb") as writer:
            lanes.send_outcome(writer, lanes.Outcome("a::1", "passed", note="n"))
        os._exit(0)
    os.close(write_end)
    lane = lanes.Lane(pid, os.fdopen(read_end, "rb"))
    assert lane.outcome("a::1") == lanes.Outcome("a::1", "passed", note="n")
    assert lane.outcome("a::2") is None and not lane.alive  # graded here instead
