"""SGD with momentum (Q24), exactly as torch.optim.SGD(momentum=..., nesterov=...).

PyTorch's velocity buffer accumulates raw gradients; the learning rate is
applied when the parameters move:

    v = momentum · v + grad
    w = w − lr · v                        (heavy ball)
    w = w − lr · (grad + momentum · v)    (nesterov=True, with the new v)

The velocity starts at zeros. (CS231n stores v = μv − lr·g and adds it to w:
same path for a constant lr, a different state. This kata uses PyTorch's.)
There is no dampening: PyTorch's default, dampening = 0 (dampening = μ would make
v an average of the gradients, μv + (1 − μ)g).
"""

import numpy as np


def sgd_momentum_step(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    """One step of SGD with momentum.

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        velocity: momentum buffer from the previous step (zeros before the first).
        lr: learning rate, >= 0. With lr = 0, w stays (as a new array) while the
            velocity still updates.
        momentum: momentum factor μ, in [0, 1). momentum = 0 is plain SGD, and the
            velocity returned is then v = 0·v + grad = grad (a new array; PyTorch keeps
            no buffer in that case, the formula still defines it).
        nesterov: use Nesterov momentum (PyTorch's formulation, with the new v). With
            momentum = 0 it is plain SGD too: PyTorch's SGD refuses nesterov=True
            without momentum, this kata does not raise, the formulas simply reduce.

    Returns:
        (w, velocity): new arrays, on every path; the arguments are not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
