"""Batch normalisation (Q33), exactly as torch.nn.functional.batch_norm on (N, D) inputs.

Training: each feature is standardised with the batch's mean and *biased* variance,
then scaled and shifted by the learned gamma and beta:

    x_hat = (x − mean) / sqrt(var + eps),   out = gamma · x_hat + beta

and the running statistics move toward the batch's, the variance *unbiased*:

    running_mean = (1 − momentum) · running_mean + momentum · mean
    running_var  = (1 − momentum) · running_var  + momentum · var · N / (N − 1)

Evaluation (training=False): the running statistics replace the batch's, and are
returned unchanged. momentum is PyTorch's: the weight of the new batch value.
"""

import numpy as np


def batchnorm_forward(
    x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5
):
    """Batch-normalise x.

    Args:
        x: float64 array (N, D), N >= 2 in training (N = 1 only in eval mode, as torch). A
            feature that is constant over the batch has variance 0: its x̂ is 0, so its
            out is beta.
        gamma, beta: learned scale and shift, (D,).
        running_mean, running_var: the running statistics, (D,). Not modified.
        training: use batch statistics and update the running ones (True), or use the
            running statistics (False).
        momentum, eps: as in PyTorch. momentum in [0, 1]: 0 keeps the running statistics
            (still returned as new arrays), 1 replaces them with the batch's (the
            variance unbiased). eps > 0.

    Returns:
        (out, cache, running_mean, running_var): out (N, D); cache for batchnorm_backward;
        the new running statistics as new arrays (copies of the old ones in eval mode).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def batchnorm_backward(dout, cache):
    """Gradients through batchnorm_forward (training or eval mode, as the cache says).

    In training, x reaches the output three ways: directly, through the batch mean
    and through the batch variance; dx must include all three.

    Returns:
        (dx, dgamma, dbeta): shaped like x (N, D), gamma (D,) and beta (D,).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
