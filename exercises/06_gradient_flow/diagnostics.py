"""Diagnosing units that do not learn (Q16): dead ReLUs and saturated sigmoid/tanh units."""

import numpy as np


def dead_relu_units(pre_activations):
    """The ReLU units that are never positive on this batch: their gradient is always 0.

    Args:
        pre_activations: z = x @ W + b of a ReLU layer, float64 array (N, H).

    Returns:
        The indices of the dead units (z ≤ 0 for every sample), an int array, ascending.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def saturated_units(activations, kind, tol=1e-3):
    """The units whose local derivative is below tol on every sample.

    Args:
        activations: the layer's outputs a (not its inputs), float64 array (N, H).
        kind: "sigmoid" (derivative a(1 − a)) or "tanh" (derivative 1 − a²).
        tol: the threshold.

    Returns:
        The indices of the saturated units, an int array, ascending.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
