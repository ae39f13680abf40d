"""How noisy is a mini-batch gradient? (Q22, Q26, Q27)

With per-example gradients g_1..g_N and the full gradient g = their mean, a batch
B of size b drawn uniformly WITHOUT replacement gives an unbiased estimate g_B,
whose expected squared error is

    E‖g_B − g‖² = (N − b) / (b · (N − 1)) · (1/N) · Σ_i ‖g_i − g‖²

The factor (N − b)/(N − 1) is the finite-population correction: the error is 0
when the batch is the whole data set.
"""

import numpy as np


def minibatch_gradient_variance(per_example_grads, batch_size):
    """The exact E‖g_B − g‖² above.

    Args:
        per_example_grads: float64 array (N, P), one flattened gradient per example
            (any memory layout).
        batch_size: b, with 1 <= b <= N.

    Returns:
        A float (a Python float or numpy float64): 0.0 when N = 1, when b = N, and when
        every example has the same gradient; the mean ‖g_i − g‖² itself at b = 1 (SGD).
        Accurate to float64 rounding at every scale: tiny gradients (a variance of 1e-18
        is still that, not 0), huge ones (up to about 1e150) and gradients that share a
        large common part (subtract the mean gradient first: E‖g_i‖² − ‖g‖² cancels).
    """
    ### BEGIN SOLUTION
    n = per_example_grads.shape[0]
    if n == 1:
        return 0.0
    spread = np.mean(np.sum((per_example_grads - per_example_grads.mean(axis=0)) ** 2, axis=1))
    return float((n - batch_size) / (batch_size * (n - 1)) * spread)
    ### END SOLUTION
