"""The folder layout is the architecture: imports point one way, and what runs beside
learner code in the worker imports numpy and the standard library only."""

from __future__ import annotations

import ast
import subprocess
import sys

from graders.catalog import REPO_ROOT

GRADERS = REPO_ROOT / "graders"
# modules that run in the worker process: nothing but numpy and the standard library
WORKER_SIDE = [
    GRADERS / "kata_files.py",
    GRADERS / "engine" / "worker.py",
    GRADERS / "engine" / "protocol.py",
    *sorted((GRADERS / "drivers").glob("*.py")),
]


def imported(path) -> set[str]:
    """The modules a file imports, as written (absolute, top-level statements and all)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def graders_imports(path) -> set[str]:
    return {n for n in imported(path) if n.split(".")[0] == "graders"}


def test_the_engine_imports_no_topic_no_driver_and_no_tool():
    for path in (GRADERS / "engine").glob("*.py"):
        for name in graders_imports(path):
            assert name.startswith(("graders.engine", "graders.catalog", "graders.kata_files")), (
                f"{path.name} imports {name}"
            )


def test_topic_graders_import_the_engine_and_their_drivers_only():
    for path in (GRADERS / "topics").rglob("*.py"):
        allowed = ["graders.engine", "graders.catalog", "graders.drivers"]
        if path.parent.name != "topics":  # a topic's graders in a package: its own modules
            allowed.append(f"graders.topics.{path.parent.name}")
        for name in graders_imports(path):
            assert name.startswith(tuple(allowed)), f"{path.name} imports {name}"


def test_worker_side_modules_import_numpy_and_the_standard_library_only():
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    for path in WORKER_SIDE:
        for name in imported(path):
            top = name.split(".")[0]
            inside = name in ("graders", "graders.kata_files", "graders.engine.protocol")
            assert top in allowed or inside, f"{path.relative_to(REPO_ROOT)} imports {name}"


def test_a_fresh_worker_side_import_loads_no_torch_pytest_or_grader_comparisons():
    modules = [
        "graders.engine.worker",
        *(f"graders.drivers.{p.stem}" for p in WORKER_SIDE if p.parent.name == "drivers"),
    ]
    script = f"import sys; import {', '.join(modules)}; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    )
    for forbidden in ("torch", "pytest", "_pytest", "graders.engine.checks", "graders.topics"):
        assert forbidden not in loaded, forbidden
