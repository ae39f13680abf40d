"""Watch gradients vanish (Q14, Q38): the gradient norm of each layer of a deep stack.

The stack: h_0 = x, h_i = activation(h_{i−1} @ W_i) for every layer (no biases, the
activation after each layer, the last one included); loss = sum of the last h.
"""

import numpy as np


def layer_gradient_norms(x, weights, activation):
    """The Frobenius norm of ∂loss/∂W_i for each layer, first layer first.

    Args:
        x: inputs, float64 array (N, D_0).
        weights: list of arrays, W_i (D_{i−1}, D_i).
        activation: "sigmoid", "tanh" or "relu" (relu'(0) = 0).

    Returns:
        A new list of floats, one per layer, in the order of `weights` (an empty
        stack, weights = [], gives an empty list).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
