"""GAN losses from logits (Q50), with the non-saturating generator loss.

The discriminator outputs logits (before the sigmoid). With bce(z, t) the mean
binary cross-entropy of sigmoid(z) against the label t:

    d_loss = bce(d_real_logits, 1) + bce(d_fake_logits, 0)
    g_loss = bce(d_fake_logits, 1)          (= −mean log D(G(z)), non-saturating)

Compute from logits, stably (logits may be ±1000, or ±1e300). At a logit of exactly 0
each bce is log 2.
"""

import numpy as np


def gan_losses(d_real_logits, d_fake_logits):
    """Returns (d_loss, g_loss) as floats (Python floats; numpy.float64 is one; not 0-d arrays).

    Args:
        d_real_logits: discriminator logits on real samples, float64 array (N,).
        d_fake_logits: discriminator logits on generated samples, float64 array (M,).
    """

    ### BEGIN SOLUTION
    def bce(z, target):
        return float(np.mean(np.maximum(z, 0.0) - z * target + np.log1p(np.exp(-np.abs(z)))))

    d_loss = bce(d_real_logits, 1.0) + bce(d_fake_logits, 0.0)
    return d_loss, bce(d_fake_logits, 1.0)
    ### END SOLUTION
