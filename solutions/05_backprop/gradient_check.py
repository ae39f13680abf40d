"""Gradient checking (Q12, Q13): numerical gradients by central differences, and the
relative error used to compare them with an analytic (backprop) gradient."""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """∂f/∂x by central differences: (f(x + h·e_i) − f(x − h·e_i)) / (2h) for every element i.

    Args:
        f: a function of one array (shaped like x) returning a float.
        x: float64 array of any shape. It must be unchanged afterwards: if you perturb it
            in place, restore each element exactly (save it, then put it back).
        h: the step, used exactly as given (> 0; tiny ones such as 1e-9 too). Each call of
            f sees x with one element moved to x[i] + h or x[i] − h and every other
            element exactly as in x.

    Returns:
        A new float64 array shaped like x (0-d included), also where it is all zero.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)  # work on a copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        plus = f(x)
        x[index] = saved - h
        minus = f(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad
    ### END SOLUTION


def relative_error(a, b):
    """The largest element-wise |a − b| / max(1e-8, |a| + |b|), as a float.

    Args:
        a, b: float64 arrays of the same shape.

    Returns:
        A float (not a numpy array); about 1e-7 or less means two float64 gradients
        agree. Where a and b are both 0 the element's error is 0.
    """
    ### BEGIN SOLUTION
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
    ### END SOLUTION
