"""The kill matrix: every kata's graders against its stub, its solution and every mutant.

    python tools/kill_matrix.py [--seed N] [--topic 03_optimizers] [--kata adam] [-v]

A mutant is "killed" when the kata fails on it and the failure names the expected
mistake; an alternative (expect = "pass") must pass. Prints one row per kata: mutants
killed, alternatives passed, and how many mutants of each kind (tests/mutants_catalog.py
KINDS) the kata has; a kata needs four wrong mutants and one of every kind. Exits 1 on
any survivor or gap. The same mutants run, one test each, in tests/test_mutants.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import REPO_ROOT, all_katas  # noqa: E402
from graders.cli.stubs import strip_solutions  # noqa: E402
from graders.engine.plugin import GRADING_ARGS  # noqa: E402
from tests.mutants_catalog import KINDS, apply, load_mutants  # noqa: E402


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--topic", help="only this topic's katas")
    parser.add_argument("--kata", help="only this kata")
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per mutant")
    args = parser.parse_args()
    mutants = {}
    for topic, mutant in load_mutants(args.topic):
        mutants.setdefault(f"{topic}/{mutant['kata']}", []).append(mutant)
    katas = [
        k
        for k in all_katas()
        if (not args.topic or k.topic == args.topic) and (not args.kata or k.id == args.kata)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cases, files = [], []
        for kata in katas:
            solution = kata.path("solutions").read_text()
            variants = [
                ("stub", strip_solutions(solution), "not started"),
                ("solution", solution, "passed"),
            ]
            variants += [
                (m, apply(solution, m["replace"]), m["expect"]) for m in mutants.get(kata.key, [])
            ]
            for name, source, expect in variants:
                path = Path(tmp) / f"t{len(files)}" / "exercises" / kata.topic / kata.filename
                path.parent.mkdir(parents=True)
                path.write_text(source)
                for dep in ("05_backprop/two_layer_net", "09_training/batching"):
                    target = path.parents[1] / f"{dep}.py"
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text((REPO_ROOT / "solutions" / f"{dep}.py").read_text())
                files.append(str(path))
                cases.append((kata, name, expect, str(path.resolve())))
        outcomes = Outcomes()
        pytest.main(
            [
                *files,
                *GRADING_ARGS,
                "-p",
                "no:cacheprovider",
                "-p",
                "no:terminal",
                f"--kata-seed={args.seed}",
            ],
            plugins=[outcomes],
        )
    rows, problems = {}, []
    for kata, variant, expect, path in cases:
        got = kata_status(outcomes.status.get(path, set()))
        if expect in ("not started", "passed", "pass"):
            ok = got == ("passed" if expect == "pass" else expect)
        else:
            ok = got == "failing" and expect in outcomes.text.get(path, "")
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
            print(f"{'ok' if ok else 'SURVIVED':8} {kata.key}: {name} [{kinds}] -> {got}")
        if not ok:
            row["ok"] = False
            problems.append(f"{kata.key}: {name} (expected {expect!r}, got {got})")
    for key, row in rows.items():
        missing = [k for k in KINDS if not row[k]] + (["4 mutants"] if row["mutants"] < 4 else [])
        if missing:
            row["ok"] = False
            problems.append(f"{key}: no {', no '.join(missing)}")
    width = max(map(len, rows))
    kinds = "  ".join(f"{k:>8}" for k in KINDS)
    print(f"{'kata':{width}}  killed/mutants  {kinds}  alternatives  verdict")
    for key, row in rows.items():
        counts = "  ".join(f"{row[k]:>8}" for k in KINDS)
        print(
            f"{key:{width}}  {row['killed']:>6}/{row['mutants']:<7}  {counts}  "
            f"{row['alternatives']:>12}  {'ok' if row['ok'] else 'PROBLEM'}"
        )
    killed = sum(r["killed"] for r in rows.values())
    total = sum(r["mutants"] for r in rows.values())
    print(f"\n{killed}/{total} mutants killed, {len(problems)} problems, {len(rows)} katas")
    for problem in problems:
        print("  problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
