"""A residual block, forward and backward (Q35).

    out = x + F(x),   F(x) = relu(x @ W1 + b1) @ W2 + b2

so ∂out/∂x = I + ∂F/∂x: the identity path carries the gradient back even where
∂F/∂x is small. x is (N, D), W1 (D, H), b1 (H,), W2 (H, D), b2 (D,).
relu'(0) = 0, as in torch: a hidden unit at exactly 0 passes no gradient back.
"""

import numpy as np


def residual_forward(x, W1, b1, W2, b2):
    """Returns (out, cache): out (N, D); cache is yours, passed back to residual_backward."""
    # YOUR CODE HERE
    raise NotImplementedError()


def residual_backward(dout, cache):
    """Returns (dx, dW1, db1, dW2, db2), shaped like x, W1, b1, W2, b2."""
    # YOUR CODE HERE
    raise NotImplementedError()
