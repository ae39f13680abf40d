"""Mean squared error (Q18), as torch.nn.functional.mse_loss with reduction="mean"."""

import numpy as np


def mse_loss(pred, target):
    """The mean over every element of (pred − target)², and its gradient.

    Args:
        pred, target: float64 arrays of the same shape, (N,) or (N, D).

    Returns:
        (loss, dpred): loss a float; dpred = ∂loss/∂pred, an array of pred's shape.
        The mean runs over all elements, so dpred carries a 1/(element count).
        Exact at any scale: square the difference (a large common offset in pred and
        target cancels in pred − target, not in pred² − 2·pred·target + target²).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
