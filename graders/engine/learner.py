"""The learner's kata file as graders see it: a proxy to a worker process.

`learner.fn("adam_step")(w, grad, m, v, t)` sends the arguments to the worker that loaded
the file, and returns what the learner's function returned, as plain data. On the way it
turns what went wrong into what the graders report: a stub's NotImplementedError becomes
NotStarted, any other exception LearnerRaised (with the call and the learner's frames),
an argument changed in place a KataFailure, an import of torch NotNumpy. Each check has a
budget of seconds for the learner's code (begin_check); the worker is killed past it.

Katas whose contract is a class or a protocol are driven by trusted code inside the
worker (learner.drive, graders/drivers/); speed checks time the learner's function and a
vectorised reference the same way in one fresh worker (learner.time_against).
"""

from __future__ import annotations

import builtins
import inspect
import math
import time
import traceback
from pathlib import Path

import numpy as np

from graders.engine.describe import describe_call, first_difference
from graders.engine.protocol import Encoder
from graders.engine.workers import Worker

__all__ = [
    "KataFailure",
    "Learner",
    "LearnerFunction",
    "LearnerRaised",
    "LoadFailed",
    "NotNumpy",
    "NotStarted",
]


class KataFailure(AssertionError):
    """A wrong answer: the message is written for the learner and shown as is."""


class NotNumpy(KataFailure):
    """The kata imported torch, jax or tensorflow: it is failed, and not graded further."""


class NotStarted(Exception):
    """The learner's function still raises NotImplementedError (an untouched stub).

    path: the file whose function raised, when known (another kata's file, for a kata
    that builds on earlier ones).
    """

    def __init__(self, function: str, path: Path | None = None):
        super().__init__(function)
        self.function = function
        self.path = path


class LearnerRaised(Exception):
    """The learner's code raised: keeps the call and (a copy of) the exception.

    error is rebuilt from the worker's description: its class has the original's name
    and the nearest built-in base (FloatingPointError, ValueError, ...), its str() is the
    original's message, error.learner_frames the traceback's frames.
    """

    def __init__(self, call: str, error: BaseException):
        super().__init__(call)
        self.call = call
        self.error = error


class LoadFailed(Exception):
    """The kata file could not be imported (syntax error, import error, ...)."""

    def __init__(self, path: Path, error: BaseException):
        super().__init__(str(path))
        self.path = path
        self.error = error


def rebuild_exception(info: dict) -> BaseException:
    """A stand-in for an exception raised in the worker (see LearnerRaised)."""
    info = info if isinstance(info, dict) else {}
    name = str(info.get("type", "Exception"))[:80] or "Exception"
    message = str(info.get("message", ""))
    bases = [getattr(builtins, n, None) for n in info.get("mro", ()) if isinstance(n, str)]
    bases = [b for b in bases if isinstance(b, type) and issubclass(b, BaseException)]
    for base in [*bases, Exception]:
        try:
            cls = type(name, (base,), {"__str__": lambda self: self.args[0] if self.args else ""})
            error = cls(message)
        except TypeError:  # a base whose constructor wants more (UnicodeDecodeError)
            continue
        break
    error.args = (message,)
    frames = []
    for frame in info.get("frames", ()):
        try:
            filename, lineno, function, line = frame
            frames.append(traceback.FrameSummary(str(filename), int(lineno), str(function),
                                                 line=str(line)))  # fmt: skip
        except (TypeError, ValueError):
            continue
    error.learner_frames = frames
    error.exception_only = str(info.get("exception_only", f"{name}: {message}"))
    return error


BATCH_SECONDS = 0.02  # how long one timed batch of calls lasts (CPU time: little noise)
LEARNER_TIMING_SECONDS = 2.0  # how long the learner's batches may take, once two are done
WAITING_CHARGE = 0.5  # a learner's timed call costs at least this share of its wall time
NOT_NUMPY = (
    "{file} imports {module}: a kata is written in numpy. PyTorch is the oracle the graders "
    "compare your work with (a softmax that calls torch.softmax passes nothing), and in an "
    "interview you write the mechanics yourself. Remove the import."
)


class Learner:
    """One kata file, loaded in a worker process of its own."""

    def __init__(self, path: Path, seconds: float = 5.0):
        self.path = Path(path)
        self.worker = Worker()
        self.remaining = seconds
        self.aliased: KataFailure | None = None
        self.views_sent = 0
        self._callback_failure = None
        try:
            self.names = self._load(self.worker)
        except BaseException:
            self.worker.close()
            raise

    def _load(self, worker: Worker) -> dict:
        reply = self._request(worker, {"op": "load", "path": str(self.path)})
        if "forbidden" in reply:
            raise NotNumpy(NOT_NUMPY.format(file=self.path.name, module=reply["forbidden"]))
        if "loaded" not in reply:
            raise LoadFailed(self.path, rebuild_exception(reply.get("load_failed")))
        names = reply["loaded"]
        return names if isinstance(names, dict) else {}

    def begin_check(self, seconds: float) -> None:
        """The budget, in seconds, of the learner's code during the next check."""
        self.remaining = seconds
        self.aliased = None
        self.views_sent = 0  # non-contiguous arrays the check sent (tests/test_regimes.py)

    def end_check(self) -> None:
        """After a check found nothing wrong: fail it if a result shared an argument's
        memory on the way. (Told last, so that a wrong value is named as its mistake.)"""
        if self.aliased is not None:
            raise self.aliased

    def close(self) -> None:
        self.worker.close()

    def fn(self, name: str, mutation_hint: str = "", may_alias: bool = False,
           cache: int | None = None) -> LearnerFunction:  # fmt: skip
        """The learner's function `name`, called through the worker. cache: the position
        of a layer's cache in its returned tuple (default: 1 for a *_forward), left out of
        the aliasing rule."""
        info = self.names.get(name)
        if not isinstance(info, dict):
            defined = sorted(
                n
                for n, i in self.names.items()
                if isinstance(i, dict) and i.get("callable") and not n.startswith("_")
            )
            raise KataFailure(
                f"{self.path.name} defines no {name!r}: did you misname or delete it?\n"
                f"  functions found: {', '.join(defined) or 'none'}"
            )
        return LearnerFunction(self, name, info, mutation_hint, may_alias, cache)

    def drive(self, driver: str, *args, what: str):
        """Run a trusted driver (graders.drivers.<module>:<function>) on the learner's
        module in the worker; its plain-data result. `what` describes it in messages."""
        reply, _ = self.call(driver, args, {}, driver=True)
        return self.outcome(reply, what)

    # ------------------------------------------------------------ the round trip

    def call(self, target: str, args, kwargs, *, driver=False, consume=False):
        """One request to the worker: (reply fields, the encoder that sent the arguments)."""
        encoder = Encoder()
        fields = {
            "op": "call",
            "target": target,
            "driver": driver,
            "consume": consume,
            "args": tuple(args),
            "kwargs": dict(kwargs),
            "errstate": dict(np.geterr()),
        }
        reply = self._request(self.worker, fields, encoder)
        self.views_sent += encoder.views
        for rng, state in zip(encoder.rngs, reply.get("rng_states") or ()):
            try:
                rng.bit_generator.state = state
            except (TypeError, ValueError, KeyError):
                raise KataFailure(
                    "the random generator came back from your code in a state numpy rejects"
                ) from None
        return reply, encoder

    def _request(self, worker: Worker, fields: dict, encoder: Encoder | None = None) -> dict:
        self._callback_failure = None
        try:
            reply = worker.request(
                fields,
                seconds=max(self.remaining, 0.0),
                encoder=encoder,
                on_callback=lambda *c: self._callback(encoder, *c),
            )
        finally:
            self.remaining -= worker.spent
        if self._callback_failure is not None:
            raise self._callback_failure
        return reply

    def _callback(self, encoder, index, args, kwargs) -> dict:
        """Run a grader's function that the learner's code called (numerical_gradient's f)."""
        try:
            function = encoder.callbacks[index]
            return {"value": function(*(args or ()), **(kwargs or {}))}
        except (KataFailure, NotStarted, LearnerRaised) as failure:
            self._callback_failure = failure
            return {"type": "RuntimeError", "message": "the grader's function failed"}
        except Exception as error:  # noqa: BLE001 - the learner called it with bad values
            return {"type": type(error).__name__, "message": str(error)}

    def outcome(self, reply: dict, call):
        """The value the learner's code returned, or the failure its reply describes.
        call: how the call reads in a message, or a function that says it (only a failure
        needs it, and describing every passing call's arguments costs)."""
        if "forbidden" in reply:
            raise NotNumpy(NOT_NUMPY.format(file=self.path.name, module=reply["forbidden"]))
        if "not_started" in reply:
            where = reply["not_started"] if isinstance(reply["not_started"], dict) else {}
            path = where.get("path")
            raise NotStarted(str(where.get("function", "")), Path(path) if path else None)
        if "raised" in reply:
            call = call() if callable(call) else call
            raise LearnerRaised(call, rebuild_exception(reply["raised"]))
        if "returned" not in reply:
            raise KataFailure("no answer came back from your code (an unreadable reply)")
        return reply["returned"]

    # ------------------------------------------------------------ speed

    def time_against(self, function: str, args, kwargs, reference: str, *, repeats=5,
                     limit=25.0):  # fmt: skip
        """Time `reference` (graders.drivers.<module>:<function>, vectorised numpy) and the
        learner's function on the same arguments, each in a fresh worker of its own: the
        reference's never loads the learner's file, so nothing the file does can slow it.
        Both the same way: a warm-up call, then batches of calls lasting about
        BATCH_SECONDS each, the batches alternating, reference then learner; the best
        batch of each. A batch costs the CPU time its worker used (read from here, see
        Worker.cpu_seconds), which other processes on a loaded machine do not inflate as
        they do wall time; the learner's at least WAITING_CHARGE of its wall time, so that
        a call that waits (on a child process, say) instead of computing is not free.
        Without a CPU clock (macOS), wall time for both.

        Returns (reference seconds, learner seconds, reference result, learner result):
        per call, and the results of one more call each (None for a learner already too
        slow). The learner stops early once it is too slow beyond doubt, or after
        LEARNER_TIMING_SECONDS of batches (at least two rounds)."""
        reference_worker, learner_worker = Worker(), Worker()
        try:
            stash = {"op": "stash", "args": tuple(args), "kwargs": dict(kwargs)}
            slots = {w: self._request(w, stash)["slot"] for w in (reference_worker, learner_worker)}

            def timed(worker, target, calls=1, keep=False):
                reference_run = worker is reference_worker
                fields = {"op": "run", "slot": slots[worker], "target": target, "calls": calls,
                          "keep": keep, "driver": reference_run, "reference": reference_run,
                          "errstate": dict(np.geterr())}  # fmt: skip
                cpu_start, start = worker.cpu_seconds(), time.perf_counter()
                reply = self._request(worker, fields)
                wall, cpu_end = time.perf_counter() - start, worker.cpu_seconds()
                result = self.outcome(reply, f"{function} (timed)")
                if cpu_start is None or cpu_end is None:
                    return wall / calls, result
                cpu = cpu_end - cpu_start
                if not reference_run:
                    cpu = max(cpu, WAITING_CHARGE * wall)
                return cpu / calls, result

            def batch_of(seconds):
                return max(1, min(1000, math.ceil(BATCH_SECONDS / max(seconds, 1e-6))))

            reference_best, reference_result = timed(reference_worker, reference, keep=True)
            self._load(learner_worker)
            learner_best, _ = timed(learner_worker, function)  # its warm-up
            if learner_best > 1.0 and learner_best > limit * reference_best:
                return reference_best, learner_best, reference_result, None
            reference_calls, learner_calls = batch_of(reference_best), batch_of(learner_best)
            spent = 0.0
            for round_ in range(repeats):
                reference_best = min(
                    reference_best, timed(reference_worker, reference, reference_calls)[0]
                )
                seconds, _ = timed(learner_worker, function, learner_calls)
                learner_best, spent = min(learner_best, seconds), spent + seconds * learner_calls
                too_slow = learner_best > 2 * limit * reference_best
                if round_ >= 1 and (too_slow or spent > LEARNER_TIMING_SECONDS):
                    break
            return reference_best, learner_best, reference_result, timed(
                learner_worker, function, keep=True)[1]  # fmt: skip
        finally:
            reference_worker.close()
            learner_worker.close()


class LearnerFunction:
    """Calls one learner function in the worker; checks that it left its arguments alone."""

    def __init__(self, learner: Learner, name: str, info: dict, mutation_hint: str = "",
                 may_alias: bool = False, cache: int | None = None):  # fmt: skip
        self.learner = learner
        self.name = name
        self.info = info
        self.mutation_hint = mutation_hint
        self.may_alias = may_alias  # a kata whose contract lets results share memory
        # a layer's cache is the learner's own business: keeping the inputs there is the
        # usual way to have them for the backward (a *_forward's second output by default)
        self.cache = 1 if cache is None and name.endswith("_forward") else cache

    def describe(self, *args, **kwargs) -> str:
        return describe_call(self.name, self._bind(args, kwargs))

    def __call__(self, *args, **kwargs):
        return self._run(args, kwargs, consume=False)

    def consume(self, *args, **kwargs) -> list:
        """Call a generator function and list what it yields: its code runs only as it is
        consumed, so errors and in-place changes are looked for after the last item."""
        return self._run(args, kwargs, consume=True)

    def _run(self, args, kwargs, consume):
        bound = self._bind(args, kwargs)
        reply, _ = self.learner.call(self.name, args, kwargs, consume=consume)
        result = self.learner.outcome(reply, lambda: describe_call(self.name, bound))
        after = reply.get("args_after")
        if after is not None:
            try:
                after_args, after_kwargs = after
                now = self._bind(tuple(after_args), dict(after_kwargs))
            except (TypeError, ValueError):
                now = {}
            for arg_name, original in bound.items():
                _assert_unchanged(
                    self.name,
                    arg_name,
                    original,
                    now.get(arg_name),
                    bound,
                    self.mutation_hint,
                )
        if not self.may_alias and self.learner.aliased is None:
            cache = self.cache if isinstance(result, tuple) else None
            try:
                _assert_no_alias(
                    self.name, bound, result, reply.get("returned_containers"), skipped=cache
                )
            except KataFailure as failure:
                self.learner.aliased = failure  # raised by end_check, if nothing else is wrong
        return result

    def _bind(self, args, kwargs) -> dict:
        """Argument names to values, as the learner's signature names them."""
        try:
            parameters = [
                inspect.Parameter(
                    str(name),
                    inspect._ParameterKind(int(kind)),
                    default=None if has_default else inspect.Parameter.empty,
                )
                for name, kind, has_default in self.info.get("params") or ()
            ]
            signature = inspect.Signature(parameters)
            return dict(signature.bind(*args, **kwargs).arguments)
        except (TypeError, ValueError):
            named = {f"arg{i}": a for i, a in enumerate(args)}
            named.update(kwargs)
            return named


# ---------------------------------------------------------------- aliasing


def _labelled(value, label: str):
    """(label, value) for every array, list and dict in value, through tuples too."""
    if isinstance(value, (np.ndarray, list, dict)):
        yield label, value
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _labelled(item, f"{label}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _labelled(item, f"{label}[{key!r}]")


def _path_label(root: str, path) -> str:
    return root + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path or ())


def _assert_no_alias(function, bound: dict, result, containers, skipped=None) -> None:
    """Raise KataFailure if something returned is an argument's own list or dict, or an
    array sharing memory with an argument's array (a view, or the argument itself).
    skipped: the position, in a returned tuple, of an output left out of this rule."""
    for pair in containers or ():
        try:
            result_path, argument_path = pair
            if skipped is not None and result_path[:1] == [skipped]:
                continue
            args_or_kwargs, *rest = argument_path
            name = list(bound)[rest[0]] if args_or_kwargs == 0 else rest[0]
            label = _path_label(str(name), rest[1:])
        except (ValueError, TypeError, IndexError):
            continue
        raise KataFailure(
            f"{function} returned its argument's own {label!r} "
            f"(as {_path_label('result', result_path)}), not a new list or dict\n"
            f"  called   {describe_call(function, bound)}\n"
            "  Katas return new objects on every path, the ones with nothing to do "
            "included: the caller may change what you return. Copy it."
        )
    arrays = [(label, a) for n, v in bound.items() for label, a in _labelled(v, n)
              if isinstance(a, np.ndarray)]  # fmt: skip
    outputs = (
        [(f"result[{i}]", v) for i, v in enumerate(result) if i != skipped]
        if skipped is not None
        else [("result", result)]
    )
    for out_label, out in (pair for label, v in outputs for pair in _labelled(v, label)):
        if not isinstance(out, np.ndarray):
            continue
        for label, argument in arrays:
            if np.shares_memory(out, argument):
                same = out.shape == argument.shape and np.array_equal(out, argument)
                raise KataFailure(
                    f"{function} returned {'its argument' if same else 'a view of its argument'}"
                    f" {label!r} (as {out_label}): it shares the argument's memory\n"
                    f"  called   {describe_call(function, bound)}\n"
                    "  Katas return new arrays on every path, the ones with nothing to do "
                    "included (x.copy(), not x or x[...] or x.reshape(...)): a caller that "
                    "changes the result would change its own input."
                )


# ---------------------------------------------------------------- in-place changes


def _leaves(value, label: str):
    """(label, value) for every array and number in value, through lists, tuples and dicts."""
    if isinstance(value, (np.ndarray, int, float, np.generic)):
        yield label, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{label}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{label}[{key!r}]")


def _same(before, now) -> bool:
    if isinstance(before, np.ndarray):
        return (
            isinstance(now, np.ndarray)
            and before.shape == now.shape
            and np.array_equal(before, now, equal_nan=True)
        )
    return type(before) is type(now) and (before == now or (before != before and now != now))


def _layout(value):
    """The nesting of lists, tuples and dicts in value (lengths and keys), arrays aside."""
    if isinstance(value, (list, tuple)):
        return (len(value), [_layout(v) for v in value])
    if isinstance(value, dict):
        return (sorted(map(str, value)), [_layout(v) for v in value.values()])
    return None


def _assert_unchanged(function, arg_name, original, now, passed, hint=""):
    """Raise KataFailure if an argument's arrays or numbers (it, or those in the lists,
    tuples and dicts it holds) were modified in place, or a list or dict was resized.

    passed: the arguments as they were sent, to show what was called."""
    if _layout(original) != _layout(now):
        raise KataFailure(
            f"{function} changed the contents of its argument {arg_name!r} "
            "(added, removed or replaced items in a list or dict).\n"
            f"  called   {describe_call(function, passed)}\n"
            "  Katas are pure functions: build and return new objects instead."
        )
    for (label, o), (_, n) in zip(_leaves(original, arg_name), _leaves(now, arg_name)):
        if _same(o, n) or label == arg_name and not isinstance(o, np.ndarray):
            continue  # a number passed alone cannot be changed by the callee
        if not isinstance(o, np.ndarray):
            where = f"{o!r} became {n!r}"
        elif isinstance(n, np.ndarray) and o.shape == n.shape:
            where = first_difference(n, o)
        else:  # an item of a list replaced, or the list reordered
            where = f"shape {o.shape} became {getattr(n, 'shape', type(n).__name__)}"
        advice = (
            "build a new array (`x = x * m`), not `x *= m`, `x[...] = ...` or `out=x`."
            if isinstance(o, np.ndarray)
            else "copy the list (`list(x)`) and change the copy, or build a new one."
        )
        raise KataFailure(
            f"{function} modified its argument {label!r} in place ({where}).\n"
            f"  called   {describe_call(function, passed)}\n"
            f"  Katas are pure functions: {advice}" + (f"\n  looks like: {hint}" if hint else "")
        )
