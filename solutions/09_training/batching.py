"""Mini-batches (Q21, Q23, Q25): batch GD, mini-batch GD and SGD are one loop with
different batch sizes (batch_size >= N: batch GD; batch_size = 1: SGD).
"""

import numpy as np


def minibatches(X, y, batch_size, rng=None, shuffle=True):
    """Yield (Xb, yb) pairs covering every example exactly once: one pass (epoch).

    Args:
        X: inputs, an array whose first axis is the N examples (any trailing shape, any
            memory layout: a transposed or sliced view is an ordinary array).
        y: targets, an array of length N (1-D labels, or 2-D such as one-hot rows).
        batch_size: examples per batch (>= 1); batch_size >= N gives one batch of all N.
        rng: a numpy.random.Generator, needed when shuffle=True: the order is then a
            uniformly random permutation drawn from rng alone (rng.permutation(N) draws
            one), a fresh one on every call: the rng advances, so the next epoch gets a
            new order. numpy's and Python's global generators are never used.
        shuffle: False keeps the original order and leaves rng untouched (it may be None).

    Yields:
        (Xb, yb): consecutive slices of the (shuffled) order: ceil(N / batch_size) batches
        of batch_size examples, but the last, which holds the N mod batch_size left over
        when N is not a multiple (never an empty batch). Xb keeps X's trailing shape and
        dtype, yb y's; each keeps the batch axis (a batch of one is X[i:i+1], not X[i]).
        Every batch is a new array, also without shuffling or with batch_size >= N (the
        way a PyTorch DataLoader collates new tensors): changing a batch never changes X.
    """
    ### BEGIN SOLUTION
    n = len(X)
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield X[index], y[index]
    ### END SOLUTION
