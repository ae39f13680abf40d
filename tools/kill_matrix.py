"""The kill matrix: every kata's graders against its stub, its solution and every mutant.

    python tools/kill_matrix.py [--seeds 1-20] [--topic 03_optimizers] [--kata adam] [-v]

A mutant is "killed" when the kata fails on it, the failure names the expected mistake and
shows no traceback; an alternative (expect = "pass") must pass; the stub must be "not
started" and the solution pass. All of it on every seed given (--seeds 3, 1-20, 1,5,9),
each seed one pytest session. Prints one row per kata: mutants killed (on every seed),
alternatives passed, and how many mutants of each kind (tests/mutants_catalog.py KINDS)
the kata has. A kata needs four wrong mutants, one of each of the first three kinds, and
one of each other kind whose regime its graders do not rule out (KIND_REGIME). Exits 1
on any survivor or gap. tests/test_mutants.py runs it on 20 seeds and more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import REPO_ROOT, all_katas, topics  # noqa: E402
from graders.cli.stubs import strip_solutions  # noqa: E402
from graders.engine.plugin import GRADING_ARGS  # noqa: E402
from graders.engine.registry import load_topic_graders, regimes_ruled_out  # noqa: E402
from tests.mutants_catalog import KIND_REGIME, KINDS, apply, load_mutants  # noqa: E402

BUILT_ON = ("05_backprop/two_layer_net", "09_training/batching")  # train_loop's siblings


class Outcomes:
    """Per kata file: the kata's status and its failure text, from one pytest session."""

    def __init__(self):
        self.status, self.text = {}, {}

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield  # the outermost wrapper: the grading plugin has classified it
        status = getattr(report, "kata_status", None)
        if status:
            path = str(Path(item.path).resolve())
            self.status.setdefault(path, set()).add(status)
            if status != "passed":
                self.text[path] = self.text.get(path, "") + str(report.longrepr)
        return report


def kata_status(statuses: set) -> str:
    if statuses == {"passed"}:
        return "passed"
    return "not started" if statuses == {"not started"} else "failing"


def parse_seeds(text: str) -> list[int]:
    """'3' -> [3]; '1-20' -> 1..20; '1,5,9' -> [1, 5, 9]."""
    seeds = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high or low) + 1))
    return seeds


def needed_kinds(kata_key: str) -> list[str]:
    """The kinds a kata needs a mutant of: all, but those of regimes it rules out."""
    ruled_out = regimes_ruled_out(kata_key)
    return [k for k in KINDS if KIND_REGIME.get(k) not in ruled_out]


def variants_of(katas, mutants):
    """(kata, variant, source, expect) for every kata's stub, solution and mutants."""
    for kata in katas:
        solution = kata.path("solutions").read_text()
        yield kata, "stub", strip_solutions(solution), "not started"
        yield kata, "solution", solution, "passed"
        for mutant in mutants.get(kata.key, []):
            yield kata, mutant, apply(solution, mutant["replace"]), mutant["expect"]


def write_trees(tmp: Path, cases) -> list[tuple]:
    """Each case in a tree of its own (with the solutions train_loop builds on)."""
    written = []
    for i, (kata, variant, source, expect) in enumerate(cases):
        path = tmp / f"t{i}" / "exercises" / kata.topic / kata.filename
        path.parent.mkdir(parents=True)
        path.write_text(source)
        for dep in BUILT_ON:
            target = path.parents[1] / f"{dep}.py"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text((REPO_ROOT / "solutions" / f"{dep}.py").read_text())
        written.append((kata, variant, expect, str(path.resolve())))
    return written


def grade(cases, seed: int, jobs: str = "auto") -> list[tuple]:
    """(kata, variant, ok, got) per case, graded in one pytest session under `seed`."""
    outcomes = Outcomes()
    pytest.main(
        [
            *(path for *_, path in cases),
            *GRADING_ARGS,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:terminal",
            f"--kata-seed={seed}",
            f"--kata-jobs={jobs}",
        ],
        plugins=[outcomes],
    )
    verdicts = []
    for kata, variant, expect, path in cases:
        got = kata_status(outcomes.status.get(path, set()))
        text = outcomes.text.get(path, "")
        if expect in ("not started", "passed", "pass"):
            ok = got == ("passed" if expect == "pass" else expect)
        else:
            ok = got == "failing" and expect in text and "Traceback" not in text
            if got == "failing" and "Traceback" in text:
                got = "failing with a traceback"
        verdicts.append((kata, variant, ok, got))
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", "--seed", default="1", help="3, 1-20 or 1,5,9")
    parser.add_argument("--topic", help="only this topic's katas")
    parser.add_argument("--kata", help="only this kata")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per mutant")
    parser.add_argument("--jobs", default="auto", help="--kata-jobs of each session (lanes)")
    args = parser.parse_args(argv)
    for topic in topics():
        load_topic_graders(topic)  # the regimes each kata rules out
    mutants = {}
    for topic, mutant in load_mutants(args.topic):
        mutants.setdefault(f"{topic}/{mutant['kata']}", []).append(mutant)
    katas = [
        k
        for k in all_katas()
        if (not args.topic or k.topic == args.topic) and (not args.kata or k.id == args.kata)
    ]
    rows, problems = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        cases = write_trees(Path(tmp), list(variants_of(katas, mutants)))
        verdicts = {}  # case index -> how it failed, on which seeds
        for seed in parse_seeds(args.seeds):
            for i, (_, _, ok, got) in enumerate(grade(cases, seed, args.jobs)):
                if not ok:
                    verdicts.setdefault(i, []).append(f"{got} on seed {seed}")
    for i, (kata, variant, expect, _) in enumerate(cases):
        ok = i not in verdicts
        row = rows.setdefault(
            kata.key,
            {"killed": 0, "mutants": 0, "alternatives": 0, "ok": True, **dict.fromkeys(KINDS, 0)},
        )
        name = variant if isinstance(variant, str) else variant["name"]
        if not isinstance(variant, str):
            if expect == "pass":
                row["alternatives"] += ok
            else:
                row["mutants"] += 1
                row["killed"] += ok
                for kind in variant.get("kinds", ()):
                    row[kind] += 1
        if args.verbose:
            kinds = "" if isinstance(variant, str) else ",".join(variant.get("kinds", ()))
            print(f"{'ok' if ok else 'SURVIVED':8} {kata.key}: {name} [{kinds}]")
        if not ok:
            row["ok"] = False
            problems.append(
                f"{kata.key}: {name} (expected {expect!r}, got {'; '.join(verdicts[i][:3])})"
            )
    for key, row in rows.items():
        missing = [k for k in needed_kinds(key) if not row[k]]
        missing += ["4 mutants"] if row["mutants"] < 4 else []
        missing += ["alternative"] if not row["alternatives"] else []
        if missing:
            row["ok"] = False
            problems.append(f"{key}: no {', no '.join(missing)}")
    width = max(map(len, rows))
    kinds = " ".join(f"{k[:6]:>6}" for k in KINDS)
    print(f"{'kata':{width}}  killed/mutants  {kinds}  alternatives  verdict")
    for key, row in rows.items():
        counts = " ".join(f"{row[k] if k in needed_kinds(key) else '-':>6}" for k in KINDS)
        print(
            f"{key:{width}}  {row['killed']:>6}/{row['mutants']:<7}  {counts}  "
            f"{row['alternatives']:>12}  {'ok' if row['ok'] else 'PROBLEM'}"
        )
    killed = sum(r["killed"] for r in rows.values())
    total = sum(r["mutants"] for r in rows.values())
    print(
        f"\n{killed}/{total} mutants killed on seeds {args.seeds}, {len(problems)} problems, "
        f"{len(rows)} katas"
    )
    for problem in problems:
        print("  problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
