"""The kill matrix: every kata's graders against its stub, its solution and every mutant.

    python tools/kill_matrix.py [--seed N]

A mutant is "killed" when the kata fails on it (and, for the curriculum's listed
mistakes, when the failure names the mistake); an alternative (expect = "pass") must
pass. Prints one row per kata and the totals; exits 1 on any survivor. The same
mutants run, one test each, in tests/test_mutants.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import REPO_ROOT, all_katas  # noqa: E402
from graders.plugin import GRADING_ARGS  # noqa: E402
from graders.stubs import strip_solutions  # noqa: E402
from tests.mutants_catalog import apply, load_mutants  # noqa: E402


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
    args = parser.parse_args()
    mutants = {}
    for topic, mutant in load_mutants():
        mutants.setdefault(f"{topic}/{mutant['kata']}", []).append(mutant)
    with tempfile.TemporaryDirectory() as tmp:
        cases, files = [], []
        for kata in all_katas():
            solution = kata.path("solutions").read_text()
            variants = [
                ("stub", strip_solutions(solution), "not started"),
                ("solution", solution, "passed"),
            ]
            variants += [
                (m["name"], apply(solution, m["replace"]), m["expect"])
                for m in mutants.get(kata.key, [])
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
    rows, survivors = {}, []
    for kata, name, expect, path in cases:
        got = kata_status(outcomes.status.get(path, set()))
        if expect in ("not started", "passed", "pass"):
            ok = got == ("passed" if expect == "pass" else expect)
        else:
            ok = got == "failing" and expect in outcomes.text.get(path, "")
        row = rows.setdefault(kata.key, {"killed": 0, "mutants": 0, "alternatives": 0, "ok": True})
        if name not in ("stub", "solution"):
            if expect == "pass":
                row["alternatives"] += ok
            else:
                row["mutants"] += 1
                row["killed"] += ok
        if not ok:
            row["ok"] = False
            survivors.append(f"{kata.key}: {name} (expected {expect!r}, got {got})")
    width = max(map(len, rows))
    print(f"{'kata':{width}}  killed/mutants  alternatives  stub+solution")
    for key, row in rows.items():
        print(
            f"{key:{width}}  {row['killed']:>6}/{row['mutants']:<7}  {row['alternatives']:>12}  "
            f"{'ok' if row['ok'] else 'PROBLEM'}"
        )
    killed = sum(r["killed"] for r in rows.values())
    total = sum(r["mutants"] for r in rows.values())
    print(f"\n{killed}/{total} mutants killed, {len(survivors)} problems, {len(rows)} katas")
    for survivor in survivors:
        print("  survivor:", survivor)
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
