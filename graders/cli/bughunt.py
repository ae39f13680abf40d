"""`kata bughunt KATA`: one of the kata's known wrong implementations to debug.

The wrong implementations are the repository's own mutants (tests/mutants/<topic>.toml,
read with tests/mutants_catalog.py's loader): the reference solution with one edit that
the graders must reject. A hunt prefers the mutants that are a listed, named mistake, then
the other wrong ones (never a rightly different alternative), and one not hunted before;
--seed makes the choice repeatable. The file goes to .kata/bughunt/<topic>/<kata>.py; it is
graded by the same checks, and a hunt is "found" when a graded run of it passes.

State: .kata/bughunt.json, {"version": 1, "hunts": [{"kata", "mutant", "seed", "started",
"history_line", "found"}]}: found is the time of the first passing run after it started.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

from graders.catalog import Kata
from graders.cli.scratch import scratch_file, write_scratch
from graders.engine.history import read_history
from graders.engine.state import now, read_json, state_dir, write_json

BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"


class NoMutants(Exception):
    """This checkout has no known wrong implementation of the kata."""


def state_path(root: Path) -> Path:
    return state_dir(root) / "bughunt.json"


def mutants_catalog(root: Path):
    """tests/mutants_catalog.py of the checkout at root, loaded by path."""
    path = Path(root) / "tests" / "mutants_catalog.py"
    if not path.exists():
        raise NoMutants(f"bug hunts need {path} and tests/mutants/, which this checkout lacks")
    spec = importlib.util.spec_from_file_location("_kata_mutants_catalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrong_versions(root: Path, kata: Kata) -> list[dict]:
    """The kata's wrong mutants: the listed (named) mistakes, or else every wrong one."""
    wrong = [
        mutant
        for _, mutant in mutants_catalog(root).load_mutants(kata.topic)
        if mutant["kata"] == kata.id and mutant["expect"] != "pass"
    ]
    if not wrong:
        raise NoMutants(f"{kata.id} has no known wrong implementation to hunt yet")
    return [m for m in wrong if m.get("listed")] or wrong


def subject(kata: Kata) -> str:
    """'adam_step', or 'batchnorm (batchnorm_forward, batchnorm_backward)'."""
    if len(kata.functions) == 1:
        return kata.functions[0]
    return f"{kata.id} ({', '.join(kata.functions)})"


def buggy_source(root: Path, kata: Kata, mutant: dict) -> str:
    """The reference solution with the mutant's edit, without the nbgrader markers."""
    solution = kata.path("solutions", root).read_text(encoding="utf-8")
    source = mutants_catalog(root).apply(solution, mutant["replace"])
    lines = [line for line in source.split("\n") if BEGIN not in line and END not in line]
    header = (
        f"# Bug hunt: this {subject(kata)} has one bug. Find it and fix it, then grade it:\n"
        f"#   kata check --bughunt {kata.id}\n"
    )
    return header + "\n".join(lines)


def refresh(root: Path) -> dict:
    """The hunts, each marked found at its first passing run after it started."""
    state = read_json(state_path(root), {"hunts": []})
    records = read_history(root)
    changed = False
    for i, hunt in enumerate(state["hunts"]):
        if hunt.get("found"):
            continue
        later = [h for h in state["hunts"][i + 1 :] if h["kata"] == hunt["kata"]]
        stop = later[0]["history_line"] if later else len(records)
        for record in records[hunt["history_line"] : stop]:
            if record["tree"] == "bughunt" and record["kata"] == hunt["kata"]:
                if record["status"] == "passed":
                    hunt["found"] = record["time"]
                    changed = True
                    break
    if changed:
        write_json(state_path(root), state)
    return state


def start(root: Path, kata: Kata, seed: int | None = None) -> tuple[Path, dict, list[Kata]]:
    """Write a new hunt for kata; returns its file, the hunt and the katas it builds on."""
    state = refresh(root)
    candidates = wrong_versions(root, kata)
    if seed is None:  # not repeatable: a bug not hunted before, where there is one
        hunted = {h["mutant"] for h in state["hunts"] if h["kata"] == kata.key}
        candidates = [m for m in candidates if m["name"] not in hunted] or candidates
        seed = random.SystemRandom().randrange(10**6)
    mutant = random.Random(seed).choice(candidates)
    path = scratch_file(root, "bughunt", kata)
    needed = write_scratch(root, path, buggy_source(root, kata, mutant))
    hunt = {
        "kata": kata.key,
        "mutant": mutant["name"],
        "seed": seed,
        "started": now().isoformat(),
        "history_line": len(read_history(root)),
        "found": None,
    }
    state["hunts"].append(hunt)
    write_json(state_path(root), state)
    return path, hunt, needed


def summary(root: Path) -> tuple[int, int]:
    """(bugs found, hunts started)."""
    hunts = refresh(root)["hunts"]
    return sum(bool(h.get("found")) for h in hunts), len(hunts)
