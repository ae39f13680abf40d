"""Dropout (Q41, Q42, Q44): inverted dropout as torch.nn.Dropout does it, and the older form.

p is the DROP probability (PyTorch's convention; Srivastava et al. write p for the
keep probability). In training each element is kept with probability 1 − p:

    inverted (dropout_forward):         out = x · mask / (1 − p)   in training, x at test
    older (dropout_forward_unscaled):   out = x · mask             in training, x · (1 − p) at test

Both have the same expected training output as their test output. Draw the mask
from `rng` only.
"""

import numpy as np


def dropout_forward(x, p, rng, training=True):
    """Inverted dropout.

    Args:
        x: float64 array of any shape.
        p: drop probability, 0 <= p < 1.
        rng: a numpy.random.Generator, the only source of randomness.
        training: False returns x unchanged (as a new array).

    Returns:
        (out, cache): out shaped like x (kept elements x/(1 − p), dropped ones 0);
        cache for dropout_backward.
    """
    ### BEGIN SOLUTION
    if not training:
        return x.copy(), None
    keep = rng.random(x.shape) >= p
    scale = keep / (1.0 - p)
    return x * scale, scale
    ### END SOLUTION


def dropout_backward(dout, cache):
    """dx for dropout_forward: the forward's own mask and scale (identity after eval mode)."""
    ### BEGIN SOLUTION
    return dout.copy() if cache is None else dout * cache
    ### END SOLUTION


def dropout_forward_unscaled(x, p, rng, training=True):
    """The older dropout: x · mask in training (keep probability 1 − p), x · (1 − p) at test."""
    ### BEGIN SOLUTION
    if not training:
        return x * (1.0 - p)
    return x * (rng.random(x.shape) >= p)
    ### END SOLUTION
