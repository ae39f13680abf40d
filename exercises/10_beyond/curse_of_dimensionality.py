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
        A float, computed as written (as torch would): 0.0 when every distance is the
        same (a single point included); inf when the query is one of the rows
        (d_min = 0), not an error; nan when every row is the query (0 / 0). Distances
        come from the differences X − query, so that a large common offset (coordinates
        near 1e6) does not cancel them away, and they hold for any scale that stays
        finite (coordinates from 1e-150 to 1e150).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def contrast_by_dimension(n_points, dims, rng):
    """The relative contrast of uniform random data, for each dimension in dims.

    For each d in dims, in order: draw X = rng.random((n_points, d)), then
    query = rng.random(d) (points uniform in the unit cube, in that order), and
    compute relative_contrast(X, query). Only these draws, from rng itself: the
    caller's generator advances by exactly them, so a second call draws anew.

    Returns:
        A new list of floats, one per entry of dims, in the order of dims (a repeated d
        draws again; dims = [] gives []).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
