"""The sigmoid σ(z) = 1 / (1 + e^−z) and its derivative (Q7, Q15), computed stably.

Stable means: no overflow for any float input. Graded with numpy raising on
overflow, invalid values and division by zero, for z up to ±1000. And precise: far in
the left tail σ(z) ≈ e^z is tiny but a normal float (σ(−40) ≈ 4.2e−18, σ(−700) ≈
1e−304), and it is computed to full relative precision there, as PyTorch does; a
formula that subtracts from 1 (1 − σ(−z), 0.5·(1 + tanh(z/2))) rounds it to 0.
"""

import numpy as np


def sigmoid(z):
    """σ(z), element-wise.

    Args:
        z: float64 array of any shape.

    Returns:
        A new float64 array of z's shape, values in [0, 1]; σ(0) = 1/2 exactly.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def sigmoid_grad(z):
    """dσ/dz at z, element-wise: the local derivative backprop multiplies by.

    Args:
        z: float64 array of any shape (the pre-activation, not σ(z)).

    Returns:
        A new float64 array of z's shape. Its largest value is 1/4, at z = 0. Like σ,
        precise far in the left tail (σ'(z) ≈ e^z there).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
