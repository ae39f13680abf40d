"""Loading a learner's kata file and calling its functions defensively.

Learner code is untrusted and fallible: every call copies the arguments first
and compares them afterwards (katas are pure), a stub's NotImplementedError
becomes NotStarted, and any other exception becomes LearnerRaised carrying the
call that triggered it.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import inspect
import itertools
import sys
import traceback
from pathlib import Path
from types import ModuleType

import numpy as np

from graders.engine.describe import describe_call, first_difference

# What learner code may raise that graders catch: every error, and the two BaseExceptions
# a function can raise on purpose (not pytest's outcomes, which stop a check as meant).
LEARNER_ERRORS = (Exception, KeyboardInterrupt, SystemExit)


class KataFailure(AssertionError):
    """A wrong answer: the message is written for the learner and shown as is."""


class NotStarted(Exception):
    """The learner's function still raises NotImplementedError (an untouched stub).

    path: the file whose function raised, when known (another kata's file, for a kata
    that builds on earlier ones).
    """

    def __init__(self, function: str, path: Path | None = None):
        super().__init__(function)
        self.function = function
        self.path = path


def _not_started(error: NotImplementedError, fallback: str) -> NotStarted:
    """Name the function whose stub raised, from the innermost frame of the traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return NotStarted(fallback)
    return NotStarted(frames[-1].name, Path(frames[-1].filename))


class LearnerRaised(Exception):
    """The learner's code raised: keeps the call and the original exception."""

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


_module_counter = itertools.count()


def load_module(path: Path) -> ModuleType:
    """Import a kata file by path under a fresh, unique module name."""
    name = f"_kata_{path.parent.parent.name}_{path.parent.name}_{path.stem}_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except LEARNER_ERRORS as error:  # SyntaxError, sys.exit(), ...
        del sys.modules[name]
        raise LoadFailed(path, error) from error
    return module


class Learner:
    """The learner's kata module, seen through defensive wrappers."""

    def __init__(self, module: ModuleType, path: Path):
        self.module = module
        self.path = path

    def fn(self, name: str, mutation_hint: str = "") -> LearnerFunction:
        target = getattr(self.module, name, None)
        if target is None:
            defined = sorted(
                n for n, v in vars(self.module).items() if callable(v) and not n.startswith("_")
            )
            raise KataFailure(
                f"{self.path.name} defines no {name!r}: did you misname or delete it?\n"
                f"  functions found: {', '.join(defined) or 'none'}"
            )
        return LearnerFunction(name, target, mutation_hint)


@contextlib.contextmanager
def learner_code(what: str):
    """Run learner code that is not one function call (say, the methods of a learner's
    class) with the same reporting: NotStarted for a stub, LearnerRaised otherwise."""
    try:
        yield
    except NotImplementedError as error:
        raise _not_started(error, what) from None
    except (KataFailure, NotStarted, LearnerRaised):
        raise
    except LEARNER_ERRORS as error:
        raise LearnerRaised(what, error) from error


class LearnerFunction:
    """Calls one learner function; checks that it left its arguments alone."""

    def __init__(self, name: str, target, mutation_hint: str = ""):
        self.name = name
        self.target = target
        self.mutation_hint = mutation_hint

    def describe(self, *args, **kwargs) -> str:
        return describe_call(self.name, self._bind(args, kwargs))

    def __call__(self, *args, **kwargs):
        return self._run(args, kwargs, finish=lambda result: result)

    def consume(self, *args, **kwargs) -> list:
        """Call a generator function and list what it yields: its code runs only as it is
        consumed, so errors and in-place changes are looked for after the last item."""
        return self._run(args, kwargs, finish=list)

    def _run(self, args, kwargs, finish):
        bound = self._bind(args, kwargs)
        before = {k: copy.deepcopy(v) for k, v in bound.items()}
        try:
            result = finish(self.target(*args, **kwargs))
        except NotImplementedError as error:
            raise _not_started(error, self.name) from None
        except LEARNER_ERRORS as error:  # not pytest's outcomes
            raise LearnerRaised(describe_call(self.name, before), error) from error
        for arg_name, original in before.items():
            _assert_unchanged(
                self.name, arg_name, original, bound[arg_name], before, self.mutation_hint
            )
        return result

    def _bind(self, args, kwargs) -> dict:
        """Argument names to values, as the learner's signature names them."""
        try:
            signature = inspect.signature(self.target)
            return dict(signature.bind(*args, **kwargs).arguments)
        except (TypeError, ValueError):
            named = {f"arg{i}": a for i, a in enumerate(args)}
            named.update(kwargs)
            return named


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

    passed: copies of all the arguments taken before the call, to show what was called."""
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
