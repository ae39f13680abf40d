"""The numpy side of graders/topics/losses.py, importable in the worker."""

from __future__ import annotations

import numpy as np


def cross_entropy(
    logits,
    labels,
    label_smoothing=0.0,
    *,
    reduce="mean",
    grad_scale="mean",
    wrong_axis=False,
    smooth_others=False,
):
    """Vectorised softmax cross-entropy: the speed reference, and (with switches) its mistakes."""
    n, k = logits.shape
    onehot = np.eye(k)[:, labels] if wrong_axis else np.eye(k)[labels]
    if smooth_others:  # ε/(K − 1) on each wrong class, 1 − ε on the true one
        target = (1 - label_smoothing) * onehot + label_smoothing / (k - 1) * (1 - onehot)
    else:
        target = (1 - label_smoothing) * onehot + label_smoothing / k
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(target * logp)
    grad = np.exp(logp) - target
    return (float(loss if reduce == "sum" else loss / n), grad if grad_scale == "sum" else grad / n)


# ---------------------------------------------------------------- non-contiguous inputs
# (graders/topics/losses.py and backprop.py send these; a view crosses to the worker as
# that view, so the learner's function sees the layout chosen here)


def transposed(a):
    """a's values in a non-contiguous view: the transpose of a fresh array (F-ordered) for
    2-D and up, a reversed fresh array (negative stride) for 1-D."""
    a = np.asarray(a)
    if a.ndim < 2:
        return np.ascontiguousarray(a[::-1])[::-1]
    return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)


def time_major(a):
    """a's values (N, T, ...) as a batch-first view of a time-major (T, N, ...) array."""
    return np.ascontiguousarray(np.swapaxes(a, 0, 1)).swapaxes(0, 1)


def strided(a):
    """a's values in every other element along the last axis of a fresh array twice as wide."""
    a = np.asarray(a)
    buffer = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    buffer[..., ::2] = a
    return buffer[..., ::2]
