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
    # YOUR CODE HERE
    raise NotImplementedError()


def count_parameters(layer_sizes):
    """The number of weights and biases of an MLP with these layer widths.

    Args:
        layer_sizes: [D_0, D_1, ..., D_k]: the input width, then each layer's output width.

    Returns:
        An int: every layer has D_i · D_{i+1} weights and D_{i+1} biases ([D_0] alone,
        no layer, has 0).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
