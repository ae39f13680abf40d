"""The process learner code runs in: it loads one kata file and answers requests.

A worker is forked, fresh for every kata file, from a server that has imported numpy and
this module only (graders/engine/workers.py starts it). It holds no oracle, no
comparison and no verdict: it receives plain data (graders/engine/protocol.py), calls the
learner's function (or a trusted driver from graders/drivers/, for katas whose contract
is a class or a protocol), and sends back what came out: the return value, what the call
did to its arguments, the advanced random generators, or the exception and its frames.
Whatever the learner's code does here, the grading process only ever reads data.

Requests (field "op"): load, call (a function, or a driver), stash (arguments kept for
timing), run (a stashed call, timed by the grading process). Torch, JAX and TensorFlow cannot be
imported here: PyTorch is the oracle, and a kata is written in numpy.
"""

from __future__ import annotations

import faulthandler
import importlib
import importlib.abc
import inspect
import os
import signal
import sys
import traceback

import numpy as np

from graders.engine.protocol import (
    Decoder,
    Encoder,
    ProtocolError,
    pack,
    read_frame,
    write_frame,
)
from graders.kata_files import load_module

FORBIDDEN = ("torch", "jax", "jaxlib", "tensorflow", "keras", "flax")
DRIVER_PACKAGE = "graders.drivers."
OUTPUT_LIMIT_BYTES = 64 * 2**20  # RLIMIT_FSIZE: a print loop ends the worker, not the disk
ERRSTATE_VALUES = ("ignore", "warn", "raise", "print")
MESSAGE_LIMIT = 2000  # characters of an exception's message sent back


class ForbiddenImport(ImportError):
    """A kata file (or a function in it) tried to import torch, jax or tensorflow."""


class NumpyOnly(importlib.abc.MetaPathFinder):
    """Refuses the deep-learning frameworks: they would grade the oracle against itself."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in FORBIDDEN:
            raise ForbiddenImport(f"{fullname} cannot be imported while a kata is graded")
        return None


def main(channel, output_path: str, stack_path: str) -> None:
    """Entry point in the forked process: isolate it, then serve requests until EOF."""
    if hasattr(os, "setsid"):
        os.setsid()  # its own process group: the grading process kills the whole group
    _redirect_output(output_path)
    stack_file = open(stack_path, "w")  # noqa: SIM115 - must stay open for faulthandler
    faulthandler.enable(stack_file, all_threads=True)  # a segfault dumps where it was
    if hasattr(signal, "SIGUSR1"):
        # the watchdog sends SIGUSR1 before it kills a stuck worker: where was it?
        faulthandler.register(signal.SIGUSR1, stack_file, all_threads=True)
    _limit_resources()
    np.random.seed(int.from_bytes(os.urandom(4), "little"))  # noqa: NPY002 - the global state
    sys.meta_path.insert(0, NumpyOnly())
    Server(channel).serve()


def _redirect_output(output_path: str) -> None:
    output = os.open(output_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def _limit_resources() -> None:
    try:
        import resource
    except ImportError:  # Windows
        return
    for limit, value in ((resource.RLIMIT_CORE, 0), (resource.RLIMIT_FSIZE, OUTPUT_LIMIT_BYTES)):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


class Server:
    def __init__(self, channel):
        self.channel = channel
        self.module = None
        self.handles: dict[int, object] = {}  # what the learner returned that is not data
        self.slots: dict[int, tuple] = {}  # arguments kept for repeated, timed runs

    def serve(self) -> None:
        self.send({"ready": os.getpid()})
        while True:
            body = read_frame(self.channel)
            try:
                request = Decoder(handles=self.handles, make_callback=self.callback).unpack(body)
            except ProtocolError as error:
                self.send({"broken": str(error)})
                continue
            self.send_frame(self.answer(request))

    def send(self, fields: dict, encoder: Encoder | None = None) -> None:
        self.send_frame(pack(fields, encoder or Encoder(handles=self.handles)))

    def send_frame(self, frame: bytes) -> None:
        _flush_output()
        write_frame(self.channel, frame)

    # ------------------------------------------------------------ requests

    def answer(self, request) -> bytes:
        fields = request.fields
        op = fields.get("op")
        if op == "load":
            return self.load(fields["path"])
        if op == "call":
            return self.call(request)
        if op == "stash":
            slot = len(self.slots) + 1
            self.slots[slot] = (request, fields["args"], fields["kwargs"])
            return pack({"slot": slot})
        if op == "run":
            return self.run(fields)
        return pack({"broken": f"unknown request {op!r}"})

    def load(self, path: str) -> bytes:
        try:
            self.module = load_module(path)
        except BaseException as error:  # noqa: BLE001 - anything a kata file does at import
            forbidden = forbidden_import(error)
            if forbidden:
                return pack({"forbidden": forbidden})
            return pack({"load_failed": describe_exception(error)})
        return self.checked(pack({"loaded": describe_names(self.module)}))

    def target(self, fields):
        """The learner's function, or a driver (graders.drivers.<x>:<f>) given the module."""
        name = fields["target"]
        if not fields.get("driver"):
            return getattr(self.module, name)
        module_name, _, function = name.partition(":")
        if not module_name.startswith(DRIVER_PACKAGE):
            raise ProtocolError(f"{module_name} is not a driver")
        driver = getattr(importlib.import_module(module_name), function)
        if fields.get("reference"):  # a vectorised reference, timed beside the learner's
            return driver
        return lambda *args, **kwargs: driver(self.module, *args, **kwargs)

    def call(self, request) -> bytes:
        fields = request.fields
        args, kwargs = fields["args"], fields["kwargs"]
        before = signature_of((args, kwargs))
        try:
            target = self.target(fields)
            with np.errstate(**errstate(fields.get("errstate"))):
                result = target(*args, **kwargs)
                if fields.get("consume"):
                    result = list(result)
        except BaseException as error:  # noqa: BLE001 - learner code may raise anything
            reply = self.failure(error, "raised", request, before)
        else:
            reply = self.returned(result, request, before)
        return self.checked(reply)

    def returned(self, result, request, before) -> bytes:
        inside = [
            (i, np.frombuffer(buffer, np.uint8)) for i, (_, buffer) in enumerate(request.blocks)
        ]
        encoder = Encoder(handles=self.handles, inside=inside)
        args = (request.fields["args"], request.fields["kwargs"])
        fields = {
            "returned": result,
            "returned_containers": same_containers(result, args),
            **self.aftermath(request, before),
        }
        return pack(fields, encoder)

    def aftermath(self, request, before) -> dict:
        """What the call left behind: the random generators' states, and the arguments as
        they are now when anything in them changed (the grading process judges that)."""
        fields = {"rng_states": [rng.bit_generator.state for rng in request.rngs]}
        args = (request.fields["args"], request.fields["kwargs"])
        changed = any(bytes(buffer) != raw for raw, buffer in request.blocks)
        if changed or signature_of(args) != before:
            fields["args_after"] = detached(args)  # copies: never views of what was sent
        return fields

    def failure(self, error, key, request=None, before=None) -> bytes:
        forbidden = forbidden_import(error)
        if forbidden:
            return pack({"forbidden": forbidden})
        if isinstance(error, NotImplementedError):
            return pack({"not_started": raised_where(error)})
        fields = {key: describe_exception(error)}
        if request is not None:
            fields.update(self.aftermath(request, before))
        return pack(fields, Encoder(handles=self.handles))

    def checked(self, frame: bytes) -> bytes:
        """The frame, unless a forbidden module got in by a way around the import hook."""
        loaded = sorted({name.partition(".")[0] for name in sys.modules} & set(FORBIDDEN))
        return pack({"forbidden": loaded[0]}) if loaded else frame

    def run(self, fields) -> bytes:
        """`calls` calls in a row on stashed arguments, timed by the grading process around
        the request; the last call's result is sent back only when asked (keep)."""
        request, args, kwargs = self.slots[fields["slot"]]
        try:
            target = self.target(fields)
            with np.errstate(**errstate(fields.get("errstate"))):
                for _ in range(max(1, int(fields.get("calls", 1)))):
                    result = target(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001
            return self.checked(self.failure(error, "raised"))
        return self.checked(pack({"returned": result if fields.get("keep") else None},
                                 Encoder(handles=self.handles)))  # fmt: skip

    # ------------------------------------------------------------ callbacks

    def callback(self, index: int):
        """A grader's function, called from learner code: the grading process runs it."""
        server = self

        def remote(*args, **kwargs):
            server.send({"op": "callback", "index": index, "args": args, "kwargs": kwargs})
            reply = Decoder(handles=server.handles).unpack(read_frame(server.channel)).fields
            if "value" in reply:
                return reply["value"]
            raise _builtin_exception(reply.get("type", ""))(reply.get("message", ""))

        remote.__name__ = f"grader_function_{index}"
        return remote


# ---------------------------------------------------------------- what is sent back


def describe_names(module) -> dict:
    """{name: {callable, kind, params}} for the module's names (dunders left out)."""
    names = {}
    for name, value in list(vars(module).items()):
        if name.startswith("__"):
            continue
        info = {"callable": callable(value), "kind": type(value).__name__, "params": None}
        if info["callable"]:
            try:
                info["params"] = [
                    [p.name, int(p.kind), p.default is not inspect.Parameter.empty]
                    for p in inspect.signature(value).parameters.values()
                ]
            except BaseException:  # noqa: BLE001, S110 - no signature: arguments shown as arg0...
                pass
        names[name] = info
    return names


def describe_exception(error: BaseException) -> dict:
    try:
        message = str(error)
    except BaseException:  # noqa: BLE001
        message = "(its message could not be printed)"
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + " ..."
    frames = [
        [f.filename, f.lineno, f.name, f.line or ""]
        for f in traceback.extract_tb(error.__traceback__)
    ]
    try:
        exception_only = "".join(traceback.format_exception_only(type(error), error)).rstrip()
    except BaseException:  # noqa: BLE001
        exception_only = f"{type(error).__name__}: {message}"
    return {
        "type": type(error).__name__,
        "mro": [c.__name__ for c in type(error).__mro__],
        "message": message,
        "frames": frames[-50:],
        "exception_only": exception_only[:MESSAGE_LIMIT],
    }


def raised_where(error: BaseException) -> dict:
    """The function (its qualified name: Value.__init__) and file an error came from."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return {"function": "", "path": ""}
    code = tb.tb_frame.f_code
    return {"function": getattr(code, "co_qualname", code.co_name), "path": code.co_filename}


def forbidden_import(error: BaseException) -> str:
    """The forbidden module behind an error, following its causes; '' if none."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, ForbiddenImport):
            return str(error).split()[0].partition(".")[0]
        error = error.__cause__ or error.__context__
    return ""


def signature_of(value):
    """What identifies the arguments' contents apart from array memory: the containers'
    layout, which array objects sit where, and the values of plain numbers."""
    if isinstance(value, np.ndarray):
        return ("array", id(value))
    if type(value) in (list, tuple):
        return (type(value).__name__, tuple(signature_of(v) for v in value))
    if type(value) is dict:
        return ("dict", tuple((repr(k), signature_of(v)) for k, v in value.items()))
    if value is None or type(value) in (bool, int, float, complex, str):
        return ("value", repr(value))
    return ("object", id(value))


def containers(value, path=()):
    """(path, object) for every list and dict in value, itself included; a path is the
    indices and keys that lead to it."""
    if type(value) in (list, dict):
        yield path, value
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            yield from containers(item, (*path, i))
    elif type(value) is dict:
        for key, item in value.items():
            yield from containers(item, (*path, key))


def same_containers(result, args) -> list:
    """[result path, argument path] for each list or dict returned that is one of the
    arguments' own (arrays are seen by the grading process, through their memory)."""
    known = {id(obj): path for path, obj in containers(args)}
    return [[list(path), list(known[id(obj)])] for path, obj in containers(result)
            if id(obj) in known]  # fmt: skip


def detached(value):
    """value with every array copied (through lists, tuples and dicts)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(detached(v) for v in value)
    if type(value) is dict:
        return {k: detached(v) for k, v in value.items()}
    return value


def errstate(requested) -> dict:
    """The grading process's np.errstate, as it asked (only values numpy accepts here)."""
    if not isinstance(requested, dict):
        return {}
    return {
        key: value if value in ERRSTATE_VALUES else "warn"
        for key, value in requested.items()
        if key in ("divide", "over", "under", "invalid")
    }


def _builtin_exception(name: str):
    import builtins

    found = getattr(builtins, name, None)
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return RuntimeError


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - a learner may have replaced or closed it
            pass
