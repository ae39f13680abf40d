"""ReLU and Leaky ReLU, with their gradients (Q7, Q15), as PyTorch defines them.

    relu(z)       = max(z, 0)
    leaky_relu(z) = z if z > 0, else negative_slope · z     (a slope, not a constant)

At exactly z = 0 the derivative is undefined; PyTorch's choice, used here:
relu_grad(0) = 0 and leaky_relu_grad(0) = negative_slope. Just beside it the branch is
the sign's: relu_grad(5e−324) = 1.

negative_slope is any float, as in PyTorch: 0 gives relu, 1 the identity, and values
above 1 are allowed (max(z, negative_slope · z) equals leaky_relu only for slopes ≤ 1).
"""

import numpy as np


def relu(z):
    """max(z, 0), element-wise. z: float64 array of any shape; returns a new array."""
    # YOUR CODE HERE
    raise NotImplementedError()


def relu_grad(z):
    """d relu/dz: 1 where z > 0, else 0 (0 at z = 0, as PyTorch). Same shape as z."""
    # YOUR CODE HERE
    raise NotImplementedError()


def leaky_relu(z, negative_slope=0.01):
    """z where z > 0, negative_slope · z elsewhere (torch.nn.functional.leaky_relu).

    Args:
        z: float64 array of any shape.
        negative_slope: the slope for negative inputs (PyTorch default 0.01); 0 is a
            slope like any other, not "use the default".

    Returns:
        A new float64 array of z's shape.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def leaky_relu_grad(z, negative_slope=0.01):
    """d leaky_relu/dz: 1 where z > 0, negative_slope elsewhere (z = 0 included, as PyTorch)."""
    # YOUR CODE HERE
    raise NotImplementedError()
