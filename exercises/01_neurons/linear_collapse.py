"""Why depth needs nonlinearity (Q8): a stack of linear layers is one linear layer.

With no activation between them, x @ W1 + b1, then @ W2 + b2, and so on, is a
single affine map x @ W + b. Find W and b.
"""

import numpy as np


def collapse_linear(params):
    """The single layer (W, b) equal to the stack `params` applied with no activations.

    Args:
        params: list of (W_i, b_i) pairs, W_i (D_i, D_{i+1}), b_i (D_{i+1},), applied in order.

    Returns:
        A tuple (W, b) of new float64 arrays, W (D_0, D_k) and b (D_k,), such that
        x @ W + b equals the stack's output for every x: W = W_1 @ W_2 @ ... @ W_k, to
        full precision even when the biases are far larger than the weights. A single
        layer gives copies of its own W and b.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
