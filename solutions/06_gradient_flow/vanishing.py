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
    ### BEGIN SOLUTION
    functions = {
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda h: h * (1 - h)),
        "tanh": (np.tanh, lambda h: 1 - h**2),
        "relu": (lambda z: np.maximum(z, 0.0), lambda h: (h > 0).astype(float)),
    }
    f, derivative_from_output = functions[activation]
    inputs, outputs = [], []
    h = x
    for W in weights:
        inputs.append(h)
        h = f(h @ W)
        outputs.append(h)
    grad_h = np.ones_like(h)  # d(sum of outputs)/d(last h)
    norms = []
    for W, h_in, h_out in zip(reversed(weights), reversed(inputs), reversed(outputs)):
        grad_z = grad_h * derivative_from_output(h_out)
        norms.append(float(np.linalg.norm(h_in.T @ grad_z)))
        grad_h = grad_z @ W.T
    return norms[::-1]
    ### END SOLUTION
