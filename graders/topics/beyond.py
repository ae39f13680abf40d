"""Graders of 10_beyond: distance concentration, VAE pieces, GAN losses, attention.

Oracles: torch.cdist (direct differences), torch.distributions (Normal, kl_divergence),
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
    ATOL,
    Mistake,
    assert_fast_enough,
    assert_matches,
    call_strictly,
    check_outputs,
    expect_tuple,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure, LearnerRaised
from graders.engine.registry import check, not_applicable

# ---------------------------------------------------------------- shared helpers


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (torch takes no negative strides, and a view's
    copy keeps the oracle's inputs apart from the learner's)."""
    return torch.tensor(np.array(a, dtype=np.float64))


def strided(values: np.ndarray, rng) -> np.ndarray:
    """The same values as a view with every other element of the last axis skipped (the
    skipped ones hold other numbers: a learner reading the wrong memory gets them)."""
    values = np.asarray(values)
    buffer = rng.normal(size=values.shape[:-1] + (2 * values.shape[-1],)).astype(values.dtype)
    buffer[..., ::2] = values
    return buffer[..., ::2]


def transposed(values: np.ndarray) -> np.ndarray:
    """The same values as the transpose (last two axes) of a fresh array."""
    return np.ascontiguousarray(np.swapaxes(values, -1, -2)).swapaxes(-1, -2)


def reversed_view(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """The same values as a view with a negative stride along `axis`."""
    return np.ascontiguousarray(np.flip(values, axis)).__getitem__(
        (slice(None),) * (axis % values.ndim) + (slice(None, None, -1),)
    )


def column_of(values: np.ndarray, rng) -> np.ndarray:
    """A 1-D array's values as column 1 of a fresh (n, 3) array."""
    buffer = rng.normal(size=(values.shape[0], 3))
    buffer[:, 1] = values
    return buffer[:, 1]


def float_result(value, name: str, call: str) -> float:
    """The contract's return type is a float (a Python float; numpy.float64 is one)."""
    if isinstance(value, float):
        return float(value)
    what = describe_value(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        what = f"a 0-d {what}"
    raise KataFailure(
        f"wrong {name}\n  called   {call}\n  expected a float, got {what}"
        + (": return float(...) of it" if isinstance(value, (np.ndarray, np.generic)) else "")
    )


def grade_floats(
    learner,
    function,
    args,
    expected: dict,
    *,
    oracle,
    mistakes=(),
    note="",
    stable_form=None,
    parts=(),
    fitted=None,
):
    """Call `function`, require float outputs (named as in expected, in order), compare.
    mistakes: (says, function of the learner's arguments returning the outputs).
    fitted(got): further Mistakes whose parameter is read off the learner's outputs."""
    fn = learner.fn(function)
    call = fn.describe(*args) + note
    if stable_form is None:
        result = fn(*args)
    else:
        result = call_strictly(fn, *args, stable_form=stable_form, parts=parts)
    names = tuple(expected)
    got = {n: float_result(v, n, call) for n, v in zip(names, expect_tuple(result, names, call))}

    def as_dict(outputs):
        return dict(zip(names, outputs if len(names) > 1 else (outputs,)))

    known = [Mistake(says, lambda m=m: as_dict(m(*args))) for says, m in mistakes]
    if fitted is not None:
        known += fitted(got)
    assert_matches(got, expected, call=call, oracle=oracle, mistakes=known)
    return got


# ---------------------------------------------------------------- curse of dimensionality


def torch_distances(X, query):
    # the direct differences: torch.cdist's default switches to |x|² − 2x·q + |q|² for
    # more than 25 points, which cancels at a large common offset
    direct = "donot_use_mm_for_euclid_dist"
    return torch.cdist(tensor(query)[None], tensor(X), compute_mode=direct)[0]


def torch_contrast(X, query):
    distances = torch_distances(X, query)
    return float((distances.max() - distances.min()) / distances.min())


def _contrast_of(distances):
    return float((distances.max() - distances.min()) / distances.min())


def _without_zero(X, q):
    distances = np.linalg.norm(X - q, axis=1)
    if distances.min() > 0 or distances.max() == 0:
        raise ValueError("no zero distance to skip: this mistake does not apply")
    return _contrast_of(distances[distances > 0])


def epsilon_mistake(X, q):
    """The mistake `(d_max − d_min) / (d_min + eps)` (or max(d_min, eps)), with the eps
    that the learner's contrast implies, when that is an epsilon's size (1e-16 to 1e-4)
    and large enough next to d_min to have changed the answer."""

    def fitted(got):
        distances = np.linalg.norm(X - q, axis=1)
        low, spread, contrast = distances.min(), np.ptp(distances), got["contrast"]
        if not (math.isfinite(contrast) and contrast > 0):
            return []
        eps = spread / contrast - low
        if not (1e-16 <= eps <= 1e-4 and eps > 1e-3 * low):
            return []
        return [
            Mistake(
                f"an epsilon (about {eps:.1g}) added to d_min, or d_min floored at it: compute "
                "(d_max − d_min) / d_min as written (numpy's x / 0.0 gives inf), at any scale.",
                lambda: {"contrast": float(spread / (low + eps))},
            )
        ]

    return fitted


CONTRAST_MISTAKES = [
    (
        "squared distances: use the Euclidean distance itself (take the square root).",
        lambda X, q: _contrast_of(((X - q) ** 2).sum(1)),
    ),
    (
        "divided by d_max: the contrast is (d_max − d_min) / d_min.",
        lambda X, q: float(
            (lambda d: (d.max() - d.min()) / d.max())(np.linalg.norm(X - q, axis=1))
        ),
    ),
    (
        "the zero distance skipped: d_min is 0 when the query is one of the points, and "
        "the contrast is then inf (numpy's x / 0.0).",
        _without_zero,
    ),
]
CONTRAST_ORACLE = "(max − min)/min of torch.cdist(query, X) (direct differences)"


def grade_contrast(learner, X, query, note=""):
    with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan are answers here
        grade_floats(
            learner,
            "relative_contrast",
            (X, query),
            {"contrast": torch_contrast(X, query)},
            oracle=CONTRAST_ORACLE,
            mistakes=CONTRAST_MISTAKES,
            note=note,
            fitted=epsilon_mistake(X, query),
        )


@check(
    "10_beyond/curse_of_dimensionality",
    "relative_contrast matches torch.cdist: square, non-square, n = 1, d = 1, views",
    regimes=("shapes", "layout", "aliasing"),
)
def contrast_values(learner, rng):
    # non-contiguous first: a query read as if contiguous gets the buffer's other numbers
    X, query = rng.random((30, 17)), rng.random(17)
    grade_contrast(learner, strided(X, rng), strided(query, rng), "  (X[:, ::2], query[::2])")
    X, query = rng.random((8, 300)), rng.random(300)
    grade_contrast(
        learner, transposed(X), column_of(query, rng), "  (X transposed, query a column)"
    )
    X, query = rng.random((12, 12)), rng.random(12)  # square: an axis mix-up keeps the shape
    grade_contrast(learner, X, reversed_view(query), "  (query[::-1])")
    for n, d in ((50, 2), (1, 4), (7, 1), (2, 3)):  # n = 1: d_max = d_min, contrast 0
        grade_contrast(learner, rng.random((n, d)), rng.random(d))


@check(
    "10_beyond/curse_of_dimensionality",
    "exact values: the query a point (inf), every point the query (nan), all equidistant (0)",
    regimes=("exact values",),
)
def contrast_zero_distance(learner, rng):
    for n, d in ((12, 5), (40, 30)):
        # coordinates on a grid of sixteenths: every distance formula (direct, or through
        # |x|² − 2x·q + |q|²) is exact there, so d_min is exactly 0.0
        X = rng.integers(0, 16, size=(n, d)) / 16.0
        i = int(rng.integers(n))
        grade_contrast(
            learner, X, X[i].copy(), f"  (query = X[{i}]: d_min = 0, so the contrast is inf)"
        )
    query = rng.integers(0, 16, size=5) / 16.0
    grade_contrast(learner, np.tile(query, (3, 1)), query, "  (every row of X is the query: 0 / 0)")
    steps = 0.5 * np.vstack([np.eye(5), -np.eye(5)])[rng.permutation(10)]
    grade_contrast(
        learner, query + steps, query, "  (every point at distance exactly 0.5: d_max = d_min)"
    )


@check(
    "10_beyond/curse_of_dimensionality",
    "extremes: coordinates near 1e150 and 1e-150, mixed scales, a common offset of 1e6",
    regimes=("extremes",),
)
def contrast_extremes(learner, rng):
    for scale in (1e150, 1e-150):  # squares near 1e±300: still normal float64 numbers
        X, query = rng.random((20, 5)) * scale, rng.random(5) * scale
        grade_contrast(learner, X, query, f"  (coordinates up to {scale:g})")
    X = rng.random((20, 6)) * 10.0 ** rng.integers(-100, 61, size=(20, 1))
    X[0, :3] *= 1e80  # and mixed within one point
    grade_contrast(learner, X, rng.random(6) * 1e-3, "  (coordinates from 1e-100 to 1e140)")
    X, query = 1e6 + rng.random((30, 8)), 1e6 + rng.random(8)
    grade_contrast(
        learner,
        X,
        query,
        "  (every coordinate within 1 of 1e6: a large common offset; a distance must come "
        "from X − query, not from |x|² − 2x·q + |q|², which cancels there)",
    )


def reference_contrasts(n_points, dims, rng, *, query_first=False, draw="random"):
    """The docstring's draws, in order: for each d, X = rng.random((n, d)), then the query."""
    out = []
    for d in dims:
        if draw == "normal":  # the points from a standard normal: a distribution mistake
            X, q = rng.normal(size=(n_points, d)), rng.normal(size=d)
        elif query_first:
            q = rng.random(d)
            X = rng.random((n_points, d))
        else:
            X = rng.random((n_points, d))
            q = rng.random(d)
        out.append(torch_contrast(X, q))
    return out


def contrast_list(got, n, dims, call) -> list:
    """contrast_by_dimension's result must be a list of len(dims) floats."""
    if not isinstance(got, list) or len(got) != len(dims):
        raise KataFailure(
            f"wrong result\n  called   {call}\n  expected a list of {len(dims)} floats, "
            f"got {describe_value(got)}"
            + (": return a list (list(...) of it)" if isinstance(got, (tuple, np.ndarray)) else "")
        )
    return [float_result(v, f"contrast at d = {d}", call) for v, d in zip(got, dims)]


def grade_contrasts(learner, n, dims, seed, rng_in=None, expected=None):
    """contrast_by_dimension(n, dims, generator) against the reference draws. The generator
    is default_rng(seed) unless rng_in is given (then `expected` is given too)."""
    rng_in = default_rng(seed) if rng_in is None else rng_in
    expected = reference_contrasts(n, dims, default_rng(seed)) if expected is None else expected
    fn = learner.fn("contrast_by_dimension")
    call = fn.describe(n, dims, rng_in)
    with np.errstate(divide="ignore", invalid="ignore"):
        got = contrast_list(fn(n, dims, rng_in), n, dims, call)
    labels = [
        f"contrast at d = {d}" + (f" (entry {i})" if dims.count(d) > 1 else "")
        for i, d in enumerate(dims)
    ]

    def named(values):
        return lambda: dict(zip(labels, values()))

    assert_matches(
        dict(zip(labels, got)),
        dict(zip(labels, expected)),
        call=call,
        oracle="the docstring's draws, distances by torch.cdist",
        mistakes=[
            Mistake(
                "query drawn before X: for each d draw X = rng.random((n, d)) first, "
                "then query = rng.random(d).",
                named(lambda: reference_contrasts(n, dims, default_rng(seed), query_first=True)),
            ),
            Mistake(
                "dims sorted (or reordered) before drawing: go through dims in the order "
                "given, drawing for each in turn, and return the contrasts in that order.",
                named(lambda: reference_contrasts(n, sorted(dims), default_rng(seed))),
            ),
            Mistake(
                "points drawn from a standard normal: the docstring's points are uniform in "
                "the unit cube, rng.random((n, d)) and rng.random(d).",
                named(lambda: reference_contrasts(n, dims, default_rng(seed), draw="normal")),
            ),
            Mistake(
                "contrasts sorted (so that they fall): return one per entry of dims, in the "
                "order of dims, whatever their values.",
                named(lambda: sorted(expected, reverse=True)),
            ),
        ],
    )
    return expected


@check(
    "10_beyond/curse_of_dimensionality",
    "contrast_by_dimension: the docstring's draws, each d in the given order",
    regimes=("randomness", "process"),
)
def contrast_by_dimension_values(learner, rng):
    dims = [2, 10, 100, 1000]
    expected = grade_contrasts(learner, 200, dims, int(rng.integers(1 << 30)))
    # dims as given, not sorted: the draws follow the list's order. A seed whose contrasts
    # are not monotone in the list's order, so that sorting them is wrong on every seed.
    while True:
        seed = int(rng.integers(1 << 30))
        values = reference_contrasts(20, [40, 3, 12], default_rng(seed))
        if values != sorted(values) and values != sorted(values, reverse=True):
            break
    grade_contrasts(learner, 20, [40, 3, 12], seed, expected=values)
    return (
        "relative contrast by dimension: "
        + ", ".join(f"d={d}: {c:.3g}" for d, c in zip(dims, expected))
        + ": in high dimension the nearest point is barely nearer than the farthest."
    )


@check(
    "10_beyond/curse_of_dimensionality",
    "contrast_by_dimension: n_points = 1, d = 1, a repeated d, dims = [] (a new list)",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def contrast_by_dimension_boundaries(learner, rng):
    grade_contrasts(learner, 1, [3, 1, 7], int(rng.integers(1 << 30)))  # one point: all 0
    grade_contrasts(learner, 5, [1, 4, 1], int(rng.integers(1 << 30)))
    grade_contrasts(learner, 6, [], int(rng.integers(1 << 30)))  # nothing to draw


@check(
    "10_beyond/curse_of_dimensionality",
    "contrast_by_dimension: the given generator advances; a second call draws anew",
    regimes=("randomness",),
)
def contrast_by_dimension_stream(learner, rng):
    seed, n, dims = int(rng.integers(1 << 30)), 10, [3, 8]
    given, reference = default_rng(seed), default_rng(seed)
    for call in ("first", "second"):
        expected = reference_contrasts(n, dims, reference)
        before = given.bit_generator.state
        grade_contrasts(learner, n, dims, seed, rng_in=given, expected=expected)
        if given.bit_generator.state != reference.bit_generator.state:
            what = (
                "did not advance: draw from the generator itself (not a copy of it), so that "
                "the caller's next draws are new ones"
                if given.bit_generator.state == before
                else "advanced by other draws than the docstring's (one rng.random((n, d)) "
                "and one rng.random(d) for each d)"
            )
            raise KataFailure(
                f"the random generator you were given {what}\n  called   "
                f"contrast_by_dimension({n}, {dims}, rng) twice with one generator "
                f"(default_rng({seed})); this was the {call} call"
            )


# ---------------------------------------------------------------- vae


def vae_inputs(rng, n, latent):
    return rng.normal(size=(n, latent)), rng.normal(scale=1.5, size=(n, latent))


def torch_z(mu, logvar, eps):
    normal = Normal(tensor(mu), torch.exp(0.5 * tensor(logvar)))
    return (normal.loc + normal.scale * tensor(eps)).numpy()


Z_ORACLE = "loc + scale·eps of torch.distributions.Normal(mu, exp(logvar/2))"
Z_MISTAKES = [
    (
        "the standard deviation is exp(0.5·logvar), not exp(logvar).",
        lambda mu, lv, e: mu + np.exp(lv) * e,
    ),
    (
        "logvar used as the standard deviation: sigma = exp(0.5·logvar).",
        lambda mu, lv, e: mu + lv * e,
    ),
    (
        "sigma = sqrt(exp(logvar)): exp(logvar) overflows to inf once logvar > 709, where "
        "exp(0.5·logvar) is still finite; compute exp(0.5·logvar).",
        lambda mu, lv, e: mu + np.sqrt(np.exp(lv)) * e,
    ),
]


def grade_z(learner, mu, logvar, eps, note=""):
    check_outputs(
        learner,
        "reparameterize",
        (mu, logvar, eps),
        {"z": torch_z(mu, logvar, eps)},
        oracle=Z_ORACLE,
        mistakes=Z_MISTAKES,
        note=note,
    )


@check(
    "10_beyond/vae",
    "reparameterize matches torch.distributions.Normal: N = 1, L = 1, square, views",
    regimes=("shapes", "layout"),
)
def vae_reparameterize(learner, rng):
    for n, latent in ((5, 3), (1, 1), (4, 8), (4, 4)):
        mu, logvar = vae_inputs(rng, n, latent)
        grade_z(learner, mu, logvar, rng.normal(size=(n, latent)))
    mu, logvar = vae_inputs(rng, 6, 3)
    eps = rng.normal(size=(6, 3))
    grade_z(
        learner,
        transposed(mu),
        strided(logvar, rng),
        reversed_view(eps),
        "  (mu transposed, logvar[:, ::2], eps[::-1])",
    )


@check(
    "10_beyond/vae",
    "reparameterize: eps = 0 gives a new array equal to mu; logvar ±800, mu up to 1e150",
    regimes=("exact values", "extremes", "aliasing"),
)
def vae_reparameterize_edges(learner, rng):
    mu, logvar = vae_inputs(rng, 3, 4)
    grade_z(learner, mu, logvar, np.zeros((3, 4)), "  (eps = 0: z is mu, as a new array)")
    mu = np.array([[1e150, -1e-150, 0.0, 2.0, -3.0], [0.5, -1e100, 1e-300, 7.0, 0.0]])
    logvar = np.array([[800.0, -800.0, 0.0, 1e-12, 710.0], [700.0, -700.0, 300.0, -1e-12, 750.0]])
    grade_z(
        learner,
        mu,
        logvar,
        rng.normal(size=mu.shape),
        "  (logvar from −800 to 800: sigma from e^−400 to e^400, still finite)",
    )


def torch_kl(mu, logvar):
    return (
        kl_divergence(
            Normal(tensor(mu), torch.exp(0.5 * tensor(logvar))),
            Normal(torch.zeros(1), torch.ones(1)),
        )
        .sum(-1)
        .numpy()
    )


KL_MISTAKES = [
    (
        "averaged over the latent dimensions: the KL of a diagonal Gaussian "
        "is the sum over dimensions.",
        lambda mu, lv: 0.5 * np.mean(mu**2 + np.exp(lv) - lv - 1, axis=1),
    ),
    (
        "summed over the batch axis (axis=0): each sample's KL is the sum over its own "
        "latent dimensions, axis=1.",
        lambda mu, lv: 0.5 * np.sum(mu**2 + np.exp(lv) - lv - 1, axis=0),
    ),
    (
        "the −1 is missing: 0.5·Σ(mu² + exp(logvar) − logvar − 1).",
        lambda mu, lv: 0.5 * np.sum(mu**2 + np.exp(lv) - lv, axis=1),
    ),
    (
        "sign flipped: a KL divergence is never negative.",
        lambda mu, lv: -0.5 * np.sum(mu**2 + np.exp(lv) - lv - 1, axis=1),
    ),
    (
        "log(exp(logvar)): exp(logvar) underflows to 0 below logvar ≈ −745 and its log is "
        "−inf; use logvar itself.",
        lambda mu, lv: 0.5 * np.sum(mu**2 + np.exp(lv) - np.log(np.exp(lv)) - 1, axis=1),
    ),
]


def grade_kl(learner, mu, logvar, expected, oracle, note=""):
    check_outputs(
        learner,
        "gaussian_kl",
        (mu, logvar),
        {"kl": expected},
        oracle=oracle,
        note=note
        + (
            "  (one sample: kl is still an array, of shape (1,); no squeeze())"
            if mu.shape[0] == 1
            else ""
        ),
        mistakes=KL_MISTAKES,
    )


KL_ORACLE = "kl_divergence(Normal(mu, σ), Normal(0, 1)).sum(-1)"


@check(
    "10_beyond/vae",
    "gaussian_kl matches torch.distributions.kl_divergence, summed: N = L, N ≠ L, views",
    regimes=("shapes", "layout"),
)
def vae_kl(learner, rng):
    # square first: summed over the wrong axis, the shape is still right
    for n, latent in ((5, 5), (6, 4), (1, 1), (3, 10), (1, 6)):
        mu, logvar = vae_inputs(rng, n, latent)
        grade_kl(learner, mu, logvar, torch_kl(mu, logvar), KL_ORACLE)
    mu, logvar = vae_inputs(rng, 4, 6)
    grade_kl(
        learner,
        strided(mu, rng),
        transposed(logvar),
        torch_kl(mu, logvar),
        KL_ORACLE,
        "  (mu[:, ::2], logvar transposed)",
    )


@check(
    "10_beyond/vae",
    "gaussian_kl: exactly 0 at mu = 0, logvar = 0; logvar from −800 to 700, mu up to 1e150",
    regimes=("exact values", "extremes"),
)
def vae_kl_edges(learner, rng):
    zeros = np.zeros((3, 4))
    grade_kl(
        learner,
        zeros,
        zeros.copy(),
        torch_kl(zeros, zeros),
        KL_ORACLE,
        "  (mu = 0, logvar = 0: q is the prior, KL 0)",
    )
    mu = np.array([[1e150, 0.0, -1e-150, 0.3], [0.5, -1e100, 3.0, 0.0]])
    logvar = np.array([[-800.0, 700.0, 1e-12, 0.0], [-1e-12, -750.0, 50.0, -3.0]])
    mu, logvar = mu[:, rng.permutation(4)], logvar[:, rng.permutation(4)]
    m, lv = tensor(mu), tensor(logvar)
    expected = (0.5 * (m**2 + torch.exp(lv) - lv - 1)).sum(-1).numpy()
    grade_kl(
        learner,
        mu,
        logvar,
        expected,
        "0.5·Σ(mu² + exp(logvar) − logvar − 1) in torch (kl_divergence squares σ, which "
        "underflows below logvar ≈ −745)",
        "  (logvar from −800 to 700, mu from 1e-150 to 1e150)",
    )


not_applicable(
    "10_beyond/vae",
    hyperparameters="no keyword arguments: reparameterize and gaussian_kl take arrays only",
    randomness="no rng: the noise comes in as eps, drawn by the caller",
    process="two formulas, no procedure",
)

# ---------------------------------------------------------------- gan

GAN_STABLE = (
    "compute each BCE from logits: max(z, 0) − z·t + log(1 + exp(−|z|)); never log(sigmoid(z))."
)
GAN_ORACLE = "F.binary_cross_entropy_with_logits (mean)"


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


def grade_gan(learner, real, fake, note="", stable=False):
    expected = dict(zip(("d_loss", "g_loss"), torch_gan(real, fake)))
    parts = [(f"real logit {z:g}", (np.array([z]), np.array([0.0]))) for z in real] + [
        (f"fake logit {z:g}", (np.array([0.0]), np.array([z]))) for z in fake
    ]
    try:
        grade_floats(
            learner,
            "gan_losses",
            (real, fake),
            expected,
            oracle=GAN_ORACLE,
            mistakes=GAN_MISTAKES,
            note=note,
            stable_form=GAN_STABLE if stable else None,
            parts=parts if stable else (),
        )
    except LearnerRaised as raised:
        if len(real) == len(fake) or "broadcast" not in str(raised.error):
            raise
        raise KataFailure(
            f"batch sizes differ\n  called   {raised.call}\n  your code raised "
            f"{type(raised.error).__name__}: {raised.error}\n  real and generated "
            f"batches may differ in size ({len(real)} and {len(fake)}).\n  looks like: the "
            "real and fake terms added element-wise: take each BCE as a mean over its own "
            "batch, then add the two means."
        ) from None


@check(
    "10_beyond/gan",
    "gan_losses match F.binary_cross_entropy_with_logits: N = M, N ≠ M, N = 1",
    regimes=("shapes",),
)
def gan_values(learner, rng):
    for n, m in ((8, 8), (5, 3), (1, 1), (1, 6)):
        grade_gan(learner, rng.normal(loc=1, scale=2, size=n), rng.normal(loc=-1, scale=2, size=m))


@check(
    "10_beyond/gan",
    "non-contiguous logits: strided, a column, reversed",
    regimes=("layout",),
)
def gan_layout(learner, rng):
    real, fake = rng.normal(loc=1, scale=2, size=7), rng.normal(loc=-1, scale=2, size=5)
    # positive strides first: code that reads them as contiguous gets the buffer's others
    grade_gan(learner, strided(real, rng), column_of(fake, rng), "  (real[::2], fake a column)")
    grade_gan(learner, reversed_view(real), reversed_view(fake), "  (both [::-1])")


@check(
    "10_beyond/gan",
    "stable for logits of ±1000 and ±1e300, and tiny ones",
    regimes=("extremes",),
)
def gan_stable(learner, rng):
    grade_gan(
        learner,
        np.array([1000.0, -1000.0, 3.0, 0.0]),
        np.array([-1000.0, 1000.0, -2.0]),
        stable=True,
    )
    real = np.array([1e300, -1e-300, 50.0, -700.0, 1e-8])[rng.permutation(5)]
    fake = np.array([-1e300, 1e-300, 710.0, -40.0])[rng.permutation(4)]
    grade_gan(learner, real, fake, "  (logits from 1e-300 to 1e300)", stable=True)


@check(
    "10_beyond/gan",
    "logits exactly 0 (log 2 each); the losses are floats, batches of one too",
    regimes=("exact values", "aliasing"),
)
def gan_exact(learner, rng):
    grade_gan(learner, np.zeros(4), np.zeros(3), "  (every logit 0: each BCE is log 2)")
    grade_gan(learner, rng.normal(size=1), rng.normal(size=1))
    grade_gan(learner, np.array([0.0, 2.5, -2.5]), np.array([0.0]), "  (the kink of |z| at 0)")


not_applicable(
    "10_beyond/gan",
    hyperparameters="no keyword arguments: gan_losses takes the two logit arrays only",
    randomness="deterministic: no rng",
    process="two formulas, no procedure",
)

# ---------------------------------------------------------------- attention


def torch_attention(q, k, v, mask):
    """F.scaled_dot_product_attention's output, and the weights it implies; a fully masked
    row is pinned to weights 0 and output 0 (torch >= 2.5; older torch gives nan)."""
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    full = (*lead, q.shape[-2], k.shape[-2])
    tm = None if mask is None else torch.as_tensor(np.broadcast_to(mask, full).copy())
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


def _masked_after_softmax(q, k, v, mask=None):
    if mask is None:
        raise ValueError("no mask: this mistake does not apply")
    _, weights = _attention(q, k, v, None)
    weights = weights * mask
    kept = weights.sum(axis=-1, keepdims=True)
    weights = np.divide(weights, kept, out=np.zeros_like(weights), where=kept > 0)
    return weights @ v, weights


def _ignored_empty_mask(q, k, v, mask=None):
    if mask is None or np.any(mask):
        raise ValueError("the mask has a True entry: this mistake does not apply")
    return _attention(q, k, v, None)


ATTENTION_MISTAKES = [
    (  # first: on an all-False mask, the inverted mask (all True) gives the same output
        "a mask with no True entry ignored (or the mask's sense inverted, which here is the "
        "same): every query is fully masked, so every weight and every output is 0.",
        _ignored_empty_mask,
    ),
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
        "a −1e9 mask (or another large finite number) instead of −inf: a query whose keys "
        "are all masked then gets uniform weights instead of the contract's zeros, and "
        "scores below −1e9 lose to masked keys; use −inf and give a fully masked row "
        "weights 0.",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, masked_value=-1e9),
    ),
    (
        "the mask applied after the softmax (weights zeroed, then renormalised): the same in "
        "exact arithmetic, but a masked key with a far larger score takes all the mass and "
        "leaves the allowed keys 0. Set masked scores to −inf before the softmax.",
        _masked_after_softmax,
    ),
    (
        "a fully masked row gives nan: its max is −inf and (−inf) − (−inf) = nan. Replace a "
        "non-finite row max by 0 and divide only where the sum is > 0, so that such a query "
        "gets weights 0 and output 0 (as torch >= 2.5).",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, empty_nan=True),
    ),
    (
        "the max subtracted over the whole array, not per query row: rows far below it "
        "underflow to 0. Subtract each row's own max (axis=-1, keepdims=True).",
        lambda q, k, v, mask=None: _attention(q, k, v, mask, row_max=False),
    ),
]
ATTENTION_STABLE = (
    "subtract each query row's max score before np.exp (axis=-1, keepdims=True); masked "
    "scores are −inf, and exp(−inf) = 0 raises nothing."
)


def grade_attention(learner, q, k, v, mask=None, note="", stable=False):
    out, weights = torch_attention(q, k, v, mask)
    # a score q·k carries a rounding error up to d·ε·Σ|q_i·k_i| (large where a common
    # offset cancels), so two correct summation orders differ by about that in the
    # weights, times |v| in out
    bound = (np.abs(q) @ np.swapaxes(np.abs(k), -1, -2)).max(initial=0)
    rounding = 2 * q.shape[-1] * np.finfo(float).eps * bound
    atol = max(ATOL, rounding * max(1.0, np.abs(v).max(initial=0)))
    parts = ()
    if stable and q.ndim > 2 and (mask is None or np.ndim(mask) <= 2):
        parts = [(f"batch entry {i}", (q[i], k[i], v[i])) for i in range(q.shape[0])]
    check_outputs(
        learner,
        "scaled_dot_product_attention",
        (q, k, v),
        {"out": out, "weights": weights},
        kwargs={} if mask is None else {"mask": mask},
        oracle="F.scaled_dot_product_attention; weights by torch.softmax",
        mistakes=ATTENTION_MISTAKES,
        note=note,
        stable_form=ATTENTION_STABLE if stable else None,
        parts=parts,
        atol=atol,
    )


@check(
    "10_beyond/attention",
    "(T, d), (B, T, d), (B, H, T, d); T_q ≠ T_k, T_q = 1, d_v ≠ d, B = 1, square",
    regimes=("shapes",),
)
def attention_shapes(learner, rng):
    def normal(*shape):
        return rng.normal(size=shape)

    grade_attention(learner, normal(4, 8), normal(4, 8), normal(4, 8))
    grade_attention(learner, normal(2, 3, 5), normal(2, 6, 5), normal(2, 6, 7))
    grade_attention(learner, normal(2, 4, 5, 8), normal(2, 4, 5, 8), normal(2, 4, 5, 8))
    grade_attention(learner, normal(3, 1, 6), normal(3, 7, 6), normal(3, 7, 2))  # one query
    grade_attention(learner, normal(1, 2, 5, 3), normal(1, 2, 4, 3), normal(1, 2, 4, 3))


@check(
    "10_beyond/attention",
    "boolean masks: causal, random, broadcast (T_k,) and (B, 1, 1, T_k), all True",
    regimes=("hyperparameters",),
)
def attention_masks(learner, rng):
    q, k, v = (rng.normal(size=(2, 3, 6, 4)) for _ in range(3))
    causal = np.tril(np.ones((6, 6), dtype=bool))
    grade_attention(learner, q, k, v, causal, "  (causal mask)")
    random_mask = rng.uniform(size=(2, 3, 6, 6)) < 0.6
    random_mask[..., rng.integers(6)] = True  # every query sees at least one key
    grade_attention(learner, q, k, v, random_mask)
    keys = np.ones(6, dtype=bool)
    keys[rng.choice(6, size=2, replace=False)] = False
    grade_attention(learner, q, k, v, keys, "  (mask (T_k,): the same keys hidden from all)")
    lengths = np.array([4, 6])
    padding = (np.arange(6) < lengths[:, None])[:, None, None, :]
    grade_attention(learner, q, k, v, padding, "  (padding mask (B, 1, 1, T_k))")
    grade_attention(learner, q, k, v, np.ones((6, 6), dtype=bool), "  (all True: as no mask)")


@check(
    "10_beyond/attention",
    "exact values: a fully masked row, an all-False mask, one key per row, tied scores",
    regimes=("exact values", "hyperparameters"),
)
def attention_exact(learner, rng):
    q, k, v = (rng.normal(size=(2, 3, 6, 4)) for _ in range(3))
    empty_row = np.tril(np.ones((6, 6), dtype=bool))
    empty_row[int(rng.integers(6))] = False  # that query may attend to nothing: zeros
    grade_attention(learner, q, k, v, empty_row, "  (one query with every key masked)")
    grade_attention(
        learner, q, k, v, np.zeros((6, 6), dtype=bool), "  (all False: every query masked)"
    )
    one_key = np.eye(6, dtype=bool)[rng.permutation(6)]  # each query one key: weight 1
    grade_attention(learner, q, k, v, one_key, "  (each query may attend to one key)")
    grade_attention(
        learner,
        np.zeros((3, 5, 4)),
        rng.normal(size=(3, 7, 4)),
        rng.normal(size=(3, 7, 2)),
        note="  (q = 0: every score ties, the weights are uniform)",
    )
    tied = np.repeat(rng.normal(size=(2, 1, 4)), 5, axis=1)  # five equal keys
    grade_attention(
        learner,
        rng.normal(size=(2, 3, 4)),
        tied,
        rng.normal(size=(2, 5, 3)),
        note="  (every key the same: tied scores)",
    )


@check(
    "10_beyond/attention",
    "non-contiguous q, k, v and mask (transposed, strided, reversed, broadcast); q = k = v",
    regimes=("layout",),
)
def attention_layout(learner, rng):
    q, k, v = rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 6, 4)), rng.normal(size=(2, 6, 3))
    mask = rng.uniform(size=(5, 6)) < 0.7
    mask[:, 0] = True
    grade_attention(
        learner,
        transposed(q),
        strided(k, rng),
        reversed_view(v, axis=1),
        transposed(mask),
        "  (q transposed, k[..., ::2], v[:, ::-1], mask transposed)",
    )
    x = strided(rng.normal(size=(3, 5, 4)), rng)
    grade_attention(learner, x, x, x, note="  (self-attention: q, k, v the same view)")
    keys = rng.uniform(size=6) < 0.8
    keys[0] = True
    grade_attention(learner, q, k, v, np.broadcast_to(keys, (2, 5, 6)), "  (mask a broadcast view)")


@check(
    "10_beyond/attention",
    "stable: scores of 1e6 and beyond ±1e9, rows at mixed scales, a common offset",
    regimes=("extremes",),
)
def attention_extremes(learner, rng):
    q, k = rng.normal(size=(2, 5, 4)) * 1e3, rng.normal(size=(2, 6, 4)) * 1e3
    grade_attention(
        learner, q, k, rng.normal(size=(2, 6, 3)), note="  (scores near ±1e6)", stable=True
    )
    q = rng.normal(size=(2, 4, 3))
    q[0] *= 1e3  # one batch entry with scores near 1e6, the other near 1e3
    q[1, int(rng.integers(4))] *= 1e3  # and one row of the other
    grade_attention(
        learner,
        q,
        rng.normal(size=(2, 5, 3)) * 1e3,
        rng.normal(size=(2, 5, 2)),
        note="  (rows of scores near 1e3 and near 1e6)",
        stable=True,
    )
    d, c = 4, 1e6
    q = np.concatenate([np.full((2, 5, 1), c), rng.normal(size=(2, 5, d - 1))], axis=-1)
    k = np.concatenate([np.ones((2, 6, 1)), rng.normal(size=(2, 6, d - 1))], axis=-1)
    grade_attention(
        learner,
        q,
        k,
        rng.normal(size=(2, 6, 3)),
        note="  (every score near 5e5: a large common offset)",
        stable=True,
    )
    # scores near −1e10 on the keys query 0 may attend to: a finite −1e9 stand-in for −inf
    # at the masked keys would outweigh them
    u = rng.normal(size=4)
    u *= 2.0 / np.linalg.norm(u)  # |u|² = 4: query 0's allowed scores are −2e10 and −3e10
    q = rng.normal(size=(5, 4)) * 1e5
    q[0] = 1e5 * u
    k = rng.normal(size=(6, 4)) * 1e5
    k[:3] = 1e5 * u * np.array([[-1.0], [-1.5], [1.0]])  # key 2, masked for query 0: +2e10
    mask = rng.uniform(size=(5, 6)) < 0.6
    mask[:, 0] = True
    mask[0] = [True, True, False, False, False, False]
    # compared by value only: numpy's log(0) = −inf (np.log(mask)) is a fair way to mask
    grade_attention(
        learner, q, k, rng.normal(size=(6, 3)), mask, "  (scores near ±1e10, with a mask)"
    )


@check(
    "10_beyond/attention",
    "new arrays on every path: one key (weights 1), T_q = T_k = 1, an all-False mask",
    regimes=("aliasing",),
)
def attention_aliasing(learner, rng):
    grade_attention(
        learner,
        rng.normal(size=(3, 4)),
        rng.normal(size=(1, 4)),
        rng.normal(size=(1, 5)),
        note="  (one key: every weight is 1)",
    )
    grade_attention(
        learner,
        rng.normal(size=(2, 1, 3)),
        rng.normal(size=(2, 1, 3)),
        rng.normal(size=(2, 1, 2)),
        note="  (T_q = T_k = 1)",
    )
    grade_attention(
        learner,
        rng.normal(size=(4, 3)),
        rng.normal(size=(5, 3)),
        rng.normal(size=(5, 2)),
        np.zeros((4, 5), dtype=bool),
        "  (all False: out is zeros)",
    )


@check("10_beyond/attention", "speed: at most 10x a vectorised reference on (1024, 8, 2, 2)")
def attention_speed(learner, rng):
    # many tiny heads: a Python loop over batch and heads costs most there, yet only about
    # 30-40x the reference (numpy's batched matmul loops over tiny matrices too): the
    # limit is 10x, not 25x, to keep that loop far from passing on a loaded machine
    q, k, v = (rng.normal(size=(1024, 8, 2, 2)) for _ in range(3))
    return assert_fast_enough(
        learner,
        "scaled_dot_product_attention",
        (q, k, v),
        "graders.drivers.beyond:attention",
        "attention on (1024, 8, 2, 2)",
        limit=10.0,
    )


not_applicable(
    "10_beyond/attention",
    randomness="deterministic: no rng, no dropout",
    process="one formula, no procedure",
)
