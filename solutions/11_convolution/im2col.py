"""im2col and col2im (Q51, Q52): a convolution as one matrix product, exactly as PyTorch's
F.unfold and F.fold.

im2col copies every KH × KW window of the zero-padded input into one column:

    cols[n, c·KH·KW + i·KW + j, oh·OW + ow] = x_pad[n, c, oh·S + i, ow·S + j]

so a convolution with weights w (F, C, KH, KW) is w.reshape(F, −1) @ cols, then a reshape
to (N, F, OH, OW). The price is memory: each input pixel is copied once per window that
covers it, up to KH·KW times. col2im is its adjoint: every column entry is added back to
the pixel it came from (where windows overlap, the contributions add up), and the padding
is cut off. OH = (H + 2P − KH) // S + 1, OW likewise.
"""

import numpy as np


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def im2col(x, kernel, stride=1, padding=0):
    """Unfold x into its sliding windows, as F.unfold(x, kernel, stride=..., padding=...).

    Args:
        x: float64 array (N, C, H, W), any memory layout. Not modified.
        kernel: an int K or a pair (KH, KW), fitting the padded input.
        stride: an int S >= 1, the same along both axes.
        padding: an int P >= 0 of zeros on every side.

    Returns:
        a new array (N, C·KH·KW, L), L = OH·OW: row c·KH·KW + i·KW + j holds tap (i, j) of
        channel c, column oh·OW + ow the window at output position (oh, ow), row-major.
    """
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel)
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))
    windows = windows[:, :, ::stride, ::stride][:, :, :oh, :ow]  # (N, C, OH, OW, KH, KW)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, oh * ow)
    ### END SOLUTION


def col2im(cols, input_shape, kernel, stride=1, padding=0):
    """Fold columns back into an image, as F.fold(cols, (H, W), kernel, stride=..., padding=...).

    Args:
        cols: float64 array (N, C·KH·KW, L) laid out as im2col's. Not modified.
        input_shape: (N, C, H, W), the shape of the image im2col unfolded.
        kernel, stride, padding: as in im2col.

    Returns:
        a new array (N, C, H, W): each column entry added to the pixel of the padded image
        it was copied from (overlapping windows add up), the padding then cut off.
    """
    ### BEGIN SOLUTION
    kh, kw = _pair(kernel)
    n, c, h, w = input_shape
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (w + 2 * padding - kw) // stride + 1
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    for i in range(kh):  # one slice per kernel tap: no two windows' entries collide in it
        for j in range(kw):
            xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += blocks[:, :, i, j]
    return xp[:, :, padding:padding + h, padding:padding + w].copy()
    ### END SOLUTION
