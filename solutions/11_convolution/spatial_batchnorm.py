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
    ### BEGIN SOLUTION
    axes = (0, 2, 3)
    if training:
        m = x.shape[0] * x.shape[2] * x.shape[3]
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    else:
        mean, var = running_mean, running_var
        running_mean, running_var = running_mean.copy(), running_var.copy()
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean[:, None, None]) * inv_std[:, None, None]
    out = gamma[:, None, None] * x_hat + beta[:, None, None]
    return out, (x_hat, gamma, inv_std, training), running_mean, running_var
    ### END SOLUTION


def spatial_batchnorm_backward(dout, cache):
    """Gradients through spatial_batchnorm_forward (training or eval, as the cache says).

    Returns:
        (dx, dgamma, dbeta): shaped like x (N, C, H, W), gamma (C,) and beta (C,).
    """
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std, training = cache
    axes = (0, 2, 3)
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * gamma[:, None, None]
    scale = inv_std[:, None, None]
    if training:
        dx = scale * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
                      - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True))
    else:
        dx = dx_hat * scale
    return dx, dgamma, dbeta
    ### END SOLUTION
