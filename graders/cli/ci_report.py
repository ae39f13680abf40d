"""Turn results.json into GitHub feedback: a job summary, annotations, a PR comment body.

    python -m graders.cli.ci_report summary results.json      >> "$GITHUB_STEP_SUMMARY"
    python -m graders.cli.ci_report annotations results.json  (workflow commands on stdout)
    python -m graders.cli.ci_report comment results.json [previous_comment.md]
    python -m graders.cli.ci_report verify results.json       (exit 0 only for a complete pass)

Everything read from results.json is data written by learner code's run, so it is
treated as hostile: size-capped, stripped of HTML and Markdown control characters,
and @mentions are defused before anything reaches GitHub.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

from graders.catalog import REPO_ROOT, all_katas

MAX_FILE_BYTES = 2 * 1024 * 1024  # a results file larger than this is refused
MAX_REASON = 300  # characters of a failure reason shown in a table cell
MAX_ANNOTATIONS = 10
COMMENT_MARKER = "<!-- dl-katas-grade -->"
ICONS = {"passed": "✅ passed", "failing": "❌ failing", "not started": "⬜ not started"}
STATUSES = set(ICONS)


class BadResults(Exception):
    """The results file is missing, too large, or not in the expected shape."""


def load(path: Path) -> dict:
    """Parse and validate results.json as plain data (never executed, never trusted)."""
    if not path.exists():
        raise BadResults(f"{path} does not exist: grading did not run to the end")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadResults(f"{path} is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadResults(f"{path} is not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("status") not in ("pass", "fail", "error"):
        raise BadResults(f"{path} has no valid status")
    katas = data.get("katas")
    if not isinstance(katas, list) or not all(
        isinstance(k, dict) and isinstance(k.get("kata"), str) and k.get("status") in STATUSES
        for k in katas
    ):
        raise BadResults(f"{path} has no valid katas list")
    return data


def safe(text, limit: int = MAX_REASON) -> str:
    """One line of untrusted text made inert for Markdown, HTML and GitHub."""
    text = " ".join(str(text or "").split())[:limit]
    text = re.sub(r"[<>&`|\\*\[\]]", " ", text)  # no HTML, code spans, table cells, links, emphasis
    text = text.replace("@", "@\u200b")  # no @mentions
    return text.strip()


def known_katas(data: dict) -> list[dict]:
    """The kata entries whose names are real catalogue katas (others are dropped)."""
    keys = {k.key for k in all_katas()}
    return [k for k in data["katas"] if k["kata"] in keys]


def summary(data: dict) -> str:
    """The Markdown job summary: totals, then one table row per kata, by topic."""
    katas = known_katas(data)
    passed = sum(k["status"] == "passed" for k in katas)
    lines = ["## Kata results", ""]
    if data["status"] == "error":
        lines += [f"**Grading did not finish:** {safe(data.get('message'))}", ""]
    lines += [
        f"**{passed} of {len(katas)} katas pass.**",
        "",
        "| topic | kata | result | checks | first problem |",
        "|---|---|---|---|---|",
    ]
    for k in katas:
        topic, name = k["kata"].split("/")
        checks = f"{int(k.get('passed', 0))}/{int(k.get('checks', 0))}"
        reason = "" if k["status"] == "passed" else safe(k.get("reason"))
        lines.append(f"| {topic} | {name} | {ICONS[k['status']]} | {checks} | {reason} |")
    return "\n".join(lines) + "\n"


def kata_line(key: str, root: Path = REPO_ROOT) -> int:
    """The line of the kata's first function in the learner's file (1 if unknown)."""
    kata = next(k for k in all_katas() if k.key == key)
    try:
        tree = ast.parse(kata.path("exercises", root).read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as error:
        return getattr(error, "lineno", None) or 1
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in kata.functions:
            return node.lineno
    return 1


def annotations(data: dict, root: Path = REPO_ROOT) -> str:
    """GitHub error annotations on the learner's own line, one per failing kata (capped)."""
    out = []
    failing = [k for k in known_katas(data) if k["status"] == "failing"]
    for k in failing[:MAX_ANNOTATIONS]:
        path = f"exercises/{k['kata']}.py"
        message = safe(k.get("reason"), 500).replace("%", "%25").replace(",", "%2C")
        out.append(
            f"::error file={path},line={kata_line(k['kata'], root)},"
            f"title={k['kata']} fails::{message}"
        )
    if len(failing) > MAX_ANNOTATIONS:
        out.append(
            f"::notice::{len(failing) - MAX_ANNOTATIONS} more failing katas: see the summary"
        )
    return "\n".join(out)


STATE_LINE = re.compile(r"^<!-- dl-katas-state (\{.*\}) -->$", re.M)


def previous_statuses(comment_body: str) -> dict | None:
    """The per-kata statuses an earlier comment recorded, as data (None if absent or bad)."""
    match = STATE_LINE.search(comment_body[:MAX_FILE_BYTES])
    if not match:
        return None
    try:
        state = json.loads(match.group(1))
    except json.JSONDecodeError:
        return None
    keys = {k.key for k in all_katas()}
    return {k: v for k, v in state.items() if k in keys and v in STATUSES}


def comment(data: dict, previous: dict | None = None) -> str:
    """The sticky PR comment: totals, what newly passes and what regressed since the last
    push. previous: the statuses the last comment recorded (previous_statuses)."""
    now = {k["kata"]: k["status"] for k in known_katas(data)}
    before = previous or {}
    newly = sorted(k for k, s in now.items() if s == "passed" and before.get(k) != "passed")
    regressed = sorted(k for k, s in now.items() if s != "passed" and before.get(k) == "passed")
    passed = sum(s == "passed" for s in now.values())
    lines = [COMMENT_MARKER, "### Kata results", "", f"**{passed} of {len(now)} katas pass.**"]
    if data["status"] == "error":
        lines.append(f"Grading did not finish: {safe(data.get('message'))}")
    if previous:
        lines.append("")
        lines.append("Newly passing: " + (", ".join(newly) or "none"))
        lines.append("Regressed: " + (", ".join(regressed) or "none"))
    failing = [k for k in known_katas(data) if k["status"] == "failing"][:20]
    if failing:
        lines += ["", "| kata | first problem |", "|---|---|"]
        lines += [f"| {k['kata']} | {safe(k.get('reason'))} |" for k in failing]
    # the statuses, for the next push's comparison: catalogue keys and fixed words only
    lines += ["", f"<!-- dl-katas-state {json.dumps(now, sort_keys=True)} -->"]
    return "\n".join(lines)[:60000] + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("summary", "annotations", "comment", "verify"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        data = load(Path(argv[1]))
        previous = None
        if argv[0] == "comment" and len(argv) > 2 and Path(argv[2]).exists():
            previous = previous_statuses(Path(argv[2]).read_text(encoding="utf-8"))
    except BadResults as error:
        print(f"## Kata results\n\n**No results:** {safe(str(error))}\n")
        return 1
    if argv[0] == "verify":
        print(
            f"results: {data['status']}"
            + (f" ({safe(data.get('message'))})" if data.get("message") else "")
        )
    elif argv[0] == "summary":
        print(summary(data))
    elif argv[0] == "annotations":
        print(annotations(data))
    else:
        print(comment(data, previous))
    return 0 if data["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
