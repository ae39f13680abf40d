"""Spatial batch normalisation (Q55): batch norm for convolutional feature maps, exactly as
F.batch_norm on (N, C, H, W) inputs (nn.BatchNorm2d).

A convolution shares its filter over every position of the image, so its output channel c
is one feature seen N·H·W times. Batch norm follows the weight sharing: one mean and one
variance per channel, over N, H and W, and one gamma and beta per channel. Otherwise the
semantics are 07's batchnorm, with M = N·H·W values per channel in place of N:

    x_hat = (x − mean_c) / sqrt(var_c + eps),   out = gamma_c · x_hat + beta_c
    running_mean = (1 − momentum) · running_mean + momentum · mean_c
    running_var  = (1 − momentum) · running_var  + momentum · var_c · M / (M − 1)

with the biased batch variance in the normalisation and the unbiased one in the running
estimate. In eval mode (training=False) the running statistics normalise, unchanged.
"""

import numpy as np


def spatial_batchnorm_forward(
    x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5
):
    """Batch-normalise each channel of x over N, H and W.

    Args:
        x: float64 array (N, C, H, W), any memory layout; in training N·H·W >= 2 (N = 1
            is fine when H·W >= 2, as in torch). A channel constant over N, H and W has
            variance 0: its x̂ is 0, its out is beta.
        gamma, beta: per-channel scale and shift, (C,).
        running_mean, running_var: the running statistics, (C,). Not modified.
        training: batch statistics and an update of the running ones (True), or the
            running statistics (False).
        momentum, eps: as in PyTorch. momentum in [0, 1]: 0 keeps the running statistics
            (still returned as new arrays), 1 replaces them with the batch's. eps > 0.

    Returns:
        (out, cache, running_mean, running_var): out (N, C, H, W); cache for the backward
        (your choice); the new running statistics as new arrays (copies in eval mode).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def spatial_batchnorm_backward(dout, cache):
    """Gradients through spatial_batchnorm_forward (training or eval, as the cache says).

    Returns:
        (dx, dgamma, dbeta): shaped like x (N, C, H, W), gamma (C,) and beta (C,).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
