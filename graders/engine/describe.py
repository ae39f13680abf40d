"""Short, human descriptions of values, calls and differences, for failure messages."""

from __future__ import annotations

import numpy as np

from graders.engine.protocol import Opaque


def describe_value(value) -> str:
    """'float64 array (3, 4)' for arrays, a short repr for everything else."""
    if isinstance(value, Opaque):
        return f"a {value.type_name} (not plain data: numbers, arrays, tuples, lists, dicts)"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return f"{value.dtype} array ({value.item()!r})"
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {tuple(value.shape)}"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        inner = ", ".join(describe_value(v) for v in value[:4])
        more = ", ..." if len(value) > 4 else ""
        return f"{type(value).__name__} of {len(value)} [{inner}{more}]"
    if callable(value):
        return getattr(value, "__name__", "a function")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def view_note(value) -> str:
    """The note ', a view' for an array that is not C-contiguous, for a call's description."""
    if isinstance(value, np.ndarray) and not value.flags.c_contiguous:
        return ", a view"
    return ""


def describe_call(function: str, arguments: dict) -> str:
    """'adam_step(w=float64 array (3, 4), t=1, lr=0.01)'."""
    shown = ", ".join(f"{k}={describe_value(v)}" for k, v in arguments.items())
    return f"{function}({shown})"


def format_index(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def first_difference(got: np.ndarray, expected: np.ndarray, rtol=0.0, atol=0.0) -> str:
    """Where two same-shape arrays first differ beyond tolerance, and by how much."""
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return "no difference"
    index = tuple(np.argwhere(bad)[0]) if got.ndim else ()
    g, e = got[index], expected[index]
    return (
        f"first difference at {format_index(index)}: got {g:.10g}, expected {e:.10g} "
        f"(|diff| {abs(g - e):.3g}); {int(bad.sum())} of {bad.size} elements differ"
    )
