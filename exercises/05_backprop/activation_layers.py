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
    # YOUR CODE HERE
    raise NotImplementedError()


def relu_backward(dout, cache):
    """dx = dout where x > 0, else 0 (0 at x = 0, as PyTorch). Returns dx shaped like x."""
    # YOUR CODE HERE
    raise NotImplementedError()


def sigmoid_forward(x):
    """out = σ(x), element-wise, stably (no overflow for |x| up to 1000). Returns (out, cache)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def sigmoid_backward(dout, cache):
    """dx = dout · σ(x)(1 − σ(x)). Returns dx shaped like x."""
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh_forward(x):
    """out = tanh(x), element-wise (±1 at ±1000, not nan). Returns (out, cache)."""
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh_backward(dout, cache):
    """dx = dout · (1 − tanh(x)²). Returns dx shaped like x."""
    # YOUR CODE HERE
    raise NotImplementedError()
