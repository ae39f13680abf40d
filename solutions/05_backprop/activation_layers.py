"""Activation layers as forward/backward pairs (Q12).

Each *_forward(x) returns (out, cache); each *_backward(dout, cache) returns dx,
the upstream gradient times the activation's local derivative, element-wise.
x and dout may be any views (transposed, strided): index them, never their memory.
Every out and dx is a new array, also where nothing changes (relu of an all-positive
x, relu_backward where every unit was open). Several layers' caches may be alive at
once: a backward uses only the cache it is given.
"""

import numpy as np


def relu_forward(x):
    """out = max(x, 0), element-wise. x: float64 array of any shape. Returns (out, cache)."""
    ### BEGIN SOLUTION
    return np.maximum(x, 0.0), x
    ### END SOLUTION


def relu_backward(dout, cache):
    """dx = dout where x > 0, else 0 (0 at x = 0, as PyTorch). Returns dx shaped like x."""
    ### BEGIN SOLUTION
    return dout * (cache > 0)
    ### END SOLUTION


def sigmoid_forward(x):
    """out = σ(x), element-wise, stably (no overflow for |x| up to 1000). Returns (out, cache)."""
    ### BEGIN SOLUTION
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out, out
    ### END SOLUTION


def sigmoid_backward(dout, cache):
    """dx = dout · σ(x)(1 − σ(x)). Returns dx shaped like x."""
    ### BEGIN SOLUTION
    return dout * cache * (1.0 - cache)
    ### END SOLUTION


def tanh_forward(x):
    """out = tanh(x), element-wise (±1 at ±1000, not nan). Returns (out, cache)."""
    ### BEGIN SOLUTION
    out = np.tanh(x)
    return out, out
    ### END SOLUTION


def tanh_backward(dout, cache):
    """dx = dout · (1 − tanh(x)²). Returns dx shaped like x."""
    ### BEGIN SOLUTION
    return dout * (1.0 - cache**2)
    ### END SOLUTION
