"""Every grader rejects wrong implementations, names the known mistakes, and accepts
correct implementations written differently, on every seed tried. Mutants live in
tests/mutants/<topic>.toml; tools/kill_matrix.py grades them all in one session a seed."""

import os
import subprocess
import sys

from graders.catalog import REPO_ROOT
from graders.engine.plugin import RESULTS
from graders.engine.registry import regimes_ruled_out
from tests.conftest import available_katas
from tests.mutants_catalog import KIND_REGIME, KINDS, load_mutants

FIXED_SEEDS = ("1-10", "11-20")  # and this session's own seed, new on every run


def test_every_mutant_is_killed_and_named_on_21_seeds(request):
    """Two kill-matrix runs side by side (two cores), 20 fixed seeds and this session's;
    each grades in one lane, since the two runs already keep both cores busy."""
    groups = [FIXED_SEEDS[0], f"{FIXED_SEEDS[1]},{request.config.stash[RESULTS].seed}"]
    runs = [
        subprocess.Popen(
            [sys.executable, "tools/kill_matrix.py", "--seeds", seeds, "--jobs", "1"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        for seeds in groups
    ]
    outputs = [run.communicate(timeout=3600)[0] for run in runs]
    for run, output, seeds in zip(runs, outputs, groups):
        assert run.returncode == 0, f"seeds {seeds}:\n" + output[-8000:]


def test_every_kata_has_mutants_of_every_kind_that_applies_and_an_alternative():
    """At least four wrong implementations per kata, one of each kind (tests/
    mutants_catalog.py KINDS) whose regime the kata's graders do not rule out, and one
    correct implementation written differently."""
    found = {}
    for topic, mutant in load_mutants():
        tags = found.setdefault((topic, mutant["kata"]), {"wrong": 0})
        if mutant["expect"] == "pass":
            tags["pass"] = True
            continue
        tags["wrong"] += 1
        tags.update(dict.fromkeys(mutant.get("kinds", ()), True))
    gaps = []
    for kata in available_katas():
        tags = found.get((kata.topic, kata.id), {"wrong": 0})
        ruled_out = regimes_ruled_out(kata.key)
        needed = [k for k in KINDS if KIND_REGIME.get(k) not in ruled_out]
        missing = [k for k in (*needed, "pass") if k not in tags]
        if tags["wrong"] < 4:
            missing.append(f"{4 - tags['wrong']} more wrong mutants")
        if missing:
            gaps.append(f"{kata.key}: {', '.join(missing)}")
    assert not gaps, "\n".join(gaps)
