"""The curse of dimensionality (Q48, Q49) as distance concentration.

In high dimension, the distances from a query to random points bunch together:
the relative contrast (d_max − d_min) / d_min shrinks toward 0, so "nearest"
neighbours are barely nearer than the farthest ones.
"""

import numpy as np


def relative_contrast(X, query):
    """(d_max − d_min) / d_min over the Euclidean distances from query to the rows of X.

    Args:
        X: points, float64 array (n, d). query: float64 array (d,).

    Returns:
        A float; inf when the query is one of the rows (d_min = 0), not an error.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def contrast_by_dimension(n_points, dims, rng):
    """The relative contrast of uniform random data, for each dimension in dims.

    For each d in dims, in order: draw X = rng.random((n_points, d)), then
    query = rng.random(d) (points uniform in the unit cube, in that order), and
    compute relative_contrast(X, query).

    Returns:
        A list of floats, one per entry of dims.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
