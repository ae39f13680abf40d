"""Layer normalisation (Q34), as torch.nn.functional.layer_norm over the last axis.

Each sample (each position, for (B, T, D) input) is standardised over its own D
features with its biased variance, then scaled and shifted element-wise:

    x_hat = (x − mean) / sqrt(var + eps),   out = gamma · x_hat + beta

No batch statistics, nothing running: training and evaluation are the same.
"""

import numpy as np


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer-normalise x over its last axis.

    Args:
        x: float64 array (N, D) or (B, T, D).
        gamma, beta: learned scale and shift, (D,).
        eps: added to the variance inside the square root, >= 0 (0 is allowed while no
            row is constant). A constant row (any row when D = 1) has variance 0: x̂ is
            0 there, so out is beta (and with D = 1, dx is 0).

    Returns:
        (out, cache): out shaped like x; cache for layernorm_backward.
    """
    ### BEGIN SOLUTION
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)
    ### END SOLUTION


def layernorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta): dx shaped like x; dgamma and dbeta (D,), summed over
    every leading axis."""
    ### BEGIN SOLUTION
    x_hat, gamma, inv_std = cache
    lead = tuple(range(dout.ndim - 1))
    dbeta = dout.sum(axis=lead)
    dgamma = (dout * x_hat).sum(axis=lead)
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=-1, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
    ### END SOLUTION
