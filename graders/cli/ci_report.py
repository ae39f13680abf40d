"""Turn results.json into GitHub feedback: a job summary, annotations, a PR comment body.

    python -m graders.cli.ci_report summary results.json      >> "$GITHUB_STEP_SUMMARY"
    python -m graders.cli.ci_report annotations results.json  (workflow commands on stdout)
    python -m graders.cli.ci_report comment results.json [previous_comment.md]
    python -m graders.cli.ci_report verify results.json       (exit 0 only for a complete pass)

Everything read from results.json is data written by learner code's run, so it is
treated as hostile: size-capped, checked field by field against the shape
graders/engine/results.py writes (results.schema.json, with the standard library
only: the comment workflow runs this without installing anything), stripped of
HTML, Markdown and control characters, and @mentions are defused before anything
reaches GitHub. A file of any other shape makes every subcommand print one plain
sentence saying that the results file is malformed and why (exit 1), never a
traceback.
"""

from __future__ import annotations

import ast
import json
import math
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
MAX_COUNT = 1_000_000  # more checks (or passes) than this in one kata is not a real run
MAX_NUMBER_DIGITS = 20  # longer integers in the file are refused before Python parses them
RESULT_STATUSES = ("pass", "fail", "error")


class BadResults(Exception):
    """The results file is missing, too large, or not in the expected shape (the message
    is one plain sentence, for people)."""


def _reject_constant(name: str):
    raise ValueError(f"it contains {name}, which is not a JSON number")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("it contains a number too large to be real")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError("it contains a number too large to be real")
    return int(text)


def _is_int(value, low: int, high: int = MAX_COUNT) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _kind(value) -> str:
    """What a JSON value is, in words."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), "a number")


def _problem(data) -> str | None:
    """What is wrong with parsed results (None when they have the shape results.py
    writes): checked without recursion, so that no value's depth or type matters."""
    if not isinstance(data, dict):
        return f"it is {_kind(data)}, not a JSON object"
    if data.get("status") not in RESULT_STATUSES:
        return "its status is missing or not pass, fail or error"
    if not _is_int(data.get("version"), 1, 1000):
        return "its version is missing or not a whole number"
    if not _is_int(data.get("seed"), -(2**63), 2**64):
        return "its seed is missing or not a whole number"
    message = data.get("message")
    if not (message is None or isinstance(message, str)):
        return "its message is not text"
    if data["status"] == "error" and not message:
        return "its status is error but it gives no message"
    tests = data.get("tests")
    if not isinstance(tests, list):
        return "its tests are missing or not a list"
    for number, test in enumerate(tests, 1):
        if not isinstance(test, dict):
            return f"test {number} is not an object"
        if not isinstance(test.get("name"), str):
            return f"test {number} has no name"
        if test.get("status") not in RESULT_STATUSES:
            return f"test {number} has no valid status"
        if not (test.get("message") is None or isinstance(test.get("message"), str)):
            return f"the message of test {number} is not text"
        if not _is_int(test.get("task_id"), 1):
            return f"test {number} has no valid task_id"
    katas = data.get("katas")
    if not isinstance(katas, list):
        return "its katas are missing or not a list"
    for number, kata in enumerate(katas, 1):
        if not isinstance(kata, dict):
            return f"kata entry {number} is not an object"
        if not isinstance(kata.get("kata"), str):
            return f"kata entry {number} has no kata name"
        if not isinstance(kata.get("status"), str) or kata["status"] not in STATUSES:
            return f"kata entry {number} has no valid status"
        if not _is_int(kata.get("checks"), 1):
            return f"kata entry {number} has no valid number of checks"
        if not _is_int(kata.get("passed"), 0, kata["checks"]):
            return f"kata entry {number} has no valid number of passed checks"
        score = kata.get("score")
        if not (
            isinstance(score, (int, float))
            and not isinstance(score, bool)
            and math.isfinite(score)
            and 0 <= score <= 1
        ):
            return f"kata entry {number} has no score between 0 and 1"
        for text in ("reason", "title", "file"):
            if not isinstance(kata.get(text, ""), str):
                return f"the {text} of kata entry {number} is not text"
    return None


def malformed(path: Path, why: str) -> BadResults:
    return BadResults(f"The results file {path.name} is malformed: {why}.")


def load(path: Path) -> dict:
    """Parse and validate results.json as plain data (never executed, never trusted).
    Raises BadResults, and nothing else, for a file that is missing or malformed."""
    try:
        if not path.exists():
            raise BadResults(f"{path} does not exist: grading did not run to the end")
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)  # never more, whatever stat() said
    except OSError as error:
        raise malformed(path, f"it could not be read ({error.strerror or 'OS error'})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise malformed(path, f"it is larger than {MAX_FILE_BYTES} bytes")
    if not raw.strip():
        raise malformed(path, "it is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(path, "it is not UTF-8 text") from None
    try:
        data = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as error:
        raise malformed(path, f"it is not JSON ({error.msg}, line {error.lineno})") from None
    except ValueError as error:  # from the parse_* functions above
        raise malformed(path, str(error)) from None
    except RecursionError:
        raise malformed(path, "it is nested too deeply") from None
    problem = _problem(data)
    if problem:
        raise malformed(path, problem)
    return data


UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def safe(text, limit: int = MAX_REASON) -> str:
    """One line of untrusted text made inert for Markdown, HTML and GitHub."""
    text = " ".join(str(text or "").split())[:limit]
    text = text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates: printable
    text = re.sub(UNPRINTABLE, " ", text)  # no terminal escapes, no bidirectional overrides
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
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as error:
        # a learner's file that is missing, not UTF-8, not Python or absurdly nested
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
        state = json.loads(match.group(1), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    if not isinstance(state, dict):
        return None
    keys = {k.key for k in all_katas()}
    return {k: v for k, v in state.items() if k in keys and isinstance(v, str) and v in STATUSES}


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


def no_results(command: str, sentence: str) -> str:
    """What a subcommand prints when there are no usable results: the one sentence, in
    the form its destination shows (a summary, an annotation, a sticky comment)."""
    sentence = safe(sentence, 500)
    if command == "verify":
        return f"results: {sentence}"
    if command == "annotations":
        return "::error title=No kata results::" + sentence.replace("%", "%25")
    if command == "comment":  # still a sticky comment, so an earlier grade is not left up
        return f"{COMMENT_MARKER}\n### Kata results\n\n**No results:** {sentence}\n"
    return f"## Kata results\n\n**No results:** {sentence}\n"


def read_previous(path: Path) -> dict | None:
    """The statuses recorded by the previous comment's file, if it is there and readable."""
    try:
        with path.open("rb") as file:
            body = file.read(MAX_FILE_BYTES).decode("utf-8", "replace")
    except OSError:
        return None
    return previous_statuses(body)


def report(command: str, data: dict, previous: dict | None) -> str:
    if command == "verify":
        return f"results: {data['status']}" + (
            f" ({safe(data.get('message'))})" if data.get("message") else ""
        )
    if command == "summary":
        return summary(data)
    if command == "annotations":
        return annotations(data)
    return comment(data, previous)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] not in ("summary", "annotations", "comment", "verify"):
        print(__doc__, file=sys.stderr)
        return 2
    command, path = argv[0], Path(argv[1])
    try:
        data = load(path)
        previous = read_previous(Path(argv[2])) if command == "comment" and len(argv) > 2 else None
        text = report(command, data, previous)
    except BadResults as error:
        print(no_results(command, str(error)))
        return 1
    except Exception as error:
        # validated data should never get here; if it does, hostile data must still end
        # in a sentence, never in a traceback
        why = f"it could not be turned into a report ({type(error).__name__})"
        print(no_results(command, str(malformed(path, why))))
        return 1
    print(text)
    return 0 if data["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
