"""`kata notebooks OUT_DIR`: the katas as an nbgrader course, one notebook per topic.

Each topic's notebook is written with jupytext from solutions/ (percent format,
nbgrader metadata in the cell headers): per kata a markdown cell (title, questions,
contract), a solution cell (the kata file, its bodies between nbgrader's
### BEGIN SOLUTION / ### END SOLUTION markers) and a locked, graded test cell that
runs the same graders as pytest (graders.cli.notebook_grading). Notebooks are generated,
never committed: they would duplicate solutions/ and drift from it.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from graders.catalog import REPO_ROOT, Kata, find_kata, topics

SIBLING_LINE = re.compile(r'^(\w+) = sibling\(__file__, "([^"]+)", "([^"]+)"\)\.\w+\n', re.M)
CONFIG = """\
c = get_config()  # noqa: F821 - nbgrader's config object
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "dl-katas"
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.Execute.timeout = 120
"""


def _header(**metadata) -> str:
    nbgrader = {"schema_version": 3, **metadata}
    return f"# %% nbgrader={json.dumps(nbgrader, separators=(', ', ': '))}"


def _markdown(text: str) -> str:
    return "# %% [markdown]\n" + "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def _contract(source: str) -> str:
    return ast.get_docstring(ast.parse(source)) or ""


def notebook_source(kata: Kata, root: Path) -> tuple[str, list[Kata]]:
    """The kata file for a notebook: sibling imports dropped; the katas they name."""
    source = kata.path("solutions", root).read_text(encoding="utf-8")
    needed = [find_kata(topic, name) for _, topic, name in SIBLING_LINE.findall(source)]
    source = SIBLING_LINE.sub("", source).replace("from graders.kata_files import sibling\n", "")
    return source, needed


def topic_script(topic, root: Path = REPO_ROOT) -> str:
    """The jupytext percent-format script of one topic's notebook."""
    cells = [
        _markdown(
            f"{topic.id}: {topic.title}\n\nQuestions "
            + ", ".join(f"Q{q}" for q in topic.questions)
            + f" (answered in exercises/{topic.id}/README.md). Fill in every cell "
            "marked YOUR CODE HERE; the locked cells after each grade it."
        )
    ]
    present = {k.key for k in topic.katas}
    for kata in topic.katas:
        source, needed = notebook_source(kata, root)
        for dependency in needed:
            if dependency.key not in present:  # an earlier topic's kata this one builds on
                present.add(dependency.key)
                dep_source, _ = notebook_source(dependency, root)
                cells.append(
                    _markdown(
                        f"{dependency.key}, used by {kata.id} (your version "
                        f"from {dependency.topic})"
                    )
                )
                cells.append(
                    _header(
                        grade=False,
                        solution=True,
                        locked=False,
                        grade_id=f"{dependency.id}-for-{kata.id}",
                    )
                    + "\n"
                    + dep_source.strip()
                )
        questions = ", ".join(f"Q{q}" for q in kata.questions) or "-"
        cells.append(
            _markdown(
                f"## {kata.title}\n\nKata `{kata.key}` (questions: {questions})."
                f"\n\n{_contract(source)}"
            )
        )
        cells.append(
            _header(grade=False, solution=True, locked=False, grade_id=f"{kata.id}-solution")
            + "\n"
            + source.strip()
        )
        cells.append(
            _header(
                grade=True,
                solution=False,
                locked=True,
                points=kata.points,
                grade_id=f"{kata.id}-tests",
            )
            + "\nfrom graders.cli.notebook_grading import grade_in_notebook\n\n"
            + f'grade_in_notebook("{kata.key}", globals())'
        )
    return "\n\n".join(cells) + "\n"


def write_course(out: Path, root: Path = REPO_ROOT) -> list[Path]:
    """nbgrader_config.py and source/<topic>/<topic>.ipynb for every topic; the notebooks."""
    import jupytext

    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "nbgrader_config.py").write_text(CONFIG.format(root=str(out)), encoding="utf-8")
    written = []
    for topic in topics():
        notebook = jupytext.reads(topic_script(topic, root), fmt="py:percent")
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        notebook.metadata.pop("jupytext", None)
        path = out / "source" / topic.id / f"{topic.id}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, path, fmt="ipynb")
        written.append(path)
    return written
