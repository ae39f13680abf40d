"""Graders of 10_beyond: distance concentration, VAE pieces, GAN losses, attention.

Oracles: torch.cdist, torch.distributions (Normal, kl_divergence),
F.binary_cross_entropy_with_logits and F.scaled_dot_product_attention.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from numpy.random import default_rng
from torch.distributions import Normal, kl_divergence

from graders.drivers.beyond import attention as _attention
from graders.engine.checks import (
    Mistake,
    assert_fast_enough,
    assert_matches,
    check_outputs,
    expect_float,
)
from graders.engine.learner import KataFailure, LearnerRaised
from graders.engine.reference import tensor
from graders.engine.registry import check

# ---------------------------------------------------------------- curse of dimensionality


def torch_contrast(X, query):
    distances = torch.cdist(tensor(query)[None], tensor(X))[0]
    return float((distances.max() - distances.min()) / distances.min())


CONTRAST_MISTAKES = [
    (
        "squared distances: use the Euclidean distance itself (take the square root).",
        lambda X, q: float((lambda d: (d.max() - d.min()) / d.min())(((X - q) ** 2).sum(1))),
    ),
    (
        "divided by d_max: the contrast is (d_max − d_min) / d_min.",
        lambda X, q: float(
            (lambda d: (d.max() - d.min()) / d.max())(np.linalg.norm(X - q, axis=1))
        ),
    ),
]


@check("10_beyond/curse_of_dimensionality", "relative_contrast matches torch.cdist distances")
def contrast_values(learner, rng):
    for n, d in ((50, 2), (30, 17), (8, 300)):
        X, query = rng.random((n, d)), rng.random(d)
        check_outputs(
            learner,
            "relative_contrast",
            (X, query),
            {"contrast": torch_contrast(X, query)},
            oracle="(max − min)/min of torch.cdist(query, X)",
            mistakes=CONTRAST_MISTAKES,
        )


@check(
    "10_beyond/curse_of_dimensionality",
    "a query that is one of the points: d_min = 0, contrast inf",
)
def contrast_zero_distance(learner, rng):
    fn = learner.fn("relative_contrast")
    for n, d in ((12, 5), (40, 30)):
        # coordinates on a grid of sixteenths: every distance formula (direct, or through
        # |x|² − 2x·q + |q|², as torch.cdist does for larger inputs) is exact, so d_min is 0.0
        X = rng.integers(0, 16, size=(n, d)) / 16.0
        i = int(rng.integers(n))
        query = X[i].copy()
        expected = torch_contrast(X, query)  # inf: (d_max − 0) / 0
        call = fn.describe(X, query) + f"  (query = X[{i}])"
        with np.errstate(divide="ignore"):  # x / 0.0 is the right answer here, not a warning
            got = expect_float(fn(X, query), "contrast", call)
        if got != expected:
            raise KataFailure(
                f"wrong contrast\n  called   {call}\n  got      {got:.10g}\n"
                f"  expected {expected}  (torch.cdist: the query is row {i} of X, so d_min = 0 "
                "and (d_max − d_min) / d_min is infinite)\n  looks like: an epsilon added "
                "to d_min, or the zero distance skipped: compute the formula as written; "
                "numpy's x / 0.0 gives inf."
            )


def reference_contrasts(n_points, dims, rng, *, query_first=False):
    """The docstring's draws, in order: for each d, X = rng.random((n, d)), then the query."""
    out = []
    for d in dims:
        if query_first:
            q = rng.random(d)
            out.append(torch_contrast(rng.random((n_points, d)), q))
        else:
            X = rng.random((n_points, d))
            out.append(torch_contrast(X, rng.random(d)))
    return out


def grade_contrasts(learner, n, dims, seed):
    """contrast_by_dimension(n, dims, default_rng(seed)) against the reference draws."""
    expected = reference_contrasts(n, dims, default_rng(seed))
    fn = learner.fn("contrast_by_dimension")
    call = fn.describe(n, dims, default_rng(seed))
    got = fn(n, dims, default_rng(seed))
    if not isinstance(got, (list, tuple, np.ndarray)) or len(got) != len(dims):
        raise KataFailure(
            f"wrong result\n  called   {call}\n  expected a list of {len(dims)} floats"
        )
    labels = [f"contrast at d = {d}" for d in dims]

    assert_matches(
        {k: expect_float(v, k, call) for k, v in zip(labels, got)},
        dict(zip(labels, expected)),
        call=call,
        oracle="the docstring's draws, distances by torch.cdist",
        mistakes=[
            Mistake(
                "query drawn before X: for each d draw X = rng.random((n, d)) first, "
                "then query = rng.random(d).",
                lambda: dict(
                    zip(labels, reference_contrasts(n, dims, default_rng(seed), query_first=True))
                ),
            ),
            Mistake(
                "dims sorted (or reordered) before drawing: go through dims in the order "
                "given, drawing for each in turn, and return the contrasts in that order.",
                lambda: dict(zip(labels, reference_contrasts(n, sorted(dims), default_rng(seed)))),
            ),
        ],
    )
    return expected


@check(
    "10_beyond/curse_of_dimensionality",
    "contrast_by_dimension: the docstring's draws; dims in any order; it falls",
)
def contrast_by_dimension_values(learner, rng):
    dims = [2, 10, 100, 1000]
    expected = grade_contrasts(learner, 200, dims, int(rng.integers(1 << 30)))
    # dims as given, not sorted: the draws follow the list's order
    grade_contrasts(learner, 20, [40, 3, 12], int(rng.integers(1 << 30)))
    return (
        "relative contrast by dimension: "
        + ", ".join(f"d={d}: {c:.3g}" for d, c in zip(dims, expected))
        + ": in high dimension the nearest point is barely nearer than the farthest."
    )


# ---------------------------------------------------------------- vae


def vae_inputs(rng, n, latent):
    return rng.normal(size=(n, latent)), rng.normal(scale=1.5, size=(n, latent))


@check("10_beyond/vae", "reparameterize matches torch.distributions.Normal(mu, exp(logvar/2))")
def vae_reparameterize(learner, rng):
    for n, latent in ((5, 3), (1, 1), (4, 8)):
        mu, logvar = vae_inputs(rng, n, latent)
        eps = rng.normal(size=(n, latent))
        normal = Normal(tensor(mu), torch.exp(0.5 * tensor(logvar)))
        expected = (normal.loc + normal.scale * tensor(eps)).numpy()
        check_outputs(
            learner,
            "reparameterize",
            (mu, logvar, eps),
            {"z": expected},
            oracle="loc + scale·eps of torch.distributions.Normal(mu, exp(logvar/2))",
            mistakes=[
                (
                    "the standard deviation is exp(0.5·logvar), not exp(logvar).",
                    lambda mu, lv, e: mu + np.exp(lv) * e,
                ),
                (
                    "logvar used as the standard deviation: sigma = exp(0.5·logvar).",
                    lambda mu, lv, e: mu + lv * e,
                ),
            ],
        )


@check("10_beyond/vae", "gaussian_kl matches torch.distributions.kl_divergence, summed")
def vae_kl(learner, rng):
    for n, latent in ((6, 4), (1, 1), (3, 10)):
        mu, logvar = vae_inputs(rng, n, latent)
        expected = (
            kl_divergence(
                Normal(tensor(mu), torch.exp(0.5 * tensor(logvar))),
                Normal(torch.zeros(1), torch.ones(1)),
            )
            .sum(-1)
            .numpy()
        )
        check_outputs(
            learner,
            "gaussian_kl",
            (mu, logvar),
            {"kl": expected},
            oracle="kl_divergence(Normal(mu, σ), Normal(0, 1)).sum(-1)",
            note="  (one sample: kl is still an array, of shape (1,); no squeeze())"
            if n == 1
            else "",
            mistakes=[
                (
                    "averaged over the latent dimensions: the KL of a diagonal Gaussian "
                    "is the sum over dimensions.",
                    lambda mu, lv: 0.5 * np.mean(mu**2 + np.exp(lv) - lv - 1, axis=1),
                ),
                (
                    "the −1 is missing: 0.5·Σ(mu² + exp(logvar) − logvar − 1).",
                    lambda mu, lv: 0.5 * np.sum(mu**2 + np.exp(lv) - lv, axis=1),
                ),
                (
                    "sign flipped: a KL divergence is never negative.",
                    lambda mu, lv: -0.5 * np.sum(mu**2 + np.exp(lv) - lv - 1, axis=1),
                ),
            ],
        )


# ---------------------------------------------------------------- gan

GAN_STABLE = (
    "compute each BCE from logits: max(z, 0) − z·t + log(1 + exp(−|z|)); never log(sigmoid(z))."
)


def torch_gan(real, fake):
    r, f = tensor(real), tensor(fake)
    bce = F.binary_cross_entropy_with_logits
    d_loss = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    return float(d_loss), float(bce(f, torch.ones_like(f)))


def _bce(z, t):
    return float(np.mean(np.logaddexp(0, z) - z * t))


GAN_MISTAKES = [
    (
        "the saturating generator loss mean log(1 − D(G(z))): its gradient vanishes when the "
        "discriminator wins; use the non-saturating bce(fake, 1) = −mean log D(G(z)).",
        lambda r, f: (_bce(r, 1) + _bce(f, 0), -_bce(f, 0)),
    ),
    (
        "d_loss averaged: it is the sum bce(real, 1) + bce(fake, 0).",
        lambda r, f: ((_bce(r, 1) + _bce(f, 0)) / 2, _bce(f, 1)),
    ),
    (
        "labels swapped: real samples are labelled 1, generated ones 0.",
        lambda r, f: (_bce(r, 0) + _bce(f, 1), _bce(f, 1)),
    ),
]


@check("10_beyond/gan", "gan_losses match F.binary_cross_entropy_with_logits")
def gan_values(learner, rng):
    for n, m in ((8, 8), (5, 3), (1, 1)):
        real, fake = rng.normal(loc=1, scale=2, size=n), rng.normal(loc=-1, scale=2, size=m)
        d_loss, g_loss = torch_gan(real, fake)
        try:
            check_outputs(
                learner,
                "gan_losses",
                (real, fake),
                {"d_loss": d_loss, "g_loss": g_loss},
                oracle="F.binary_cross_entropy_with_logits (mean)",
                mistakes=GAN_MISTAKES,
            )
        except LearnerRaised as raised:
            if n == m or "broadcast" not in str(raised.error):
                raise
            raise KataFailure(
                f"batch sizes differ\n  called   {raised.call}\n  your code raised "
                f"{type(raised.error).__name__}: {raised.error}\n  real and generated "
                f"batches may differ in size ({n} and {m}).\n  looks like: the real and fake "
                "terms added element-wise: take each BCE as a mean over its own batch, "
                "then add the two means."
            ) from None


@check("10_beyond/gan", "stable for logits of ±1000")
def gan_stable(learner, rng):
    real = np.array([1000.0, -1000.0, 3.0, 0.0])
    fake = np.array([-1000.0, 1000.0, -2.0])
    d_loss, g_loss = torch_gan(real, fake)
    check_outputs(
        learner,
        "gan_losses",
        (real, fake),
        {"d_loss": d_loss, "g_loss": g_loss},
        oracle="F.binary_cross_entropy_with_logits (mean)",
        stable_form=GAN_STABLE,
        parts=[(f"real logit {z:g}", (np.array([z]), np.array([0.0]))) for z in real]
        + [(f"fake logit {z:g}", (np.array([0.0]), np.array([z]))) for z in fake],
    )


# ---------------------------------------------------------------- attention


def torch_attention(q, k, v, mask):
    """F.scaled_dot_product_attention's output, and the weights it implies; a fully masked
    row is pinned to weights 0 and output 0 (torch >= 2.5; older torch gives nan)."""
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    tm = None if mask is None else torch.as_tensor(mask)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm)
    scores = tq @ tk.transpose(-1, -2) / math.sqrt(q.shape[-1])
    if tm is not None:
        scores = scores.masked_fill(~tm, -math.inf)
    weights = torch.softmax(scores, dim=-1)
    if tm is not None:
        empty = ~tm.any(dim=-1, keepdim=True)
        weights = torch.where(empty, torch.zeros_like(weights), weights)
        out = torch.where(empty, torch.zeros_like(out), out)
    return out.numpy(), weights.numpy()


ATTENTION_MISTAKES = [
    (
        "no 1/sqrt(d) scaling: divide q kᵀ by sqrt(d) before the softmax.",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, scale=False),
    ),
    (
        "right under the 'True = masked out' convention (nn.MultiheadAttention's key_padding_mask, "
        "older code); this kata uses PyTorch's F.scaled_dot_product_attention convention: "
        "True = may attend.",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, invert=True),
    ),
    (
        "softmax over the queries: each query's weights over the keys sum to 1 (axis=-1).",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, query_axis=True),
    ),
    (
        "a fully masked row gives nan: its max is −inf and (−inf) − (−inf) = nan. Replace a "
        "non-finite row max by 0 and divide only where the sum is > 0, so that such a query "
        "gets weights 0 and output 0 (as torch >= 2.5).",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, empty_nan=True),
    ),
]


def grade_attention(learner, q, k, v, mask=None):
    out, weights = torch_attention(q, k, v, mask)
    check_outputs(
        learner,
        "scaled_dot_product_attention",
        (q, k, v),
        {"out": out, "weights": weights},
        kwargs={} if mask is None else {"mask": mask},
        oracle="F.scaled_dot_product_attention; weights by torch.softmax",
        mistakes=ATTENTION_MISTAKES,
    )


@check("10_beyond/attention", "(T, d), (B, T, d) and (B, H, T, d), T_q ≠ T_k, d_v ≠ d")
def attention_shapes(learner, rng):
    grade_attention(
        learner, rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    )
    grade_attention(
        learner, rng.normal(size=(2, 3, 5)), rng.normal(size=(2, 6, 5)), rng.normal(size=(2, 6, 7))
    )
    grade_attention(
        learner,
        rng.normal(size=(2, 4, 5, 8)),
        rng.normal(size=(2, 4, 5, 8)),
        rng.normal(size=(2, 4, 5, 8)),
    )


@check("10_beyond/attention", "boolean masks: causal, random, and a fully masked row")
def attention_masks(learner, rng):
    q, k, v = (rng.normal(size=(2, 3, 6, 4)) for _ in range(3))
    causal = np.tril(np.ones((6, 6), dtype=bool))
    grade_attention(learner, q, k, v, causal)
    random_mask = rng.uniform(size=(2, 3, 6, 6)) < 0.6
    random_mask[..., 0] = True  # every query sees at least one key
    grade_attention(learner, q, k, v, random_mask)
    empty_row = causal.copy()
    empty_row[2] = False  # query 2 may attend to nothing: weights 0, output 0 (as torch)
    grade_attention(learner, q, k, v, empty_row)


@check("10_beyond/attention", "speed: at most 25x a vectorised reference on (1024, 8, 2, 2)")
def attention_speed(learner, rng):
    # many tiny heads: a Python loop over batch and heads costs most there
    q, k, v = (rng.normal(size=(1024, 8, 2, 2)) for _ in range(3))
    return assert_fast_enough(
        learner,
        "scaled_dot_product_attention",
        (q, k, v),
        "graders.drivers.beyond:attention",
        "attention on (1024, 8, 2, 2)",
    )
