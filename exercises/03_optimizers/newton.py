"""Newton's method (Q28) on logistic regression.

The Hessian holds the loss's curvature. Newton's method rescales the gradient
by its inverse, which a program does by solving a linear system, never by
forming the inverse: (H + damping·I) d = grad, then w − d.
"""

import numpy as np


def logistic_loss_grad_hessian(X, y, w):
    """Mean binary cross-entropy of p = sigmoid(X @ w), its gradient and Hessian.

        loss = −mean(y·log p + (1 − y)·log(1 − p))
        grad = Xᵀ (p − y) / N
        H    = Xᵀ diag(p (1 − p)) X / N

    Args:
        X: inputs, float64 array (N, D).
        y: targets in {0, 1} (floats), shape (N,).
        w: weights, shape (D,). No bias term (add a column of ones to X for one).

    Returns:
        (loss, grad, H): a float, a (D,) array and a (D, D) array. Compute the
        loss stably (from the logits X @ w), so that it stays finite for large |X @ w|.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def newton_step(w, grad, H, damping=0.0):
    """One damped Newton step: solve (H + damping·I) d = grad, return w − d.

    Args:
        w: parameters, shape (D,).
        grad: gradient at w, shape (D,).
        H: Hessian at w, shape (D, D), symmetric.
        damping: λ >= 0 added to the diagonal (Levenberg-style damping). A large
            damping gives a short gradient step, d ≈ grad / λ.

    Returns:
        The new parameters, a new (D,) array (a zero gradient gives a copy of w).
        Use np.linalg.solve on H + damping·I itself: forming the inverse, or solving
        the normal equations, is slower and loses accuracy on an ill-conditioned H.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
