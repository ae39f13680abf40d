"""The numpy side of graders/topics/beyond.py, importable in the worker."""

from __future__ import annotations

import numpy as np


def attention(
    q,
    k,
    v,
    mask=None,
    *,
    scale=True,
    invert=False,
    query_axis=False,
    empty_nan=False,
    masked_value=-np.inf,
    row_max=True,
):
    """Vectorised attention: the speed reference, and (with switches) the classic mistakes:
    no 1/sqrt(d) scale, the mask's sense inverted, the softmax over the queries, nan for a
    fully masked row, a finite stand-in for −inf at masked scores (masked_value=-1e9),
    the max subtracted over the whole array instead of per row (row_max=False)."""
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scale else 1.0)
    if mask is not None:
        scores = np.where(~mask if invert else mask, scores, masked_value)
    axis = -2 if query_axis else -1
    top = np.max(scores, axis=axis if row_max else None, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = e.sum(axis=axis, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    if empty_nan:  # softmax of a row of −inf: (−inf) − (−inf) = nan everywhere in it
        if np.all(total > 0):
            raise ValueError("no fully masked row: this mistake does not apply")
        weights = np.where(total > 0, weights, np.nan)
    return weights @ v, weights
