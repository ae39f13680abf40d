"""Gradient descent (Q10, Q11).

Plain (full-batch) gradient descent: move the parameters a small step against
the gradient, again and again. Same update as torch.optim.SGD with no momentum.
"""

import numpy as np


def gd_step(w, grad, lr):
    """One gradient-descent step: w_new = w − lr · grad.

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient of the loss at w, same shape as w.
        lr: learning rate (step size), a positive float.

    Returns:
        The new parameters, a new float64 array of w's shape (w itself is not modified).
    """
    ### BEGIN SOLUTION
    return w - lr * grad
    ### END SOLUTION


def gradient_descent(grad_fn, w0, lr, steps):
    """Run `steps` steps of gradient descent from w0.

    Args:
        grad_fn: function taking w (an array like w0) and returning the gradient
            of the loss at w, an array of w0's shape.
        w0: starting parameters, float64 array of any shape (not modified).
        lr: learning rate.
        steps: number of steps, an int >= 0.

    Returns:
        (w, history): w is the final parameters; history is a list of steps + 1
        arrays: w0 first, then w after each step (each entry its own array).
    """
    ### BEGIN SOLUTION
    w = np.array(w0, dtype=np.float64)
    history = [w.copy()]
    for _ in range(steps):
        w = gd_step(w, grad_fn(w), lr)
        history.append(w.copy())
    return w, history
    ### END SOLUTION
