"""L2 and L1 weight penalties and the proximal L1 step (Q45, Q46, Q47).

weights (and grads) are lists of arrays, one per weight matrix; biases are usually
left out of penalties. L2 pulls each weight toward 0 in proportion to its size;
L1 pulls with a constant force, and its proximal step sets small weights to exactly 0.

The L2 penalty here is lam·Σw² (no ½), gradient 2·lam·w. PyTorch's weight_decay and
03_optimizers' adam_l2_step write (lam/2)·‖w‖², gradient lam·w: the same penalty with
lam doubled (weight_decay = 2·lam in this file's terms).

Every array in the list is penalised, whatever its shape (a 1-D array included):
leaving the biases out is the caller's choice, made by not passing them. An empty
list gives (0.0, []). The penalty is a float (0.0 when lam = 0, not the int 0); grads
is a new list of new arrays (never the weights themselves), one per array, in order.
Nothing here divides: np.sign is exactly ±1 (0 at 0) at any magnitude, tiny and huge.
"""

import numpy as np


def l2_penalty(weights, lam):
    """penalty = lam · Σ w² over every array; grads = its gradient for each array.

    Returns:
        (penalty, grads): a float, and a list of arrays shaped like weights.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def l1_penalty(weights, lam):
    """penalty = lam · Σ |w|; grads = lam · sign(w), 0 where w is exactly 0 (the subgradient
    PyTorch's abs uses).

    Returns:
        (penalty, grads): a float, and a list of arrays shaped like weights.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def l1_proximal_step(w, lr, lam):
    """The proximal step of lr · lam · Σ|w| (soft thresholding):
    w ← sign(w) · max(|w| − lr · lam, 0). Weights within lr · lam of 0 become exactly 0.

    Args:
        w: float64 array of any shape.
        lr: the learning rate of the step; lam: the L1 strength.

    Returns:
        A new array shaped like w (a copy of w when lr · lam = 0, never w itself).
        |w| exactly lr · lam gives 0; |w| − lr · lam is computed directly (not as
        |w| · (1 − lr · lam / |w|), which cancels when |w| is close to lr · lam).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
