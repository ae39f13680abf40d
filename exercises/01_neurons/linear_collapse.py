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
        (W, b): W (D_0, D_k) and b (D_k,) such that x @ W + b equals the stack's output
        for every x.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
