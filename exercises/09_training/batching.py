"""Mini-batches (Q21, Q23, Q25): batch GD, mini-batch GD and SGD are one loop with
different batch sizes (batch_size >= N: batch GD; batch_size = 1: SGD).
"""

import numpy as np


def minibatches(X, y, batch_size, rng=None, shuffle=True):
    """Yield (Xb, yb) pairs covering every example exactly once: one pass (epoch).

    Args:
        X: inputs, an array whose first axis is the N examples (any trailing shape).
        y: targets, an array of length N.
        batch_size: examples per batch (>= 1); the last batch may be shorter.
        rng: a numpy.random.Generator; with shuffle=True the order is rng.permutation(N).
        shuffle: False keeps the original order.

    Yields:
        (Xb, yb): consecutive slices of the (shuffled) data, batch_size examples each.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
