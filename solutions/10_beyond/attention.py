"""Scaled dot-product attention, the core of every Transformer layer.

    weights = softmax(q kᵀ / sqrt(d)) over the keys,   out = weights v

mask (optional) is boolean in PyTorch's convention: True = this query may attend
to this key; False entries get weight 0. A query whose keys are all masked gets
weights 0 and output 0, as torch.nn.functional.scaled_dot_product_attention
returns (torch >= 2.5).
"""

import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention over the last two axes, batched over any leading axes.

    Args:
        q: queries, float64 array (..., T_q, d).
        k: keys, (..., T_k, d).
        v: values, (..., T_k, d_v).
        mask: None, or a boolean array broadcastable to (..., T_q, T_k).

    Returns:
        (out, weights): out (..., T_q, d_v); weights (..., T_q, T_k), each row summing to 1
        (or 0 for a fully masked row). Vectorised: no Python loop over batch or heads
        (graded: at most 25x slower than a vectorised reference).
    """
    ### BEGIN SOLUTION
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)  # a fully masked row: avoid inf − inf
    e = np.exp(scores - top)
    total = np.sum(e, axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return weights @ v, weights
    ### END SOLUTION
