"""Diagnosing units that do not learn (Q16): dead ReLUs and saturated sigmoid/tanh units."""

import numpy as np


def dead_relu_units(pre_activations):
    """The ReLU units that are never positive on this batch: their gradient is always 0.

    Args:
        pre_activations: z = x @ W + b of a ReLU layer, float64 array (N, H).

    Returns:
        The indices of the dead units (z ≤ 0 for every sample: a unit at exactly 0, or
        at any tiny negative value, is dead; one positive value, however tiny, keeps it
        alive), a 1-D int numpy array, ascending (empty, still of int dtype, if none).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def saturated_units(activations, kind, tol=1e-3):
    """The units whose local derivative is strictly below tol on every sample.

    Args:
        activations: the layer's outputs a (not its inputs), float64 array (N, H).
        kind: "sigmoid" (derivative a(1 − a)) or "tanh" (derivative 1 − a²).
        tol: the threshold, >= 0. A derivative equal to tol is not below it, so tol = 0
            saturates no unit.

    Returns:
        The indices of the saturated units, a 1-D int numpy array, ascending.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
