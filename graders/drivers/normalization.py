"""The numpy side of graders/topics/normalization.py, importable in the worker."""

from __future__ import annotations

import numpy as np


def batchnorm_forward(
    x,
    gamma,
    beta,
    rm,
    rv,
    training=True,
    momentum=0.1,
    eps=1e-5,
    *,
    unbiased_norm=False,
    inverted_momentum=False,
    batch_in_eval=False,
    naive_var=False,
    biased_running=False,
    eps_outside=False,
):
    """Vectorised batch norm forward: the speed reference, and (with switches) its mistakes."""
    if training or batch_in_eval:
        mean, var = x.mean(0), x.var(0, ddof=1 if unbiased_norm else 0)
        unbiased = x.var(0) if biased_running else x.var(0, ddof=1)
        if naive_var:  # E[x²] − E[x]², the one-pass formula that cancels
            n = x.shape[0]
            var = (x**2).mean(axis=0) - mean**2
            unbiased = var * n / (n - 1)
        if training:
            if inverted_momentum:
                rm, rv = (
                    momentum * rm + (1 - momentum) * mean,
                    momentum * rv + (1 - momentum) * unbiased,
                )
            else:
                rm, rv = (
                    (1 - momentum) * rm + momentum * mean,
                    (1 - momentum) * rv + momentum * unbiased,
                )
    else:
        mean, var = rm, rv
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return gamma * (x - mean) / std + beta, rm, rv
