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
        lr: learning rate (step size), a float >= 0 (any size: above 1 too).

    Returns:
        The new parameters, a new float64 array of w's shape (w itself is not modified),
        also when there is nothing to do (lr = 0, a zero gradient): then a copy of w.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def gradient_descent(grad_fn, w0, lr, steps):
    """Run `steps` steps of gradient descent from w0.

    Args:
        grad_fn: function taking w (an array like w0) and returning the gradient
            of the loss at w, an array of w0's shape. It is called once per step, at
            that step's w: `steps` calls in all, none after the last step.
        w0: starting parameters, float64 array of any shape (not modified).
        lr: learning rate, >= 0.
        steps: number of steps, an int >= 0. All of them are taken, also once the
            gradient is exactly zero (no early stopping: w then stays where it is).

    Returns:
        (w, history): w is the final parameters; history is a list (not an array or
        a tuple) of steps + 1 arrays: w0 first, then w after each step, each entry its
        own new array (none of them w0 itself). steps = 0 gives (a copy of w0,
        [a copy of w0]).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
