"""Dropout (Q41, Q42, Q44): inverted dropout as torch.nn.Dropout does it, and the older form.

p is the DROP probability (PyTorch's convention; Srivastava et al. write p for the
keep probability). In training each element is kept with probability 1 − p:

    inverted (dropout_forward):         out = x · mask / (1 − p)   in training, x at test
    older (dropout_forward_unscaled):   out = x · mask             in training, x · (1 − p) at test

Both have the same expected training output as their test output. Draw the mask
from `rng` only, one independent uniform draw per element: each element is dropped with
probability p on its own (so the number dropped is Binomial(n, p), not a fixed count),
and successive calls with one rng (it advances) give fresh masks, as PyTorch's do.
At p = 1 everything is dropped: out is all zeros (PyTorch's convention; 0/0 is no
answer). Mask first, then scale: a dropped element is exactly 0 even where x/(1 − p)
overflows to inf.
"""

import numpy as np


def dropout_forward(x, p, rng, training=True):
    """Inverted dropout.

    Args:
        x: float64 array of any shape.
        p: drop probability, 0 <= p <= 1 (p = 1: out is all zeros).
        rng: a numpy.random.Generator, the only source of randomness.
        training: False returns x unchanged (as a new array, never x itself).

    Returns:
        (out, cache): out a new array shaped like x (kept elements x/(1 − p), dropped
        ones exactly 0); cache for dropout_backward.
    """
    ### BEGIN SOLUTION
    if not training:
        return x.copy(), None
    keep = rng.random(x.shape) >= p
    if p == 1:  # nothing is kept: zeros, as PyTorch (keep / (1 − p) would be 0/0)
        return np.zeros(x.shape), np.zeros(x.shape)
    scale = keep / (1.0 - p)
    return x * scale, scale
    ### END SOLUTION


def dropout_backward(dout, cache):
    """dx for dropout_forward: the forward's own mask and scale (identity after eval mode),
    as a new array: dout / (1 − p) where the forward kept x (x = 0 included), 0 where it dropped."""
    ### BEGIN SOLUTION
    return dout.copy() if cache is None else dout * cache
    ### END SOLUTION


def dropout_forward_unscaled(x, p, rng, training=True):
    """The older dropout: x · mask in training (keep probability 1 − p), x · (1 − p) at test.
    Same mask rules as dropout_forward; returns a new array on every path (p = 0 included)."""
    ### BEGIN SOLUTION
    if not training:
        return x * (1.0 - p)
    return x * (rng.random(x.shape) >= p)
    ### END SOLUTION
