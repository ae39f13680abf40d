"""A multilayer perceptron's forward pass, and how many parameters it has (Q3, Q5).

Layers are batch-first: x is (N, D_in), a layer's weights W are (D_in, D_out) and
it computes x @ W + b. (torch.nn.Linear stores the transpose, (D_out, D_in).)
"""

import numpy as np


def mlp_forward(x, params, activation="relu"):
    """Run x through the layers in `params`, with the activation after every layer but the last.

    Args:
        x: inputs, float64 array (N, D_0).
        params: list of (W, b) pairs, layer i having W (D_i, D_{i+1}) and b (D_{i+1},).
        activation: "relu", "tanh", "sigmoid" or "identity".

    Returns:
        The last layer's output (its logits: no activation after it), a new float64
        array (N, D_k). With no layers (params == []) the network is the identity and
        the result is a copy of x, never x itself.
    """
    ### BEGIN SOLUTION
    functions = {
        "relu": lambda z: np.maximum(z, 0.0),
        "tanh": np.tanh,
        "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),
        "identity": lambda z: z,
    }
    if activation not in functions:
        raise ValueError(f"unknown activation {activation!r}")
    out = np.array(x, dtype=np.float64)  # a copy: returned as is when there is no layer
    for i, (W, b) in enumerate(params):
        out = out @ W + b
        if i < len(params) - 1:
            out = functions[activation](out)
    return out
    ### END SOLUTION


def count_parameters(layer_sizes):
    """The number of weights and biases of an MLP with these layer widths.

    Args:
        layer_sizes: [D_0, D_1, ..., D_k]: the input width, then each layer's output width.

    Returns:
        An int: every layer has D_i · D_{i+1} weights and D_{i+1} biases ([D_0] alone,
        no layer, has 0).
    """
    ### BEGIN SOLUTION
    return int(sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])))
    ### END SOLUTION
