"""Comparison helpers that explain a failure: where, by how much, and which mistake.

Order matters: structure (type, length, shape, dtype) is checked before any
number, so a wrong shape is never reported as a wrong value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graders.describe import describe_value, first_difference
from graders.learner import KataFailure

# float64 implementations of the same formula, rearranged, agree to ~1e-13;
# every listed mistake moves results by far more than this.
RTOL = 1e-8
ATOL = 1e-12
# A learner output "is" a known mistake when it matches the mistake's output this closely.
MISTAKE_RTOL = 1e-6


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


def recognise(got: dict, mistakes) -> Mistake | None:
    """The first listed mistake whose outputs match the learner's."""
    for mistake in mistakes:
        try:
            outputs = mistake.outputs()
        except (FloatingPointError, ZeroDivisionError, np.linalg.LinAlgError):
            continue
        with np.errstate(all="ignore"):
            if outputs.keys() == got.keys() and all(
                _close(got[k], outputs[k], MISTAKE_RTOL, 1e-10) for k in got
            ):
                return mistake
    return None


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
        mistake = recognise(got, mistakes)
        if mistake:
            lines.append(f"  looks like: {mistake.says}")
        raise KataFailure("\n".join(lines))


def _preview(value) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):.10g}"
    flat = np.asarray(value, dtype=float).ravel()
    head = np.array2string(flat[:4], precision=6, separator=", ")
    return f"{describe_value(np.asarray(value))} starting {head[:-1]}{', ...]' if flat.size > 4 else ']'}"
