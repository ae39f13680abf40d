"""The numpy side of graders/topics/transformers/attention.py, importable in the worker:
the vectorised multi-head attention its speed check times, with switches for the classic
mistakes the grader names."""

from __future__ import annotations

import numpy as np


def mha_forward(x, Wq, Wk, Wv, Wo, n_heads, mask=None, *, split="transpose", merge="transpose",
                scale="d_k", axis=-1, invert=False, mask_transposed=False,
                masked_value=-np.inf, empty_nan=False, row_max=True):  # fmt: skip
    """Multi-head self-attention, vectorised over batch and heads. Returns (out, None).

    The switches give the mistakes: split / merge = "reshape" (the heads cut out of the
    (N, T, D) array by a reshape to (N, H, T, d_k), without the transpose); scale = "D"
    (√D instead of √d_k) or None; axis = -2 (softmax over the queries); invert (the mask's
    sense inverted); mask_transposed (its last axis taken as the queries); masked_value
    (a finite stand-in for −inf); empty_nan (a fully masked row gives nan); row_max=False
    (the max subtracted over the whole array)."""
    N, T, D = x.shape
    d_k = D // n_heads

    def heads(a):
        if split == "reshape":
            return a.reshape(N, n_heads, T, d_k)
        return a.reshape(N, T, n_heads, d_k).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ Wq), heads(x @ Wk), heads(x @ Wv)
    divisor = {"d_k": np.sqrt(d_k), "D": np.sqrt(D), None: 1.0}[scale]
    scores = q @ k.transpose(0, 1, 3, 2) / divisor
    if mask is not None:
        m = np.swapaxes(np.broadcast_to(mask, scores.shape), -1, -2) if mask_transposed else mask
        scores = np.where(~m if invert else m, scores, masked_value)
    top = np.max(scores, axis=axis if row_max else None, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = np.sum(e, axis=axis, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    if empty_nan:  # softmax of a row of −inf: (−inf) − (−inf) = nan everywhere in it
        if np.all(total > 0):
            raise ValueError("no fully masked row: this mistake does not apply")
        weights = np.where(total > 0, weights, np.nan)
    out = weights @ v
    if merge == "reshape":
        merged = out.reshape(N, T, D)
    else:
        merged = out.transpose(0, 2, 1, 3).reshape(N, T, D)
    return merged @ Wo, None


def mha_reference(x, Wq, Wk, Wv, Wo, n_heads, mask=None):
    """The speed check's reference: the same attention with the heads kept as
    (N, T, H, d_k) and every product over them an einsum (faster than stacked matmuls on
    tiny heads). Returns (out, None)."""
    N, T, D = x.shape
    d_k = D // n_heads
    q, k, v = ((x @ W).reshape(N, T, n_heads, d_k) for W in (Wq, Wk, Wv))
    scores = np.einsum("nqhd,nkhd->nhqk", q, k) / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(top), top, 0.0))
    total = np.sum(e, axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return np.einsum("nhqk,nkhd->nqhd", weights, v).reshape(N, T, D) @ Wo, None
