"""Softmax (Q6, Q7): logits to a probability vector, computed stably; and its Jacobian.

softmax(z)_k = e^{z_k} / Σ_j e^{z_j}. It is not a loss: cross-entropy is the loss
applied to its output (04_losses).
"""

import numpy as np


def softmax(z, axis=-1):
    """Softmax along `axis`, stably (no overflow for logits up to ±1000).

    Args:
        z: logits, float64 array of any shape.
        axis: the axis along which the probabilities sum to 1 (default: the last); any
            axis of z, negative ones counted from the end, 0 included.

    Returns:
        A new float64 array of z's shape; every slice along `axis` sums to 1. Equal
        logits share the probability equally; a slice of one element gives 1. Each
        slice is shifted by its own maximum, so slices far apart in scale (one near 0,
        one near 1000) are each exact.
    """
    ### BEGIN SOLUTION
    shifted = z - np.max(z, axis=axis, keepdims=True)  # softmax is shift-invariant
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)
    ### END SOLUTION


def softmax_jacobian(s):
    """The Jacobian of softmax at the point where its output is s.

    Args:
        s: one probability vector, float64 array (K,) (the output of softmax).

    Returns:
        J, float64 array (K, K), with J[i, j] = ∂s_i/∂z_j = s_i (δ_ij − s_j).
    """
    ### BEGIN SOLUTION
    return np.diag(s) - np.outer(s, s)
    ### END SOLUTION
