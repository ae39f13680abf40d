"""One artificial neuron (Q4): a weighted sum of the inputs plus a bias, then an activation.

z = w · x + b        (the pre-activation)
a = activation(z)    (an element-wise nonlinearity, applied after the sum)
"""

import numpy as np


def neuron(x, w, b, activation="sigmoid"):
    """The output of one unit on one sample.

    Args:
        x: the sample's input features, float64 array (D,).
        w: the unit's weights, float64 array (D,).
        b: the unit's bias, a float.
        activation: one of "sigmoid", "tanh", "relu", "identity".

    Returns:
        activation(w · x + b) as a Python float, for every activation and input (relu of
        a negative z is 0.0, not the int 0). At z = 0: sigmoid 0.5, tanh 0.0, relu 0.0.

    Raises:
        ValueError: for any other activation name.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
