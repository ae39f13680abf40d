"""A dense (fully connected) layer, forward and backward (Q9, Q12).

Batch first: x is (N, D_in), W is (D_in, D_out), and the layer computes
out = x @ W + b. (torch.nn.Linear stores its weight transposed, (D_out, D_in).)
"""

import numpy as np


def dense_forward(x, W, b):
    """out = x @ W + b.

    Args:
        x: inputs, float64 array (N, D_in).
        W: weights, (D_in, D_out); it may be a view, such as torch's (D_out, D_in)
            weight transposed.
        b: bias, (D_out,).

    Returns:
        (out, cache): out (N, D_out); cache holds whatever dense_backward needs
        (your choice: the grader passes your own cache back to your backward).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def dense_backward(dout, cache):
    """Gradients of the loss with respect to the layer's inputs.

    Args:
        dout: ∂loss/∂out, float64 array (N, D_out).
        cache: what dense_forward returned.

    Returns:
        (dx, dW, db): new arrays shaped like x (N, D_in), W (D_in, D_out) and b (D_out,):
        dx = dout·Wᵀ, dW = xᵀ·dout, db = dout summed over the batch (a new array for
        N = 1 too, not a view of dout's only row).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
