"""The numpy side of graders/topics/activations.py (04_losses uses it too)."""

from __future__ import annotations

import numpy as np


def softmax_on_wrong_axis(z, axis=-1, max_too=True):
    """Diagnostics only: softmax normalised over an axis other than `axis`."""
    other = 0 if (axis % z.ndim) != 0 else -1
    e = np.exp(z - np.max(z, axis=other if max_too else axis, keepdims=True))
    return e / np.sum(e, axis=other, keepdims=True)


# Non-contiguous arrays holding given values, for the layout regime. Plain numpy: the
# grading side builds its inputs with them (graders/topics/neurons.py and activations.py).
# The gaps of the buffers hold NaN, so that code reading memory beside the view shows it.


def transposed(a):
    """a's values as the transpose of a fresh array (Fortran order); a has ndim >= 2."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).T).T


def strided(a, axis=-1):
    """a's values in every other element of a NaN-filled buffer, along `axis`."""
    a = np.asarray(a, dtype=np.float64)
    shape = list(a.shape)
    shape[axis] *= 2
    buffer = np.full(shape, np.nan)
    index = [slice(None)] * a.ndim
    index[axis] = slice(None, None, 2)
    buffer[tuple(index)] = a
    return buffer[tuple(index)]


def reversed_view(a, axis=0):
    """a's values in a view with a negative stride along `axis` (a flipped copy, flipped)."""
    return np.flip(np.flip(np.asarray(a, dtype=np.float64), axis).copy(), axis)


def column_slice(a):
    """a's values (ndim >= 2) as a slice of the columns of a wider NaN-filled buffer."""
    a = np.asarray(a, dtype=np.float64)
    buffer = np.full(a.shape[:-1] + (a.shape[-1] + 3,), np.nan)
    buffer[..., 1:-2] = a
    return buffer[..., 1:-2]


def views_of(a):
    """(label, view) pairs: non-contiguous arrays equal to a, transposed first (ndim >= 2)."""
    a = np.asarray(a, dtype=np.float64)
    views = []
    if a.ndim >= 2:
        views.append(("a transposed view (Fortran order)", transposed(a)))
    views.append(("a strided view, [..., ::2]", strided(a)))
    views.append(("a reversed view, [::-1]", reversed_view(a)))
    if a.ndim >= 2:
        views.append(("a slice of a wider array's columns", column_slice(a)))
    return views
