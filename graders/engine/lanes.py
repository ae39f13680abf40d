"""Grading kata files side by side, one lane per core.

The session's kata files are shared out among lanes (--kata-jobs, two by default where
there are two cores). This process grades lane 0 as usual; for every other lane, a copy
of this process, forked before any check runs, grades that lane's files ahead and sends
each check's outcome back as soon as it is known. pytest still runs and reports every
check here, in the usual order: a check of another lane waits for its outcome and
replays it (what it printed, its note, its failure text).

A forked lane is a grading process like this one: it never loads learner code (each
kata file still runs in a worker of its own), so what it sends is trusted; it is
pickled across a pipe between two copies of the same program. If a lane dies or stops
answering, this process grades that lane's remaining checks itself.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import struct
import time
from dataclasses import dataclass

STOP_SECONDS = 3.0  # how long a lane may take to end once it is told to
SPEED_CHECK_COST = 8  # a speed check takes about as long as eight ordinary checks


@dataclass
class Outcome:
    """One check as a lane graded it."""

    nodeid: str
    kind: str  # "passed", "not started", "not graded", "stopping" or "failing"
    text: str = ""  # the failure as the report shows it
    note: str = ""
    output: str = ""  # what the check printed (the learner's code's output, forwarded)


class GradedInLane(Exception):
    """A failing check that another lane graded: its report shows outcome.text."""

    def __init__(self, outcome: Outcome):
        super().__init__(outcome.text)
        self.outcome = outcome


def jobs_wanted(option: str | int | None) -> int:
    """--kata-jobs: 'auto' (two lanes where there are two cores or more), or a number."""
    if option in (None, "auto"):
        return min(2, os.cpu_count() or 1)
    return max(1, int(option))


def share_out(files: list, lanes: int) -> dict:
    """{file: lane}: each file, in the order they run, to the lane with the least work
    so far, so that all lanes keep pace with the order the checks are reported in."""
    load = [0] * lanes
    owner = {}
    for file, checks in files:
        lane = min(range(lanes), key=lambda k: (load[k], k))
        owner[file] = lane
        load[lane] += sum(SPEED_CHECK_COST if c.startswith("speed") else 1 for c in checks)
    return owner


class Lane:
    """The far end of one forked lane: outcomes arrive in the order it grades them."""

    def __init__(self, pid: int, reader):
        self.pid = pid
        self.reader = reader
        self.alive = True
        self.received: dict[str, Outcome] = {}

    def outcome(self, nodeid: str) -> Outcome | None:
        """The outcome of check `nodeid`, waiting for it; None once the lane has died."""
        while self.alive and nodeid not in self.received:
            try:
                outcome = read_outcome(self.reader)
            except BaseException:  # a timeout's signal included: never trust this lane again
                self.stop()
                raise
            if outcome is None:
                self.stop()
                break
            self.received[outcome.nodeid] = outcome
        return self.received.pop(nodeid, None)

    def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        self.reader.close()  # the lane's next send fails, and it ends (closing its workers)
        with contextlib.suppress(ChildProcessError, OSError):
            deadline = time.monotonic() + STOP_SECONDS
            while os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:  # stuck: its workers see their channel close
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
                    break
                time.sleep(0.01)


def fork_lane(run_lane) -> Lane | None:
    """Fork a lane that runs run_lane(send) and exits; None where there is no fork."""
    if not hasattr(os, "fork"):
        return None
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the lane
        os.close(read_end)
        code = 0
        try:
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)  # pytest's terminal is the other process's
            os.dup2(quiet, 2)
            with os.fdopen(write_end, "wb") as writer:
                run_lane(lambda outcome: send_outcome(writer, outcome))
        except BaseException:  # noqa: BLE001 - the other process grades what is left
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return Lane(pid, os.fdopen(read_end, "rb"))


def send_outcome(writer, outcome: Outcome) -> None:
    body = pickle.dumps(outcome)
    writer.write(struct.pack("<Q", len(body)) + body)
    writer.flush()


def read_outcome(reader) -> Outcome | None:
    header = reader.read(8)
    if len(header) < 8:
        return None
    (size,) = struct.unpack("<Q", header)
    body = reader.read(size)
    if len(body) < size:
        return None
    outcome = pickle.loads(body)  # noqa: S301 - written by a fork of this very process
    return outcome if isinstance(outcome, Outcome) else None


def captured(function):
    """(what function() printed to sys.stdout, its result)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = function()
    return buffer.getvalue(), result
