"""The catalogue, the files and the graders agree; graders never use solutions/."""

import ast
import re
from pathlib import Path

import pytest

from graders.catalog import REPO_ROOT, all_katas, topics
from graders.engine.registry import checks_for
from tests.conftest import available_katas

KATAS = available_katas()
CURRICULUM_TOPICS = [
    "01_neurons",
    "02_activations",
    "03_optimizers",
    "04_losses",
    "05_backprop",
    "06_gradient_flow",
    "07_normalization",
    "08_regularization",
    "09_training",
    "10_beyond",
    "11_convolution",
    "12_sequences",
    "13_transformers",
    "14_decoding",
]
LAST_QUESTION = 69  # Q1–Q50 from the course, Q51 onward ours


def test_all_topics_in_order_with_unique_katas():
    assert [t.id for t in topics()] == CURRICULUM_TOPICS
    keys = [k.key for k in all_katas()]
    assert len(keys) == len(set(keys))
    for kata in all_katas():
        assert kata.functions and kata.title
        assert all(1 <= q <= LAST_QUESTION for q in kata.questions)


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.key)
def test_available_kata_has_files_hints_and_functions(kata):
    solution, exercise = kata.path("solutions"), kata.path("exercises")
    assert solution.exists() and exercise.exists()
    assert 2 <= len(kata.hints) <= 3, "two or three progressive hints"
    assert len(checks_for(kata.key)) >= 2
    defined = {
        node.name
        for node in ast.parse(solution.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }
    assert set(kata.functions) <= defined
    readme = (exercise.parent / "README.md").read_text()
    assert f"`{kata.filename}`" in readme


def test_every_kata_file_is_catalogued():
    catalogued = {(k.topic, k.filename) for k in all_katas()}
    for tree in ("solutions", "exercises"):
        for path in (REPO_ROOT / tree).glob("*/*.py"):
            assert (path.parent.name, path.name) in catalogued, path


def test_topic_readmes_answer_their_questions():
    for topic in topics():
        if not any(k.topic == topic.id for k in KATAS):
            continue
        readme = (REPO_ROOT / "exercises" / topic.id / "README.md").read_text()
        headed = [int(n) for n in re.findall(r"^## Q(\d+) · ", readme, flags=re.M)]
        assert headed == list(topic.questions)


def test_graders_never_import_solutions():
    """Only the stub builder reads solutions/; no grader imports or opens it."""
    for path in Path(REPO_ROOT / "graders").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "solutions" for n in names), path
    for kata in KATAS:
        name = kata.topic.split("_", 1)[1]
        module = REPO_ROOT / "graders" / "topics" / f"{name}.py"
        files = [module] if module.exists() else sorted((module.parent / name).rglob("*.py"))
        assert files, f"no graders for {kata.topic}"
        for grader in files:
            assert "solutions" not in grader.read_text(), grader
    assert "solutions" not in (REPO_ROOT / "graders" / "engine" / "reference.py").read_text()
