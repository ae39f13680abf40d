"""A 2-D convolution layer, forward and backward (Q51, Q52), exactly as F.conv2d.

Layouts are PyTorch's: x (N, C, H, W), w (F, C, KH, KW), b (F,), out (N, F, OH, OW) with
OH = (H + 2P − KH) // S + 1 and OW = (W + 2P − KW) // S + 1. Like every deep-learning
framework, the layer computes a cross-correlation (the kernel is not flipped):

    out[n, f, oh, ow] = b[f] + Σ_{c, i, j} w[f, c, i, j] · x_pad[n, c, oh·S + i, ow·S + j]

where x_pad is x with P zeros on every side. Backward, for dout (N, F, OH, OW):
db sums dout over N, OH and OW; dw[f, c, i, j] = Σ dout[n, f, oh, ow] · x_pad[n, c, oh·S + i,
ow·S + j] (the input cross-correlated with dout); dx is the full convolution of dout
(spread out by the stride) with the flipped kernel: each output position adds
w[f]·dout[n, f, oh, ow] back onto the window it read, and the padding is cut off.

speed: on a large input this must be at most 25x slower than a vectorised reference: a
Python loop over output positions is far over; a loop over the KH·KW kernel taps is fine.
"""

import numpy as np


def conv2d_forward(x, w, b, stride=1, padding=0):
    """Convolve x with F filters, as F.conv2d(x, w, b, stride=stride, padding=padding).

    Args:
        x: float64 array (N, C, H, W), any memory layout.
        w: filters (F, C, KH, KW), fitting the padded input. b: biases (F,).
        stride: an int S >= 1 along both axes. padding: an int P >= 0 of zeros on every side.
        None of them is modified.

    Returns:
        (out, cache): out (N, F, OH, OW); cache holds whatever conv2d_backward needs (your
        choice: the grader passes your own cache back to your backward).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def conv2d_backward(dout, cache):
    """Gradients through conv2d_forward.

    Args:
        dout: ∂loss/∂out, float64 array (N, F, OH, OW), any memory layout.
        cache: what your conv2d_forward returned.

    Returns:
        (dx, dw, db): new arrays shaped like x (N, C, H, W), w (F, C, KH, KW) and b (F,).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
