"""tanh and its derivative (Q7, Q15). tanh is a rescaled sigmoid, tanh(z) = 2σ(2z) − 1,
centred on zero, with a derivative of at most 1.

Stable for z up to ±1000 (no overflow), and precise near 0: tanh(z) ≈ z for tiny z,
computed to full relative precision (tanh(1e−300) = 1e−300), as PyTorch does; 2σ(2z) − 1
subtracts two numbers near 1 there and loses the digits."""

import numpy as np


def tanh(z):
    """tanh(z), element-wise.

    Args:
        z: float64 array of any shape.

    Returns:
        A new float64 array of z's shape, values in [−1, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def tanh_grad(z):
    """d tanh/dz at z, element-wise.

    Args:
        z: float64 array of any shape (the pre-activation).

    Returns:
        A new float64 array of z's shape, values in (0, 1].
    """
    # YOUR CODE HERE
    raise NotImplementedError()
