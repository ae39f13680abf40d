"""Graders of 06_gradient_flow: initialisation, gradient norms, unit diagnostics,
clipping and residual blocks.

Initialisation is graded by distribution, never by values: bounds, mean, variance
and a two-sample Kolmogorov-Smirnov test against samples torch.nn.init draws, each
with a false-failure probability below 1e-6 (stated beside each threshold).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from graders.engine.checks import (
    ATOL,
    Mistake,
    assert_matches,
    expect_array,
    expect_tuple,
)
from graders.engine.describe import describe_value, first_difference
from graders.engine.layer_checks import check_layer
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (views included: torch takes no negative strides)."""
    return _tensor(np.ascontiguousarray(a))


# ---------------------------------------------------------------- initialization

not_applicable(
    "06_gradient_flow/initialization",
    layout="no array arguments: the fans are ints, rng a Generator, gain a number (at most "
    "a 0-d array, which has no layout to vary)",
    aliasing="nothing to alias: no argument is an array a (fan_in, fan_out) result could share "
    "memory with; the return type (a new float64 (fan_in, fan_out) array) is checked in every "
    "check",
    process="one draw: no steps",
)

# Two-sided bounds at 5.5 standard errors: a normal tail beyond 5.5σ has probability
# 3.8e-8, so each statistical threshold below fails a correct sampler less than once
# in 10^6 runs even after the few approximations involved.
Z_BOUND = 5.5
# Two-sample KS at α = 1e-6: D > c(α)·sqrt((n + m)/(n·m)), c(α) = sqrt(−ln(α/2)/2).
KS_C = math.sqrt(-math.log(1e-6 / 2) / 2)
TORCH_INIT = {
    "xavier_uniform": "torch.nn.init.xavier_uniform_",
    "xavier_normal": "torch.nn.init.xavier_normal_",
    "he_normal": "torch.nn.init.kaiming_normal_ (fan_in, relu)",
}


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the ECDFs."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / len(a)
    cdf_b = np.searchsorted(b, pooled, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def torch_init_samples(kind, fan_in, fan_out, seed, gain):
    """Samples from torch.nn.init on a torch-layout weight (fan_out, fan_in), transposed."""
    generator = torch.Generator().manual_seed(seed)
    weight = torch.empty(fan_out, fan_in, dtype=torch.float64)
    if kind == "xavier_uniform":
        torch.nn.init.xavier_uniform_(weight, gain=gain, generator=generator)
    elif kind == "xavier_normal":
        torch.nn.init.xavier_normal_(weight, gain=gain, generator=generator)
    else:
        torch.nn.init.kaiming_normal_(
            weight, mode="fan_in", nonlinearity="relu", generator=generator
        )
    return weight.T.numpy()


INIT = {
    # kind: (uniform?, variance(fan_in, fan_out, gain), the classic wrong variances)
    "xavier_uniform": (
        True,
        lambda i, o, g: g * g * 2 / (i + o),
        [
            (
                "fan_in only: Xavier uses both fans, Var = gain²·2/(fan_in + fan_out).",
                lambda i, o, g: g * g / i,
            ),
            (
                "fan_in only: Xavier uses both fans, Var = gain²·2/(fan_in + fan_out).",
                lambda i, o, g: g * g * 2 / i,
            ),
            (
                "uniform bound sqrt(6/(fan_in·fan_out)): the bound is gain·sqrt(6/(fan_in + fan_out)).",
                lambda i, o, g: g * g * 2 / (i * o),
            ),
            (
                "the uniform bound set to the std, gain·sqrt(2/(fan_in + fan_out)): U(−a, a) has "
                "std a/sqrt(3), so the bound is sqrt(3)·std = gain·sqrt(6/(fan_in + fan_out)).",
                lambda i, o, g: g * g * 2 / (i + o) / 3,
            ),
            (
                "variance 2/sqrt(fan_in + fan_out) (the course's slip): Var[U(−a, a)] = a²/3 = "
                "2/(fan_in + fan_out), no square root.",
                lambda i, o, g: g * g * 2 / math.sqrt(i + o),
            ),
            ("gain ignored: the bound is multiplied by gain.", lambda i, o, g: 2 / (i + o)),
        ],
    ),
    "xavier_normal": (
        False,
        lambda i, o, g: g * g * 2 / (i + o),
        [
            (
                "fan_in only: Xavier uses both fans, Var = gain²·2/(fan_in + fan_out).",
                lambda i, o, g: g * g / i,
            ),
            (
                "variance 2/sqrt(fan_in + fan_out) (the course's slip): the std is "
                "gain·sqrt(2/(fan_in + fan_out)).",
                lambda i, o, g: g * g * 2 / math.sqrt(i + o),
            ),
            ("gain ignored: the std is multiplied by gain.", lambda i, o, g: 2 / (i + o)),
            (
                "std and variance confused: std = gain·sqrt(2/(fan_in + fan_out)), not its square.",
                lambda i, o, g: (g * g * 2 / (i + o)) ** 2,
            ),
        ],
    ),
    "he_normal": (
        False,
        lambda i, o, g: 2 / i,
        [
            (
                "fan_out used: He's fan_in mode divides by fan_in (W has shape (fan_in, fan_out)).",
                lambda i, o, g: 2 / o,
            ),
            (
                "factor 2 missing: ReLU zeroes half its inputs, so He uses Var = 2/fan_in.",
                lambda i, o, g: 1 / i,
            ),
            (
                "this is Xavier's variance, 2/(fan_in + fan_out): He uses 2/fan_in for ReLU.",
                lambda i, o, g: 2 / (i + o),
            ),
            (
                "He's variance 2/fan_in passed as the std: rng.normal takes the standard "
                "deviation, std = sqrt(2/fan_in).",
                lambda i, o, g: (2 / i) ** 2,
            ),
        ],
    ),
}


def grade_init(learner, kind, fan_in, fan_out, seed, gain=None):
    """The draws of one call, judged in units of the gain (W / gain against torch's draws /
    gain), so that gains of 1e-200 or 1e200 are graded like gain 1."""
    uniform, variance, mistakes = INIT[kind]
    g = 1.0 if gain is None else float(gain)
    fn = learner.fn(kind)
    kwargs = {} if gain is None else {"gain": gain}
    call = fn.describe(fan_in, fan_out, np.random.default_rng(seed), **kwargs)
    W = expect_array(
        fn(fan_in, fan_out, np.random.default_rng(seed), **kwargs), "W", (fan_in, fan_out), call
    )
    squared = (
        "\n  looks like: the gain squared on the way (a variance gain²·2/(fan_in + fan_out), "
        "then its square root): gain² underflows to 0 for gain 1e-200 and overflows for "
        "1e200. Multiply by the gain itself: bound = gain·sqrt(6/(fan_in + fan_out))."
    )
    extreme_gain = not 1e-100 < g < 1e100
    if not np.all(np.isfinite(W)):
        bad = np.argwhere(~np.isfinite(W))[0]
        raise KataFailure(
            f"values not finite\n  called   {call}\n  got      W{bad.tolist()} = "
            f"{W[tuple(bad)]}\n  expected finite draws from the distribution of "
            f"{TORCH_INIT[kind]} (gain {g:g})" + (squared if extreme_gain else "")
        )
    unit = W / g
    n = W.size
    want_var = variance(fan_in, fan_out, 1.0)  # of W / gain
    got_var = float(unit.var())
    kurtosis = 9 / 5 if uniform else 3.0
    var_tol = Z_BOUND * math.sqrt((kurtosis - 1) / n)  # relative standard error of the variance
    per_gain = "" if g == 1.0 else " (of W / gain)"
    problems = []
    if abs(float(unit.mean())) > Z_BOUND * math.sqrt(want_var / n):
        problems.append(
            f"mean{per_gain} {unit.mean():.4g}, expected 0 within "
            f"{Z_BOUND * math.sqrt(want_var / n):.2g}"
        )
    if abs(got_var / want_var - 1) > var_tol:
        problems.append(
            f"variance{per_gain} {got_var:.5g}, expected {want_var:.5g} within {100 * var_tol:.1f}%"
        )
    if uniform:
        bound = math.sqrt(3 * want_var)
        largest = float(np.abs(unit).max())
        if largest > bound * (1 + 1e-12):
            problems.append(f"values{per_gain} up to {largest:.5g} outside the bound ±{bound:.5g}")
        # P(all n draws inside (1 − 18/n)·a) = (1 − 18/n)^n < e^-18 ≈ 1.5e-8
        elif largest < bound * (1 - 18 / n):
            problems.append(
                f"largest |value|{per_gain} {largest:.5g}, but U(−a, a) with "
                f"a = {bound:.5g} reaches close to a"
            )
    reference = torch_init_samples(kind, fan_in, fan_out, seed + 1, g) / g
    ks = ks_statistic(unit, reference)
    ks_limit = KS_C * math.sqrt(2 / n)
    if ks > ks_limit:
        problems.append(
            f"two-sample KS statistic {ks:.4f} against {TORCH_INIT[kind]} samples, "
            f"limit {ks_limit:.4f} (the shape of the distribution differs)"
        )
    if problems:
        looks = squared[len("\n  looks like: ") :] if extreme_gain and not np.any(W) else ""
        if not extreme_gain:  # gain² neither under- nor overflows: W's own variance
            right = variance(fan_in, fan_out, g)
            looks = next(
                (
                    says
                    for says, v in mistakes
                    if abs(v(fan_in, fan_out, g) / right - 1) > var_tol
                    and abs(got_var * g * g / v(fan_in, fan_out, g) - 1) <= var_tol
                ),
                "",
            )
        raise KataFailure(
            f"wrong distribution\n  called   {call}\n  "
            + "\n  ".join(problems)
            + f"\n  expected the distribution of {TORCH_INIT[kind]}: mean 0, variance "
            + (f"{want_var:.5g}·gain²" if g != 1.0 else f"{want_var:.5g}")
            + (f"\n  looks like: {looks}" if looks else "")
            + "\n  (each threshold fails a correct sampler with probability below 1e-6)"
        )


def grade_reproducible(learner, kind):
    fn = learner.fn(kind)
    first = fn(30, 20, np.random.default_rng(7))
    again = fn(30, 20, np.random.default_rng(7))
    other = fn(30, 20, np.random.default_rng(8))
    call = fn.describe(30, 20, np.random.default_rng(7))
    for value in (first, again, other):
        expect_array(value, "W", (30, 20), call)
    if not np.array_equal(first, again):
        raise KataFailure(
            f"not reproducible\n  called   {call} twice\n  two generators with "
            "the same seed gave different arrays: draw from `rng` only, never "
            "from np.random's global functions."
        )
    if np.array_equal(first, other):
        raise KataFailure(
            f"seed ignored\n  called   {call} and with seed 8\n  different "
            "seeds gave the same array: draw from `rng`."
        )


@check(
    "06_gradient_flow/initialization",
    "xavier_uniform: bounds, mean, variance, KS vs torch",
    regimes=("hyperparameters", "shapes", "randomness"),
)
def xavier_uniform_distribution(learner, rng):
    grade_init(learner, "xavier_uniform", 300, 200, int(rng.integers(1 << 30)))


@check(
    "06_gradient_flow/initialization",
    "xavier_uniform with gain 5/3 (tanh), fan_in < fan_out",
    regimes=("hyperparameters", "shapes", "randomness"),
)
def xavier_uniform_gain(learner, rng):
    grade_init(learner, "xavier_uniform", 120, 500, int(rng.integers(1 << 30)), gain=5 / 3)


@check(
    "06_gradient_flow/initialization",
    "xavier_normal: mean, variance, KS vs torch, gain 5/3",
    regimes=("hyperparameters", "shapes", "randomness"),
)
def xavier_normal_distribution(learner, rng):
    grade_init(learner, "xavier_normal", 300, 200, int(rng.integers(1 << 30)))
    grade_init(learner, "xavier_normal", 120, 500, int(rng.integers(1 << 30)), gain=5 / 3)


@check(
    "06_gradient_flow/initialization",
    "he_normal: mean, variance 2/fan_in, KS vs torch",
    regimes=("shapes", "randomness"),
)
def he_normal_distribution(learner, rng):
    grade_init(learner, "he_normal", 400, 150, int(rng.integers(1 << 30)))


@check(
    "06_gradient_flow/initialization",
    "gain as a numpy 0-d array: same draws, left unchanged",
    regimes=("hyperparameters",),
)
def xavier_gain_array(learner, rng):
    # np.asarray(5/3) is mutable: `gain *= ...` inside the kata changes the caller's value
    # (the call wrapper reports it), where a Python float hides that habit. The draws must
    # equal those for the float 5/3 from the same seed (that distribution is checked above).
    for kind in ("xavier_uniform", "xavier_normal"):
        fn = learner.fn(kind)
        seed = int(rng.integers(1 << 30))
        gain = np.asarray(5 / 3)
        call = fn.describe(30, 20, np.random.default_rng(seed), gain=gain)
        got = expect_array(fn(30, 20, np.random.default_rng(seed), gain=gain), "W", (30, 20), call)
        call_float = fn.describe(30, 20, np.random.default_rng(seed), gain=5 / 3)
        want = expect_array(
            fn(30, 20, np.random.default_rng(seed), gain=5 / 3), "W", (30, 20), call_float
        )
        if not np.array_equal(got, want):
            raise KataFailure(
                f"gain as an array changes the draws\n  called   {call} with gain = "
                f"np.asarray(5/3)\n  and      {call_float}\n  from the same seed: "
                f"{first_difference(got, want)}\n  the same gain must give the same weights, "
                "whether it is a float or a 0-d array."
            )


@check(
    "06_gradient_flow/initialization",
    "gain 0 gives zeros; gains 1e-200 and 1e200 scale the draws",
    regimes=("hyperparameters", "exact values", "extremes", "randomness"),
)
def xavier_gain_edges(learner, rng):
    for kind in ("xavier_uniform", "xavier_normal"):
        fn = learner.fn(kind)
        seed = int(rng.integers(1 << 30))
        call = fn.describe(40, 30, np.random.default_rng(seed), gain=0.0)
        W = expect_array(fn(40, 30, np.random.default_rng(seed), gain=0.0), "W", (40, 30), call)
        if np.any(W != 0):
            default = fn(40, 30, np.random.default_rng(seed))
            doubled = fn(40, 30, np.random.default_rng(seed), gain=2.0)
            looks = ""
            if isinstance(default, np.ndarray) and np.array_equal(W, default):
                looks = (
                    "\n  looks like: gain ignored: the bound (or std) is multiplied by gain."
                    if isinstance(doubled, np.ndarray) and np.array_equal(doubled, default)
                    else "\n  looks like: gain 0 replaced by the default (`gain or 1.0`?): 0 is "
                    "a gain like any other, and gives all zeros."
                )
            raise KataFailure(
                f"wrong W for gain 0\n  called   {call}\n  got      {np.count_nonzero(W)} "
                f"nonzero values, largest |value| {np.abs(W).max():.5g}\n  expected all "
                f"zeros ({TORCH_INIT[kind]} with gain=0: every bound and std is 0)" + looks
            )
        # W scales with the gain: the bound (or std) is gain·sqrt(...), finite whatever the
        # gain, where gain² underflows to 0 (1e-200) or overflows to inf (1e200)
        grade_init(learner, kind, 80, 60, int(rng.integers(1 << 30)), gain=1e-200)
        grade_init(learner, kind, 80, 60, int(rng.integers(1 << 30)), gain=1e200)


def grade_tiny(learner, kind, fan_in, fan_out, seed, draws=120):
    """A layer of one or two units: finite values of the right shape, and over `draws`
    generators the same distribution as torch.nn.init's (two-sample KS)."""
    uniform, variance, _ = INIT[kind]
    bound = math.sqrt(3 * variance(fan_in, fan_out, 1.0)) * (1 + 1e-12)
    fn = learner.fn(kind)
    standardised = (
        "the draws standardised by their own mean and std (W = (W − W.mean()) / W.std() · std): "
        "a 1×1 layer has std 0 (0/0 = nan) and a 2-unit layer gets ±std exactly. Draw from "
        "the distribution itself; the sample variance is only close to the target."
    )
    samples = []
    for i in range(draws):
        W = fn(fan_in, fan_out, np.random.default_rng(seed + i))
        ok = isinstance(W, np.ndarray) and W.shape == (fan_in, fan_out) and W.dtype == np.float64
        if ok and np.all(np.isfinite(W)) and not (uniform and np.abs(W).max() > bound):
            samples.append(W.ravel())
            continue
        call = fn.describe(fan_in, fan_out, np.random.default_rng(seed + i))  # on failure only
        expect_array(W, "W", (fan_in, fan_out), call)
        if not np.all(np.isfinite(W)):
            raise KataFailure(
                f"values not finite\n  called   {call}\n  got      {W.tolist()}\n"
                "  expected finite draws from the distribution torch.nn.init uses"
                + (f"\n  looks like: {standardised}" if W.size == 1 else "")
            )
        raise KataFailure(
            f"wrong distribution\n  called   {call}\n  got      {W.tolist()}, "
            f"outside the bound ±{bound:.5g}"
        )
    got = np.concatenate(samples)
    generator = torch.Generator().manual_seed(seed)
    reference = np.concatenate(
        [
            torch_init_samples(kind, fan_in, fan_out, int(s), 1.0).ravel()
            for s in torch.randint(1 << 30, (draws,), generator=generator)
        ]
    )
    ks = ks_statistic(got, reference)
    ks_limit = KS_C * math.sqrt(2 / got.size)
    if ks > ks_limit:
        equal = np.allclose(np.abs(got), np.abs(got[0]), rtol=1e-9)
        raise KataFailure(
            f"wrong distribution\n  called   {fn.describe(fan_in, fan_out, np.random.default_rng(seed))}"
            f" with {draws} seeds\n  two-sample KS statistic {ks:.4f} of the {got.size} values "
            f"against {TORCH_INIT[kind]} samples, limit {ks_limit:.4f}"
            + (
                f"\n  every value is ±{abs(got[0]):.5g}\n  looks like: {standardised}"
                if equal
                else ""
            )
            + "\n  (the threshold fails a correct sampler with probability below 1e-6)"
        )


@check(
    "06_gradient_flow/initialization",
    "tiny layers (1×1, 2×1): finite, distributed as torch's",
    regimes=("shapes", "randomness"),
)
def init_tiny(learner, rng):
    for kind in INIT:
        seed = int(rng.integers(1 << 30))
        grade_tiny(learner, kind, 1, 1, seed, draws=1)
        grade_tiny(learner, kind, 2, 1, seed + 1)


@check(
    "06_gradient_flow/initialization",
    "same seed, same array; other seed, other array",
    regimes=("randomness",),
)
def init_reproducible(learner, rng):
    for kind in INIT:
        grade_reproducible(learner, kind)


@check(
    "06_gradient_flow/initialization",
    "independent draws: no value twice, a new array from each call on one generator",
    regimes=("randomness",),
)
def init_independent(learner, rng):
    # Independent draws from a continuous distribution coincide only by rounding: numpy's
    # doubles carry 52-53 random bits, so two given draws are equal with probability at
    # most 2^-52, and any two of the 2n = 24000 values of two calls with probability at
    # most (2n)²/2 · 2^-52 ≈ 6.4e-8. Rows or columns copied, or a generator that does not
    # advance, repeat values for sure.
    for kind in INIT:
        fn = learner.fn(kind)
        generator = np.random.default_rng(int(rng.integers(1 << 30)))
        call = fn.describe(120, 100, generator)
        first = expect_array(fn(120, 100, generator), "W", (120, 100), call)
        second = expect_array(fn(120, 100, generator), "W", (120, 100), call + " again")
        for label, values in (("one call", first), ("two calls on one generator", None)):
            values = np.concatenate([first.ravel(), second.ravel()]) if values is None else values
            distinct = np.unique(values).size
            if distinct == values.size:
                continue
            if label == "one call":
                rows = np.unique(first, axis=0).shape[0]
                where = (
                    f"only {rows} distinct rows of {first.shape[0]}"
                    if rows < first.shape[0]
                    else f"only {distinct} distinct values of {values.size}"
                )
            else:
                same = np.array_equal(first, second)
                where = (
                    "the second call returned the same array: the generator must advance"
                    if same
                    else f"only {distinct} distinct values of {values.size} in the two arrays"
                )
            raise KataFailure(
                f"draws not independent ({label})\n  called   {call}"
                + (" twice, with the same generator object" if values.size > first.size else "")
                + f"\n  {where}\n  expected independent draws, as {TORCH_INIT[kind]} makes: "
                "continuous values repeat with probability below 1e-7. Draw every element "
                "from rng; do not copy rows or columns, or re-create a generator."
            )


# ---------------------------------------------------------------- vanishing

not_applicable(
    "06_gradient_flow/vanishing",
    randomness="deterministic: takes no rng",
    process="one forward and one backward pass, no procedure: each layer's norm (each step "
    "of the backward loop) is returned and compared",
)

TORCH_ACTIVATION = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_layer_norms(x, weights, activation):
    if not weights:
        return []
    ws = [tensor(W).requires_grad_(True) for W in weights]
    h = tensor(x)
    for W in ws:
        h = TORCH_ACTIVATION[activation](h @ W)
    grads = torch.autograd.grad(h.sum(), ws)
    return [float(g.norm()) for g in grads]


NUMPY_ACTIVATION = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def numpy_layer_norms(x, weights, activation, derivative):
    """The per-layer norms with the local derivative given as derivative(z, h): for the
    known mistakes (the right ones come from torch autograd)."""
    hs, zs = [x], []
    for W in weights:
        zs.append(hs[-1] @ W)
        hs.append(NUMPY_ACTIVATION[activation](zs[-1]))
    grad_h, norms = np.ones_like(hs[-1]), []
    for i in reversed(range(len(weights))):
        grad_z = grad_h * derivative(zs[i], hs[i + 1])
        norms.append(float(np.linalg.norm(hs[i].T @ grad_z)))
        grad_h = grad_z @ weights[i].T
    return norms[::-1]


NORM_MISTAKES = {
    "sigmoid": [
        (
            "σ' applied to the output: σ(h)(1 − σ(h)) where h is already σ(z); from the "
            "output, σ' = h(1 − h).",
            lambda z, h: NUMPY_ACTIVATION["sigmoid"](h) * (1 - NUMPY_ACTIVATION["sigmoid"](h)),
        ),
    ],
    "tanh": [
        (
            "tanh' applied to the output: 1 − tanh(h)² where h is already tanh(z); from the "
            "output, tanh' = 1 − h².",
            lambda z, h: 1 - np.tanh(h) ** 2,
        ),
        (
            "the sigmoid derivative h(1 − h) used for tanh: tanh' = 1 − h².",
            lambda z, h: h * (1 - h),
        ),
    ],
    "relu": [
        (
            "relu'(0) taken as 1 (z >= 0): a unit at exactly z = 0 passes no gradient, "
            "relu'(0) = 0 as in torch.",
            lambda z, h: (z >= 0).astype(float),
        ),
        ("relu' = 1 everywhere: the gradient is 0 where z ≤ 0.", lambda z, h: np.ones_like(z)),
    ],
}


def expect_float_item(value, name, call):
    """A float (Python's, or a numpy float scalar), not an int or a 0-d array."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    raise KataFailure(
        f"wrong {name}\n  called   {call}\n  expected a float, got {describe_value(value)}"
    )


def grade_norms(learner, x, weights, activation):
    expected = torch_layer_norms(x, weights, activation)
    fn = learner.fn("layer_gradient_norms")
    call = fn.describe(x, weights, activation)
    got = fn(x, weights, activation)
    if not isinstance(got, list) or len(got) != len(weights):
        raise KataFailure(
            f"wrong result\n  called   {call}\n  expected a list of "
            f"{len(weights)} floats, one per layer, got {describe_value(got)}"
        )
    got = [expect_float_item(v, f"norm of layer {i + 1}", call) for i, v in enumerate(got)]
    labels = [f"norm of layer {i + 1}" for i in range(len(weights))]
    if np.allclose(got[::-1], expected, rtol=1e-6) and not np.allclose(got, expected, rtol=1e-6):
        raise KataFailure(
            f"wrong order\n  called   {call}\n  got      {np.round(got, 6)}\n"
            f"  expected {np.round(expected, 6)}  (torch autograd)\n"
            "  looks like: last layer first: return the first layer's norm first."
        )
    mistakes = [
        *NORM_MISTAKES[activation],
        ("the activation's derivative left out of the backward pass.", lambda z, h: 1.0),
    ]
    assert_matches(
        dict(zip(labels, got)),
        dict(zip(labels, expected)),
        call=call,
        oracle="torch autograd of sum(outputs), Frobenius norms",
        rtol=1e-8,
        atol=1e-12,
        mistakes=[
            Mistake(
                says,
                lambda d=d: dict(zip(labels, numpy_layer_norms(x, weights, activation, d))),
            )
            for says, d in mistakes
        ],
    )
    return got


@check(
    "06_gradient_flow/vanishing",
    "norms match autograd for sigmoid, tanh and relu stacks",
    regimes=("hyperparameters", "shapes"),
)
def vanishing_values(learner, rng):
    for activation in TORCH_ACTIVATION:
        sizes = [int(n) for n in rng.integers(3, 7, size=5)]
        weights = [rng.normal(size=(a, b)) / math.sqrt(a) for a, b in zip(sizes, sizes[1:])]
        grade_norms(learner, rng.normal(size=(6, sizes[0])), weights, activation)


@check(
    "06_gradient_flow/vanishing",
    "10 layers: sigmoid norms decay, relu with He init hold",
    regimes=("hyperparameters", "shapes"),
)
def vanishing_demo(learner, rng):
    width, depth = 64, 10
    x = rng.normal(size=(32, width))
    xavier = [rng.normal(size=(width, width)) * math.sqrt(1 / width) for _ in range(depth)]
    he = [rng.normal(size=(width, width)) * math.sqrt(2 / width) for _ in range(depth)]
    sigmoid = grade_norms(learner, x, xavier, "sigmoid")
    relu = grade_norms(learner, x, he, "relu")
    return (
        f"first-layer / last-layer gradient norm over 10 layers: sigmoid "
        f"{sigmoid[0] / sigmoid[-1]:.1e} (vanishing), relu with He init "
        f"{relu[0] / relu[-1]:.2f} (held)."
    )


@check(
    "06_gradient_flow/vanishing",
    "relu stack through exact kinks (z = 0): relu'(0) = 0",
    regimes=("exact values",),
)
def vanishing_kinks(learner, rng):
    # a zero column in a weight matrix (a pruned unit) puts that unit exactly at z = 0 for
    # every sample, while its layer's inputs are not 0: relu'(0) decides its gradient
    sizes = [4, 5, 5, 4, 3]
    weights = [rng.normal(size=(a, b)) / math.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    weights[0][:, int(rng.integers(5))] = 0.0
    weights[2][:, int(rng.integers(4))] = 0.0
    # and an output unit: its upstream gradient is 1 on every sample, so relu'(0) always
    # shows (the hidden ones above can sit behind units that are dead for every sample)
    weights[3][:, int(rng.integers(3))] = 0.0
    grade_norms(learner, rng.normal(size=(6, 4)), weights, "relu")


@check(
    "06_gradient_flow/vanishing",
    "one layer (N = 1 and N = 3), and an empty stack: [] gives []",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def vanishing_shallow(learner, rng):
    grade_norms(learner, rng.normal(size=(1, 4)), [rng.normal(size=(4, 3)) / 2], "sigmoid")
    grade_norms(learner, rng.normal(size=(3, 5)), [rng.normal(size=(5, 1)) / 2], "tanh")
    weights = [rng.normal(size=(3, 4)) / 2, rng.normal(size=(4, 2)) / 2]
    grade_norms(learner, rng.normal(size=(1, 3)), weights, "relu")
    # no layer: nothing to differentiate, a new empty list (not the `weights` passed in)
    grade_norms(learner, rng.normal(size=(2, 3)), [], "relu")


@check(
    "06_gradient_flow/vanishing",
    "views: x transposed, weights transposed, strided and reversed",
    regimes=("layout", "shapes"),
)
def vanishing_views(learner, rng):
    for activation in TORCH_ACTIVATION:
        x = rng.normal(size=(4, 5)).T  # (5, 4), transposed
        weights = [
            (rng.normal(size=(6, 4)) / 2).T,  # (4, 6), transposed
            (rng.normal(size=(6, 12)) / math.sqrt(6))[:, ::2],  # (6, 6), every other column
            (rng.normal(size=(6, 3)) / math.sqrt(6))[::-1],  # (6, 3), rows reversed
        ]
        grade_norms(learner, x, weights, activation)


@check(
    "06_gradient_flow/vanishing",
    "mixed scales: a sample at 1e4 saturates sigmoid and tanh, 1e100 through relu",
    regimes=("extremes",),
)
def vanishing_extremes(learner, rng):
    # one sample huge, one tiny, the others ordinary. The huge one is built so that its
    # pre-activation of unit 0 in layer 1 is exactly `big`: e^big overflows there (e^1e4 =
    # inf), where sigmoid and tanh are 1 and torch's gradients stay finite
    sizes = [4, 5, 4, 3]
    for activation, big, tiny in (("sigmoid", 1e4, 1e-8), ("tanh", 1e4, 1e-8),
                                  ("relu", 1e100, 1e-100)):  # fmt: skip
        weights = [rng.normal(size=(a, b)) / math.sqrt(a) for a, b in zip(sizes, sizes[1:])]
        x = rng.normal(size=(6, sizes[0]))
        column = weights[0][:, 0]
        x[0] = big * column / (column @ column)
        x[1] *= tiny
        grade_norms(learner, x, weights, activation)


# ---------------------------------------------------------------- diagnostics

not_applicable(
    "06_gradient_flow/diagnostics",
    aliasing="the results are new integer index arrays (their type is checked in every "
    "check); the only arguments are float arrays, which an int array cannot be a view of",
    randomness="deterministic: takes no rng",
    process="a single judgement over a batch: no steps",
)


def expect_indices(got, name, call):
    if not isinstance(got, np.ndarray) or got.ndim != 1 or not np.issubdtype(got.dtype, np.integer):
        raise KataFailure(
            f"wrong {name}\n  called   {call}\n  expected a 1-D numpy array of unit "
            f"indices (an integer dtype, even when empty), got {describe_value(got)}"
        )
    return got


def compare_indices(got, expected, call, mistakes=(), oracle="torch"):
    if np.array_equal(np.sort(got), expected) and not np.array_equal(got, expected):
        raise KataFailure(f"indices not ascending\n  called   {call}\n  got {got.tolist()}")
    if not np.array_equal(got, expected):
        looks = ""
        for says, m in mistakes:
            with np.errstate(all="ignore"):
                guess = np.asarray(m())
            if not np.array_equal(guess, expected) and np.array_equal(guess, got):
                looks = says
                break
        missing = sorted(set(expected.tolist()) - set(got.tolist()))
        extra = sorted(set(got.tolist()) - set(expected.tolist()))
        raise KataFailure(
            f"wrong units\n  called   {call}\n  got      {got.tolist()}\n"
            f"  expected {expected.tolist()}  ({oracle})\n  missing {missing}, not expected {extra}"
            + (f"\n  looks like: {looks}" if looks else "")
        )


def planted_pre_activations(rng, n=20, h=12):
    z = rng.normal(size=(n, h))
    dead = rng.choice(h, size=3, replace=False)
    z[:, dead] = -np.abs(z[:, dead])
    z[0, dead[0]] = 0.0  # exactly 0 is not positive: still dead
    alive_once = [u for u in range(h) if u not in dead][0]
    z[:, alive_once] = -np.abs(z[:, alive_once])
    z[int(rng.integers(n)), alive_once] = 0.5  # positive on one sample only: alive
    return z


DEAD_ORACLE = "torch: all(z ≤ 0) over the batch, per unit"


def dead_mistakes(z):
    return [
        (
            "z < 0 instead of z ≤ 0: a unit at exactly 0 has zero gradient too.",
            lambda: np.flatnonzero(np.all(z < 0, axis=0)),
        ),
        (
            "any sample instead of every sample: a unit is dead when it is never positive.",
            lambda: np.flatnonzero(np.any(z <= 0, axis=0)),
        ),
        (
            "samples instead of units: the batch is axis 0 and the units axis 1, so "
            "reduce over axis 0 (np.all(z <= 0, axis=0)) and return unit indices.",
            lambda: np.flatnonzero(np.all(z <= 0, axis=1)),
        ),
    ]


def grade_dead(learner, z):
    expected = torch.nonzero(torch.all(tensor(z) <= 0, dim=0)).flatten().numpy()
    fn = learner.fn("dead_relu_units")
    call = fn.describe(z)
    got = expect_indices(fn(z), "dead units", call)
    compare_indices(got, expected, call, dead_mistakes(z), DEAD_ORACLE)


@check(
    "06_gradient_flow/diagnostics",
    "dead_relu_units: never positive, exact zeros included",
    regimes=("exact values", "shapes"),
)
def dead_units(learner, rng):
    grade_dead(learner, planted_pre_activations(rng))


def planted_activations(rng, kind, n=15, h=10):
    z = rng.normal(size=(n, h))
    saturated = rng.choice(h, size=3, replace=False)
    z[:, saturated] = np.sign(rng.normal(size=(n, 3))) * rng.uniform(9, 12, size=(n, 3))
    z[0, saturated[0]] = 1.0  # saturated on all but one sample: not saturated
    # a unit whose derivative sits between 1e-3 and 1e-2 (|z| near 3.3 for tanh, 5.5 for
    # sigmoid): saturated under tol = 1e-2 only, so an ignored tol shows
    middle = next(u for u in range(h) if u not in saturated)
    scale = 3.3 if kind == "tanh" else 5.5
    z[:, middle] = np.sign(rng.normal(size=n)) * rng.uniform(scale - 0.1, scale + 0.1, size=n)
    # a unit with moderate negative inputs only: not saturated, whatever the formula says
    negative = next(u for u in range(h) if u not in saturated and u != middle)
    z[:, negative] = -rng.uniform(0.5, 1.5, size=n)
    a = torch.sigmoid(tensor(z)) if kind == "sigmoid" else torch.tanh(tensor(z))
    return a.numpy()


def torch_saturated(a, kind, tol):
    a = tensor(a)
    derivative = a * (1 - a) if kind == "sigmoid" else 1 - a * a
    return torch.nonzero(torch.all(derivative < tol, dim=0)).flatten().numpy()


def saturated_mistakes(a, kind, t):
    local = a * (1 - a) if kind == "sigmoid" else 1 - a**2
    return [
        (
            "the derivative computed from a as if it were the pre-activation: the inputs are "
            "outputs a, so σ' = a(1 − a) and tanh' = 1 − a².",
            lambda: np.flatnonzero(
                np.all(
                    (1 / (1 + np.exp(-a))) * (1 - 1 / (1 + np.exp(-a))) < t
                    if kind == "sigmoid"
                    else 1 - np.tanh(a) ** 2 < t,
                    axis=0,
                )
            ),
        ),
        (
            "any sample instead of every sample: saturated means on every sample.",
            lambda: np.flatnonzero(np.any(local < t, axis=0)),
        ),
        (
            "derivative ≤ tol instead of < tol: a unit whose derivative equals tol is not "
            "below it (and with tol = 0 no unit is).",
            lambda: np.flatnonzero(np.all(local <= t, axis=0)),
        ),
        (
            "samples instead of units: the batch is axis 0 and the units axis 1, so "
            "reduce over axis 0 and return unit indices.",
            lambda: np.flatnonzero(np.all(local < t, axis=1)),
        ),
        (
            f"tol ignored: the default 1e-3 used, not the tol={t} passed in.",
            lambda: np.flatnonzero(np.all(local < 1e-3, axis=0)),
        ),
    ]


def grade_saturated(learner, a, kind, tol=None):
    fn = learner.fn("saturated_units")
    t = 1e-3 if tol is None else tol
    kwargs = {} if tol is None else {"tol": tol}
    call = fn.describe(a, kind, **kwargs)
    got = expect_indices(fn(a, kind, **kwargs), "saturated units", call)
    oracle = "torch: all(a(1 − a) < tol)" if kind == "sigmoid" else "torch: all(1 − a² < tol)"
    compare_indices(got, torch_saturated(a, kind, t), call, saturated_mistakes(a, kind, t), oracle)


@check(
    "06_gradient_flow/diagnostics",
    "saturated_units for sigmoid and tanh, tol 1e-3 and 1e-2",
    regimes=("hyperparameters", "shapes"),
)
def saturated(learner, rng):
    for kind, tol in [("sigmoid", None), ("tanh", None), ("tanh", 1e-2), ("sigmoid", 1e-2)]:
        grade_saturated(learner, planted_activations(rng, kind), kind, tol)


def tol_edge_activations(rng, kind, n=6):
    """Columns of dyadic activations, whose derivatives a(1 − a) and 1 − a² are exact in
    float64 however they are arranged (a − a², (1 − a)(1 + a)): tol can equal them."""
    if kind == "sigmoid":
        columns = [
            np.full(n, 1.0),  # derivative 0
            rng.choice([0.0, 1.0], size=n),  # derivative 0
            np.full(n, 0.5),  # derivative 0.25, the largest
            np.full(n, 0.25),  # derivative 0.1875
            np.where(np.arange(n) == int(rng.integers(n)), 0.5, 0.25),  # up to 0.25
            np.full(n, 1.0 - 2.0**-30),  # derivative 2^-30 − 2^-60 > 0: not below tol = 0
            rng.uniform(0.3, 0.7, size=n),
        ]
    else:
        columns = [
            rng.choice([-1.0, 1.0], size=n),  # derivative 0
            np.full(n, 0.5),  # derivative 0.75
            np.full(n, 0.0),  # derivative 1, the largest
            np.where(np.arange(n) == int(rng.integers(n)), 0.0, -0.5),  # up to 1
            np.full(n, 1.0 - 2.0**-30),  # derivative ~2^-29 > 0: not below tol = 0
            rng.uniform(-0.9, 0.9, size=n),
        ]
    return np.stack(columns, axis=1)[:, rng.permutation(len(columns))]


@check(
    "06_gradient_flow/diagnostics",
    "tol at its edges: 0, exactly a unit's derivative, 1",
    regimes=("hyperparameters", "exact values"),
)
def saturated_tol_edges(learner, rng):
    # strictly below tol: tol = 0 saturates nothing (a derivative is never negative), and
    # a unit whose derivative equals tol on some sample is not saturated
    for kind, tols in (("sigmoid", (0.0, 0.1875, 0.25, 1.0)), ("tanh", (0.0, 0.75, 1.0))):
        a = tol_edge_activations(rng, kind)
        for tol in tols:
            grade_saturated(learner, a, kind, tol)


@check(
    "06_gradient_flow/diagnostics",
    "a single sample, a square batch (N = H) and a single unit",
    regimes=("shapes",),
)
def diagnostics_shapes(learner, rng):
    grade_dead(learner, planted_pre_activations(rng, n=1, h=6))
    square = planted_pre_activations(rng, n=8, h=8)
    # every sample positive somewhere: the per-sample answer (none) differs from the
    # per-unit one (the planted dead units) whatever the seed
    always = int(np.flatnonzero(np.any(square > 0, axis=0))[0])
    square[:, always] = np.abs(square[:, always]) + 0.1
    grade_dead(learner, square)
    grade_dead(learner, -np.abs(rng.normal(size=(5, 1))))
    grade_dead(learner, np.abs(rng.normal(size=(5, 1))))
    for kind in ("sigmoid", "tanh"):
        grade_saturated(learner, planted_activations(rng, kind, n=1, h=5), kind)
        a = planted_activations(rng, kind, n=10, h=10)
        # a unit never saturated: no sample is saturated on every unit, so the per-sample
        # answer (none) differs from the per-unit one (the planted units)
        a[:, int(rng.integers(10))] = 0.5 if kind == "sigmoid" else 0.0
        grade_saturated(learner, a, kind)


@check(
    "06_gradient_flow/diagnostics",
    "views: transposed, strided and reversed batches",
    regimes=("layout",),
)
def diagnostics_views(learner, rng):
    z = planted_pre_activations(rng, n=12, h=10)
    grade_dead(learner, z.T.copy().T)  # the same values, transposed memory
    grade_dead(learner, np.repeat(z, 2, axis=1)[:, ::2])  # every other column
    grade_dead(learner, z[::-1])
    for kind in ("sigmoid", "tanh"):
        a = planted_activations(rng, kind, n=12, h=8)
        grade_saturated(learner, a.T.copy().T, kind)
        grade_saturated(learner, np.repeat(a, 2, axis=0)[::2], kind, tol=1e-2)
        grade_saturated(learner, a[:, ::-1], kind)


@check(
    "06_gradient_flow/diagnostics",
    "tiny and huge magnitudes: 1e-30 is positive, a = 1 exactly, mixed scales",
    regimes=("extremes", "exact values"),
)
def diagnostics_extremes(learner, rng):
    n = 8
    columns = [
        -np.abs(rng.normal(size=n)) * 1e300,  # dead
        -np.abs(rng.normal(size=n)) * 1e-300,  # dead: tiny, but never positive
        np.where(np.arange(n) == int(rng.integers(n)), 1e-30, -np.abs(rng.normal(size=n))),
        np.where(np.arange(n) == int(rng.integers(n)), 1e300, -1e300),  # alive once
        -np.abs(rng.normal(size=n)) * np.logspace(-300, 300, n),  # dead, mixed scales
        np.where(np.arange(n) % 2 == 0, 1e-300, -1e300),  # alive, mixed scales
    ]
    grade_dead(learner, np.stack(columns, axis=1)[:, rng.permutation(len(columns))])
    for kind in ("sigmoid", "tanh"):
        a = planted_activations(rng, kind, n=n, h=6)
        a[:, int(rng.integers(6))] = 1.0  # exactly saturated: derivative 0
        low = 0.0 if kind == "sigmoid" else -1.0
        a[:, int(rng.integers(6))] = np.where(np.arange(n) % 2 == 0, low, 1.0)
        a[:, int(rng.integers(6))] = 1.0 - 1e-12  # derivative ~1e-12, below 1e-3
        grade_saturated(learner, a, kind)


# ---------------------------------------------------------------- clipping

not_applicable(
    "06_gradient_flow/clipping",
    randomness="deterministic: takes no rng",
    process="one scaling of one list of gradients: no steps",
)


def gradient_list(rng, scale):
    shapes = [(3, 4), (5,), (2, 2, 3)]
    return [rng.normal(scale=scale, size=s) for s in shapes]


def gradient_views(rng, scale):
    """Non-contiguous arrays: a transpose, a strided 1-D slice, a reversed and strided axis."""
    return [
        rng.normal(scale=scale, size=(4, 3)).T,
        rng.normal(scale=scale, size=10)[::2],
        rng.normal(scale=scale, size=(2, 6, 3))[:, ::-2, :],
    ]


def torch_params(grads):
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = tensor(g)
        params.append(p)
    return params


def torch_clip_norm(grads, max_norm, norm_type):
    params = torch_params(grads)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad.numpy() for p in params], float(total)


def expect_array_list(got, like, name, call):
    if not isinstance(got, list) or len(got) != len(like):
        raise KataFailure(
            f"wrong {name}\n  called   {call}\n  expected a new list of "
            f"{len(like)} arrays, got {describe_value(got)}"
        )
    return [
        expect_array(g, f"{name}[{i}]", w.shape, call) for i, (g, w) in enumerate(zip(got, like))
    ]


def _norm(grads, p):
    flat = np.concatenate([g.ravel() for g in grads])
    return (
        float(np.abs(flat).max()) if p == math.inf else float((np.abs(flat) ** p).sum() ** (1 / p))
    )


def _each_own_norm(grads, max_norm, norm_type=2.0):
    return [g * min(1.0, max_norm / (_norm([g], norm_type) + 1e-6)) for g in grads], _norm(
        grads, norm_type
    )


def _summed_norms(grads, max_norm, norm_type=2.0):
    total = sum(_norm([g], norm_type) for g in grads)
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


def _scaled_up(grads, max_norm, norm_type=2.0):
    total = _norm(grads, norm_type)
    return [g * (max_norm / (total + 1e-6)) for g in grads], total


def _product_first(grads, max_norm, norm_type=2.0):
    total = _norm(grads, norm_type)
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * max_norm / (total + 1e-6) if scale < 1 else g * 1.0 for g in grads], total


def _norm_after(grads, max_norm, norm_type=2.0):
    total = _norm(grads, norm_type)
    clipped = [g * min(1.0, max_norm / (total + 1e-6)) for g in grads]
    return clipped, _norm(clipped, norm_type)


def _two_norm_always(grads, max_norm, norm_type=2.0):
    total = _norm(grads, 2.0)
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


def _no_abs(grads, max_norm, norm_type=2.0):
    flat = np.concatenate([g.ravel() for g in grads])
    total = float(np.max(flat)) if norm_type == math.inf else float(np.sum(flat**norm_type))
    total = total if norm_type == math.inf else total ** (1 / norm_type)
    return [g * min(1.0, max_norm / (total + 1e-6)) for g in grads], total


def _only_above(grads, max_norm, norm_type=2.0):
    total = _norm(grads, norm_type)
    return [g * (max_norm / (total + 1e-6) if total > max_norm else 1.0) for g in grads], total


CLIP_NORM_MISTAKES = [
    (
        "`if total > max_norm: scale` skips the clip at the limit: the factor is "
        "min(1, max_norm/(total + 1e-6)), already below 1 when total = max_norm.",
        _only_above,
    ),
    (
        "norm_type ignored: the 2-norm computed whatever norm_type says.",
        _two_norm_always,
    ),
    (
        "the absolute value missing in the p-norm: (Σ g^p)^(1/p) is right for p = 2 only, "
        "and max(g) is not max(|g|) when the largest entry is negative; the p-norm is "
        "(Σ |g|^p)^(1/p), the inf-norm max |g|.",
        _no_abs,
    ),
    (
        "each array clipped by its own norm (the total norm taken per tensor): clip_grad_norm "
        "computes one norm over all arrays together and scales them all by the same factor.",
        _each_own_norm,
    ),
    (
        "the per-array norms added up: the total norm is the norm of all elements together, "
        "(Σ_i ‖g_i‖^p)^(1/p) (the largest ‖g_i‖ for inf), not Σ_i ‖g_i‖.",
        _summed_norms,
    ),
    (
        "arrays scaled up when under the limit: the factor is min(1, max_norm/(total + 1e-6)).",
        _scaled_up,
    ),
    (
        "the norm after clipping returned: torch returns the total norm before clipping.",
        _norm_after,
    ),
    (
        "g · max_norm computed before the division: with max_norm = 1e120 and g ~ 1e200 the "
        "product overflows to inf; compute the factor max_norm/(total + 1e-6) first, then "
        "multiply (torch's clip_coef).",
        _product_first,
    ),
]


def grade_clip_norm(learner, grads, max_norm, norm_type, note="", atol=ATOL):
    """atol: 0 for the extreme scales, where every value counts relatively."""
    expected, total = torch_clip_norm(grads, max_norm, norm_type)
    fn = learner.fn("clip_grad_norm")
    kwargs = {} if norm_type == 2.0 else {"norm_type": norm_type}
    call = fn.describe(grads, max_norm, **kwargs) + note
    clipped, got_total = expect_tuple(
        fn(grads, max_norm, **kwargs), ("clipped", "total_norm"), call
    )
    clipped = expect_array_list(clipped, grads, "clipped", call)
    got = {f"clipped[{i}]": c for i, c in enumerate(clipped)}
    got["total_norm"] = expect_float_item(got_total, "total_norm", call)
    want = {f"clipped[{i}]": c for i, c in enumerate(expected)}
    want["total_norm"] = total

    def as_dict(m):
        c, t = m(grads, max_norm, norm_type)
        return {**{f"clipped[{i}]": v for i, v in enumerate(c)}, "total_norm": t}

    assert_matches(
        got,
        want,
        call=call,
        oracle="torch.nn.utils.clip_grad_norm_",
        mistakes=[Mistake(s, lambda m=m: as_dict(m)) for s, m in CLIP_NORM_MISTAKES],
        atol=atol,
    )


def negative_largest(grads):
    """The same arrays with the largest |entry| of all made negative, and clearly largest."""
    grads = [g.copy() for g in grads]
    which = int(np.argmax([np.abs(g).max() for g in grads]))
    index = np.unravel_index(np.argmax(np.abs(grads[which])), grads[which].shape)
    grads[which][index] = -1.5 * abs(grads[which][index])
    return grads


@check(
    "06_gradient_flow/clipping",
    "clip_grad_norm (2-norm) above and below the limit",
    regimes=("hyperparameters", "aliasing"),
)
def clip_norm_two(learner, rng):
    grade_clip_norm(learner, gradient_list(rng, 3.0), 1.0, 2.0)
    grade_clip_norm(learner, gradient_list(rng, 0.05), 5.0, 2.0)  # nothing to do: new arrays


@check(
    "06_gradient_flow/clipping",
    "clip_grad_norm with norm_type 1, 3 and inf (the largest entry negative)",
    regimes=("hyperparameters", "exact values"),
)
def clip_norm_other(learner, rng):
    grade_clip_norm(learner, gradient_list(rng, 2.0), 1.5, 1.0)
    grade_clip_norm(learner, gradient_list(rng, 2.0), 1.0, 3.0)
    # max |g| is a negative entry: max(g) would be a different, smaller number
    grade_clip_norm(learner, negative_largest(gradient_list(rng, 2.0)), 0.5, math.inf)
    grade_clip_norm(learner, negative_largest(gradient_list(rng, 0.01)), 0.5, math.inf)


@check(
    "06_gradient_flow/clipping",
    "clip_grad_norm with the total norm at the limit",
    regimes=("exact values",),
)
def clip_norm_at_limit(learner, rng):
    # max_norm equal to the total norm (a hair above it, 1e-10 relative, so that rounding
    # in the learner's own norm cannot put it over): torch still scales, by
    # max_norm/(total + 1e-6), a change of ~1e-6 relative that the comparison sees. One
    # array: per-array norms would be the total here, so a clip skipped at the limit is
    # told apart from per-array clipping (which the other checks see)
    grads = gradient_list(rng, 0.3)[:1]
    total = float(torch.linalg.vector_norm(torch.cat([tensor(g).ravel() for g in grads])))
    grade_clip_norm(
        learner,
        grads,
        total * (1 + 1e-10),
        2.0,
        note="\n           max_norm = the total 2-norm of grads",
    )


@check(
    "06_gradient_flow/clipping",
    "one array, (1,) and (1, 1) arrays: one norm over all of them",
    regimes=("shapes",),
)
def clip_norm_shapes(learner, rng):
    grade_clip_norm(learner, [rng.normal(scale=2.0, size=(3, 4))], 1.0, 2.0)
    grads = [rng.normal(scale=2.0, size=1), rng.normal(scale=2.0, size=(1, 1)),
             rng.normal(scale=2.0, size=(2, 5))]  # fmt: skip
    grade_clip_norm(learner, grads, 1.0, 2.0)
    grade_clip_norm(learner, negative_largest(grads), 0.7, math.inf)


@check(
    "06_gradient_flow/clipping",
    "max_norm 0 and clip_value 0 give zeros; all-zero gradients come back unchanged",
    regimes=("hyperparameters", "exact values", "aliasing"),
)
def clip_boundaries(learner, rng):
    grade_clip_norm(learner, gradient_list(rng, 1.0), 0.0, 2.0)
    grade_clip_norm(learner, gradient_list(rng, 1.0), 0.0, math.inf)
    zeros = [np.zeros(s) for s in [(3, 4), (5,)]]
    grade_clip_norm(learner, zeros, 1.0, 2.0)  # total 0: the 1e-6 keeps the factor finite
    grade_clip_norm(learner, zeros, 1.0, math.inf)
    grade_clip_value(learner, gradient_list(rng, 1.0), 0.0)
    grade_clip_value(learner, zeros, 0.5)


@check(
    "06_gradient_flow/clipping",
    "views: transposed, strided and reversed arrays",
    regimes=("layout",),
)
def clip_views(learner, rng):
    grade_clip_norm(learner, gradient_views(rng, 3.0), 1.0, 2.0)
    grade_clip_norm(learner, gradient_views(rng, 3.0), 1.0, math.inf)
    grade_clip_value(learner, gradient_views(rng, 2.0), 0.8)


@check(
    "06_gradient_flow/clipping",
    "extreme scales: 1e150 and mixed gradients, the inf-norm at 1e200, 1e-8 under the 1e-6",
    regimes=("extremes",),
)
def clip_extremes(learner, rng):
    # values torch keeps finite (squares up to ~1e301), compared relatively (atol 0)
    grade_clip_norm(learner, gradient_list(rng, 1e150), 1.0, 2.0, atol=0.0)
    mixed = gradient_list(rng, 1.0)
    mixed[0] *= 1e150
    mixed[1] *= 1e-150
    grade_clip_norm(learner, mixed, 10.0, 2.0, atol=0.0)
    # max_norm far from 1: the factor max_norm/(total + 1e-6) is 1e-80; max_norm·g alone
    # would be 1e320, past the largest double
    grade_clip_norm(learner, gradient_list(rng, 1e200), 1e120, math.inf, atol=0.0)
    grade_clip_norm(learner, gradient_list(rng, 1e150), 1e-150, 1.0, atol=0.0)
    # a total norm ~1e-7, clipped to 1e-9: here the + 1e-6 dominates the factor
    grade_clip_norm(learner, gradient_list(rng, 1e-8), 1e-9, 2.0, atol=0.0)


def grade_clip_value(learner, grads, clip):
    params = torch_params(grads)
    torch.nn.utils.clip_grad_value_(params, clip)
    fn = learner.fn("clip_grad_value")
    call = fn.describe(grads, clip)
    got = expect_array_list(fn(grads, clip), grads, "clipped", call)
    assert_matches(
        {f"clipped[{i}]": g for i, g in enumerate(got)},
        {f"clipped[{i}]": p.grad.numpy() for i, p in enumerate(params)},
        call=call,
        oracle="torch.nn.utils.clip_grad_value_",
    )


@check(
    "06_gradient_flow/clipping",
    "clip_grad_value matches torch.nn.utils.clip_grad_value_",
    regimes=("hyperparameters",),
)
def clip_value(learner, rng):
    grade_clip_value(learner, gradient_list(rng, 2.0), float(rng.uniform(0.3, 1.5)))


@check(
    "06_gradient_flow/clipping",
    "clip_grad_value: arrays within the limit come back new, entries at ±clip_value stay",
    regimes=("aliasing", "exact values"),
)
def clip_value_within(learner, rng):
    clip = float(rng.uniform(0.5, 1.5))
    inside = rng.uniform(-0.9 * clip, 0.9 * clip, size=(3, 4))  # nothing to clip here
    at = rng.normal(scale=2.0, size=6)
    at[:2] = [clip, -clip]  # exactly at the limit: unchanged
    grade_clip_value(learner, [inside, at, rng.normal(scale=2.0, size=(2, 3))], clip)
    grade_clip_value(learner, [inside], clip)


# ---------------------------------------------------------------- residual

not_applicable(
    "06_gradient_flow/residual",
    hyperparameters="none: every argument is an array of the block",
    extremes="nothing exponentiates or divides: out and the gradients are sums of products, "
    "which round as torch's do at any scale (no overflow before torch's own)",
    randomness="deterministic: takes no rng",
    process="one forward and one backward pass: no steps",
)


def _residual_no_identity(dout, x, W1, b1, W2, b2):
    pre = x @ W1 + b1
    hidden = np.maximum(pre, 0)
    dpre = dout @ W2.T * (pre > 0)
    return dpre @ W1.T, x.T @ dpre, dpre.sum(0), hidden.T @ dout, dout.sum(0)


def _residual_mask_at_zero(dout, x, W1, b1, W2, b2):
    pre = x @ W1 + b1
    hidden = np.maximum(pre, 0)
    dpre = dout @ W2.T * (pre >= 0)
    return dout + dpre @ W1.T, x.T @ dpre, dpre.sum(0), hidden.T @ dout, dout.sum(0)


def _residual_dW1_transposed(dout, x, W1, b1, W2, b2):
    pre = x @ W1 + b1
    hidden = np.maximum(pre, 0)
    dpre = dout @ W2.T * (pre > 0)
    return dout + dpre @ W1.T, dpre.T @ x, dpre.sum(0), hidden.T @ dout, dout.sum(0)


def _residual(x, W1, b1, W2, b2):
    return x + torch.relu(x @ W1 + b1) @ W2 + b2


RESIDUAL_FORWARD_MISTAKES = [
    (
        "b1 left out of the pre-activation: F(x) = relu(x @ W1 + b1) @ W2 + b2 "
        "(right only while the biases are still 0).",
        lambda x, W1, b1, W2, b2: x + np.maximum(x @ W1, 0.0) @ W2 + b2,
    ),
    (
        "b2 left out: F(x) = relu(x @ W1 + b1) @ W2 + b2.",
        lambda x, W1, b1, W2, b2: x + np.maximum(x @ W1 + b1, 0.0) @ W2,
    ),
    (
        "the skip connection left out: out = x + F(x).",
        lambda x, W1, b1, W2, b2: np.maximum(x @ W1 + b1, 0.0) @ W2 + b2,
    ),
]
RESIDUAL_BACKWARD_MISTAKES = [
    (
        "the identity path left out of dx: out = x + F(x), so "
        "dx = dout + (the gradient through F).",
        _residual_no_identity,
    ),
    (
        "relu'(0) taken as 1 (pre >= 0): a unit at exactly pre = 0 passes no gradient, "
        "relu'(0) = 0 as in torch.",
        _residual_mask_at_zero,
    ),
    (
        "dW1 transposed: dW1 = x.T @ dpre, shaped (D, H) like W1; dpre.T @ x has that shape "
        "only when the layer is square, and is then its transpose.",
        _residual_dW1_transposed,
    ),
]
RESIDUAL_ORACLE = "x + relu(x @ W1 + b1) @ W2 + b2 in torch"


def residual_problem(rng, n, d, h):
    return {
        "x": rng.normal(size=(n, d)),
        "W1": rng.normal(size=(d, h)) / math.sqrt(d),
        "b1": rng.normal(size=h),
        "W2": rng.normal(size=(h, d)) / math.sqrt(h),
        "b2": rng.normal(size=d),
    }


def grade_residual(learner, rng, n, d, h, inputs=None):
    check_layer(
        learner,
        "residual_forward",
        "residual_backward",
        inputs or residual_problem(rng, n, d, h),
        _residual,
        rng=rng,
        oracle=RESIDUAL_ORACLE,
        forward_mistakes=RESIDUAL_FORWARD_MISTAKES,
        backward_mistakes=RESIDUAL_BACKWARD_MISTAKES,
    )


def grade_layer(learner, forward, backward, inputs, torch_forward, dout, *, oracle,
                forward_mistakes=(), backward_mistakes=(), forward_kwargs=None):  # fmt: skip
    """check_layer with the upstream gradient given (a view, for the layout checks)."""
    forward_kwargs = forward_kwargs or {}
    tensors = {k: tensor(v).requires_grad_(True) for k, v in inputs.items()}
    expected_out = torch_forward(*tensors.values(), **forward_kwargs)
    fn = learner.fn(forward)
    call = fn.describe(*inputs.values(), **forward_kwargs)
    out, cache = expect_tuple(fn(*inputs.values(), **forward_kwargs), ("out", "cache"), call)
    out = expect_array(out, "out", tuple(expected_out.shape), call)
    assert_matches(
        {"out": out},
        {"out": expected_out.detach().numpy()},
        call=call,
        oracle=oracle,
        mistakes=[
            Mistake(says, lambda m=m: {"out": m(*inputs.values(), **forward_kwargs)})
            for says, m in forward_mistakes
        ],
    )
    grads = torch.autograd.grad((expected_out * tensor(dout)).sum(), list(tensors.values()))
    expected = {f"d{k}": g.numpy() for k, g in zip(inputs, grads)}
    back = learner.fn(backward)
    back_call = f"{back.name}(dout={describe_value(dout)} (random), cache from your {call})"
    result = expect_tuple(back(dout, cache), tuple(expected), back_call)
    got = {k: expect_array(v, k, expected[k].shape, back_call) for k, v in zip(expected, result)}

    def outputs(m):
        value = m(dout, **inputs)
        return dict(zip(expected, value if isinstance(value, tuple) else (value,)))

    assert_matches(
        got,
        expected,
        call=back_call,
        oracle="torch autograd",
        mistakes=[Mistake(says, lambda m=m: outputs(m)) for says, m in backward_mistakes],
    )


@check(
    "06_gradient_flow/residual",
    "forward and backward match autograd (random dout)",
    regimes=("shapes",),
)
def residual_random(learner, rng):
    grade_residual(
        learner, rng, int(rng.integers(3, 8)), int(rng.integers(2, 6)), int(rng.integers(2, 7))
    )


@check(
    "06_gradient_flow/residual",
    "a batch of one sample, a wide hidden layer",
    regimes=("shapes",),
)
def residual_single(learner, rng):
    try:
        grade_residual(learner, rng, 1, 3, 16)
    except KataFailure as failure:
        if "has shape (3,), expected (1, 3)" not in str(failure):
            raise
        raise KataFailure(
            f"{failure}\n  looks like: the batch axis of a one-sample batch dropped "
            "(np.squeeze, or indexing [0]): a batch of N = 1 is still (1, D)."
        ) from None


@check(
    "06_gradient_flow/residual",
    "square layers (N = D = H) through an exact kink (pre = 0)",
    regimes=("shapes", "exact values"),
)
def residual_square_kink(learner, rng):
    # a hidden unit with a zero column of W1 and a zero bias sits exactly at pre = 0 on
    # every sample: relu'(0) = 0, so no gradient flows through it to W1, b1 or x
    inputs = residual_problem(rng, 4, 4, 4)
    unit = int(rng.integers(4))
    inputs["W1"][:, unit] = 0.0
    # every other unit is alive on exactly two of the four samples (its bias sits between
    # the middle two pre-activations), so dpre is never all zero and a transposed dW1 shows
    middle = np.sort(inputs["x"] @ inputs["W1"], axis=0)[1:3].mean(axis=0)
    inputs["b1"] = -middle
    inputs["b1"][unit] = 0.0
    grade_residual(learner, rng, 4, 4, 4, inputs=inputs)


@check(
    "06_gradient_flow/residual",
    "every hidden unit dead (b1 ≪ 0): out = x + b2, dx = dout, as new arrays",
    regimes=("aliasing", "exact values"),
)
def residual_dead(learner, rng):
    inputs = residual_problem(rng, 5, 3, 4)
    # below the most any sample could reach: every pre-activation is negative
    inputs["b1"] = -(np.abs(inputs["x"]) @ np.abs(inputs["W1"])).max(axis=0) - 1.0
    grade_residual(learner, rng, 5, 3, 4, inputs=inputs)


@check(
    "06_gradient_flow/residual",
    "views: x and dout transposed, weights strided, biases reversed",
    regimes=("layout",),
)
def residual_views(learner, rng):
    n, d, h = 5, 3, 4
    inputs = {
        "x": rng.normal(size=(d, n)).T,
        "W1": (rng.normal(size=(d, 2 * h)) / math.sqrt(d))[:, ::2],
        "b1": rng.normal(size=h)[::-1],
        "W2": (rng.normal(size=(d, h)) / math.sqrt(h)).T,
        "b2": rng.normal(size=2 * d)[::2],
    }
    grade_layer(
        learner,
        "residual_forward",
        "residual_backward",
        inputs,
        _residual,
        rng.normal(size=(d, n)).T,
        oracle=RESIDUAL_ORACLE,
        forward_mistakes=RESIDUAL_FORWARD_MISTAKES,
        backward_mistakes=RESIDUAL_BACKWARD_MISTAKES,
    )
