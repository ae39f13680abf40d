"""A two-layer network's loss and gradients, by hand (Q9, Q12).

scores = relu(X @ W1 + b1) @ W2 + b2
loss   = mean softmax cross-entropy(scores, y) + reg · (ΣW1² + ΣW2²)
"""

import numpy as np


def two_layer_net(X, y, params, reg=0.0):
    """The loss and its gradient with respect to every parameter.

    Args:
        X: inputs, float64 array (N, D).
        y: integer class labels (N,), values in 0..C−1.
        params: dict with W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
        reg: L2 strength (any reg ≥ 0, above 1 included); the penalty reg · (ΣW1² + ΣW2²)
            covers the weights, not the biases. (CS231n's 0.5·reg convention is not this one.)

    Returns:
        (loss, grads): loss a float; grads a new dict of new arrays with the same keys and
        shapes as params (also where a gradient is zero). ReLU's derivative at 0 is 0.
        Vectorised: no Python loop over the samples (graded: at most 25x slower than a
        vectorised reference).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
