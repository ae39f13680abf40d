"""Max and average pooling, forward and backward (Q53), exactly as F.max_pool2d and
F.avg_pool2d (no padding, ceil_mode=False).

x is (N, C, H, W); each channel is pooled on its own over KH × KW windows taken every
(SH, SW) pixels: OH = (H − KH) // SH + 1, OW = (W − KW) // SW + 1. The stride defaults to
the kernel (windows that tile the image), as in torch.

Max pooling passes each window's gradient to the one pixel that was its maximum; on a tie,
the first maximum of the window in row-major order takes it all (as torch: its argmax
index). Average pooling spreads dout/(KH·KW) over the whole window. Where windows overlap
(stride < kernel) a pixel belongs to several windows, and their contributions add up; where
they leave gaps (stride > kernel) the pixels in between get no gradient.
"""

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _windows(x, kernel, stride):
    """(N, C, OH, OW, KH, KW) view of x's pooling windows, and (KH, KW, SH, SW)."""
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return windows[:, :, ::sh, ::sw][:, :, :oh, :ow], (kh, kw, sh, sw)


def _spread(per_tap, shape, geometry):
    """Add per_tap (N, C, OH, OW, KH, KW) back onto an image of `shape`."""
    kh, kw, sh, sw = geometry
    oh, ow = per_tap.shape[2:4]
    dx = np.zeros(shape)
    for i in range(kh):  # one tap at a time: its windows' pixels are distinct, so += adds
        for j in range(kw):
            dx[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw] += per_tap[..., i, j]
    return dx


def max_pool2d_forward(x, kernel, stride=None):
    """The maximum of each window, as F.max_pool2d(x, kernel, stride).

    Args:
        x: float64 array (N, C, H, W), any memory layout. Not modified.
        kernel: an int K or a pair (KH, KW), at most the input's size.
        stride: an int or a pair; None (the default) means stride = kernel.

    Returns:
        (out, cache): out (N, C, OH, OW), a new array; cache is yours, for the backward.
    """
    ### BEGIN SOLUTION
    windows, geometry = _windows(x, kernel, stride)
    flat = windows.reshape(windows.shape[:4] + (-1,))
    first = flat.argmax(axis=-1)  # np.argmax returns the first maximum in row-major order
    out = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
    return out, (x.shape, first, geometry)
    ### END SOLUTION


def max_pool2d_backward(dout, cache):
    """dx: each window's dout to the first maximum of its window (overlaps add up).

    Args:
        dout: float64 array (N, C, OH, OW). cache: what your max_pool2d_forward returned.

    Returns:
        dx, a new array shaped like x (N, C, H, W).
    """
    ### BEGIN SOLUTION
    shape, first, geometry = cache
    kh, kw = geometry[:2]
    one_hot = first[..., None] == np.arange(kh * kw)
    per_tap = (one_hot * dout[..., None]).reshape(first.shape + (kh, kw))
    return _spread(per_tap, shape, geometry)
    ### END SOLUTION


def avg_pool2d_forward(x, kernel, stride=None):
    """The mean of each window, as F.avg_pool2d(x, kernel, stride).

    Args and returns as max_pool2d_forward.
    """
    ### BEGIN SOLUTION
    windows, geometry = _windows(x, kernel, stride)
    return windows.mean(axis=(-2, -1)), (x.shape, geometry)
    ### END SOLUTION


def avg_pool2d_backward(dout, cache):
    """dx: each window's dout / (KH·KW) to every pixel of its window (overlaps add up).

    Returns:
        dx, a new array shaped like x (N, C, H, W).
    """
    ### BEGIN SOLUTION
    shape, geometry = cache
    kh, kw = geometry[:2]
    per_tap = np.broadcast_to((dout / (kh * kw))[..., None, None], dout.shape + (kh, kw))
    return _spread(per_tap, shape, geometry)
    ### END SOLUTION
