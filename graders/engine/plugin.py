"""The pytest plugin that grades kata files.

`pytest exercises/03_optimizers` collects each exercises/<topic>/<kata>.py (and
solutions/... the same way) as a KataFile, with one KataItem per registered
check. A run is green only when every kata in scope passes; an untouched stub
is reported as "not started" (still a failure for the exit code) without a
traceback.

This process never imports a kata file: each KataFile loads its file in a worker
process of its own (graders/engine/learner.py), killed when the file's checks are
done, and every verdict is computed here from the plain data that came back.
"""

from __future__ import annotations

import re
import secrets
import signal
import sys
import traceback
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from numpy.random import default_rng

from graders.catalog import KATA_TREES, SCRATCH_DIR, Kata, all_katas, kata_for_path, topics
from graders.engine import history, lanes, workers
from graders.engine.learner import (
    KataFailure,
    Learner,
    LearnerRaised,
    LoadFailed,
    NotNumpy,
    NotStarted,
)
from graders.engine.registry import Check, checks_for, load_topic_graders
from graders.engine.results import write_pending, write_results
from graders.engine.workers import WorkerBroke, WorkerDied, WorkerTimedOut

RESULTS = pytest.StashKey["KataResults"]()
LANES = pytest.StashKey["LaneState"]()
# pytest arguments of every grading run started from code (kata, tests, tools): this
# plugin, and not pytest's unraisableexception plugin, whose five gc.collect() calls at
# the end of a session cost ~0.4 s once torch is loaded (pyproject's addopts does the
# same for `pytest` run from the repository). Such a caller has imported this module
# already (for this constant), which pytest would otherwise warn about on every run.
GRADING_ARGS = (
    "-p",
    "graders.engine.plugin",
    "-p",
    "no:unraisableexception",
    "-W",
    "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning",
    # nothing from a graded tree but its kata files, which load in workers: no
    # conftest.py, no test_*.py or doctest file (a learner's own `pytest exercises/...`
    # keeps pytest's defaults: it is their machine)
    "--noconftest",
    "-p",
    "no:doctest",
    "-o",
    "python_files=no-test-files-here",
)


def own_configuration(root) -> tuple[str, ...]:
    """pytest arguments that make a grading run of the tree at `root` read our
    configuration (grading.ini), never the tree's pytest.ini, pyproject.toml or setup.cfg,
    which could add plugins and paths."""
    return ("-c", str(Path(__file__).with_name("grading.ini")), "--rootdir", str(root))


TIMEOUT_MESSAGE = "Timeout (>"  # how pytest-timeout's signal method words its failure
# pytest-timeout only guards the graders' own code now (the worker has its own watchdog):
# a check may take this long beyond its learner budget before it counts as a grader bug
GRADER_SLACK_SECONDS = 120.0
STOPPING = (LoadFailed, NotNumpy, WorkerTimedOut, WorkerDied, WorkerBroke)


class NotGraded(Exception):
    """An earlier check of the same kata already failed in a way that stops the rest."""


@dataclass
class CheckResult:
    name: str
    status: str  # "passed" | "failing" | "not started"
    reason: str = ""  # one line, for the summary
    note: str = ""  # shown under a passing kata
    message: str = ""  # the whole failure message, for results.json


@dataclass
class KataResults:
    """Per-kata outcomes of one session, in collection order."""

    seed: int
    katas: dict[str, tuple[Kata, Path, list[CheckResult]]] = field(default_factory=dict)

    def status(self, key: str) -> str:
        checks = self.katas[key][2]
        if all(c.status == "passed" for c in checks):
            return "passed"
        if all(c.status == "not started" for c in checks):
            return "not started"
        return "failing"


@dataclass
class LaneState:
    """Which lane grades each kata file (graders/engine/lanes.py), the lanes forked from
    this process, and the lane this process grades itself."""

    owner: dict = field(default_factory=dict)  # KataFile -> lane
    forked: dict = field(default_factory=dict)  # lane -> lanes.Lane
    here: int = 0

    def lane_of(self, item) -> lanes.Lane | None:
        """The live forked lane grading this item, or None: grade it here."""
        lane = self.forked.get(self.owner.get(item.parent, self.here))
        return lane if lane is not None and lane.alive else None


# ---------------------------------------------------------------- options and session


def pytest_addoption(parser):
    group = parser.getgroup("dl-katas", "grading kata files")
    group.addoption(
        "--kata-seed",
        type=int,
        default=None,
        help="seed for the graders' random inputs (printed on each run; replays it)",
    )
    group.addoption(
        "--kata-timeout",
        type=float,
        default=5.0,
        help="seconds the learner's code may run in each check before it is stopped (default 5)",
    )
    group.addoption(
        "--kata-jobs",
        default="auto",
        help="grade kata files in this many processes side by side (default auto: "
        "two where there are two cores; 1 grades everything in this process)",
    )
    group.addoption(
        "--kata-no-history",
        action="store_true",
        help="do not add this run to .kata/history.jsonl (the mistake profile)",
    )
    group.addoption(
        "--kata-results",
        default=None,
        metavar="PATH",
        help="write machine-readable results (exercism results.json v3, extended) to PATH",
    )


def pytest_configure(config):
    workers.warm_up()  # the fork server imports numpy while this process imports torch
    import torch  # the oracles' (imported here only to set this before any of them runs)

    # One thread: the oracles' tensors are small, and a pool of threads spinning between
    # them costs more CPU than it saves (a third of a whole run's), all the more when
    # lanes grade side by side on the same cores.
    torch.set_num_threads(1)
    seed = config.getoption("kata_seed")
    config.stash[RESULTS] = KataResults(seed if seed is not None else secrets.randbelow(10**6))
    config.stash[LANES] = LaneState()
    if config.getoption("kata_results"):
        write_pending(Path(config.getoption("kata_results")), config.stash[RESULTS].seed)


def pytest_sessionfinish(session):
    workers.stop_all()
    path = session.config.getoption("kata_results")
    if path:
        write_results(Path(path), session.config.stash[RESULTS])
    if not session.config.getoption("kata_no_history"):
        try:
            history.record(session.config.stash[RESULTS])
        except OSError as error:  # the profile is a convenience: it never changes a verdict
            print(f"kata: could not add this run to .kata/history.jsonl: {error}", file=sys.stderr)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    """Fork the lanes that grade some kata files ahead, once the checks are known."""
    if not session.config.option.collectonly:
        start_lanes(session)
    try:
        return (yield)
    finally:
        for lane in session.config.stash[LANES].forked.values():
            lane.stop()


def start_lanes(session) -> None:
    items = [item for item in session.items if isinstance(item, KataItem)]
    files = list(dict.fromkeys(item.parent for item in items))
    jobs = lanes.jobs_wanted(session.config.getoption("kata_jobs"))
    if jobs < 2 or len(files) < 2:
        return
    state = session.config.stash[LANES]
    state.owner = lanes.share_out(
        [(file, [item.name for item in items if item.parent is file]) for file in files], jobs
    )
    for lane in range(1, jobs):
        mine = [item for item in items if state.owner[item.parent] == lane]
        forked = lanes.fork_lane(lambda send, mine=mine, lane=lane: grade_lane(mine, lane, send))
        if forked is not None:
            state.forked[lane] = forked


def grade_lane(items, lane: int, send) -> None:
    """In a forked lane: grade its checks in order, sending each outcome as it is known."""
    workers.after_fork()
    state = items[0].config.stash[LANES]
    state.forked, state.here = {}, lane
    try:
        for k, item in enumerate(items):
            output, outcome = lanes.captured(lambda item=item: graded_outcome(item))
            outcome.output = output
            send(outcome)
            if k + 1 == len(items) or items[k + 1].parent is not item.parent:
                item.parent.teardown()
    finally:
        workers.stop_all()


def graded_outcome(item) -> lanes.Outcome:
    """Run one check as pytest would, and say how it went as plain data."""
    try:
        item.runtest()
    except BaseException as error:  # noqa: BLE001 - reported as pytest would report it
        excinfo = pytest.ExceptionInfo.from_exception(error)
        return lanes.Outcome(item.nodeid, failure_kind(excinfo), str(item.repr_failure(excinfo)))
    return lanes.Outcome(
        item.nodeid, "passed", note=dict(item.user_properties).get("kata_note", "")
    )


def pytest_report_header(config):
    seed = config.stash[RESULTS].seed
    return f"dl-katas: grading seed {seed} (replay with --kata-seed {seed})"


# ---------------------------------------------------------------- collection


def pytest_collect_file(file_path, parent):
    # Files named on the command line go through pytest_pycollect_makemodule instead.
    if parent.session.isinitpath(file_path):
        return None
    return _kata_file(file_path, parent)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    return _kata_file(module_path, parent)


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path, parent):
    """Folders of a kata tree are plain directories, never packages: collecting a package
    would import its __init__.py into this process."""
    parts = Path(path).parts
    if any(part in KATA_TREES for part in parts[-3:]) or SCRATCH_DIR in parts:
        return pytest.Dir.from_parent(parent, path=Path(path))
    return None


def _kata_file(path: Path, parent):
    kata = kata_for_path(Path(path))
    if kata is None:
        return None
    topic = next(t for t in topics() if t.id == kata.topic)
    if not load_topic_graders(topic) or not checks_for(kata.key):
        return None  # a kata still "coming": nothing to grade yet
    return KataFile.from_parent(parent, path=Path(path), kata=kata)


class KataFile(pytest.File):
    """One kata file; its worker starts (and loads the file) on the first check."""

    def __init__(self, *, kata: Kata, **kwargs):
        super().__init__(**kwargs)
        self.kata = kata
        self._learner: Learner | None = None
        self.stopped: str | None = None  # why the remaining checks cannot run

    def collect(self):
        timeout = self.config.getoption("kata_timeout")
        # SIGALRM turns a timeout into a failure of that check alone; where there is no
        # SIGALRM (Windows), pytest-timeout's thread method ends the whole run instead.
        method = "signal" if hasattr(signal, "SIGALRM") else "thread"
        for check in checks_for(self.kata.key):
            item = KataItem.from_parent(self, name=check.name, check=check)
            limit = budget(timeout, check) + GRADER_SLACK_SECONDS
            item.add_marker(pytest.mark.timeout(limit, method=method))
            yield item

    def learner(self, seconds: float) -> Learner:
        if self._learner is None:
            self._learner = Learner(self.path, seconds)
        return self._learner

    def teardown(self):
        if self._learner is not None:
            self._learner.close()
            self._learner = None


def budget(timeout: float, check: Check) -> float:
    """Seconds the learner's code may run during one check."""
    return max(timeout, check.timeout or 0)


class KataItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs):
        super().__init__(**kwargs)
        self.check = check

    @property
    def kata(self) -> Kata:
        return self.parent.kata

    @property
    def budget(self) -> float:
        return budget(self.config.getoption("kata_timeout"), self.check)

    def runtest(self):
        lane = self.config.stash[LANES].lane_of(self)
        outcome = lane.outcome(self.nodeid) if lane is not None else None
        if outcome is not None:  # graded in another lane: replay it
            sys.stdout.write(outcome.output)
            if outcome.note:
                self.user_properties.append(("kata_note", outcome.note))
            if outcome.kind != "passed":
                raise lanes.GradedInLane(outcome)
            return
        if self.parent.stopped:
            raise NotGraded(self.parent.stopped)
        try:
            learner = self.parent.learner(self.budget)
            learner.begin_check(self.budget)
            seed = self.config.stash[RESULTS].seed
            rng = default_rng([seed, zlib.crc32(f"{self.kata.key}::{self.name}".encode())])
            note = self.check.run(learner, rng)
            learner.end_check()
        except STOPPING as error:
            self.parent.stopped = stop_reason(error, self)
            self.parent.teardown()
            raise
        if note:
            self.user_properties.append(("kata_note", note))

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"

    def repr_failure(self, excinfo):
        error = excinfo.value
        if isinstance(error, lanes.GradedInLane):
            return error.outcome.text
        if isinstance(error, NotStarted):
            return not_started_message(self, error)
        if isinstance(error, NotGraded):  # one line: the reason is the kata's first failure
            return explain_failure(self, excinfo)
        if isinstance(error, (KataFailure, LearnerRaised, *STOPPING)):
            return explain_failure(self, excinfo) + "\n" + self.replay_line()
        if is_timeout(excinfo):
            return (
                f"the graders themselves ran past {self.budget + GRADER_SLACK_SECONDS:g} s on "
                "this check: a bug in dl-katas, not in your code (please report it)\n"
                + self.replay_line()
            )
        return super().repr_failure(excinfo)  # a bug in a grader: show everything

    def replay_line(self) -> str:
        seed = self.config.stash[RESULTS].seed
        return (
            f"  seed {seed}: replay with  pytest {self.relative_path()} --kata-seed {seed}"
            f"  ·  stuck? kata hint {self.kata.id}"
        )

    def relative_path(self) -> str:
        return _relative(self.path)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def is_timeout(excinfo) -> bool:
    return excinfo.errisinstance(pytest.fail.Exception) and str(excinfo.value).startswith(
        TIMEOUT_MESSAGE
    )


# ---------------------------------------------------------------- messages


def not_started_message(item: KataItem, error: NotStarted) -> str:
    if error.path is not None and error.path.resolve() != item.path.resolve():
        return (
            f"not started: {error.function} in {_relative(error.path)} still raises "
            f"NotImplementedError; {item.path.name} builds on it: finish it first"
        )
    return (
        f"not started: {error.function} still raises NotImplementedError "
        f"(edit {item.relative_path()})"
    )


def stop_reason(error: BaseException, item: KataItem) -> str:
    """Why a kata's remaining checks are not graded after this error."""
    if isinstance(error, LoadFailed):
        return f"{item.path.name} did not load"
    if isinstance(error, NotNumpy):
        return f"{item.path.name} imports a framework the graders do not allow"
    if isinstance(error, WorkerTimedOut):
        return f"an earlier check ran past {error.seconds:g} s"
    return "your code ended its process in an earlier check"


def explain_failure(item: KataItem, excinfo) -> str:
    error = excinfo.value
    if isinstance(error, KataFailure):
        return str(error)
    if isinstance(error, NotGraded):
        return f"not graded: {error} (see this kata's first failure)"
    if isinstance(error, LoadFailed):
        return load_failure_message(error)
    if isinstance(error, LearnerRaised):
        return (
            f"your code raised {type(error.error).__name__}: {error.error}\n"
            f"  called   {error.call}\n" + learner_traceback(error.error, item.path)
        )
    if isinstance(error, WorkerDied):
        return error.explain() + where_it_was(error.frames, item.path)
    if isinstance(error, WorkerBroke):
        return (
            f"your code broke the channel to the graders: {error}\n"
            "  (a kata file that writes to file descriptors it did not open?)"
        )
    seconds = error.seconds
    return (
        f"stopped after {seconds:g} s: this check did not finish (your code may run "
        f"{seconds:g} s in each check, see --kata-timeout). An infinite loop?"
        + where_it_was(error.frames, item.path)
    )


def where_it_was(frames, path: Path) -> str:
    """'it was running line 12 of adam.py: ...' from the innermost frame in a kata file."""
    tree = path.resolve().parent.parent
    for filename, lineno, _function in frames:
        candidate = Path(filename)
        if candidate.suffix == ".py" and tree in candidate.resolve().parents:
            try:
                line = candidate.read_text(encoding="utf-8").splitlines()[lineno - 1].strip()
            except (OSError, IndexError, UnicodeDecodeError):
                line = ""
            return f"\n  it was running line {lineno} of {candidate.name}: {line}"
    return ""


def load_failure_message(error: LoadFailed) -> str:
    cause = error.error
    if isinstance(cause, SyntaxError):
        # the first line says it all (it is the summary's), the caret follows
        lines = cause.exception_only.splitlines()
        source = lines[1].strip() if len(lines) > 2 else ""
        at = re.search(r"line (\d+)", lines[0]) if lines else None
        where = f" at line {at[1]}" + (f": {source}" if source else "") if at else ""
        return (
            f"{error.path.name} could not be loaded: {lines[-1] if lines else cause}{where}\n"
            + _indent(cause.exception_only)
        )
    return (
        f"{error.path.name} could not be loaded: {type(cause).__name__}: {cause}\n"
        + learner_traceback(cause, error.path)
    )


def learner_traceback(error: BaseException, path: Path) -> str:
    """The traceback restricted to the learner's own file (grader frames left out)."""
    frames = [f for f in getattr(error, "learner_frames", ()) if Path(f.filename) == path]
    if not frames:
        return ""
    lines = "".join(traceback.format_list(frames)).rstrip()
    return "  in your code:\n" + _indent(lines)


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def one_line_reason(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    reason = lines[0]
    looks = next((line for line in lines if line.startswith("looks like:")), None)
    return f"{reason} — {looks}" if looks else reason


# ---------------------------------------------------------------- reporting


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Classify each check (passed / failing / not started) and record it for the summary."""
    report = yield
    if isinstance(item, KataItem):
        report.sections = [(title, _capped(content)) for title, content in report.sections]
    if isinstance(item, KataItem) and call.when == "call":
        reason, note = "", dict(item.user_properties).get("kata_note", "")
        message = "" if report.passed else str(report.longrepr)
        if report.passed:
            report.kata_status = "passed"
        elif failure_kind(call.excinfo) == "not started":
            report.kata_status = "not started"
            reason = str(report.longrepr)
        else:
            report.kata_status = "failing"
            reason = one_line_reason(str(report.longrepr))
            # the checks after a stop are counted, not each shown: the first failure says why
            report.not_graded = failure_kind(call.excinfo) == "not graded"
        results = item.config.stash[RESULTS]
        results.katas[item.kata.key][2].append(
            CheckResult(item.name, report.kata_status, reason, note, message)
        )
    return report


def failure_kind(excinfo) -> str:
    """'not started', 'not graded' or 'failing', whichever lane graded the check."""
    error = excinfo.value if excinfo is not None else None
    if isinstance(error, lanes.GradedInLane):
        return error.outcome.kind
    if isinstance(error, NotStarted):
        return "not started"
    return "not graded" if isinstance(error, NotGraded) else "failing"


CAPTURE_LIMIT = 4000  # characters of a check's captured output shown in a report


def _capped(text: str) -> str:
    if len(text) <= CAPTURE_LIMIT:
        return text
    return text[:CAPTURE_LIMIT] + f"\n... (output truncated: {len(text)} characters in all)\n"


def pytest_report_teststatus(report, config):
    if getattr(report, "kata_status", None) == "not started":
        return "not started", "N", "NOT STARTED"
    if getattr(report, "not_graded", False):
        return "not graded", "-", "NOT GRADED"
    return None


def pytest_collection_modifyitems(items):
    """Grade katas in the course's order (catalogue order), not alphabetically."""
    order = {kata.key: i for i, kata in enumerate(all_katas())}
    items.sort(key=lambda item: order.get(item.kata.key, -1) if isinstance(item, KataItem) else -1)


def pytest_itemcollected(item):
    if isinstance(item, KataItem):
        results = item.config.stash[RESULTS]
        results.katas.setdefault(item.kata.key, (item.kata, item.path, []))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = config.stash[RESULTS]
    if not results.katas:
        return
    write = terminalreporter.write_line
    terminalreporter.write_sep("=", "kata summary")
    marks = {
        "passed": ("PASS", {"green": True}),
        "failing": ("FAIL", {"red": True}),
        "not started": ("TODO", {"yellow": True}),
    }
    width = max(len(kata.id) for kata, _, _ in results.katas.values())
    topic = None
    order = {kata.key: i for i, kata in enumerate(all_katas())}
    for key, (kata, _path, checks) in sorted(results.katas.items(), key=lambda kv: order[kv[0]]):
        if not checks:
            continue
        if kata.topic != topic:
            topic = kata.topic
            write(topic, bold=True)
        status = results.status(key)
        word, colour = marks[status]
        passed = sum(c.status == "passed" for c in checks)
        if status == "passed":
            detail = f"{passed}/{len(checks)} checks"
        elif status == "not started":
            detail = checks[0].reason
        else:
            first = next(c for c in checks if c.status != "passed")
            detail = f"{passed}/{len(checks)} checks · {first.name}: {first.reason}"
        terminalreporter.write(f"  {word:4}  ", **colour)
        write(f"{kata.id:{width}}  {detail}")
        if status == "passed":
            for c in checks:
                if c.note:
                    write(f"        {' ' * width}  note: {c.note}")
    seed = results.seed
    write(f"seed {seed}: replay these inputs with --kata-seed {seed}")
