"""Two pieces of a variational autoencoder (Q50).

The encoder outputs, per sample, a mean mu and a log-variance logvar of a
diagonal Gaussian q(z|x). Sampling z = mu + sigma · eps with eps ~ N(0, I)
given from outside (the reparameterisation trick) keeps z differentiable in mu
and logvar; the KL term pulls q(z|x) toward the prior N(0, I).
"""

import numpy as np


def reparameterize(mu, logvar, eps):
    """z = mu + exp(0.5 · logvar) · eps.

    Args:
        mu, logvar, eps: float64 arrays (N, L); eps holds standard normal draws.

    Returns:
        z, float64 array (N, L), a new array (for eps = 0 too, where z equals mu).
        logvar may be far from 0 (±800): exp(0.5 · logvar) stays finite where
        exp(logvar) would overflow, so take the square root inside the exponent.
    """
    ### BEGIN SOLUTION
    return mu + np.exp(0.5 * logvar) * eps
    ### END SOLUTION


def gaussian_kl(mu, logvar):
    """KL(N(mu, exp(logvar)) ‖ N(0, 1)) per sample, summed over the L dimensions:
    0.5 · Σ (mu² + exp(logvar) − logvar − 1).

    Args:
        mu, logvar: float64 arrays (N, L).

    Returns:
        float64 array (N,), each >= 0; exactly 0 where mu = 0 and logvar = 0.
        Use logvar itself (not log(exp(logvar)), which is −inf once exp(logvar)
        underflows to 0 below logvar ≈ −745).
    """
    ### BEGIN SOLUTION
    return 0.5 * np.sum(mu**2 + np.exp(logvar) - logvar - 1.0, axis=1)
    ### END SOLUTION
