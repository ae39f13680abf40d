"""Mean absolute error and the Huber loss (Q18), as F.l1_loss and F.huber_loss (mean).

Huber is quadratic near zero and linear beyond delta: robust to outliers like
MAE, smooth at zero like MSE. With d = pred − target, element-wise:

    huber(d) = 0.5 · d²                   if |d| < delta
             = delta · (|d| − 0.5 · delta)  otherwise
"""

import numpy as np


def mae_loss(pred, target):
    """The mean over every element of |pred − target|, and its gradient.

    Args:
        pred, target: float64 arrays of the same shape.

    Returns:
        (loss, dpred): the gradient is sign(pred − target) / (element count), and 0
        where pred equals target (PyTorch's choice at the kink).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def huber_loss(pred, target, delta=1.0):
    """The mean Huber loss over every element, and its gradient.

    Args:
        pred, target: float64 arrays of the same shape.
        delta: where the loss turns from quadratic to linear (> 0; tiny and huge values
            included: 1e-4 is almost all linear, 1e6 all quadratic for ordinary errors).

    Returns:
        (loss, dpred): loss a float, dpred an array of pred's shape. At |d| exactly
        delta the two pieces meet: the loss is 0.5·delta² and the gradient ±delta/n
        either way (PyTorch takes the linear piece there: |d| < delta is quadratic).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
