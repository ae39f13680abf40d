"""The arithmetic of a convolution layer (Q52): output size, parameter count, receptive field.

Every function returns a Python int, computed with integer arithmetic (exact at any size).

Output size along one axis, PyTorch's floor formula (torch.nn.Conv2d, "Shape"):

    out = floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1

Parameters of nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups): each of the c_out
filters sees c_in / groups input channels through a KH × KW window, plus one bias each.

Receptive field of a stack of convolutions, from the input up: with r_0 = 1 and j_0 = 1
(the jump: input pixels between two neighbouring outputs of a layer),

    r_l = r_{l−1} + dilation_l · (kernel_l − 1) · j_{l−1},    j_l = j_{l−1} · stride_l
"""


def conv_output_size(size, kernel, stride=1, padding=0, dilation=1):
    """The output length along one spatial axis, as torch's conv2d returns it.

    Args:
        size: the input length H (or W), an int >= 1.
        kernel: the kernel length K, an int >= 1.
        stride: S >= 1. padding: P >= 0, added on both sides. dilation: D >= 1 (the
            spacing of the kernel taps: a kernel K spans D·(K − 1) + 1 input pixels).
        The arguments are such that the dilated kernel fits the padded input
        (size + 2P >= D·(K − 1) + 1), so the result is at least 1.

    Returns:
        floor((size + 2P − D·(K − 1) − 1) / S) + 1 as a Python int: the last window that
        does not fit entirely is dropped (torch's default ceil_mode=False).
    """
    ### BEGIN SOLUTION
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    ### END SOLUTION


def conv_parameter_count(c_in, c_out, kernel, bias=True, groups=1):
    """The number of learned numbers in nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups).

    Args:
        c_in, c_out: input and output channels, both divisible by groups.
        kernel: an int K (a K × K kernel) or a pair (KH, KW).
        bias: whether each output channel has a bias.
        groups: the channels split into this many groups, each group's filters seeing
            only its own c_in / groups input channels (groups = c_in = c_out: depthwise).

    Returns:
        c_out · (c_in / groups) · KH · KW, plus c_out if bias, as a Python int.
    """
    ### BEGIN SOLUTION
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    return c_out * (c_in // groups) * kh * kw + (c_out if bias else 0)
    ### END SOLUTION


def receptive_field(layers):
    """The receptive field, in input pixels along one axis, of one output pixel of a stack.

    Args:
        layers: a list of (kernel, stride) or (kernel, stride, dilation) tuples, the layer
            nearest the input first. Padding does not change the receptive field. An empty
            list is no layer at all: each "output" pixel is an input pixel, field 1.

    Returns:
        the span r of input pixels one output pixel depends on (the first to the last,
        the holes a dilation leaves counted in), as a Python int:
        r_l = r_{l−1} + D_l·(K_l − 1)·j_{l−1}, j_l = j_{l−1}·S_l, r_0 = j_0 = 1.
    """
    ### BEGIN SOLUTION
    field, jump = 1, 1
    for layer in layers:
        kernel, stride = layer[0], layer[1]
        dilation = layer[2] if len(layer) > 2 else 1
        field += dilation * (kernel - 1) * jump
        jump *= stride
    return field
    ### END SOLUTION
