"""The numpy side of graders/topics/convolution.py, importable in the worker: the
vectorised convolution and pooling the speed checks time the learner's against."""

from __future__ import annotations

import numpy as np


def conv2d_forward(x, w, b, stride=1, padding=0):
    """F.conv2d in numpy: im2col by a strided view, then one matrix product."""
    n, c = x.shape[:2]
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (xp.shape[2] - kh) // stride + 1
    ow = (xp.shape[3] - kw) // stride + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :oh, :ow]  # (N, C, OH, OW, KH, KW)
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * oh * ow)
    out = (w.reshape(f, -1) @ cols).reshape(f, n, oh, ow).transpose(1, 0, 2, 3)
    return out + b[:, None, None], None


def _pool_windows(x, kernel, stride):
    """(N, C, OH, OW, KH·KW): each pooling window of x flattened (one copy of the taps)."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    stride = kernel if stride is None else stride
    sh, sw = (stride, stride) if isinstance(stride, int) else tuple(stride)
    oh = (x.shape[2] - kh) // sh + 1
    ow = (x.shape[3] - kw) // sw + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::sh, ::sw][:, :, :oh, :ow]
    return windows.reshape(windows.shape[:4] + (-1,))


def max_pool2d_forward(x, kernel, stride=None):
    """F.max_pool2d in numpy: the value at each window's first argmax (torch's index)."""
    flat = _pool_windows(x, kernel, stride)
    first = flat.argmax(axis=-1)
    return np.take_along_axis(flat, first[..., None], axis=-1)[..., 0], None


def avg_pool2d_forward(x, kernel, stride=None):
    """F.avg_pool2d in numpy: the mean of each window."""
    return _pool_windows(x, kernel, stride).mean(axis=-1), None
