"""Binary cross-entropy from logits (Q19), as F.binary_cross_entropy_with_logits (mean).

With p = σ(z), the loss of one element is −[y·log p + (1 − y)·log(1 − p)]: the
negative log-likelihood of a Bernoulli model. Computed from the logit z it never
needs log(0):

    loss = max(z, 0) − z·y + log(1 + e^(−|z|))
"""

import numpy as np


def bce_with_logits(logits, targets):
    """Mean binary cross-entropy of sigmoid(logits) against targets, and its gradient.

    Args:
        logits: float64 array, (N,) or (N, K) (one logit per independent label).
        targets: float64 array of logits' shape, values in [0, 1] (usually 0 or 1).

    Returns:
        (loss, dlogits): loss a float (the mean over every element); dlogits =
        (σ(logits) − targets) / (element count), a new array. Stable for |logits| up to
        1000: a confident wrong logit costs its full |z| (1000 at z = −1000, y = 1), not
        a capped −log ε; a confident right one costs 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
