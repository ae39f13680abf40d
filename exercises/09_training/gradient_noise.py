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
        per_example_grads: float64 array (N, P), one flattened gradient per example.
        batch_size: b, with 1 <= b <= N.

    Returns:
        A float (0.0 when N = 1 or b = N).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
