"""GELU (Q7), the activation of BERT, GPT-2/3 and ViT, in its tanh approximation.

GELU(z) = z · Φ(z), with Φ the standard normal CDF. This kata uses the tanh
approximation that torch.nn.functional.gelu(z, approximate="tanh") computes:

    gelu(z) = 0.5 · z · (1 + tanh(u)),   u = sqrt(2/π) · (z + 0.044715 · z³)

No nan for large |z| (up to ±1e100: beyond ~1e154, z² overflows, in PyTorch too):
tanh saturates at ±1, so gelu(z) = z for large z and 0 for very negative z, and
gelu_grad(0) = 1/2.
"""

import numpy as np


def gelu(z):
    """The tanh-approximated GELU, element-wise. z: float64 array of any shape."""
    # YOUR CODE HERE
    raise NotImplementedError()


def gelu_grad(z):
    """d gelu/dz of the tanh approximation, element-wise. Same shape as z."""
    # YOUR CODE HERE
    raise NotImplementedError()
