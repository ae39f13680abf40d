"""LLaMA's SwiGLU feed-forward (Q65), forward and backward.

Two projections of the input, one passed through SiLU and used as a gate on the other,
then a projection back to the model width (Shazeer 2020; LLaMA's FeedForward, whose w1,
w3, w2 are these):

    a = x @ W1,   b = x @ W3,   h = silu(a) · b,   out = h @ W2
    silu(a) = a · σ(a)                      (also called swish)

x is (N, D) or (N, T, D); W1 and W3 are (D, F), W2 is (F, D), no biases. In torch:
(F.silu(x @ W1) * (x @ W3)) @ W2, that is nn.Linear(D, F, bias=False) layers with weight
W1ᵀ, W3ᵀ and W2ᵀ. σ must be stable: pre-activations are graded at ±1e3 with numpy raising
on overflow.
"""

import numpy as np


def _sigmoid(z):
    """σ(z) without overflow: exp is only taken of −|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def swiglu_forward(x, W1, W3, W2):
    """The SwiGLU feed-forward of x.

    Args:
        x: float64 array (N, D) or (N, T, D), any memory layout.
        W1: the gate projection (D, F); W3: the up projection (D, F); W2: the down
            projection (F, D). Any of them may be a view (torch's weight transposed).

    Returns:
        (out, cache): out, a new array shaped like x; cache holds whatever swiglu_backward
        needs (your choice: the grader passes your own cache back).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def swiglu_backward(dout, cache):
    """Gradients through swiglu_forward.

    Args:
        dout: ∂loss/∂out, shaped like x, any memory layout.
        cache: what your swiglu_forward returned.

    Returns:
        (dx, dW1, dW3, dW2): dx shaped like x; dW1, dW3 (D, F) and dW2 (F, D), summed over
        every leading axis of x.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
