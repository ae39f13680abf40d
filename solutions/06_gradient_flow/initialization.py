"""Xavier (Glorot) and He (Kaiming) initialisation (Q37, Q38).

Weights are (fan_in, fan_out) here: a layer computes x @ W. The goal is to keep
the variance of activations (forward) and of gradients (backward) roughly
constant from layer to layer:

    Xavier: Var(W) = gain² · 2 / (fan_in + fan_out)   (tanh, linear)
    He:     Var(W) = 2 / fan_in                        (ReLU, which zeroes half its inputs)

Xavier's derivation assumes a zero-mean activation with slope 1 at 0. It is often used
with sigmoid too (calculate_gain returns 1 for it by convention), but the sigmoid, with
mean 1/2 and slope 1/4 at 0, meets neither assumption.

Same distributions as torch.nn.init.xavier_uniform_, xavier_normal_ and
kaiming_normal_ (mode="fan_in", nonlinearity="relu"). Draw from `rng` only: every
element an independent draw, and each call advances `rng` (two calls, two arrays).
"""

import numpy as np


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """U(−a, a) with a = gain · sqrt(6 / (fan_in + fan_out)) (so Var = a²/3).

    Args:
        fan_in, fan_out: the layer's input and output widths.
        rng: a numpy.random.Generator, the only source of randomness.
        gain: scale for the activation (torch.nn.init.calculate_gain: 5/3 for tanh), any
            number >= 0 (a float or a 0-d array). W scales with it: gain = 0 gives all
            zeros, as in torch, and a gain of 1e-200 or 1e200 gives finite draws too.

    Returns:
        float64 array (fan_in, fan_out).
    """
    ### BEGIN SOLUTION
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
    ### END SOLUTION


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """N(0, std²) with std = gain · sqrt(2 / (fan_in + fan_out)). Returns (fan_in, fan_out).

    gain as in xavier_uniform (>= 0; 0 gives all zeros).
    """
    ### BEGIN SOLUTION
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))
    ### END SOLUTION


def he_normal(fan_in, fan_out, rng):
    """N(0, std²) with std = sqrt(2 / fan_in). Returns (fan_in, fan_out)."""
    ### BEGIN SOLUTION
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    ### END SOLUTION
