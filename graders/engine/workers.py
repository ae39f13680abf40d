"""Starting, talking to and stopping worker processes: the grading process's side.

Workers are forked from multiprocessing's fork server, a process that imported numpy and
graders.engine.worker only (never torch, pytest or the graders' comparisons), so each one
starts warm and clean in milliseconds. Windows has no fork server: there each worker is
spawned.

The watchdog lives here, in the grading process, out of the learner's reach: every
request has a deadline, and past it the worker's whole process group is killed (after a
SIGUSR1 that asks faulthandler where it was). A worker that dies, for whatever reason,
is reported with its exit code; the next kata gets a new one.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import types

from graders.engine import worker as worker_module
from graders.engine.protocol import (
    ChannelClosed,
    ChannelTimeout,
    Decoder,
    Encoder,
    ProtocolError,
    pack,
    read_frame,
    write_frame,
)

START_SECONDS = 60.0  # a cold fork server on a loaded laptop, first start included
OUTPUT_SHOWN_BYTES = 64 * 1024  # of a worker's output forwarded per request
STACK_WAIT_SECONDS = 0.5
SIGNAL_NAMES = {
    "SIGSEGV": "a segmentation fault",
    "SIGBUS": "a bus error",
    "SIGILL": "an illegal instruction",
    "SIGFPE": "a floating-point exception",
    "SIGABRT": "aborted",
    "SIGKILL": "killed: out of memory?",
    "SIGTERM": "terminated",
    "SIGXFSZ": f"it wrote more than {worker_module.OUTPUT_LIMIT_BYTES // 2**20} MB of output",
}


class WorkerTimedOut(Exception):
    """The worker did not answer before the deadline; it has been killed."""

    def __init__(self, seconds: float, frames: list):
        super().__init__(f"stopped after {seconds:g} s")
        self.seconds = seconds
        self.frames = frames  # (file, line, function), most recent first, where known


class WorkerDied(Exception):
    """The worker ended (exit, signal, crash) while it was asked something."""

    def __init__(self, exitcode, frames: list):
        super().__init__(f"exit code {exitcode}")
        self.exitcode = exitcode
        self.frames = frames

    def explain(self) -> str:
        code = self.exitcode
        if code is None:
            return "your code ended the process (it closed its channel to the grader)"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"your code ended the process: exit code {code} ({SIGNAL_NAMES.get(name, name)})"
        if code == 255:  # also what multiprocessing reports when the fork server is gone
            return "your code ended the process: exit code 255 (or unknown: its parent died too)"
        return (
            f"your code ended the process: exit code {code} "
            "(os._exit, or sys.exit outside a function the graders called?)"
        )


class WorkerBroke(Exception):
    """The worker sent something that is not a well-formed message; it has been killed."""


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["graders.engine.worker"])
        return context
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def _without_main_module():
    """multiprocessing re-imports the parent's __main__ script in its children (for
    functions pickled by reference); for `kata` or a tool that would bring pytest and the
    graders into the worker. Workers need nothing from __main__."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def warm_up() -> None:
    """Start the fork server now: it imports numpy while this process imports torch."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with _without_main_module():
            forkserver.ensure_running()


_live: set = set()  # workers not yet closed (a set, so none escapes being killed)


def after_fork() -> None:
    """In a forked copy of the grading process (graders/engine/lanes.py): the workers it
    starts are its own, and so is its fork server (multiprocessing waits on the fork
    server's pid, and the inherited one is not this process's child)."""
    _live.clear()
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        server = forkserver._forkserver
        if server._forkserver_alive_fd is not None:
            with contextlib.suppress(OSError):
                os.close(server._forkserver_alive_fd)
        server.__init__()  # no server yet: the next worker starts one
        warm_up()


@atexit.register
def stop_all() -> None:
    """Kill every worker still running (the end of a session, or of the interpreter:
    before multiprocessing's own exit handler, which would wait for them)."""
    for worker in list(_live):
        worker.close()


class Worker:
    """One worker process and the channel to it."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="kata-worker-")
        self.output_path = os.path.join(self.directory, "output")
        self.stack_path = os.path.join(self.directory, "stack")
        for path in (self.output_path, self.stack_path):
            open(path, "wb").close()
        parent, child = socket.socketpair()
        with _without_main_module():
            self.process = _context().Process(
                target=worker_module.main,
                args=(child, self.output_path, self.stack_path),
                daemon=True,
            )
            self.process.start()
        child.close()
        self.channel = parent
        self.channel.setblocking(False)
        self.output = open(self.output_path, "rb")  # noqa: SIM115 - read after each request
        self.closed = False
        self.spent = 0.0
        self.pid = self.process.pid
        _live.add(self)
        self.request({}, seconds=START_SECONDS)  # its "ready"

    def cpu_seconds(self) -> float | None:
        """The CPU time the worker process has used so far, all its threads, read from
        here (Linux's per-process CPU clock), so its code cannot touch the figure; None
        where the system has no such clock (macOS, Windows)."""
        try:
            return time.clock_gettime((~self.pid << 3) | 2)  # CPUCLOCK_SCHED of the process
        except (AttributeError, OSError):
            return None

    # ------------------------------------------------------------ requests

    def request(
        self, fields: dict, seconds: float, encoder: Encoder | None = None, on_callback=None
    ):
        """Send a request (nothing is sent when fields is empty: wait for a message) and
        return the reply's fields. Callbacks ("op": "callback") on the way are answered
        with on_callback(index, args, kwargs) -> (fields to send), their time not counted.

        Raises WorkerTimedOut, WorkerDied or WorkerBroke; the worker is dead after each.
        Afterwards self.spent is the time the request took, callbacks left out.
        """
        encoder = encoder or Encoder()
        started = time.monotonic()
        deadline = started + seconds
        try:
            if fields:
                write_frame(self.channel, pack(fields, encoder), deadline)
            while True:
                body = read_frame(self.channel, deadline)
                reply = Decoder(own_roots=encoder.roots).unpack(body).fields
                self.forward_output()
                if reply.get("op") != "callback":
                    if "broken" in reply:
                        raise ProtocolError(str(reply["broken"]))
                    self.spent = time.monotonic() - started - (deadline - started - seconds)
                    return reply
                if on_callback is None:
                    raise ProtocolError("a callback nobody sent")
                started = time.monotonic()
                answer = on_callback(reply.get("index"), reply.get("args"), reply.get("kwargs"))
                deadline += time.monotonic() - started
                write_frame(self.channel, pack(answer), deadline)
        except ChannelTimeout:
            frames = self._where_stuck()
            self.close()
            raise WorkerTimedOut(seconds, frames) from None
        except ChannelClosed:
            self.process.join(1.0)  # its own exit code, if it is ending by itself
            exitcode, frames = self.process.exitcode, parse_stack(self._read_stack())
            self.close()
            raise WorkerDied(exitcode, frames) from None
        except ProtocolError as error:
            self.close()
            raise WorkerBroke(str(error)) from None

    def forward_output(self) -> None:
        """Copy what the worker printed since the last request to this process's stdout
        (pytest captures it per check), at most OUTPUT_SHOWN_BYTES of it."""
        data = self.output.read(OUTPUT_SHOWN_BYTES)
        if not data:
            return
        sys.stdout.write(data.decode("utf-8", "replace"))
        rest = os.fstat(self.output.fileno()).st_size - self.output.tell()
        if rest > 0:
            self.output.seek(0, os.SEEK_END)
            sys.stdout.write(f"\n... (output truncated: {rest} more bytes)\n")

    # ------------------------------------------------------------ stopping

    def _where_stuck(self) -> list:
        """Ask faulthandler (SIGUSR1) for the stuck worker's stack, before killing it."""
        if not hasattr(signal, "SIGUSR1") or not self.process.is_alive():
            return []
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGUSR1)
        waited, size = 0.0, -1
        while waited < STACK_WAIT_SECONDS:
            time.sleep(0.02)
            waited += 0.02
            now = os.path.getsize(self.stack_path)
            if now and now == size:
                break
            size = now
        return parse_stack(self._read_stack())

    def _read_stack(self) -> str:
        try:
            with open(self.stack_path, encoding="utf-8", errors="replace") as stack:
                return stack.read(256 * 1024)
        except OSError:
            return ""

    def close(self) -> None:
        """Kill the worker and its process group; forget its files. Safe to call twice."""
        if self.closed:
            return
        self.closed = True
        _live.discard(self)
        if hasattr(os, "killpg"):
            with contextlib.suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError, ValueError):
            self.process.kill()
        self.process.join(5)
        with contextlib.suppress(OSError, ValueError):
            self.process.close()
        self.channel.close()
        self.output.close()
        shutil.rmtree(self.directory, ignore_errors=True)


FRAME_LINE = re.compile(r'^\s+File "(?P<file>.+)", line (?P<line>\d+) in (?P<function>.+)$')


def parse_stack(text: str) -> list[tuple[str, int, str]]:
    """The frames of faulthandler's dump, most recent first, of the thread that was
    serving requests (its stack holds worker.py); every thread's if none does."""
    threads, current = [], None
    for line in text.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            current = []
            threads.append(current)
        elif current is not None and (match := FRAME_LINE.match(line)):
            current.append((match["file"], int(match["line"]), match["function"]))
    serving = [t for t in threads if any(f.endswith("worker.py") for f, _, _ in t)]
    chosen = serving[-1:] or threads
    return [frame for thread in chosen for frame in thread]
