"""Comparison helpers that explain a failure: where, by how much, and which mistake.

Order matters: structure (type, length, shape, dtype) is checked before any
number, so a wrong shape is never reported as a wrong value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graders.engine.describe import describe_value, first_difference
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted

# float64 implementations of the same formula, rearranged, agree to ~1e-13;
# every listed mistake moves results by far more than this.
RTOL = 1e-8
ATOL = 1e-12


@dataclass(frozen=True)
class Mistake:
    """A classic wrong implementation: what to tell the learner, and what it would output."""

    says: str
    outputs: Callable[[], dict]


def expect_tuple(got, names: tuple[str, ...], call: str):
    """The function must return a tuple (or list) of len(names) values."""
    if len(names) == 1:
        return (got,)
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        raise KataFailure(
            f"wrong return type\n  called   {call}\n"
            f"  expected a tuple ({', '.join(names)}) of {len(names)} values\n"
            f"  got      {describe_value(got)}"
        )
    return tuple(got)


def expect_array(got, name: str, shape: tuple, call: str) -> np.ndarray:
    """`got` must be a float64 ndarray of the given shape."""
    problem = None
    if not isinstance(got, np.ndarray):
        problem = f"{describe_value(got)}, not a numpy array"
    elif got.shape != tuple(shape):
        problem = f"shape {got.shape}, expected {tuple(shape)}"
    elif got.dtype != np.float64:
        problem = f"dtype {got.dtype}; katas compute in float64"
    if problem:
        raise KataFailure(f"wrong {name}\n  called   {call}\n  {name} has {problem}")
    return got


def expect_float(got, name: str, call: str) -> float:
    """`got` must be a real number (a Python float or a 0-d numpy value)."""
    if isinstance(got, np.ndarray) and got.shape == ():
        got = got[()]
    if isinstance(got, (bool, np.bool_)) or not isinstance(
        got, (int, float, np.floating, np.integer)
    ):
        raise KataFailure(
            f"wrong {name}\n  called   {call}\n  expected a float, got {describe_value(got)}"
        )
    return float(got)


def _close(got, expected, rtol, atol) -> bool:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(
        np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    )


def recognise(got: dict, mistakes, expected=None, rtol=RTOL, atol=ATOL) -> Mistake | None:
    """The first listed mistake that gives the learner's outputs on these inputs, within
    the check's tolerance (at least rtol 1e-8, how far two numpy arrangements of one
    formula may drift), and that differs from the expected outputs here: a mistake that
    happens to be right on these inputs names nothing."""
    match_rtol = max(rtol, 1e-8)
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):
                outputs = mistake.outputs()
        except Exception:  # noqa: BLE001 - a diagnostic that does not apply is skipped
            continue
        with np.errstate(all="ignore"):
            if outputs.keys() != got.keys():
                continue
            if expected is not None and all(
                _close(outputs[k], expected[k], rtol, atol) for k in expected if k in outputs
            ):
                continue
            if all(_close(got[k], outputs[k], match_rtol, max(atol, 1e-12)) for k in got):
                return mistake
    return None


def near_miss(got: dict, expected: dict) -> str:
    """'close, but not within tolerance: ...' when every output is within 1e-3 relative of
    the expected one though not within the check's tolerance ('' otherwise)."""
    worst = 0.0
    for label, exp in expected.items():
        try:
            g = np.asarray(got[label], dtype=float)
            e = np.asarray(exp, dtype=float)
        except (TypeError, ValueError):
            return ""
        if g.shape != e.shape or not np.array_equal(np.isfinite(g), np.isfinite(e)):
            return ""
        finite = np.isfinite(e)
        with np.errstate(all="ignore"):
            error = np.abs(g[finite] - e[finite]) / np.maximum(np.abs(e[finite]), 1e-12)
        worst = max(worst, float(error.max(initial=0.0)))
    if not 0 < worst < 1e-3:
        return ""
    return (
        f"close, but not within tolerance: the largest relative error is {worst:.2g}. "
        "float32 somewhere, or an epsilon the contract does not have?"
    )


def assert_matches(
    got: dict,
    expected: dict,
    *,
    call: str,
    oracle: str,
    mistakes=(),
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Compare labelled outputs ('w after step 2': array) with the oracle's, in order."""
    for label, exp in expected.items():
        value = got[label]
        with np.errstate(all="ignore"):
            if _close(value, exp, rtol, atol):
                continue
            where = (
                first_difference(value, exp, rtol, atol)
                if np.ndim(exp)
                else f"got {float(value):.10g}, expected {float(exp):.10g}"
            )
        lines = [
            f"wrong {label}",
            f"  called   {call}",
            f"  got      {_preview(value)}",
            f"  expected {_preview(exp)}  ({oracle})",
            f"  {where}  [tolerance: rtol {rtol:g}, atol {atol:g}]",
        ]
        mistake = recognise(got, mistakes, expected, rtol, atol)
        if mistake:
            lines.append(f"  looks like: {mistake.says}")
        elif close := near_miss(got, expected):
            lines.append(f"  {close}")
        raise KataFailure("\n".join(lines))


def _preview(value) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):.10g}"
    flat = np.asarray(value, dtype=float).ravel()
    head = np.array2string(flat[:4], precision=6, separator=", ")
    return f"{describe_value(np.asarray(value))} starting {head[:-1]}{', ...]' if flat.size > 4 else ']'}"


# Numpy raises on overflow, invalid values (nan) and division by zero while a
# "stable" kata runs. Underflow is allowed: rounding e^-1000 to 0 is the right
# answer, and numpy's own stable primitives (np.logaddexp) signal it.
STRICT_ERRSTATE = {"over": "raise", "invalid": "raise", "divide": "raise", "under": "ignore"}


def call_strictly(fn, *args, stable_form: str, parts=(), **kwargs):
    """Call a learner function where overflow is an error; name the input that caused it.

    The worker runs the call under this process's np.errstate. parts: (label, args)
    pairs, smaller pieces of the input ("row 3 (values near 1000)", (z[3:4],)), tried
    one by one to say which of them overflows.
    """
    with np.errstate(**STRICT_ERRSTATE):
        try:
            return fn(*args, **kwargs)
        except LearnerRaised as raised:
            if not isinstance(raised.error, FloatingPointError):
                raise
            culprit = ""
            for label, part_args in parts:
                try:
                    fn(*part_args, **kwargs)
                except LearnerRaised as part:
                    if isinstance(part.error, FloatingPointError):
                        culprit = f"\n  it happens on {label}"
                        break
                except (KataFailure, NotStarted):  # only locating the overflow here
                    continue
            if parts and not culprit:
                culprit = (
                    "\n  no single slice fails on its own: the slices interact. A max or sum "
                    "taken over the whole array instead of along the axis?"
                )
            raise KataFailure(
                f"not numerically stable: {raised.error}\n  called   {raised.call}{culprit}\n"
                f"  (graded with numpy raising on overflow, nan and division by zero)\n"
                f"  the stable form: {stable_form}"
            ) from None


def rows_of(z: np.ndarray, axis: int = -1):
    """(label, (slice,)) for each 1-D slice of z along `axis`, for call_strictly's parts."""
    moved = np.moveaxis(z, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    for i, row in enumerate(flat):
        label = f"slice {i} along axis {axis} (values from {row.min():.4g} to {row.max():.4g})"
        yield label, (row.reshape((1,) * (z.ndim - 1) + row.shape).swapaxes(-1, axis),)


def elements_of(z: np.ndarray):
    """(label, (one-element array,)) for each element of z, for call_strictly's parts."""
    for index in np.ndindex(z.shape):
        yield f"z{list(index)} = {z[index]:.6g}", (np.array([z[index]]),)


def assert_fast_enough(
    learner,
    function: str,
    args,
    reference: str,
    what: str,
    *,
    kwargs=None,
    limit: float = 25.0,
    compared=lambda result: result,
) -> str:
    """The learner's function must take at most `limit` times a vectorised reference's time.

    reference names a numpy function in graders/drivers/ with the same arguments. Both are
    timed the same way, each in a fresh worker (Learner.time_against: the CPU time of the
    best of five batches of calls, the two alternating), so the machine's speed and its
    load cancel out; the reference's worker never loads the learner's file. A
    further call's result must also match the reference's (compared(result) of each): a
    fast wrong answer is not a speed.
    Returns a note with the figures.
    """
    kwargs = kwargs or {}
    reference_time, learner_time, expected, got = learner.time_against(
        function, args, kwargs, reference, limit=limit
    )
    ratio = learner_time / max(reference_time, 1e-9)
    if ratio > limit:
        raise KataFailure(
            f"too slow: {what} took {learner_time * 1e3:.1f} ms of CPU, {ratio:.1f}x a vectorised "
            f"reference ({reference_time * 1e3:.2f} ms); the limit is {limit:g}x.\n"
            "  A Python loop over the batch? Use whole-array numpy operations instead."
        )
    try:
        agree = same_values(compared(got), compared(expected))
    except (TypeError, IndexError, KeyError):
        agree = False
    if not agree:
        raise KataFailure(
            f"speed not judged: on the timed input ({what}) your function returned "
            f"{describe_value(got)}, which is not what the vectorised reference returned; "
            "see this kata's other checks"
        )
    return f"{what}: {learner_time * 1e3:.1f} ms, {ratio:.1f}x a vectorised reference"


def same_values(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Whether two results agree, through tuples, lists and dicts, to a loose tolerance."""
    if isinstance(expected, (tuple, list)):
        return (
            isinstance(got, (tuple, list))
            and len(got) == len(expected)
            and all(same_values(g, e, rtol, atol) for g, e in zip(got, expected))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(same_values(got[k], expected[k], rtol, atol) for k in expected)
        )
    try:
        return _close(got, expected, rtol, atol)
    except (TypeError, ValueError):
        return False


def check_outputs(
    learner,
    function: str,
    args: tuple,
    expected: dict,
    *,
    oracle: str,
    kwargs: dict | None = None,
    mistakes=(),
    stable_form: str | None = None,
    parts=(),
    note: str = "",
    atol: float = ATOL,
) -> dict:
    """Call one learner function and compare everything it returns with the oracle.

    expected: {output name: value}, in the order the function returns them (a single
    name: the function returns that value alone). A float value expects a float, an
    array expects an array of that shape. mistakes: (says, function) pairs, each
    function taking the learner's arguments. stable_form: grade under STRICT_ERRSTATE.
    atol: the absolute tolerance, where the inputs' scale sets the rounding error.
    Returns the learner's outputs by name.
    """
    kwargs = kwargs or {}
    fn = learner.fn(function)
    call = fn.describe(*args, **kwargs) + note
    if stable_form is None:
        result = fn(*args, **kwargs)
    else:
        result = call_strictly(fn, *args, stable_form=stable_form, parts=parts, **kwargs)
    names = tuple(expected)
    got = {}
    for name, value in zip(names, expect_tuple(result, names, call)):
        want = expected[name]
        if np.ndim(want) == 0 and not isinstance(want, np.ndarray):
            got[name] = expect_float(value, name, call)
        else:
            got[name] = expect_array(value, name, np.shape(want), call)

    def as_dict(outputs):
        return dict(zip(names, outputs if len(names) > 1 else (outputs,)))

    known = [Mistake(says, lambda m=m: as_dict(m(*args, **kwargs))) for says, m in mistakes]
    assert_matches(got, expected, call=call, oracle=oracle, mistakes=known, atol=atol)
    return got
