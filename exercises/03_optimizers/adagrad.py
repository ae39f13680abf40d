"""AdaGrad (Q29), exactly as torch.optim.Adagrad (no lr_decay, no weight decay).

Every parameter gets its own learning rate, lr / (sqrt(sum of its squared
gradients so far) + eps): parameters with a large gradient history take
smaller steps, rarely-updated ones keep larger steps.
"""

import numpy as np


def adagrad_step(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    """One AdaGrad step.

        sum_sq = sum_sq + grad²
        w      = w − lr · grad / (sqrt(sum_sq) + eps)

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        sum_sq: running sum of squared gradients (zeros before the first step).
        lr: learning rate (PyTorch default 1e-2).
        eps: added to the square root, not inside it (PyTorch default 1e-10).

    Returns:
        (w, sum_sq): new arrays; the arguments are not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
