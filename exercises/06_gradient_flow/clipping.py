"""Gradient clipping (Q36, Q39), as torch.nn.utils.clip_grad_value_ and clip_grad_norm_.

By value: clamp every element to [−clip_value, clip_value] (changes the direction).
By norm: one norm over all the arrays together, then every array times the same factor
min(1, max_norm / (total_norm + 1e-6)) (keeps the direction; arrays under the limit
are never scaled up).
"""

import numpy as np


def clip_grad_value(grads, clip_value):
    """Each array's elements clamped to [−clip_value, clip_value]: a new list of new arrays
    (also for arrays already inside the limit). clip_value >= 0; 0 gives all zeros."""
    # YOUR CODE HERE
    raise NotImplementedError()


def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """Scale all arrays by one factor so that their total norm is at most max_norm.

    Args:
        grads: list of float64 arrays of any shapes with at least one axis.
        max_norm: the largest allowed total norm, >= 0 (0 scales everything to zeros).
        norm_type: p of the p-norm (2.0, 1.0, ...), or float("inf") for the largest |element|.

    Returns:
        (clipped, total_norm): a new list of arrays; total_norm is the norm of all
        elements together BEFORE clipping (a float), as torch returns it. The scale is
        min(1, max_norm / (total_norm + 1e-6)): arrays under the limit are unchanged
        (returned as new arrays all the same; all-zero gradients give a total of 0.0).
        It is computed before it multiplies the arrays, so that it is finite wherever the
        clipped values are (max_norm · g alone may overflow).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
