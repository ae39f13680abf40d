"""Broken learner code is reported for its own kata and never stops the others."""

import re

import numpy as np
import pytest

from graders.catalog import find_kata
from graders.cli.stubs import strip_solutions
from tests.conftest import available_katas, solution_source

ADAM = find_kata("03_optimizers", "adam")
ADAGRAD = find_kata("03_optimizers", "adagrad")
TOPIC = "03_optimizers"


def with_body(kata, function: str, body: str) -> str:
    """The kata's stub with `function`'s stub body replaced by `body` (indented 4)."""
    stub = strip_solutions(solution_source(kata))
    head, sep, tail = stub.partition(f"def {function}(")
    marker = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert marker in tail
    indented = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return head + sep + tail.replace(marker, indented, 1)


def test_syntax_error_is_reported_and_other_katas_graded(grade, kata_tree):
    kata_tree(TOPIC, ADAGRAD.id, solution_source(ADAGRAD))
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "m = beta1 * m +\nreturn w"))
    graded = grade(path.parent)
    assert graded.statuses == {ADAGRAD.key: "passed", ADAM.key: "failing"}
    message = graded.text(ADAM.key)
    assert "adam.py could not be loaded" in message and "SyntaxError" in message
    # the summary line says where, with the line itself; the body shows the caret once
    summary = re.search(
        r"FAIL +adam .*could not be loaded: SyntaxError: .* at line (\d+): (.*)", graded.output
    )
    assert summary and summary[2].strip() == "m = beta1 * m +", graded.output
    assert message.count("^") == 1 and f"line {summary[1]}" in message
    # the kata's other checks collapse into a count, none of them repeats the error
    assert message.count("could not be loaded") == 1
    assert re.search(r"\b8 not graded\b", graded.output)
    assert graded.exit_code == 1


def test_not_started_names_the_class_and_method(grade, kata_tree):
    autograd = find_kata("05_backprop", "autograd")
    path = kata_tree("05_backprop", autograd.id, strip_solutions(solution_source(autograd)))
    graded = grade(path)
    assert graded.statuses == {autograd.key: "not started"}
    assert "Value.__init__ still raises NotImplementedError" in graded.text(autograd.key)


def test_import_error_is_reported_with_the_learners_line(grade, kata_tree):
    source = "import numpy_typo_module\n" + solution_source(ADAM)
    path = kata_tree(TOPIC, ADAM.id, source)
    graded = grade(path)
    message = graded.text(ADAM.key)
    assert "could not be loaded: ModuleNotFoundError" in message
    assert "line 1" in message and "graders/" not in message


def test_infinite_loop_times_out_and_the_run_goes_on(grade, kata_tree):
    kata_tree(TOPIC, ADAGRAD.id, solution_source(ADAGRAD))
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "while True:\n    w = w + 0"))
    graded = grade(path.parent, args=["--kata-timeout", "0.5"])
    assert graded.statuses == {ADAGRAD.key: "passed", ADAM.key: "failing"}
    message = graded.text(ADAM.key)
    assert "stopped after 0.5 s" in message and "An infinite loop?" in message
    assert "while True" in message or "w = w + 0" in message
    # the kata's later checks are not each made to wait for the timeout again
    assert "not graded: an earlier check ran past 0.5 s" in message


def test_learner_exception_shows_only_the_learners_traceback(grade, kata_tree):
    body = "m = beta1 * m + (1 - beta1) * grad\nreturn w @ np.ones((7, 7)), m, v"
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", body))
    message = grade(path).text(ADAM.key)
    assert "your code raised ValueError" in message
    assert "called   adam_step(w=float64 array" in message
    assert "adam.py" in message and "graders/" not in message


def test_modifying_an_argument_is_told(grade, kata_tree):
    body = "grad *= 1.0\nreturn w, m, v"
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", body))
    message = grade(path).text(ADAM.key)
    # multiplying by 1 leaves values equal: only real changes count
    assert "modified its argument" not in message
    body = "grad[...] = 0.0\nreturn w, m, v"
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", body))
    assert "modified its argument 'grad' in place" in grade(path).text(ADAM.key)


def test_wrong_shape_and_type_are_told_before_numbers(grade, kata_tree):
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "return w.reshape(1, -1), m, v"))
    message = grade(path).text(ADAM.key)
    assert "w has shape" in message and "first difference" not in message
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "return w"))
    message = grade(path).text(ADAM.key)
    assert "expected a tuple (w, m, v) of 3 values" in message
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "return list(w), m, v"))
    assert "not a numpy array" in grade(path).text(ADAM.key)


def test_missing_function_is_named(grade, kata_tree):
    source = solution_source(ADAM).replace("def adam_step(", "def adam_stepp(")
    path = kata_tree(TOPIC, ADAM.id, source)
    assert "adam.py defines no 'adam_step': did you misname" in grade(path).text(ADAM.key)


def test_same_seed_replays_the_same_inputs(grade, kata_tree):
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", "return w * 0.5, m, v"))
    first = grade(path, args=["--kata-seed", "1234"]).text(ADAM.key)
    again = grade(path, args=["--kata-seed", "1234"]).text(ADAM.key)
    other = grade(path, args=["--kata-seed", "4321"]).text(ADAM.key)
    assert first == again and first != other
    assert "--kata-seed 1234" in first


def test_unrelated_python_files_are_not_collected(grade, kata_tree, tmp_path):
    path = kata_tree(TOPIC, "not_a_kata", "raise SystemExit('must never be imported')")
    graded = grade(path.parent)
    assert graded.statuses == {} and "must never be imported" not in graded.output


def test_rng_and_numpy_state_are_untouched(grade, kata_tree):
    """Graders seed their own generators; the global numpy state is the learner's."""
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    grade(kata_tree(TOPIC, ADAM.id, solution_source(ADAM)))
    assert np.array_equal(state, np.random.get_state()[1])  # noqa: NPY002


HOSTILE_BODIES = {
    "raises KeyboardInterrupt": ("raise KeyboardInterrupt", "your code raised KeyboardInterrupt"),
    "raises SystemExit(0)": ("raise SystemExit(0)", "your code raised SystemExit"),
    "returns None": ("return None", "expected a tuple (w, m, v)"),
    "returns float32": ("return w.astype(np.float32), m, v", "dtype float32"),
}


@pytest.mark.parametrize("case", HOSTILE_BODIES, ids=list(HOSTILE_BODIES))
def test_hostile_function_fails_alone(grade, kata_tree, case):
    body, expected = HOSTILE_BODIES[case]
    kata_tree(TOPIC, ADAGRAD.id, solution_source(ADAGRAD))
    path = kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", body))
    graded = grade(path.parent)
    assert graded.statuses == {ADAGRAD.key: "passed", ADAM.key: "failing"}
    assert expected in graded.text(ADAM.key)


def test_megabytes_of_output_are_truncated(grade, kata_tree):
    body = "print('x' * 3_000_000)\nreturn w * 0.5, m, v"
    graded = grade(kata_tree(TOPIC, ADAM.id, with_body(ADAM, "adam_step", body)))
    assert graded.statuses == {ADAM.key: "failing"}
    assert "output truncated" in graded.output and len(graded.output) < 200_000


EVERY_FUNCTION = {
    # body of every function and method of every kata: the message each kata must show
    "raise KeyboardInterrupt": "your code raised KeyboardInterrupt",
    "raise SystemExit(0)": "your code raised SystemExit",
    "return None": "",
    "return 0.5": "",
    "return (None, None)": "",
    "return [1.0, 2.0]": "",
    "return np.zeros(3, dtype=np.float32)": "",
    "return np.full((2, 2), np.nan)": "",
}
GRADER_TRACEBACK = re.compile(r"graders/\w+\.py:\d+")


@pytest.mark.parametrize("body", EVERY_FUNCTION)
def test_every_kata_fails_cleanly_whatever_its_functions_do(grade, kata_tree, body):
    """All katas at once, every function doing `body`: each kata fails with a message of
    its own (no grader traceback), and the run reaches the end. This covers the graders'
    diagnostic re-runs of learner code and every check's handling of wrong types."""
    katas = available_katas()
    for kata in katas:
        stub = strip_solutions(solution_source(kata))
        path = kata_tree(kata.topic, kata.id, stub.replace("raise NotImplementedError()", body))
    graded = grade(path.parents[1])
    assert graded.statuses == {kata.key: "failing" for kata in katas}, graded.output
    assert not GRADER_TRACEBACK.findall(graded.output), graded.output
    for kata in katas:
        assert EVERY_FUNCTION[body] in graded.text(kata.key), kata.key
