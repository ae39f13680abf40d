"""SGD with momentum (Q24), exactly as torch.optim.SGD(momentum=..., nesterov=...).

PyTorch's velocity buffer accumulates raw gradients; the learning rate is
applied when the parameters move:

    v = momentum · v + grad
    w = w − lr · v                        (heavy ball)
    w = w − lr · (grad + momentum · v)    (nesterov=True, with the new v)

The velocity starts at zeros. (CS231n stores v = μv − lr·g and adds it to w:
same path for a constant lr, a different state. This kata uses PyTorch's.)
"""

import numpy as np


def sgd_momentum_step(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    """One step of SGD with momentum.

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        velocity: momentum buffer from the previous step (zeros before the first).
        lr: learning rate.
        momentum: momentum factor μ, in [0, 1).
        nesterov: use Nesterov momentum (PyTorch's formulation).

    Returns:
        (w, velocity): new arrays; the arguments are not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
