"""Graders of 11_convolution: the shape arithmetic of a convolution, im2col / col2im, a conv
layer, max and average pooling and spatial batch norm, against PyTorch (the shape torch's
conv returns, nn.Conv2d's parameters, a stack of all-ones convs' input gradient, F.unfold,
F.fold, F.conv2d, F.max_pool2d, F.avg_pool2d, F.batch_norm) and autograd with random
upstream gradients.

Besides random inputs, the checks build what exposes a mistake on every seed: strides that
leave a remainder (floor against ceil), sizes past 2**53 (float division), C ≠ F and
non-square images and kernels (axis mix-ups), square ones (where a mix-up keeps the shapes),
kernels with KH, KW > 1 (a flip shows), ties planted in pooling windows and maxima planted
where windows overlap, all-negative windows, channels-last and transposed views.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.engine.checks import (
    ATOL,
    Mistake,
    assert_fast_enough,
    assert_matches,
    expect_array,
    expect_tuple,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable

NO_RNG = "takes no rng: deterministic"


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (views included: torch takes no negative strides)."""
    return _tensor(np.ascontiguousarray(a))


def view_of(a: np.ndarray, how: str) -> np.ndarray:
    """a's values held as a non-contiguous view: 'channels_last' (a (N, H, W, C) array seen
    as (N, C, H, W), torch's channels_last memory), 'T' (the last two axes of a fresh array
    swapped back), 'step' (every other element of a doubled array), 'reversed'."""
    if how == "channels_last":
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    if how == "T":
        return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    if how == "step":
        return np.repeat(a, 2, axis=-1)[..., ::2]
    return np.ascontiguousarray(a[..., ::-1])[..., ::-1]


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _backward_call(name: str, dout, call: str) -> str:
    layout = "" if dout.flags.c_contiguous else ", a view"
    return f"{name}(dout={describe_value(dout)} (random{layout}), cache from your {call})"


# ================================================================ conv_shapes

not_applicable(
    "11_convolution/conv_shapes",
    layout="ints and tuples of ints: no arrays, so no memory layout",
    randomness=NO_RNG,
)


def expect_int(value, name: str, call: str) -> int:
    """A Python int: not a float, a bool, or a numpy integer."""
    if type(value) is not int:
        raise KataFailure(
            f"wrong type of {name}\n  called   {call}\n  expected a Python int, got "
            f"{describe_value(value)} of type {type(value).__name__}\n  Sizes and counts "
            "are exact integers: use //, and int(...) around anything numpy returns."
        )
    return value


def compare_int(got: int, expected: int, *, call: str, oracle: str, mistakes=()) -> None:
    """got must equal expected; name the first mistake (says, value) giving got here."""
    if got == expected:
        return
    lines = [f"wrong value\n  called   {call}\n  got      {got}\n  expected {expected}  ({oracle})"]
    for says, value in mistakes:
        if value == got != expected:
            lines.append(f"  looks like: {says}")
            break
    raise KataFailure("\n".join(lines))


# ---------------------------------------------------------------- conv_output_size


def torch_output_size(size, kernel, stride=1, padding=0, dilation=1) -> int:
    """The length along H of what F.conv2d returns on a (1, 1, size, 1) input."""
    x = torch.zeros(1, 1, size, 1)
    w = torch.zeros(1, 1, kernel, 1)
    out = F.conv2d(x, w, stride=(stride, 1), padding=(padding, 0), dilation=(dilation, 1))
    return int(out.shape[2])


def output_size_mistakes(size, kernel, stride=1, padding=0, dilation=1):
    span = dilation * (kernel - 1) + 1
    return [
        (
            "rounded up (ceil): a last window that does not fit the padded input is dropped, "
            "floor((size + 2P − D·(K − 1) − 1)/S) + 1 (torch's ceil_mode=False).",
            -(-(size + 2 * padding - span) // stride) + 1,
        ),
        (
            "padding added once: the input is padded on both sides, size + 2P.",
            (size + padding - span) // stride + 1,
        ),
        (
            "dilation ignored: a dilated kernel spans D·(K − 1) + 1 input pixels.",
            (size + 2 * padding - kernel) // stride + 1,
        ),
        (
            "the + 1 left out: (size + 2P − D·(K − 1) − 1)/S counts the steps between "
            "window positions; there is one position more than steps.",
            (size + 2 * padding - span) // stride,
        ),
        (
            "float division: past 2**53 a float cannot hold every integer, so "
            "int((...)/S) rounds; use integer division //.",
            int((size + 2 * padding - span) / stride) + 1,
        ),
    ]


def grade_output_size(learner, size, kernel, oracle="the shape torch's conv2d returns",
                      **kwargs):  # fmt: skip
    fn = learner.fn("conv_output_size")
    call = fn.describe(size, kernel, **kwargs)
    got = expect_int(fn(size, kernel, **kwargs), "the output size", call)
    if oracle.startswith("the shape"):
        expected = torch_output_size(size, kernel, **kwargs)
    else:  # sizes torch cannot allocate: the exact integer formula
        s, p, d = (kwargs.get(k, v) for k, v in (("stride", 1), ("padding", 0), ("dilation", 1)))
        expected = (size + 2 * p - d * (kernel - 1) - 1) // s + 1
    compare_int(got, expected, call=call, oracle=oracle,
                mistakes=output_size_mistakes(size, kernel, **kwargs))  # fmt: skip


def _with_remainder(rng, kernel, stride, padding=0, dilation=1, low=6, high=30):
    """An input size whose last window position leaves 1 .. stride − 1 pixels over (so
    floor and ceil differ)."""
    span = dilation * (kernel - 1) + 1
    while True:
        size = int(rng.integers(low, high))
        rest = (size + 2 * padding - span) % stride
        if size + 2 * padding >= span and rest:
            return size


@check(
    "11_convolution/conv_shapes",
    "conv_output_size: the shape torch's conv2d returns, defaults and away from them",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def output_size_random(learner, rng):
    grade_output_size(learner, int(rng.integers(5, 40)), int(rng.integers(1, 6)))
    k, s = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    grade_output_size(learner, _with_remainder(rng, k, s), k, stride=s)
    grade_output_size(learner, int(rng.integers(5, 30)), 3, padding=int(rng.integers(1, 4)))
    grade_output_size(learner, int(rng.integers(12, 30)), 3, dilation=int(rng.integers(2, 5)))
    k, s, p, d = 3, int(rng.integers(2, 4)), int(rng.integers(1, 3)), 2
    grade_output_size(learner, _with_remainder(rng, k, s, p, d, low=10), k, stride=s,
                      padding=p, dilation=d)  # fmt: skip


@check(
    "11_convolution/conv_shapes",
    "conv_output_size at the boundaries: kernel = padded input, kernel 1, size 1, stride > input",
    regimes=("hyperparameters", "shapes", "exact values", "aliasing"),
)
def output_size_boundaries(learner, rng):
    size = int(rng.integers(3, 12))
    grade_output_size(learner, size, size)  # one window: output 1
    grade_output_size(learner, size, size + 2, padding=1)  # the kernel covers the padding too
    grade_output_size(learner, size, 1)  # kernel 1, stride 1: output = input
    grade_output_size(learner, 1, 1)
    grade_output_size(learner, 1, 3, padding=1)
    grade_output_size(learner, size, 2, stride=size + 3)  # one window, the stride past the end
    s = int(rng.integers(2, 5))
    exact = s * int(rng.integers(2, 6)) + 3  # (size − 3) divisible by s: a window ends flush
    grade_output_size(learner, exact, 3, stride=s)
    grade_output_size(learner, exact - 1, 3, stride=s)  # one pixel short: a window fewer
    grade_output_size(learner, 7, 3, dilation=3)  # a dilated kernel exactly as wide as the input


@check(
    "11_convolution/conv_shapes",
    "conv_output_size on sizes past 2**53: exact integer arithmetic",
    regimes=("extremes", "aliasing"),
)
def output_size_huge(learner, rng):
    s = int(rng.integers(3, 8))
    while True:  # float division rounds to an integer off by more than 1 (no other mistake)
        size = 2**60 + int(rng.integers(1, 2**20))
        if abs(int((size - 3) / s) - (size - 3) // s) >= 2:
            break
    grade_output_size(learner, size, 3, stride=s, oracle="(size + 2P − D·(K − 1) − 1)//S + 1 "
                      "in Python integers (torch cannot allocate 2**60 pixels)")  # fmt: skip


# ---------------------------------------------------------------- conv_parameter_count


def torch_parameter_count(c_in, c_out, kernel, bias=True, groups=1) -> int:
    layer = torch.nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups, device="meta")
    return int(sum(p.numel() for p in layer.parameters()))


def parameter_count_mistakes(c_in, c_out, kernel, bias=True, groups=1):
    kh, kw = _pair(kernel)
    b = c_out if bias else 0
    return [
        ("groups ignored: each filter sees only c_in / groups channels.",
         c_out * c_in * kh * kw + b),
        (
            "divided by groups twice: each group has c_out / groups filters of c_in / groups "
            "channels, and there are groups of them: c_out·(c_in / groups)·KH·KW in all.",
            (c_out // groups) * (c_in // groups) * kh * kw + b,
        ),
        ("one bias per input channel: each output channel (filter) has one bias.",
         c_out * (c_in // groups) * kh * kw + (c_in if bias else 0)),
        ("bias=False ignored: without bias the layer has only its weights.",
         c_out * (c_in // groups) * kh * kw + c_out),
        ("a (KH, KW) kernel taken as square: a pair kernel has KH·KW taps.",
         c_out * (c_in // groups) * kh * kh + b),
        ("biases left out: each output channel has one.",
         c_out * (c_in // groups) * kh * kw),
    ]  # fmt: skip


def grade_parameter_count(learner, c_in, c_out, kernel, **kwargs):
    fn = learner.fn("conv_parameter_count")
    call = fn.describe(c_in, c_out, kernel, **kwargs)
    got = expect_int(fn(c_in, c_out, kernel, **kwargs), "the count", call)
    compare_int(
        got,
        torch_parameter_count(c_in, c_out, kernel, **kwargs),
        call=call,
        oracle="sum of p.numel() over nn.Conv2d's parameters",
        mistakes=parameter_count_mistakes(c_in, c_out, kernel, **kwargs),
    )


@check(
    "11_convolution/conv_shapes",
    "conv_parameter_count: nn.Conv2d's parameters, 3×3 64→128, a pair kernel, 1×1",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def parameter_count_plain(learner, rng):
    grade_parameter_count(learner, 64, 128, 3)
    c_in = int(rng.integers(1, 20))
    c_out = c_in + int(rng.integers(1, 20))  # c_in ≠ c_out: a bias per input channel shows
    kh = int(rng.integers(1, 4))
    grade_parameter_count(learner, *rng.permutation([c_in, c_out]).tolist(), (kh, kh + 2))
    grade_parameter_count(learner, c_out, c_in, 1)  # 1×1: a dense layer on each pixel
    grade_parameter_count(learner, 1, 1, 1)


@check(
    "11_convolution/conv_shapes",
    "conv_parameter_count with groups (depthwise included) and bias=False",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def parameter_count_groups(learner, rng):
    g = int(rng.integers(2, 5))
    c_in, c_out = g * int(rng.integers(1, 4)), g * int(rng.integers(4, 7))
    grade_parameter_count(learner, c_in, c_out, 3, groups=g)
    grade_parameter_count(learner, c_in, c_out, (1, 3), groups=g, bias=False)
    grade_parameter_count(learner, c_out, c_out, 3, groups=c_out)  # depthwise
    grade_parameter_count(learner, c_in, c_out, (3, 2), bias=False)
    grade_parameter_count(learner, c_in, c_out, 5, bias=True, groups=1)


# ---------------------------------------------------------------- receptive_field


def torch_receptive_field(layers) -> int:
    """The span of input pixels with a nonzero gradient of output pixel 0 of a 1-D stack of
    all-ones convolutions (every path adds a positive amount: nothing cancels)."""
    length, jump = 8, 1
    for layer in layers:  # a generous length: every layer's output is at least 1 long
        dilation = layer[2] if len(layer) > 2 else 1
        length += dilation * layer[0] * jump
        jump *= layer[1]
    x = torch.zeros(1, 1, length, requires_grad=True)
    h = x
    for layer in layers:
        dilation = layer[2] if len(layer) > 2 else 1
        h = F.conv1d(h, torch.ones(1, 1, layer[0]), stride=layer[1], dilation=dilation)
    (grad,) = torch.autograd.grad(h[0, 0, 0], x)
    hit = torch.nonzero(grad[0, 0]).flatten()
    return int(hit.max() - hit.min() + 1)


def receptive_field_mistakes(layers):
    def field(update_jump_first=False, use_dilation=True, use_stride=True, reverse=False):
        r, j = 1, 1
        for layer in layers[::-1] if reverse else layers:
            k, s = layer[0], layer[1]
            d = layer[2] if len(layer) > 2 and use_dilation else 1
            if update_jump_first:
                j *= s if use_stride else 1
            r += d * (k - 1) * j
            if not update_jump_first:
                j *= s if use_stride else 1
        return r

    return [
        (
            "the layer's own stride applied to its kernel: r_l = r_{l−1} + D·(K_l − 1)·j_{l−1} "
            "uses the jump of the layers below, then j_l = j_{l−1}·S_l.",
            field(update_jump_first=True),
        ),
        ("dilation ignored: a dilated kernel spans D·(K − 1) + 1 pixels of its input.",
         field(use_dilation=False)),
        (
            "strides ignored: after a stride-S layer, one step on its output is S input "
            "pixels, so each later kernel tap reaches j = Π S further.",
            field(use_stride=False),
        ),
        ("the stack walked from the top down: the first layer in the list is the one nearest "
         "the input.", field(reverse=True)),
    ]  # fmt: skip


def grade_receptive_field(learner, layers):
    fn = learner.fn("receptive_field")
    call = fn.describe(layers)
    got = expect_int(fn(layers), "the receptive field", call)
    compare_int(
        got,
        torch_receptive_field(layers),
        call=call,
        oracle="the span of input pixels with a nonzero gradient of one output pixel of the "
        "stack in torch (all-ones weights)",
        mistakes=receptive_field_mistakes(layers),
    )


@check(
    "11_convolution/conv_shapes",
    "receptive_field: stacks with strides > 1 below larger kernels",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def receptive_field_strides(learner, rng):
    k = int(rng.integers(2, 4))
    grade_receptive_field(learner, [(k, int(rng.integers(2, 4))), (k + 2, 1)])
    grade_receptive_field(learner, [(3, 1), (3, 1), (3, 1)])  # VGG's three 3×3: 7
    layers = [(int(rng.integers(2, 6)), int(rng.integers(1, 4))) for _ in range(4)]
    layers[int(rng.integers(0, 3))] = (2, 2)
    layers[3] = (int(rng.integers(3, 6)), layers[3][1])  # a kernel > 1 above a stride 2
    grade_receptive_field(learner, layers)
    grade_receptive_field(learner, [(7, 2), (3, 2)])  # a ResNet stem: conv 7/2, pool 3/2: 11


@check(
    "11_convolution/conv_shapes",
    "receptive_field: dilations, a single layer, kernels of 1, an empty stack (field 1)",
    regimes=("hyperparameters", "shapes", "exact values", "aliasing"),
)
def receptive_field_edges(learner, rng):
    k = int(rng.integers(2, 6))
    grade_receptive_field(learner, [(k, int(rng.integers(1, 4)))])  # one layer: its kernel
    grade_receptive_field(learner, [(3, 1, int(rng.integers(2, 5)))])
    grade_receptive_field(learner, [(3, 1, 1), (3, 1, 2), (3, 1, 4)])  # WaveNet-style: 15
    grade_receptive_field(learner, [(3, 2), (3, 1, 2), (2, int(rng.integers(1, 3)), 3)])
    grade_receptive_field(learner, [(1, int(rng.integers(2, 4))), (1, 1)])  # 1×1 convs: 1
    grade_receptive_field(learner, [])


@check(
    "11_convolution/conv_shapes",
    "receptive_field of every prefix of a stack, from the input up",
    regimes=("process", "aliasing"),
)
def receptive_field_prefixes(learner, rng):
    # strides > 1 low and high in the stack: walked from the top down, it gives another
    # field from the second layer on (and not the field of an ignored stride)
    layers = [(2, int(rng.integers(2, 4))), (int(rng.integers(3, 6)), 2), (2, 2),
              (int(rng.integers(3, 6)), 1, int(rng.integers(1, 3))), (3, 1)]  # fmt: skip
    for depth in range(1, len(layers) + 1):
        grade_receptive_field(learner, layers[:depth])


# ================================================================ im2col

not_applicable(
    "11_convolution/im2col",
    exact_values="copies values (im2col) and adds them (col2im): no kink, tie or threshold "
    "in the values; the floor at the border is graded with strides that leave pixels over",
    extremes="no exponent and no division: copies and sums, right at any scale",
    randomness=NO_RNG,
    process="one rearrangement each way: no steps",
)


def _rows_channel_last(cols, c, kh, kw):
    """F.unfold's columns with each row block ordered (i, j, c) instead of (c, i, j)."""
    n, _, length = cols.shape
    return cols.reshape(n, c, kh * kw, length).transpose(0, 2, 1, 3).reshape(n, -1, length)


def _columns_transposed(cols, oh, ow):
    """F.unfold's columns ordered (ow, oh), column-major."""
    n, rows, _ = cols.shape
    return cols.reshape(n, rows, oh, ow).transpose(0, 1, 3, 2).reshape(n, rows, -1)


def _fold_overwritten(cols, shape, kernel, stride, padding, per_tap):
    """col2im assigning (=) instead of adding: per kernel tap (slices) or per window."""
    kh, kw = _pair(kernel)
    n, c, h, w = shape
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding))
    if per_tap:
        for i in range(kh):
            for j in range(kw):
                xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] = blocks[
                    :, :, i, j
                ]
    else:
        for a in range(oh):
            for b in range(ow):
                xp[:, :, a * stride:a * stride + kh, b * stride:b * stride + kw] = blocks[
                    ..., a, b]  # fmt: skip
    return xp[:, :, padding : padding + h, padding : padding + w]


def _fold_corner(cols, shape, kernel, stride, padding):
    kh, kw = _pair(kernel)
    n, c, h, w = shape
    full = F.fold(tensor(cols), (h + 2 * padding, w + 2 * padding), (kh, kw), stride=stride)
    return full.numpy()[:, :, :h, :w]


OVERWRITTEN = (
    "overlapping contributions overwritten instead of added: where windows overlap "
    "(stride < kernel) a pixel gets the sum of every window's entry for it; use +=."
)


def grade_im2col(learner, rng, x, kernel, *, cols_view=None, **kwargs):
    """im2col(x, kernel, **kwargs) against F.unfold, then col2im(cols, x.shape, ...) against
    F.fold on random cols (a view for the layout check: cols_view, as view_of's)."""
    stride, padding = kwargs.get("stride", 1), kwargs.get("padding", 0)
    kh, kw = _pair(kernel)
    n, c, h, w = x.shape
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    expected = F.unfold(tensor(x), (kh, kw), stride=stride, padding=padding).numpy()
    fn = learner.fn("im2col")
    call = fn.describe(x, kernel, **kwargs)
    got = expect_array(fn(x, kernel, **kwargs), "cols", expected.shape, call)
    assert_matches(
        {"cols": got},
        {"cols": expected},
        call=call,
        oracle="F.unfold",
        mistakes=[
            Mistake(
                "rows ordered (i, j, c), the channel last: F.unfold's row c·KH·KW + i·KW + j "
                "holds tap (i, j) of channel c (a conv weight (F, C, KH, KW) reshaped to "
                "(F, C·KH·KW) must line up with it).",
                lambda: {"cols": _rows_channel_last(expected, c, kh, kw)},
            ),
            Mistake(
                "columns ordered (ow, oh): column oh·OW + ow is output position (oh, ow), "
                "row-major, so that the product reshapes to (N, F, OH, OW).",
                lambda: {"cols": _columns_transposed(expected, oh, ow)},
            ),
        ],
    )

    cols = rng.normal(size=expected.shape)
    if cols_view:
        cols = view_of(cols, cols_view)
    shape = tuple(int(s) for s in x.shape)
    want = F.fold(tensor(cols), (h, w), (kh, kw), stride=stride, padding=padding).numpy()
    fn = learner.fn("col2im")
    call = fn.describe(cols, shape, kernel, **kwargs)
    result = fn(cols, shape, kernel, **kwargs)
    if (
        isinstance(result, np.ndarray)
        and padding
        and result.shape == (n, c, h + 2 * padding, w + 2 * padding)
    ):
        raise KataFailure(
            f"wrong shape of the image\n  called   {call}\n  got      {describe_value(result)}"
            f"\n  expected shape {shape}  (F.fold)\n  looks like: the padding not cut off: "
            "col2im returns the image im2col was given, x_pad[:, :, P:P + H, P:P + W]."
        )
    got = expect_array(result, "image", want.shape, call)
    assert_matches(
        {"image": got},
        {"image": want},
        call=call,
        oracle="F.fold (overlaps add up)",
        mistakes=[
            Mistake(
                OVERWRITTEN,
                lambda: {"image": _fold_overwritten(cols, shape, kernel, stride, padding, True)},
            ),
            Mistake(
                OVERWRITTEN,
                lambda: {"image": _fold_overwritten(cols, shape, kernel, stride, padding, False)},
            ),
            Mistake(
                "the padding cut from one side: the padded image's interior is "
                "[P:P + H, P:P + W], not [:H, :W].",
                lambda: {"image": _fold_corner(cols, shape, kernel, stride, padding)},
            ),
        ],  # fmt: skip
    )


@check(
    "11_convolution/im2col",
    "im2col and col2im match F.unfold and F.fold: non-square image and kernel, C > 1",
    regimes=("hyperparameters", "shapes"),
)
def im2col_random(learner, rng):
    n, c = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    h = int(rng.integers(4, 8))
    x = rng.normal(size=(n, c, h, h + int(rng.integers(1, 3))))
    kh = int(rng.integers(2, 4))
    grade_im2col(learner, rng, x, (kh, kh + 1))
    grade_im2col(learner, rng, x, 3)


@check(
    "11_convolution/im2col",
    "strides 2 and 3 (overlaps, gaps, pixels left over), paddings 1 and 2",
    regimes=("hyperparameters",),
)
def im2col_stride_padding(learner, rng):
    x = rng.normal(size=(2, 2, 7, 8))
    grade_im2col(learner, rng, x, 3, stride=2)  # overlapping windows; 8 − 3 leaves a column over
    grade_im2col(learner, rng, x, 2, stride=3)  # gaps between windows
    grade_im2col(learner, rng, x, (3, 2), padding=int(rng.integers(1, 3)))
    grade_im2col(learner, rng, x, (2, 3), stride=2, padding=1)
    grade_im2col(learner, rng, x, 4, stride=int(rng.integers(1, 3)), padding=2)


@check(
    "11_convolution/im2col",
    "square image and kernel (a row or column order mix-up keeps the shapes), N = 1, C = 1",
    regimes=("shapes",),
)
def im2col_square(learner, rng):
    grade_im2col(learner, rng, rng.normal(size=(1, 3, 5, 5)), 2)
    grade_im2col(learner, rng, rng.normal(size=(2, 1, 4, 6)), (2, 3), stride=2)
    grade_im2col(learner, rng, rng.normal(size=(1, 1, 3, 3)), 2)


@check(
    "11_convolution/im2col",
    "nothing to gather: kernel 1 (a reshape), kernel = the padded image (one column); new arrays",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def im2col_trivial(learner, rng):
    x = rng.normal(size=(2, 3, 4, 5))
    grade_im2col(learner, rng, x, 1)  # cols is x reshaped: it must not share x's memory
    grade_im2col(learner, rng, x, (4, 5))  # L = 1
    grade_im2col(learner, rng, x, (6, 7), padding=1)
    grade_im2col(learner, rng, rng.normal(size=(1, 1, 1, 1)), 1)


@check(
    "11_convolution/im2col",
    "views: x channels-last and transposed, cols strided",
    regimes=("layout",),
)
def im2col_views(learner, rng):
    grade_im2col(learner, rng, view_of(rng.normal(size=(2, 3, 5, 6)), "channels_last"), (2, 3),
                 cols_view="T")  # fmt: skip
    grade_im2col(learner, rng, view_of(rng.normal(size=(1, 2, 6, 4)), "T"), 3, stride=2,
                 padding=1, cols_view="step")  # fmt: skip


# ================================================================ conv2d

not_applicable(
    "11_convolution/conv2d",
    exact_values="linear in x and in w: no kink, tie or threshold in the values; the floor "
    "at the border is graded with strides that leave pixels over",
    extremes="no exponent and no division: products and sums, right at any scale (and "
    "rounded differently by numpy's and torch's sums under cancellation)",
    randomness=NO_RNG,
    process="one forward and one backward pass: no steps",
)


def _conv_grads(x, w, b, dout, stride, padding, flip=False):
    """(out, dx, dw, db) from torch: F.conv2d with w (or w flipped) and autograd."""
    tx, tw, tb = (tensor(a).requires_grad_(True) for a in (x, w, b))
    out = F.conv2d(tx, tw.flip(2, 3) if flip else tw, tb, stride=stride, padding=padding)
    if dout is None:
        return out.detach().numpy(), None, None, None
    grads = torch.autograd.grad((out * tensor(dout)).sum(), [tx, tw, tb])
    return (out.detach().numpy(), *(g.numpy() for g in grads))


def _dx_from_corner(x, w, dout, stride, padding):
    """dx as the padded input's gradient cut from its corner, [:H, :W]."""
    xp = tensor(np.pad(x, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))).requires_grad_(True)
    out = F.conv2d(xp, tensor(w), stride=stride)
    (grad,) = torch.autograd.grad((out * tensor(dout)).sum(), [xp])
    return grad.numpy()[:, :, : x.shape[2], : x.shape[3]]


def conv_backward_mistakes(x, w, b, dout, stride, padding, want):
    dx, dw, db = want["dx"], want["dw"], want["db"]
    _, dx_unflipped, _, _ = _conv_grads(x, w, b, dout, stride, padding, flip=True)
    return [
        Mistake(
            "dx with the kernel unflipped: dx is the full convolution of dout with the "
            "kernel rotated by 180° (each output position adds w·dout back onto the window "
            "it read, tap (i, j) onto pixel (oh·S + i, ow·S + j)).",
            lambda: {"dx": dx_unflipped, "dw": dw, "db": db},
        ),
        Mistake(
            "dw flipped: dw[f, c, i, j] = Σ dout[n, f, oh, ow]·x_pad[n, c, oh·S + i, ow·S + j], "
            "the input cross-correlated with dout, no rotation.",
            lambda: {"dx": dx, "dw": dw[:, :, ::-1, ::-1], "db": db},
        ),
        Mistake(
            "padding forgotten in the backward: dx is the padded input's gradient with the "
            "P-pixel border cut off, [P:P + H, P:P + W], not its corner [:H, :W].",
            lambda: {"dx": _dx_from_corner(x, w, dout, stride, padding), "dw": dw, "db": db},
        ),
        Mistake(
            "db not summed over N, H', W': every sample and every output position adds its "
            "dout to the bias, db = dout.sum(axis=(0, 2, 3)) (here: one sample only).",
            lambda: {"dx": dx, "dw": dw, "db": dout[0].sum(axis=(1, 2))},
        ),
        Mistake(
            "db not summed over N, H', W': the sum of dout over them, not the mean.",
            lambda: {"dx": dx, "dw": dw, "db": dout.mean(axis=(0, 2, 3))},
        ),
        Mistake(
            "db not summed over N, H', W': only the first output position's dout.",
            lambda: {"dx": dx, "dw": dw, "db": dout[:, :, 0, 0].sum(axis=0)},
        ),
    ]


def grade_conv2d(learner, rng, x, w, b, *, dout_view=None, **kwargs):
    stride, padding = kwargs.get("stride", 1), kwargs.get("padding", 0)
    expected_out, *_ = _conv_grads(x, w, b, None, stride, padding)
    fn = learner.fn("conv2d_forward")
    call = fn.describe(x, w, b, **kwargs)
    out, cache = expect_tuple(fn(x, w, b, **kwargs), ("out", "cache"), call)
    out = expect_array(out, "out", expected_out.shape, call)
    flipped, *_ = _conv_grads(x, w, b, None, stride, padding, flip=True)
    assert_matches(
        {"out": out},
        {"out": expected_out},
        call=call,
        oracle="F.conv2d",
        mistakes=[
            Mistake(
                "kernel flipped: that is convolution in the signal-processing sense; torch's "
                "conv2d (like every framework's) computes a cross-correlation, "
                "Σ w[f, c, i, j]·x_pad[n, c, oh·S + i, ow·S + j], no flip.",
                lambda: {"out": flipped},
            ),
            Mistake(
                "weights read as (C, F, KH, KW): torch's layout is (F, C, KH, KW), filter first.",
                lambda: {
                    "out": _conv_grads(x, w.transpose(1, 0, 2, 3), b, None, stride, padding)[0]
                },
            ),
        ],  # fmt: skip
    )

    dout = rng.normal(size=out.shape)
    if dout_view:
        dout = view_of(dout, dout_view)
    _, dx, dw, db = _conv_grads(x, w, b, dout, stride, padding)
    want = {"dx": dx, "dw": dw, "db": db}
    back = learner.fn("conv2d_backward")
    back_call = _backward_call("conv2d_backward", dout, call)
    result = expect_tuple(back(dout, cache), tuple(want), back_call)
    n, c, h, wd = x.shape
    hints = {  # wrong shapes that name a mistake (shape != the expected one is checked too)
        ("dx", (n, c, h + 2 * padding, wd + 2 * padding)): "padding forgotten in the backward: "
        "dx is the padded input's gradient; cut the P-pixel border off, [P:P + H, P:P + W].",
        ("db", (out.shape[0], out.shape[1])): "db not summed over N, H', W': sum over the "
        "batch too, db = dout.sum(axis=(0, 2, 3)).",
        ("db", out.shape[1:]): "db not summed over N, H', W': sum over the output positions "
        "too, db = dout.sum(axis=(0, 2, 3)).",
    }
    got = {}
    for name, value in zip(want, result):
        shape = getattr(value, "shape", None)
        if (name, shape) in hints and shape != want[name].shape:
            raise KataFailure(
                f"wrong {name}\n  called   {back_call}\n  {name} has shape {shape}, expected "
                f"{want[name].shape}\n  looks like: {hints[(name, shape)]}"
            )
        got[name] = expect_array(value, name, want[name].shape, back_call)
    assert_matches(
        got,
        want,
        call=back_call,
        oracle="torch autograd through F.conv2d",
        mistakes=conv_backward_mistakes(x, w, b, dout, stride, padding, want),
    )


def conv_problem(rng, n, c, h, w, f, kh, kw):
    return rng.normal(size=(n, c, h, w)), rng.normal(size=(f, c, kh, kw)), rng.normal(size=f)


@check(
    "11_convolution/conv2d",
    "forward and backward match F.conv2d and autograd: C ≠ F, non-square image and kernel",
    regimes=("hyperparameters", "shapes"),
)
def conv_random(learner, rng):
    c = int(rng.integers(1, 4))
    f = c + int(rng.integers(1, 3))
    h = int(rng.integers(5, 8))
    kh = int(rng.integers(2, 4))
    c_in, c_out = (int(v) for v in rng.permutation([c, f]))  # C ≠ F, either way round
    grade_conv2d(learner, rng, *conv_problem(rng, int(rng.integers(2, 4)), c_in, h, h + 2, c_out,
                                             kh, kh + 1))  # fmt: skip


@check(
    "11_convolution/conv2d",
    "stride 2 and 3 (pixels left over at the border), padding 1 and 2",
    regimes=("hyperparameters",),
)
def conv_stride_padding(learner, rng):
    grade_conv2d(learner, rng, *conv_problem(rng, 2, 2, 8, 7, 3, 3, 3), stride=2)
    grade_conv2d(learner, rng, *conv_problem(rng, 2, 3, 6, 7, 2, 2, 3),
                 padding=int(rng.integers(1, 3)))  # fmt: skip
    grade_conv2d(learner, rng, *conv_problem(rng, 1, 2, 9, 8, 2, 3, 2), stride=3, padding=1)
    grade_conv2d(learner, rng, *conv_problem(rng, 2, 1, 5, 6, 2, 3, 3), stride=2, padding=2)


@check(
    "11_convolution/conv2d",
    "square: C = F, H = W, KH = KW, where a transposed weight or a swapped axis keeps the shapes",
    regimes=("shapes",),
)
def conv_square(learner, rng):
    grade_conv2d(learner, rng, *conv_problem(rng, 3, 3, 5, 5, 3, 3, 3))
    grade_conv2d(learner, rng, *conv_problem(rng, 2, 2, 6, 6, 2, 2, 2), stride=2, padding=1)


@check(
    "11_convolution/conv2d",
    "edges: a 1×1 output (kernel = padded image), a 1×1 kernel, N = 1, C = F = 1; new arrays",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def conv_edges(learner, rng):
    grade_conv2d(learner, rng, *conv_problem(rng, 1, 2, 4, 5, 3, 4, 5))  # db is dout's sum
    grade_conv2d(learner, rng, *conv_problem(rng, 1, 1, 3, 3, 1, 5, 5), padding=1)
    grade_conv2d(learner, rng, *conv_problem(rng, 2, 3, 4, 5, 2, 1, 1))  # 1×1: a dense layer
    grade_conv2d(learner, rng, *conv_problem(rng, 1, 1, 1, 1, 1, 1, 1))


@check(
    "11_convolution/conv2d",
    "views: x channels-last, w transposed, b reversed, dout a view",
    regimes=("layout",),
)
def conv_views(learner, rng):
    x, w, b = conv_problem(rng, 2, 3, 6, 5, 2, 3, 2)
    grade_conv2d(learner, rng, view_of(x, "channels_last"), view_of(w, "T"),
                 view_of(b, "reversed"), dout_view="T", padding=1)  # fmt: skip
    x, w, b = conv_problem(rng, 1, 2, 7, 7, 3, 3, 3)
    grade_conv2d(learner, rng, view_of(x, "T"), view_of(w, "channels_last"), view_of(b, "step"),
                 dout_view="channels_last", stride=2)  # fmt: skip


@check(
    "11_convolution/conv2d",
    "speed: at most 25x a vectorised reference on (2, 2, 80, 80), 3×3, padding 1",
)
def conv_speed(learner, rng):
    x, w, b = conv_problem(rng, 2, 2, 80, 80, 2, 3, 3)  # 6400 positions: a per-position loop
    return assert_fast_enough(  # is ~100x; a loop over the 9 kernel taps is about 1x
        learner,
        "conv2d_forward",
        (x, w, b),
        "graders.drivers.convolution:conv2d_forward",
        "conv2d_forward on (2, 2, 80, 80) with 3×3 filters",
        kwargs={"padding": 1},
        compared=lambda result: result[0],  # out (the cache is the learner's own)
    )


# ================================================================ pooling

not_applicable(
    "11_convolution/pooling",
    extremes="no exponent: max compares and copies, exact at any scale; the average divides "
    "by the window's constant size, and its sum overflows at 1e308 in torch as in numpy",
    randomness=NO_RNG,
    process="one forward and one backward pass: no steps",
)


def _torch_pool(kind, x, kernel, stride, dout):
    tx = tensor(x).requires_grad_(True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    out = pool(tx, _pair(kernel), None if stride is None else _pair(stride))
    (dx,) = torch.autograd.grad((out * tensor(dout)).sum(), [tx]) if dout is not None else (None,)
    return out.detach().numpy(), None if dx is None else dx.numpy()


def _window_geometry(x_shape, kernel, stride):
    kh, kw = _pair(kernel)
    sh, sw = _pair(kernel if stride is None else stride)
    return kh, kw, sh, sw, (x_shape[2] - kh) // sh + 1, (x_shape[3] - kw) // sw + 1


def _pool_backward_variant(x, kernel, stride, dout, kind, *, ties="first", assign=None,
                           scale=True):  # fmt: skip
    """dx of a pooling by windows: ties 'first' / 'last' / 'all' (max), assign None (add),
    'tap' or 'window' (overwrite), scale False (avg: dout not divided by KH·KW)."""
    kh, kw, sh, sw, oh, ow = _window_geometry(x.shape, kernel, stride)
    n, c = x.shape[:2]
    taps = np.zeros((n, c, oh, ow, kh, kw))
    for a in range(oh):
        for b in range(ow):
            win = x[:, :, a * sh : a * sh + kh, b * sw : b * sw + kw].reshape(n, c, -1)
            if kind == "avg":
                taps[:, :, a, b] = dout[:, :, a, b, None, None] / (kh * kw if scale else 1)
                continue
            if ties == "all":
                mask = win == win.max(axis=-1, keepdims=True)
            else:
                idx = win.argmax(-1) if ties == "first" else kh * kw - 1 - win[..., ::-1].argmax(-1)
                mask = np.arange(kh * kw) == idx[..., None]
            taps[:, :, a, b] = (mask * dout[:, :, a, b, None]).reshape(n, c, kh, kw)
    dx = np.zeros(x.shape)
    if assign == "window":
        for a in range(oh):
            for b in range(ow):
                dx[:, :, a * sh : a * sh + kh, b * sw : b * sw + kw] = taps[:, :, a, b]
        return dx
    for i in range(kh):
        for j in range(kw):
            if assign == "tap":
                dx[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] = taps[..., i, j]
            else:
                dx[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] += taps[..., i, j]
    return dx


def pooling_mistakes(kind, x, kernel, stride, dout):
    variant = lambda **k: {"dx": _pool_backward_variant(x, kernel, stride, dout, kind, **k)}  # noqa: E731
    common = [
        Mistake(OVERWRITTEN, lambda: variant(assign="tap")),
        Mistake(OVERWRITTEN, lambda: variant(assign="window")),
    ]
    if kind == "avg":
        return [
            Mistake(
                "dout not divided by the window size: each of the KH·KW pixels of a window "
                "gets dout/(KH·KW), the derivative of a mean.",
                lambda: variant(scale=False),
            ),
            *common,
        ]
    return [
        Mistake(
            "gradient to every tied maximum: on a tie the first maximum of the window in "
            "row-major order takes the whole gradient (as torch's argmax index); use np.argmax "
            "over the flattened window, not window == max.",
            lambda: variant(ties="all"),
        ),
        Mistake(
            "the last tied maximum takes the gradient: torch picks the first in row-major order "
            "(np.argmax's choice), not the last.",
            lambda: variant(ties="last"),
        ),
        *common,
    ]


def grade_pool(learner, rng, kind, x, kernel, stride=None, *, dout_view=None):
    """One forward (against F.{kind}_pool2d) and its backward (autograd, random dout)."""
    forward, backward = f"{kind}_pool2d_forward", f"{kind}_pool2d_backward"
    args = (x, kernel) if stride is None else (x, kernel, stride)
    expected_out, _ = _torch_pool(kind, x, kernel, stride, None)
    fn = learner.fn(forward)
    call = fn.describe(*args)
    out, cache = expect_tuple(fn(*args), ("out", "cache"), call)
    out = expect_array(out, "out", expected_out.shape, call)
    mistakes = []
    if kind == "max":
        mistakes.append(Mistake(
            "the maximum started from 0: a window of negative values has a negative maximum; "
            "start from the window's first value (or -inf), or use .max().",
            lambda: {"out": np.maximum(expected_out, 0.0)},
        ))  # fmt: skip
    assert_matches({"out": out}, {"out": expected_out}, call=call,
                   oracle=f"F.{kind}_pool2d", mistakes=mistakes)  # fmt: skip

    dout = rng.normal(size=out.shape)
    if dout_view:
        dout = view_of(dout, dout_view)
    _, dx = _torch_pool(kind, x, kernel, stride, dout)
    back = learner.fn(backward)
    back_call = _backward_call(backward, dout, call)
    got = expect_array(back(dout, cache), "dx", x.shape, back_call)
    assert_matches(
        {"dx": got},
        {"dx": dx},
        call=back_call,
        oracle=f"torch autograd through F.{kind}_pool2d",
        mistakes=pooling_mistakes(kind, x, kernel, stride, dout),
    )


def plant_tie(rng, x, kernel, stride):
    """Make one window per (n, c) hold its maximum twice (and one window constant zero)."""
    x = x.copy()
    kh, kw, sh, sw, oh, ow = _window_geometry(x.shape, kernel, stride)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            a, b = int(rng.integers(oh)), int(rng.integers(ow))
            win = x[n, c, a * sh : a * sh + kh, b * sw : b * sw + kw]
            first, second = rng.choice(kh * kw, size=2, replace=False)
            top = win.max() + 1.0
            win.flat[first] = win.flat[second] = top
    x[0, 0, :kh, :kw] = 0.0  # a window of zeros: every pixel a tied maximum
    return x


def plant_overlap_max(x, kernel, stride):
    """Give windows (0, 0) and (0, 1) of every channel their maximum at a shared pixel."""
    x = x.copy()
    kh, kw, sh, sw, _, _ = _window_geometry(x.shape, kernel, stride)
    x[:, :, 0, sw] = np.abs(x).max() + 1.0  # column sw: in window (0, 0) and (0, 1)
    return x


@check(
    "11_convolution/pooling",
    "max: forward and backward match F.max_pool2d (stride = kernel by default), non-square",
    regimes=("hyperparameters", "shapes"),
)
def max_pool_random(learner, rng):
    x = rng.normal(size=(int(rng.integers(2, 4)), int(rng.integers(2, 4)), 6, 8))
    grade_pool(learner, rng, "max", x, 2)
    grade_pool(learner, rng, "max", x, (3, 2))
    grade_pool(learner, rng, "max", x, 3, 2)


@check(
    "11_convolution/pooling",
    "max: ties (planted, integer values, a window of zeros) go to the first maximum; "
    "all-negative windows",
    regimes=("exact values",),
)
def max_pool_ties(learner, rng):
    x = plant_tie(rng, rng.normal(size=(2, 2, 6, 6)), 2, None)
    grade_pool(learner, rng, "max", x, 2)
    ints = plant_tie(rng, rng.integers(-2, 3, size=(2, 3, 7, 6)).astype(float), 3, 1)
    grade_pool(learner, rng, "max", ints, 3, 1)  # overlapping windows full of ties
    grade_pool(learner, rng, "max", -np.abs(rng.normal(size=(1, 2, 4, 6))) - 0.5, 2)


@check(
    "11_convolution/pooling",
    "max and avg: overlapping windows (stride < kernel) add up; gaps (stride > kernel) get 0",
    regimes=("hyperparameters",),
)
def pool_overlap(learner, rng):
    for kind in ("max", "avg"):
        x = plant_overlap_max(rng.normal(size=(2, 2, 7, 8)), 3, 2)
        grade_pool(learner, rng, kind, x, 3, 2)
        grade_pool(
            learner,
            rng,
            kind,
            plant_overlap_max(rng.normal(size=(1, 2, 6, 7)), (2, 3), (1, 2)),
            (2, 3),
            (1, 2),
        )
        grade_pool(learner, rng, kind, rng.normal(size=(2, 1, 8, 9)), 2, 3)  # gaps


@check(
    "11_convolution/pooling",
    "avg: forward and backward match F.avg_pool2d, pair kernel and stride",
    regimes=("hyperparameters", "shapes"),
)
def avg_pool_random(learner, rng):
    x = rng.normal(size=(int(rng.integers(2, 4)), int(rng.integers(2, 4)), 6, 8))
    grade_pool(learner, rng, "avg", x, 2)
    grade_pool(learner, rng, "avg", x, (2, 4))
    grade_pool(learner, rng, "avg", x, (3, 2), (2, 1))


@check(
    "11_convolution/pooling",
    "nothing to pool: kernel 1 (a copy), kernel = the image (global pooling), N = 1, C = 1; "
    "new arrays",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def pool_trivial(learner, rng):
    for kind in ("max", "avg"):
        grade_pool(learner, rng, kind, rng.normal(size=(2, 3, 4, 5)), 1)  # out is x: copy it
        grade_pool(learner, rng, kind, rng.normal(size=(1, 2, 3, 3)), 1, 1)
        grade_pool(learner, rng, kind, rng.normal(size=(2, 2, 4, 5)), (4, 5))
        grade_pool(learner, rng, kind, rng.normal(size=(1, 1, 5, 3)), 2)


@check(
    "11_convolution/pooling",
    "views: x channels-last and transposed, dout a view",
    regimes=("layout",),
)
def pool_views(learner, rng):
    for kind in ("max", "avg"):
        grade_pool(learner, rng, kind, view_of(rng.normal(size=(2, 3, 6, 4)), "channels_last"),
                   2, dout_view="T")  # fmt: skip
        grade_pool(learner, rng, kind, view_of(rng.normal(size=(1, 2, 5, 7)), "T"), (3, 2), 1,
                   dout_view="channels_last")  # fmt: skip


@check(
    "11_convolution/pooling",
    "speed: max and avg pooling at most 25x a vectorised reference on (1, 1, 128, 128), 2×2",
    regimes=(),
)
def pool_speed(learner, rng):
    x = rng.normal(size=(1, 1, 128, 128))  # 4096 windows, N·C = 1: a per-window loop is
    return "; ".join(  # 110-170x; a loop over the 4 taps, vectorised over the windows, ~1x
        assert_fast_enough(
            learner,
            f"{kind}_pool2d_forward",
            (x, 2),
            f"graders.drivers.convolution:{kind}_pool2d_forward",
            f"{kind}_pool2d_forward on (1, 1, 128, 128) with 2×2 windows",
            compared=lambda result: result[0],  # out (the cache is the learner's own)
        )
        for kind in ("max", "avg")
    )


# ================================================================ spatial_batchnorm

not_applicable(
    "11_convolution/spatial_batchnorm",
    randomness=NO_RNG,
    process="one step: a forward normalises one batch and updates the running statistics "
    "once; carrying them from batch to batch is the caller's loop",
)


def _sbn(x, gamma, beta, rm, rv, training, momentum, eps, *, unbiased_norm=False,
         batch_count=False, inverted_momentum=False, batch_in_eval=False, naive_var=False,
         eps_outside=False, per_position=False):  # fmt: skip
    """Spatial batch norm in numpy with switches: (out, running_mean, running_var) of the
    listed mistakes (per_position: statistics over N alone, the running ones averaged)."""
    axes = (0,) if per_position else (0, 2, 3)
    m = x.shape[0] if (batch_count or per_position) else x.shape[0] * x.shape[2] * x.shape[3]
    shape = (1,) + x.shape[1:] if per_position else (1, -1, 1, 1)
    if training or batch_in_eval:
        mean = x.mean(axis=axes)
        var = x.var(axis=axes, ddof=1 if unbiased_norm else 0)
        if naive_var:
            var = (x**2).mean(axis=axes) - mean**2
        unbiased = x.var(axis=axes) * m / (m - 1)
        if per_position:
            run_mean, run_unbiased = mean.mean(axis=(1, 2)), unbiased.mean(axis=(1, 2))
        else:
            run_mean, run_unbiased = mean, unbiased
        if training:
            a = momentum if inverted_momentum else 1 - momentum
            rm, rv = a * rm + (1 - a) * run_mean, a * rv + (1 - a) * run_unbiased
    else:
        mean, var = rm, rv
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    x_hat = (x - mean.reshape(shape)) / std.reshape(shape)
    return gamma[:, None, None] * x_hat + beta[:, None, None], rm, rv


SBN_FORWARD_MISTAKES = [
    (
        "statistics per (C, H, W) position: a channel is one feature seen at every position "
        "(the filter is shared), so its mean and variance are over N, H and W together, "
        "axis=(0, 2, 3).",
        {"per_position": True},
    ),
    (
        "running variance made unbiased with N/(N − 1): each channel has M = N·H·W values, "
        "so the factor is M/(M − 1).",
        {"batch_count": True},
    ),
    (
        "unbiased variance in the normalisation: normalise with the biased variance (divide "
        "by M = N·H·W); only the running estimate uses M − 1.",
        {"unbiased_norm": True},
    ),
    (
        "momentum weighting inverted: running = (1 − momentum)·running + momentum·batch "
        "(PyTorch's momentum weighs the new value).",
        {"inverted_momentum": True},
    ),
    (
        "batch statistics used in eval mode: with training=False, normalise with the running "
        "mean and variance.",
        {"batch_in_eval": True},
    ),
    (
        "variance as E[x²] − mean²: for a channel whose mean is large next to its spread the "
        "two terms cancel; use mean((x − mean)²), x.var(axis=(0, 2, 3)).",
        {"naive_var": True},
    ),
    (
        "eps outside the square root: x̂ = (x − mean)/sqrt(var + eps), not "
        "(x − mean)/(sqrt(var) + eps).",
        {"eps_outside": True},
    ),
]
PER_POSITION_SHAPE = (
    "statistics per (C, H, W) position: the running statistics come back shaped {shape}; a "
    "channel is one feature seen at every position, so its mean and variance are over N, H "
    "and W together, axis=(0, 2, 3), one per channel, (C,)."
)


def sbn_problem(rng, n, c, h, w, small_variance=False, large_offset=False):
    loc = rng.normal(size=c)[:, None, None]
    scale = rng.uniform(0.5, 2, size=c)[:, None, None]
    x = loc + scale * rng.normal(size=(n, c, h, w))
    if small_variance:
        x[:, 0] = 3.0 + 1e-3 * rng.normal(size=(n, h, w))  # variance ~1e-6, next to eps
    if large_offset:
        x[:, 1:] = 1e4 + 1e-2 * rng.normal(size=(n, c - 1, h, w))
    return (x, rng.uniform(0.5, 1.5, size=c), rng.normal(size=c), rng.normal(size=c),
            rng.uniform(0.5, 2.0, size=c))  # fmt: skip


def grade_sbn(learner, rng, problem, *, training=True, momentum=None, eps=None, atol=ATOL,
              back_atol=None, dout_view=None):  # fmt: skip
    x, gamma, beta, rm, rv = problem
    kwargs = {}
    if not training:
        kwargs["training"] = False
    if momentum is not None:
        kwargs["momentum"] = momentum
    if eps is not None:
        kwargs["eps"] = eps
    m = 0.1 if momentum is None else momentum
    e = 1e-5 if eps is None else eps
    c = x.shape[1]

    tx, tg, tb = (tensor(a).requires_grad_(True) for a in (x, gamma, beta))
    trm, trv = tensor(rm), tensor(rv)
    out_t = F.batch_norm(tx, trm, trv, weight=tg, bias=tb, training=training, momentum=m, eps=e)

    fn = learner.fn("spatial_batchnorm_forward")
    call = fn.describe(x, gamma, beta, rm, rv, **kwargs)
    names = ("out", "cache", "running_mean", "running_var")
    out, cache, new_rm, new_rv = expect_tuple(fn(x, gamma, beta, rm, rv, **kwargs), names, call)
    for name, value in (("running_mean", new_rm), ("running_var", new_rv)):
        shape = getattr(value, "shape", None)
        if training and shape in (x.shape[1:], (int(np.prod(x.shape[1:])),)) and shape != (c,):
            raise KataFailure(
                f"wrong {name}\n  called   {call}\n  {name} has shape {shape}, expected ({c},)"
                f"\n  looks like: {PER_POSITION_SHAPE.format(shape=shape)}"
            )
    got = {
        "out": expect_array(out, "out", x.shape, call),
        "running_mean": expect_array(new_rm, "running_mean", rm.shape, call),
        "running_var": expect_array(new_rv, "running_var", rv.shape, call),
    }
    for name, value, old in (("running_mean", new_rm, rm), ("running_var", new_rv, rv)):
        if np.shares_memory(value, old):
            raise KataFailure(
                f"{name} is the array passed in\n  called   {call}\n  return a new array "
                "(np.copy in eval mode, or when momentum is 0), so the caller's is untouched."
            )
    expected = {"out": out_t.detach().numpy(), "running_mean": trm.numpy(),
                "running_var": trv.numpy()}  # fmt: skip
    labels = ("out", "running_mean", "running_var")
    mistakes = [
        Mistake(says, lambda sw=sw: dict(zip(labels, _sbn(x, gamma, beta, rm, rv, training, m,
                                                          e, **sw))))
        for says, sw in SBN_FORWARD_MISTAKES
    ]  # fmt: skip
    if not training:
        mistakes.append(Mistake(
            "training=False ignored: batch statistics used in eval mode and the running ones "
            "updated; in eval, normalise with the running mean and variance, unchanged.",
            lambda: dict(zip(labels, _sbn(x, gamma, beta, rm, rv, True, m, e))),
        ))  # fmt: skip
    if m != 0.1:
        mistakes.append(Mistake(
            f"momentum argument ignored: the running statistics moved with momentum 0.1, not "
            f"the momentum={m} passed in.",
            lambda: dict(zip(labels, _sbn(x, gamma, beta, rm, rv, training, 0.1, e))),
        ))  # fmt: skip
    if e != 1e-5:
        mistakes.append(Mistake(
            f"eps argument ignored: normalised with eps = 1e-5, not the eps={e} passed in.",
            lambda: dict(zip(labels, _sbn(x, gamma, beta, rm, rv, training, m, 1e-5))),
        ))  # fmt: skip
    assert_matches(got, expected, call=call, oracle="F.batch_norm on (N, C, H, W) (running "
                   "stats updated by torch)", mistakes=mistakes, atol=atol)  # fmt: skip

    dout = rng.normal(size=x.shape)
    if dout_view:
        dout = view_of(dout, dout_view)
    grads = torch.autograd.grad((out_t * tensor(dout)).sum(), [tx, tg, tb])
    want = dict(zip(("dx", "dgamma", "dbeta"), (g.numpy() for g in grads)))
    back = learner.fn("spatial_batchnorm_backward")
    back_call = _backward_call("spatial_batchnorm_backward", dout, call)
    result = expect_tuple(back(dout, cache), tuple(want), back_call)
    got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, result)}

    axes = (0, 2, 3)

    def batch_terms(over=axes):
        inv_std = 1 / np.sqrt(x.var(axis=over, keepdims=True) + e)
        x_hat = (x - x.mean(axis=over, keepdims=True)) * inv_std
        return x_hat, dout * gamma[:, None, None], inv_std

    def grads_with(dx, x_hat):
        return {"dx": dx, "dgamma": (dout * x_hat).sum(axis=axes), "dbeta": dout.sum(axis=axes)}

    def missing_paths():
        x_hat, dx_hat, inv_std = batch_terms()
        return grads_with(dx_hat * inv_std, x_hat)

    def no_variance_path():
        x_hat, dx_hat, inv_std = batch_terms()
        return grads_with(inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)), x_hat)

    def per_position_backward():
        x_hat, dx_hat, inv_std = batch_terms()
        dx = inv_std * (
            dx_hat
            - dx_hat.mean(axis=0, keepdims=True)
            - x_hat * (dx_hat * x_hat).mean(axis=0, keepdims=True)
        )
        return grads_with(dx, x_hat)

    def batch_paths_in_eval():
        inv_std = 1 / np.sqrt(rv + e)[:, None, None]
        x_hat, dx_hat = (x - rm[:, None, None]) * inv_std, dout * gamma[:, None, None]
        dx = inv_std * (
            dx_hat
            - dx_hat.mean(axis=axes, keepdims=True)
            - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True)
        )
        return grads_with(dx, x_hat)

    known = (
        [
            Mistake("dx missing the mean and variance paths: in training the channel's mean "
                    "and variance depend on x too, dx = (γ/σ)·(dout − mean(dout) − "
                    "x̂·mean(dout·x̂)), the means over (0, 2, 3).", missing_paths),
            Mistake("dx missing the variance path (the −x̂·mean(dx̂·x̂) term): in training the "
                    "channel's variance depends on x too.", no_variance_path),
            Mistake("dx's means taken per (C, H, W) position (over N alone): the statistics "
                    "are over N, H and W, and so are the means in dx.", per_position_backward),
        ]
        if training
        else [
            Mistake("batch-statistics backward in eval mode: with training=False the running "
                    "mean and variance are constants, dx = γ·dout / sqrt(running_var + eps).",
                    batch_paths_in_eval)
        ]
    )  # fmt: skip
    assert_matches(got, want, call=back_call, oracle="torch autograd through F.batch_norm",
                   mistakes=known, atol=atol if back_atol is None else back_atol)  # fmt: skip


@check(
    "11_convolution/spatial_batchnorm",
    "training: out, running stats and backward match F.batch_norm on (N, C, H, W)",
    regimes=("hyperparameters", "shapes"),
)
def sbn_train(learner, rng):
    h = int(rng.integers(2, 5))
    grade_sbn(learner, rng, sbn_problem(rng, int(rng.integers(2, 5)), int(rng.integers(2, 5)),
                                        h, h + 1))  # fmt: skip


@check(
    "11_convolution/spatial_batchnorm",
    "momentum 0.3, eps 1e-2, a channel of tiny variance",
    regimes=("hyperparameters", "extremes"),
)
def sbn_custom(learner, rng):
    grade_sbn(learner, rng, sbn_problem(rng, 3, 3, 3, 4, small_variance=True), momentum=0.3,
              eps=1e-2)  # fmt: skip


@check(
    "11_convolution/spatial_batchnorm",
    "channels with a large offset (mean 1e4, std 1e-2), and at 1e150, 1e-150 and 1 in one batch",
    regimes=("extremes",),
)
def sbn_extremes(learner, rng):
    # x ~ 1e4 carries ~1e-12 of rounding, ~1e-10 in x̂ (σ ~ 1e-2): atol 1e-7, while the
    # one-pass variance is off by ~1e-4 relative there
    grade_sbn(learner, rng, sbn_problem(rng, 2, 3, 3, 3, large_offset=True), atol=1e-7)
    # dx scales as 1/σ (1e-150 for the huge channel): the backward compared relatively
    x, gamma, beta, rm, rv = sbn_problem(rng, 2, 3, 3, 2)
    x[:, 0] *= 1e150
    x[:, 1] *= 1e-150
    rm[0] *= 1e150
    rv[0] *= 1e300
    grade_sbn(learner, rng, (x, gamma, beta, rm, rv), back_atol=1e-162)


@check(
    "11_convolution/spatial_batchnorm",
    "eval mode: running statistics, returned as new arrays",
    regimes=("hyperparameters", "aliasing"),
)
def sbn_eval(learner, rng):
    grade_sbn(learner, rng, sbn_problem(rng, 2, 3, 3, 4), training=False)
    grade_sbn(learner, rng, sbn_problem(rng, 1, 2, 2, 3, small_variance=True), training=False,
              eps=1e-3)  # fmt: skip


@check(
    "11_convolution/spatial_batchnorm",
    "momentum 0 (running statistics kept, as new arrays) and 1 (the batch's)",
    regimes=("hyperparameters", "aliasing", "exact values"),
)
def sbn_momentum_edges(learner, rng):
    grade_sbn(learner, rng, sbn_problem(rng, 2, 3, 2, 3), momentum=0.0)
    grade_sbn(learner, rng, sbn_problem(rng, 2, 3, 3, 2), momentum=1.0)


@check(
    "11_convolution/spatial_batchnorm",
    "a constant channel (variance exactly 0: out = beta there), eps 1e-12",
    regimes=("exact values", "hyperparameters"),
)
def sbn_constant_channel(learner, rng):
    for eps in (None, 1e-12):
        problem = sbn_problem(rng, 2, 3, 3, 3)
        problem[0][:, int(rng.integers(3))] = -1.5  # exact: its mean is -1.5, x − mean is 0
        grade_sbn(learner, rng, problem, eps=eps)


@check(
    "11_convolution/spatial_batchnorm",
    "shapes: N = 1 in training (H·W values), H = W = 1, one channel, N = C = H = W",
    regimes=("shapes",),
)
def sbn_shapes(learner, rng):
    grade_sbn(learner, rng, sbn_problem(rng, 1, 3, 2, 3))  # M = 6 values per channel
    grade_sbn(learner, rng, sbn_problem(rng, 5, 3, 1, 1))  # 07's batchnorm on (N, C)
    grade_sbn(learner, rng, sbn_problem(rng, 3, 1, 2, 4))
    grade_sbn(learner, rng, sbn_problem(rng, 3, 3, 3, 3))  # an axis mix-up keeps the shapes


@check(
    "11_convolution/spatial_batchnorm",
    "views: x channels-last, dout transposed, parameters strided and reversed",
    regimes=("layout",),
)
def sbn_views(learner, rng):
    for training in (True, False):
        x, gamma, beta, rm, rv = sbn_problem(rng, 2, 3, 3, 4)
        problem = (
            view_of(x, "channels_last"),
            view_of(gamma, "step"),
            view_of(beta, "reversed"),
            view_of(rm, "step"),
            view_of(rv, "reversed"),
        )
        grade_sbn(learner, rng, problem, training=training, dout_view="T")  # fmt: skip
