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

from graders.engine.checks import Mistake, assert_matches, expect_array, expect_float
from graders.engine.describe import first_difference
from graders.engine.layer_checks import check_layer
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check

# ---------------------------------------------------------------- initialization

# Two-sided bounds at 5.5 standard errors: a normal tail beyond 5.5σ has probability
# 3.8e-8, so each statistical threshold below fails a correct sampler less than once
# in 10^6 runs even after the few approximations involved.
Z_BOUND = 5.5
# Two-sample KS at α = 1e-6: D > c(α)·sqrt((n + m)/(n·m)), c(α) = sqrt(−ln(α/2)/2).
KS_C = math.sqrt(-math.log(1e-6 / 2) / 2)


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
        ],
    ),
}


def grade_init(learner, kind, fan_in, fan_out, seed, gain=None):
    uniform, variance, mistakes = INIT[kind]
    g = 1.0 if gain is None else float(gain)
    fn = learner.fn(kind)
    kwargs = {} if gain is None else {"gain": gain}
    call = fn.describe(fan_in, fan_out, np.random.default_rng(seed), **kwargs)
    W = expect_array(
        fn(fan_in, fan_out, np.random.default_rng(seed), **kwargs), "W", (fan_in, fan_out), call
    )
    n = W.size
    want_var = variance(fan_in, fan_out, g)
    got_var = float(W.var())
    kurtosis = 9 / 5 if uniform else 3.0
    var_tol = Z_BOUND * math.sqrt((kurtosis - 1) / n)  # relative standard error of the variance
    problems = []
    if abs(float(W.mean())) > Z_BOUND * math.sqrt(want_var / n):
        problems.append(
            f"mean {W.mean():.4g}, expected 0 within {Z_BOUND * math.sqrt(want_var / n):.2g}"
        )
    if abs(got_var / want_var - 1) > var_tol:
        problems.append(
            f"variance {got_var:.5g}, expected {want_var:.5g} within {100 * var_tol:.1f}%"
        )
    if uniform:
        bound = math.sqrt(3 * want_var)
        if np.abs(W).max() > bound * (1 + 1e-12):
            problems.append(f"values up to {np.abs(W).max():.5g} outside the bound ±{bound:.5g}")
        # P(all n draws inside (1 − 3e-4)·bound) = (1 − 3e-4)^n ≈ e^-18 for n = 60000
        elif np.abs(W).max() < bound * (1 - 3e-4):
            problems.append(
                f"largest |value| {np.abs(W).max():.5g}, but U(−a, a) with "
                f"a = {bound:.5g} reaches close to a"
            )
    reference = torch_init_samples(kind, fan_in, fan_out, seed + 1, g)
    ks = ks_statistic(W, reference)
    ks_limit = KS_C * math.sqrt(2 / n)
    if ks > ks_limit:
        problems.append(
            f"two-sample KS statistic {ks:.4f} against torch.nn.init samples, "
            f"limit {ks_limit:.4f} (the shape of the distribution differs)"
        )
    if problems:
        looks = next(
            (says for says, v in mistakes if abs(got_var / v(fan_in, fan_out, g) - 1) <= var_tol),
            "",
        )
        raise KataFailure(
            f"wrong distribution\n  called   {call}\n  "
            + "\n  ".join(problems)
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


@check("06_gradient_flow/initialization", "xavier_uniform: bounds, mean, variance, KS vs torch")
def xavier_uniform_distribution(learner, rng):
    grade_init(learner, "xavier_uniform", 300, 200, int(rng.integers(1 << 30)))


@check("06_gradient_flow/initialization", "xavier_uniform with gain 5/3 (tanh), fan_in < fan_out")
def xavier_uniform_gain(learner, rng):
    grade_init(learner, "xavier_uniform", 120, 500, int(rng.integers(1 << 30)), gain=5 / 3)


@check("06_gradient_flow/initialization", "xavier_normal: mean, variance, KS vs torch, gain 5/3")
def xavier_normal_distribution(learner, rng):
    grade_init(learner, "xavier_normal", 300, 200, int(rng.integers(1 << 30)))
    grade_init(learner, "xavier_normal", 120, 500, int(rng.integers(1 << 30)), gain=5 / 3)


@check("06_gradient_flow/initialization", "he_normal: mean, variance 2/fan_in, KS vs torch")
def he_normal_distribution(learner, rng):
    grade_init(learner, "he_normal", 400, 150, int(rng.integers(1 << 30)))


@check("06_gradient_flow/initialization", "gain as a numpy 0-d array: same draws, left unchanged")
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
            f"against torch.nn.init samples, limit {ks_limit:.4f}"
            + (
                f"\n  every value is ±{abs(got[0]):.5g}\n  looks like: {standardised}"
                if equal
                else ""
            )
            + "\n  (the threshold fails a correct sampler with probability below 1e-6)"
        )


@check("06_gradient_flow/initialization", "tiny layers (1×1, 2×1): finite, distributed as torch's")
def init_tiny(learner, rng):
    for kind in INIT:
        seed = int(rng.integers(1 << 30))
        grade_tiny(learner, kind, 1, 1, seed, draws=1)
        grade_tiny(learner, kind, 2, 1, seed + 1)


@check("06_gradient_flow/initialization", "same seed, same array; other seed, other array")
def init_reproducible(learner, rng):
    for kind in INIT:
        grade_reproducible(learner, kind)


# ---------------------------------------------------------------- vanishing

TORCH_ACTIVATION = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_layer_norms(x, weights, activation):
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


def grade_norms(learner, x, weights, activation):
    expected = torch_layer_norms(x, weights, activation)
    fn = learner.fn("layer_gradient_norms")
    call = fn.describe(x, weights, activation)
    got = fn(x, weights, activation)
    if not isinstance(got, (list, tuple, np.ndarray)) or len(got) != len(weights):
        raise KataFailure(
            f"wrong result\n  called   {call}\n  expected a list of "
            f"{len(weights)} floats, one per layer, got {got!r:.80}"
        )
    got = [expect_float(v, "norm", call) for v in got]
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


@check("06_gradient_flow/vanishing", "norms match autograd for sigmoid, tanh and relu stacks")
def vanishing_values(learner, rng):
    for activation in TORCH_ACTIVATION:
        sizes = [int(n) for n in rng.integers(3, 7, size=5)]
        weights = [rng.normal(size=(a, b)) / math.sqrt(a) for a, b in zip(sizes, sizes[1:])]
        grade_norms(learner, rng.normal(size=(6, sizes[0])), weights, activation)


@check("06_gradient_flow/vanishing", "10 layers: sigmoid norms decay, relu with He init hold")
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


@check("06_gradient_flow/vanishing", "relu stack through exact kinks (z = 0): relu'(0) = 0")
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


# ---------------------------------------------------------------- diagnostics


def expect_indices(got, name, call):
    array = np.asarray(got)
    if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
        raise KataFailure(
            f"wrong {name}\n  called   {call}\n  expected a 1-D array of unit "
            f"indices (ints), got {got!r:.80}"
        )
    return array


def compare_indices(got, expected, call, mistakes=()):
    if np.array_equal(np.sort(got), expected) and not np.array_equal(got, expected):
        raise KataFailure(f"indices not ascending\n  called   {call}\n  got {got.tolist()}")
    if not np.array_equal(got, expected):
        looks = next((says for says, m in mistakes if np.array_equal(m(), got)), "")
        missing = sorted(set(expected.tolist()) - set(got.tolist()))
        extra = sorted(set(got.tolist()) - set(expected.tolist()))
        raise KataFailure(
            f"wrong units\n  called   {call}\n  got      {got.tolist()}\n"
            f"  expected {expected.tolist()}\n  missing {missing}, not expected {extra}"
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


@check("06_gradient_flow/diagnostics", "dead_relu_units: never positive, exact zeros included")
def dead_units(learner, rng):
    z = planted_pre_activations(rng)
    expected = torch.nonzero(torch.all(tensor(z) <= 0, dim=0)).flatten().numpy()
    fn = learner.fn("dead_relu_units")
    call = fn.describe(z)
    got = expect_indices(fn(z), "dead units", call)
    compare_indices(
        got,
        expected,
        call,
        [
            (
                "z < 0 instead of z ≤ 0: a unit at exactly 0 has zero gradient too.",
                lambda: np.flatnonzero(np.all(z < 0, axis=0)),
            ),
            (
                "any sample instead of every sample: a unit is dead when it is never positive.",
                lambda: np.flatnonzero(np.any(z <= 0, axis=0)),
            ),
        ],
    )


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


@check("06_gradient_flow/diagnostics", "saturated_units for sigmoid and tanh, tol 1e-3 and 1e-2")
def saturated(learner, rng):
    fn = learner.fn("saturated_units")
    for kind, tol in [("sigmoid", None), ("tanh", None), ("tanh", 1e-2), ("sigmoid", 1e-2)]:
        a = planted_activations(rng, kind)
        t = 1e-3 if tol is None else tol
        kwargs = {} if tol is None else {"tol": tol}
        call = fn.describe(a, kind, **kwargs)
        got = expect_indices(fn(a, kind, **kwargs), "saturated units", call)
        compare_indices(
            got,
            torch_saturated(a, kind, t),
            call,
            [
                (
                    "the derivative computed from a as if it were the pre-activation: the inputs are "
                    "outputs a, so σ' = a(1 − a) and tanh' = 1 − a².",
                    lambda a=a, t=t, kind=kind: np.flatnonzero(
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
                    lambda a=a, t=t, kind=kind: np.flatnonzero(
                        np.any((a * (1 - a) if kind == "sigmoid" else 1 - a**2) < t, axis=0)
                    ),
                ),
            ],
        )


# ---------------------------------------------------------------- clipping


def gradient_list(rng, scale):
    shapes = [(3, 4), (5,), (2, 2, 3)]
    return [rng.normal(scale=scale, size=s) for s in shapes]


def torch_clip_norm(grads, max_norm, norm_type):
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = tensor(g)
        params.append(p)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    return [p.grad.numpy() for p in params], float(total)


def expect_array_list(got, like, name, call):
    if not isinstance(got, (list, tuple)) or len(got) != len(like):
        raise KataFailure(
            f"wrong {name}\n  called   {call}\n  expected a list of "
            f"{len(like)} arrays, got {got!r:.80}"
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


def _scaled_up(grads, max_norm, norm_type=2.0):
    total = _norm(grads, norm_type)
    return [g * max_norm / (total + 1e-6) for g in grads], total


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


# first: at the limit the answers differ by ~1e-6 relative, so the mistakes that equal the
# right answer there (norm_type ignored at p = 2, ...) would match too
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
        "the absolute value missing in the p-norm: (Σ g^p)^(1/p) is right for p = 2 only; "
        "the p-norm is (Σ |g|^p)^(1/p).",
        _no_abs,
    ),
    (
        "each array clipped by its own norm: clip_grad_norm computes one norm over all arrays "
        "together and scales them all by the same factor.",
        _each_own_norm,
    ),
    (
        "arrays scaled up when under the limit: the factor is min(1, max_norm/(total + 1e-6)).",
        _scaled_up,
    ),
    (
        "the norm after clipping returned: torch returns the total norm before clipping.",
        _norm_after,
    ),
]


def grade_clip_norm(learner, grads, max_norm, norm_type, note=""):
    expected, total = torch_clip_norm(grads, max_norm, norm_type)
    fn = learner.fn("clip_grad_norm")
    kwargs = {} if norm_type == 2.0 else {"norm_type": norm_type}
    call = fn.describe(grads, max_norm, **kwargs) + note
    result = fn(grads, max_norm, **kwargs)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected (clipped, "
            f"total_norm), got {result!r:.80}"
        )
    clipped = expect_array_list(result[0], grads, "clipped", call)
    got = {f"clipped[{i}]": c for i, c in enumerate(clipped)}
    got["total_norm"] = expect_float(result[1], "total_norm", call)
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
    )


@check("06_gradient_flow/clipping", "clip_grad_norm (2-norm) above and below the limit")
def clip_norm_two(learner, rng):
    grade_clip_norm(learner, gradient_list(rng, 3.0), 1.0, 2.0)
    grade_clip_norm(learner, gradient_list(rng, 0.05), 5.0, 2.0)


@check("06_gradient_flow/clipping", "clip_grad_norm with norm_type 1 and inf")
def clip_norm_other(learner, rng):
    grade_clip_norm(learner, gradient_list(rng, 2.0), 1.5, 1.0)
    grade_clip_norm(learner, gradient_list(rng, 2.0), 0.5, math.inf)
    grade_clip_norm(learner, gradient_list(rng, 0.01), 0.5, math.inf)


@check("06_gradient_flow/clipping", "clip_grad_norm with the total norm at the limit")
def clip_norm_at_limit(learner, rng):
    # max_norm equal to the total norm (a hair above it, 1e-10 relative, so that rounding
    # in the learner's own norm cannot put it over): torch still scales, by
    # max_norm/(total + 1e-6), a change of ~1e-6 relative that the comparison sees
    grads = gradient_list(rng, 0.3)
    total = float(torch.linalg.vector_norm(torch.cat([tensor(g).ravel() for g in grads])))
    grade_clip_norm(
        learner,
        grads,
        total * (1 + 1e-10),
        2.0,
        note="\n           max_norm = the total 2-norm of grads",
    )


@check("06_gradient_flow/clipping", "clip_grad_value matches torch.nn.utils.clip_grad_value_")
def clip_value(learner, rng):
    grads = gradient_list(rng, 2.0)
    clip = float(rng.uniform(0.3, 1.5))
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = tensor(g)
        params.append(p)
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


# ---------------------------------------------------------------- residual


def _residual_no_identity(dout, x, W1, b1, W2, b2):
    pre = x @ W1 + b1
    hidden = np.maximum(pre, 0)
    dpre = dout @ W2.T * (pre > 0)
    return dpre @ W1.T, x.T @ dpre, dpre.sum(0), hidden.T @ dout, dout.sum(0)


def _residual(x, W1, b1, W2, b2):
    return x + torch.relu(x @ W1 + b1) @ W2 + b2


def grade_residual(learner, rng, n, d, h):
    check_layer(
        learner,
        "residual_forward",
        "residual_backward",
        {
            "x": rng.normal(size=(n, d)),
            "W1": rng.normal(size=(d, h)) / math.sqrt(d),
            "b1": rng.normal(size=h),
            "W2": rng.normal(size=(h, d)) / math.sqrt(h),
            "b2": rng.normal(size=d),
        },
        _residual,
        rng=rng,
        oracle="x + relu(x @ W1 + b1) @ W2 + b2 in torch",
        forward_mistakes=[
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
        ],
        backward_mistakes=[
            (
                "the identity path left out of dx: out = x + F(x), so "
                "dx = dout + (the gradient through F).",
                _residual_no_identity,
            )
        ],
    )


@check("06_gradient_flow/residual", "forward and backward match autograd (random dout)")
def residual_random(learner, rng):
    grade_residual(
        learner, rng, int(rng.integers(3, 8)), int(rng.integers(2, 6)), int(rng.integers(2, 7))
    )


@check("06_gradient_flow/residual", "a batch of one sample, a wide hidden layer")
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
