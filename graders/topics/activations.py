"""Graders of 02_activations: each activation and its derivative against torch.

Derivatives are compared with autograd of torch's own activation. Kinks are
tested exactly at the kink; "stable" katas run with numpy raising on overflow
(graders.engine.checks.STRICT_ERRSTATE) on logits up to ±1000, including arrays that
mix rows near 0 with rows near 1000 and rows that hold both −1000 and +1000. Where
precision is the contract (σ far in its left tail, tanh near 0), outputs are compared
with a relative tolerance alone. Every function is also called on non-contiguous views
(graders.drivers.activations.views_of), and, where some input needs no work (relu of
positive values, tanh of tiny ones, gelu of large ones), on that input, so that the
automatic check that nothing returned shares an argument's memory sees that path.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.activations import softmax_on_wrong_axis, views_of
from graders.engine.checks import (
    Mistake,
    assert_matches,
    check_outputs,
    elements_of,
    rows_of,
)
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable

SHAPES = [(7,), (3, 5), (2, 3, 4), (1,), (1, 5)]  # 1-D to 3-D, non-square, one sample

NO_RNG = "deterministic: takes no rng and draws nothing"
NO_STEPS = "one element-wise formula: no loop, schedule or stopping rule"
for _kata in ("sigmoid", "tanh", "relu", "gelu", "softmax"):
    not_applicable(f"02_activations/{_kata}", randomness=NO_RNG, process=NO_STEPS)
for _kata in ("sigmoid", "tanh", "gelu"):
    not_applicable(
        f"02_activations/{_kata}",
        hyperparameters="the functions take z alone: no keyword, mode or constant to vary",
    )
not_applicable(
    "02_activations/sigmoid",
    aliasing="σ(z) = z has no input that needs no work (σ maps every z into (0, 1) "
    "through exp), so no path can hand z back without changing it in place, which the "
    "in-place check catches; every call checks the float64 array type",
)
not_applicable(
    "02_activations/relu",
    extremes="piecewise linear: no exp, no division, no eps; a huge or tiny z is only "
    "multiplied by 1, 0 or negative_slope (tiny values beside the kink are in the "
    "exact-values check)",
)
not_applicable(
    "02_activations/softmax",
    aliasing="no input needs no work: every slice is exponentiated and normalised (a "
    "size-1 axis gives ones, visited in the shapes check), and softmax_jacobian builds a "
    "(K, K) matrix from a (K,) vector; every call checks the float64 array type",
)


def tensor(a):
    """a as a float64 tensor; torch takes no negative strides, so views are copied first."""
    return _tensor(np.ascontiguousarray(a))


def torch_value_and_grad(function, z):
    """function(z) and the element-wise derivative, by autograd (sum of outputs)."""
    t = tensor(z).requires_grad_(True)
    out = function(t)
    (grad,) = torch.autograd.grad(out.sum(), t)
    return out.detach().numpy(), grad.numpy()


def extreme_inputs(rng, shape=(4, 5)):
    """Random logits with ±1000, ±700 and 0 planted, and one row near 1000."""
    z = rng.normal(scale=3.0, size=shape)
    z.flat[:5] = [1000.0, -1000.0, 700.0, -700.0, 0.0]
    z[-1] = 1000.0 - rng.uniform(0, 5, size=shape[-1])
    return z


def with_zeros(rng, shape, scale=1.0):
    """Random values with exact zeros planted (every fourth element, the first included)."""
    z = rng.normal(scale=scale, size=shape)
    z.flat[:: max(1, z.size // 4)] = 0.0
    return z


def grade_elementwise(
    learner,
    function,
    z,
    torch_fn,
    *,
    derivative=False,
    kwargs=None,
    mistakes=(),
    stable_form=None,
    oracle=None,
    note="",
    relative=None,
):
    """One element-wise function (or its derivative) of the kata against torch.

    relative: also compare with this relative tolerance and no absolute one (where the
    contract is precision at tiny magnitudes)."""
    value, grad = torch_value_and_grad(lambda t: torch_fn(t, **(kwargs or {})), z)
    expected = {"output": grad if derivative else value}
    oracle = oracle or ("autograd of " if derivative else "") + torch_fn.__name__
    try:
        got = check_outputs(
            learner,
            function,
            (z,),
            expected,
            kwargs=kwargs,
            oracle=oracle,
            mistakes=mistakes,
            stable_form=stable_form,
            parts=list(elements_of(z)) if stable_form else (),
            note=note,
        )
    except LearnerRaised as raised:
        if np.ndim(z) < 2 or not _works_on_1d(learner.fn(function), z, kwargs):
            raise
        raise KataFailure(
            f"{function} only works on 1-D input: it raised "
            f"{type(raised.error).__name__}: {raised.error}\n"
            f"  called   {raised.call}\n"
            f"  and returns an answer for the same values flattened to 1-D, z.ravel().\n"
            "  An element-wise function takes z of any shape: use whole-array numpy "
            "(np.exp, np.tanh, np.where), not a loop over z or math.* functions, which see "
            "each row of a matrix as one number."
        ) from None
    if relative is not None:
        kwargs = kwargs or {}
        known = [Mistake(says, lambda m=m: {"output": m(z, **kwargs)}) for says, m in mistakes]
        assert_matches(
            got,
            expected,
            call=learner.fn(function).describe(z, **kwargs) + note,
            oracle=oracle + ", compared to a relative tolerance alone",
            mistakes=known,
            rtol=relative,
            atol=0.0,
        )


def _works_on_1d(fn, z, kwargs):
    """Diagnostics only: whether the learner's function returns on z flattened to 1-D."""
    try:
        with np.errstate(all="ignore"):
            fn(np.array(z, dtype=np.float64).ravel(), **(kwargs or {}))
    except (LearnerRaised, KataFailure, NotStarted):  # it fails on 1-D too: not this diagnosis
        return False
    return True


# ---------------------------------------------------------------- layout


LAYOUT_ADVICE = (
    "  A view (z.T, z[:, ::2], z[::-1]) is an ordinary array. Compute with whole-array "
    "operations on z itself. np.empty_like / np.zeros_like keep z's memory order, so "
    "out.reshape(-1) or out.ravel() of such an array is a copy, and what you write into "
    "it is lost; np.frombuffer, .data and as_strided see memory, not the array."
)


def on_views(z, grade, argument="z"):
    """grade(view, note) on each non-contiguous view of z's values (views_of). A failure
    that a contiguous copy of the same values does not have is told as a dependence on
    the memory layout; any other failure as it is."""
    for label, view in views_of(z):
        note = f"  ({argument} is {label})"
        try:
            grade(view, note)
        except (KataFailure, LearnerRaised) as failure:
            raise layout_failure(
                failure, label, lambda view=view: grade(np.ascontiguousarray(view), "")
            ) from None


def layout_failure(failure, label, retry):
    """The failure to report: a layout dependence when retry() (the same call on a
    contiguous copy) passes, else the failure itself."""
    try:
        retry()
    except (KataFailure, LearnerRaised, NotStarted):
        return failure  # wrong whatever the layout: the value checks say how
    if isinstance(failure, LearnerRaised):
        text = (
            f"your code raised {type(failure.error).__name__}: {failure.error}\n"
            f"  called   {failure.call}"
        )
    else:
        text = str(failure)
    return KataFailure(
        f"wrong on a non-contiguous input ({label}), right on a contiguous copy of the "
        "same values: the result depends on the memory layout\n"
        + "\n".join("  " + line for line in text.splitlines())
        + "\n"
        + LAYOUT_ADVICE
    )


def grade_views(learner, functions, z, **kwargs):
    """Each (function, torch_fn, derivative) of a kata on every view of z's values."""
    for function, torch_fn, derivative in functions:
        on_views(
            z,
            lambda view, note, f=function, t=torch_fn, d=derivative: grade_elementwise(
                learner, f, view, t, derivative=d, note=note, **kwargs
            ),
        )


# ---------------------------------------------------------------- sigmoid

SIGMOID_STABLE = (
    "never exponentiate a large positive number: with e = exp(−|z|), σ(z) = 1/(1 + e) "
    "for z ≥ 0 and e/(1 + e) for z < 0 (or 0.5·(1 + tanh(z/2)))."
)


def _sigmoid_grad_plus(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 + s)


def _sigmoid_zero_left_out(z):
    e = np.exp(-np.abs(z))
    return np.where(z > 0, 1 / (1 + e), np.where(z < 0, e / (1 + e), 0.0))


def _sigmoid_grad_zero_left_out(z):
    s = _sigmoid_zero_left_out(z)
    return s * (1 - s)


def _sigmoid_complement(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), 1.0 - 1.0 / (1.0 + e))


def _sigmoid_grad_complement(z):
    s = _sigmoid_complement(z)
    return s * (1.0 - s)


ZERO_LEFT_OUT = (
    "z = 0 falls through both masks (z > 0 and z < 0) and stays 0: σ(0) = 1/2; let one "
    "branch take z = 0 (z >= 0)."
)
COMPLEMENT = (
    "σ(z) for z < 0 computed from a number near 1, as 1 − σ(−z) or 0.5·(1 + tanh(z/2)): "
    "no overflow, but the difference loses its digits, and σ(−40) comes out 0, not 4e−18 "
    "(σ(−700) ≈ 1e−304 is a float). With e = exp(−|z|), e/(1 + e) keeps every digit."
)


def _sigmoid_by_tanh(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _sigmoid_grad_by_tanh(z):
    s = _sigmoid_by_tanh(z)
    return s * (1.0 - s)


BY_TANH = COMPLEMENT  # the same loss of digits, another formula
SIGMOID_MISTAKES = [
    (ZERO_LEFT_OUT, _sigmoid_zero_left_out),
    (COMPLEMENT, _sigmoid_complement),
    (BY_TANH, _sigmoid_by_tanh),
]
SIGMOID_GRAD_MISTAKES = [
    ("σ'(z) written as s·(1 + s): it is s·(1 − s).", _sigmoid_grad_plus),
    (ZERO_LEFT_OUT, _sigmoid_grad_zero_left_out),
    (COMPLEMENT, _sigmoid_grad_complement),
    (BY_TANH, _sigmoid_grad_by_tanh),
]


@check(
    "02_activations/sigmoid",
    "sigmoid matches torch.sigmoid on 1-D, 2-D, 3-D and one-sample input, z = 0 included",
    regimes=("shapes", "exact values"),
)
def sigmoid_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner, "sigmoid", with_zeros(rng, shape, 4), torch.sigmoid, mistakes=SIGMOID_MISTAKES
        )


@check("02_activations/sigmoid", "sigmoid is stable for z up to ±1000", regimes=("extremes",))
def sigmoid_stable(learner, rng):
    grade_elementwise(
        learner,
        "sigmoid",
        extreme_inputs(rng),
        torch.sigmoid,
        stable_form=SIGMOID_STABLE,
        mistakes=SIGMOID_MISTAKES,
    )


@check(
    "02_activations/sigmoid",
    "sigmoid and sigmoid_grad keep their relative precision for z from −700 to −20",
    regimes=("extremes",),
)
def sigmoid_left_tail(learner, rng):
    z = np.concatenate([[-700.0, -37.5, -20.0], -rng.uniform(20, 700, size=5)])
    # torch and e/(1 + e) agree to 1e-15 relative here; 1 − σ(−z) and 0.5·(1 + tanh(z/2))
    # are off by 1e-8 relative at −20 and by 100% below −37
    for function, derivative, mistakes in (
        ("sigmoid", False, SIGMOID_MISTAKES),
        ("sigmoid_grad", True, SIGMOID_GRAD_MISTAKES),
    ):
        grade_elementwise(
            learner,
            function,
            z,
            torch.sigmoid,
            derivative=derivative,
            mistakes=mistakes,
            stable_form=SIGMOID_STABLE,
            relative=1e-10,
        )


@check(
    "02_activations/sigmoid",
    "sigmoid_grad matches autograd of torch.sigmoid, z = 0 included",
    regimes=("shapes", "exact values"),
)
def sigmoid_grad_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner,
            "sigmoid_grad",
            with_zeros(rng, shape, 3),
            torch.sigmoid,
            derivative=True,
            mistakes=SIGMOID_GRAD_MISTAKES,
        )


@check("02_activations/sigmoid", "sigmoid_grad is stable for z up to ±1000", regimes=("extremes",))
def sigmoid_grad_stable(learner, rng):
    grade_elementwise(
        learner,
        "sigmoid_grad",
        extreme_inputs(rng),
        torch.sigmoid,
        derivative=True,
        mistakes=SIGMOID_GRAD_MISTAKES,
        stable_form="compute s = σ(z) stably, then s·(1 − s).",
    )


@check(
    "02_activations/sigmoid",
    "sigmoid and sigmoid_grad on non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def sigmoid_layout(learner, rng):
    grade_views(
        learner,
        [("sigmoid", torch.sigmoid, False), ("sigmoid_grad", torch.sigmoid, True)],
        with_zeros(rng, (3, 4), 4),
    )


# ---------------------------------------------------------------- tanh


def _tanh_grad_linear(z):
    return 1 - np.tanh(z)


def _tanh_by_sigmoid(z):
    e = np.exp(-2.0 * np.abs(z))
    return np.sign(z) * (2.0 / (1.0 + e) - 1.0)


TANH_MISTAKES = [
    (
        "tanh as 2σ(2z) − 1: right on paper, but for small z it subtracts two numbers near "
        "1 and loses the digits (tanh(1e−12) comes out wrong, tanh(1e−300) as 0); np.tanh "
        "keeps them.",
        _tanh_by_sigmoid,
    )
]
TANH_GRAD_MISTAKES = [("tanh'(z) written as 1 − tanh(z): it is 1 − tanh(z)².", _tanh_grad_linear)]


@check(
    "02_activations/tanh",
    "tanh matches torch.tanh on 1-D, 2-D, 3-D and one-sample input, z = 0 included",
    regimes=("shapes", "exact values"),
)
def tanh_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner, "tanh", with_zeros(rng, shape, 3), torch.tanh, mistakes=TANH_MISTAKES
        )


@check(
    "02_activations/tanh",
    "tanh_grad matches autograd of torch.tanh, z = 0 included",
    regimes=("shapes", "exact values"),
)
def tanh_grad_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner,
            "tanh_grad",
            with_zeros(rng, shape, 2),
            torch.tanh,
            derivative=True,
            mistakes=TANH_GRAD_MISTAKES,
        )


@check("02_activations/tanh", "tanh and tanh_grad hold at z = ±1000", regimes=("extremes",))
def tanh_extremes(learner, rng):
    z = extreme_inputs(rng)
    grade_elementwise(
        learner, "tanh", z, torch.tanh, stable_form="np.tanh is already stable; avoid exp(2z)."
    )
    grade_elementwise(
        learner,
        "tanh_grad",
        z,
        torch.tanh,
        derivative=True,
        stable_form="1 − tanh(z)², with np.tanh.",
    )


@check(
    "02_activations/tanh",
    "tanh keeps its relative precision for tiny z (1e−300 to 1e−5), tanh(z) = z there",
    regimes=("extremes", "aliasing"),
)
def tanh_tiny(learner, rng):
    signs = rng.choice([-1.0, 1.0], size=8)
    z = signs * np.array([1e-300, 1e-200, 1e-30, 1e-12, 3e-9, 1e-7, 1e-6, 1e-5])
    z *= rng.uniform(1, 2, size=z.size)
    # np.tanh and torch.tanh agree to 1e-16 relative; 2σ(2z) − 1 is 1e-6 off at 1e-10
    grade_elementwise(learner, "tanh", z, torch.tanh, mistakes=TANH_MISTAKES, relative=1e-10)
    grade_elementwise(learner, "tanh_grad", z, torch.tanh, derivative=True)
    # below 1e-8 tanh(z) is z itself in float64: nothing to compute, a new array still
    tiny = signs[:5] * rng.uniform(1e-12, 1e-9, size=5)
    grade_elementwise(learner, "tanh", tiny, torch.tanh, mistakes=TANH_MISTAKES, relative=1e-10)


@check(
    "02_activations/tanh",
    "tanh and tanh_grad on non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def tanh_layout(learner, rng):
    grade_views(
        learner,
        [("tanh", torch.tanh, False), ("tanh_grad", torch.tanh, True)],
        with_zeros(rng, (3, 4), 2),
    )


# ---------------------------------------------------------------- relu


def with_kinks(rng, shape):
    """Random values with exact zeros planted, and the smallest floats either side of 0:
    the kink is tested exactly at the kink and just beside it."""
    z = with_zeros(rng, shape)
    if z.size >= 4:
        z.flat[1], z.flat[2] = 5e-324, -5e-324
    return z


def _relu_grad_one_at_zero(z):
    return (z >= 0).astype(float)


def _leaky_on_positives(z, negative_slope=0.01):
    return np.where(z > 0, negative_slope * z, z)


def _leaky_constant(z, negative_slope=0.01):
    return np.where(z > 0, z, negative_slope)


def _leaky_as_max(z, negative_slope=0.01):
    if negative_slope <= 1:
        raise ValueError("max(z, slope·z) is leaky_relu for slopes up to 1")
    return np.maximum(z, negative_slope * z)


def _leaky_zero_slope_as_default(z, negative_slope=0.01):
    if negative_slope != 0:
        raise ValueError("only negative_slope = 0 can show this mistake")
    return np.where(z > 0, z, 0.01 * z)


def _leaky_grad_on_positives(z, negative_slope=0.01):
    return np.where(z > 0, negative_slope, 1.0)


def _leaky_grad_one_at_zero(z, negative_slope=0.01):
    return np.where(z >= 0, 1.0, negative_slope)


def _leaky_grad_zero_slope_as_default(z, negative_slope=0.01):
    if negative_slope != 0:
        raise ValueError("only negative_slope = 0 can show this mistake")
    return np.where(z > 0, 1.0, 0.01)


ZERO_SLOPE = (
    "negative_slope = 0 taken as 'not given' (`negative_slope or 0.01`): 0 is a value, "
    "and leaky_relu with slope 0 is relu."
)
LEAKY_MISTAKES = [
    (
        "leaky_relu as max(z, negative_slope·z): that is leaky_relu only for slopes ≤ 1; "
        "above 1 it picks the wrong branch on both sides (the slope lands on the "
        "positives). Use np.where(z > 0, z, negative_slope·z).",
        _leaky_as_max,
    ),
    (
        "leaky slope applied to the positives: z stays z for z > 0; negative inputs are "
        "multiplied by negative_slope.",
        _leaky_on_positives,
    ),
    (
        "a constant negative_slope for z < 0 (as the course says): Leaky ReLU multiplies, "
        "negative_slope · z, so that negative inputs still have a gradient.",
        _leaky_constant,
    ),
    (ZERO_SLOPE, _leaky_zero_slope_as_default),
]
LEAKY_GRAD_MISTAKES = [
    (
        "leaky slope applied to the positives: the gradient is 1 for z > 0 and "
        "negative_slope elsewhere.",
        _leaky_grad_on_positives,
    ),
    (
        "gradient 1 at z = 0: PyTorch takes the negative branch there, negative_slope.",
        _leaky_grad_one_at_zero,
    ),
    (ZERO_SLOPE, _leaky_grad_zero_slope_as_default),
]
RELU_GRAD_MISTAKES = [
    ("gradient 1 at z = 0: PyTorch's relu has gradient 0 there.", _relu_grad_one_at_zero)
]


def grade_leaky(learner, z, kwargs=None):
    grade_elementwise(
        learner, "leaky_relu", z, F.leaky_relu, kwargs=kwargs, mistakes=LEAKY_MISTAKES
    )
    grade_elementwise(
        learner,
        "leaky_relu_grad",
        z,
        F.leaky_relu,
        derivative=True,
        kwargs=kwargs,
        mistakes=LEAKY_GRAD_MISTAKES,
    )


@check(
    "02_activations/relu",
    "relu and relu_grad match torch, exactly at z = 0 and just beside it",
    regimes=("shapes", "exact values"),
)
def relu_values(learner, rng):
    for shape in SHAPES:
        z = with_kinks(rng, shape)
        grade_elementwise(learner, "relu", z, torch.relu)
        grade_elementwise(
            learner, "relu_grad", z, torch.relu, derivative=True, mistakes=RELU_GRAD_MISTAKES
        )


@check(
    "02_activations/relu",
    "leaky_relu matches F.leaky_relu, default slope 0.01",
    regimes=("hyperparameters", "shapes", "exact values"),
)
def leaky_default(learner, rng):
    for shape in SHAPES:
        grade_leaky(learner, with_kinks(rng, shape))


@check(
    "02_activations/relu",
    "leaky_relu and its gradient with negative_slope = 0.2",
    regimes=("hyperparameters",),
)
def leaky_custom(learner, rng):
    grade_leaky(learner, with_kinks(rng, (4, 6)), {"negative_slope": 0.2})


@check(
    "02_activations/relu",
    "leaky_relu at the slope's boundaries: 0 (relu), 1 (the identity) and 3 (above 1)",
    regimes=("hyperparameters", "exact values"),
)
def leaky_boundaries(learner, rng):
    for slope in (0.0, 1.0, 3.0):
        z = with_kinks(rng, (3, 4))
        z[0, -1], z[1, -1] = abs(z[0, -1]) + 0.5, -abs(z[1, -1]) - 0.5  # both signs, always
        grade_leaky(learner, z, {"negative_slope": slope})


@check(
    "02_activations/relu",
    "nothing to clip: relu and leaky_relu of positive z return new arrays",
    regimes=("aliasing",),
)
def relu_nothing_to_do(learner, rng):
    z = np.abs(rng.normal(size=(3, 4))) + 0.1
    grade_elementwise(learner, "relu", z, torch.relu)
    grade_elementwise(learner, "relu_grad", z, torch.relu, derivative=True)
    grade_leaky(learner, z)
    grade_elementwise(
        learner, "leaky_relu", rng.normal(size=6), F.leaky_relu, kwargs={"negative_slope": 1.0}
    )


@check(
    "02_activations/relu",
    "relu, leaky_relu and their gradients on non-contiguous views",
    regimes=("layout",),
)
def relu_layout(learner, rng):
    z = with_kinks(rng, (3, 4))
    grade_views(
        learner,
        [
            ("relu", torch.relu, False),
            ("relu_grad", torch.relu, True),
            ("leaky_relu", F.leaky_relu, False),
            ("leaky_relu_grad", F.leaky_relu, True),
        ],
        z,
    )
    on_views(z, lambda view, note: grade_elementwise(
        learner, "leaky_relu", view, F.leaky_relu, kwargs={"negative_slope": 0.3}, note=note
    ))  # fmt: skip


# ---------------------------------------------------------------- gelu


def gelu_tanh(t):
    return F.gelu(t, approximate="tanh")


GELU = "F.gelu(z, approximate='tanh')"


def _gelu_exact(z):
    return z * 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))


def _gelu_exact_grad(z):
    cdf = 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
    return cdf + z * np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)


def _gelu_no_cubic(z):
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * z))


def _gelu_tanh_by_exponentials(z):
    e = np.exp(2 * math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))
    return 0.5 * z * (1 + (e - 1) / (e + 1))


def _gelu_grad_no_product_rule(z):
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (z + 0.044715 * z**3))
    return 0.5 * z * (1 - t**2) * c * (1 + 3 * 0.044715 * z**2)


def _gelu_grad_gate_by_division(z):
    c = math.sqrt(2 / math.pi)
    t = np.tanh(c * (z + 0.044715 * z**3))
    gate = 0.5 * z * (1 + t) / z
    return gate + 0.5 * z * (1 - t**2) * c * (1 + 3 * 0.044715 * z**2)


GELU_MISTAKES = [
    (
        "this is the exact GELU, z·Φ(z) with erf: the kata uses the tanh approximation.",
        _gelu_exact,
    ),
    ("the 0.044715·z³ term is missing inside the tanh.", _gelu_no_cubic),
    (
        "tanh(u) written with exponentials, (e^{2u} − 1)/(e^{2u} + 1): e^{2u} overflows to "
        "inf once u > 355 (z > ~21) and inf/inf = nan. Use np.tanh, which saturates at ±1.",
        _gelu_tanh_by_exponentials,
    ),
]
GELU_GRAD_MISTAKES = [
    (
        "this is the exact GELU's derivative: differentiate the tanh approximation.",
        _gelu_exact_grad,
    ),
    (
        "product rule incomplete: d/dz [0.5·z·(1 + tanh u)] = 0.5·(1 + tanh u) + "
        "0.5·z·(1 − tanh² u)·du/dz.",
        _gelu_grad_no_product_rule,
    ),
    (
        "the gate 0.5·(1 + tanh u) recovered as gelu(z)/z: 0/0 = nan at z = 0, where the "
        "derivative is 1/2. Compute 0.5·(1 + tanh u) directly.",
        _gelu_grad_gate_by_division,
    ),
]


def grade_gelu(learner, z, **kwargs):
    grade_elementwise(learner, "gelu", z, gelu_tanh, oracle=GELU, mistakes=GELU_MISTAKES, **kwargs)


def grade_gelu_grad(learner, z, **kwargs):
    grade_elementwise(
        learner,
        "gelu_grad",
        z,
        gelu_tanh,
        derivative=True,
        oracle="autograd of " + GELU,
        mistakes=GELU_GRAD_MISTAKES,
        **kwargs,
    )


@check(
    "02_activations/gelu",
    "gelu matches F.gelu(approximate='tanh'), z = 0 included",
    regimes=("shapes", "exact values"),
)
def gelu_values(learner, rng):
    for shape in SHAPES:
        grade_gelu(learner, with_zeros(rng, shape, 2))


@check(
    "02_activations/gelu",
    "gelu_grad matches autograd of the tanh approximation, z = 0 included",
    regimes=("shapes", "exact values"),
)
def gelu_grad_values(learner, rng):
    for shape in SHAPES:
        grade_gelu_grad(learner, with_zeros(rng, shape, 2))


@check(
    "02_activations/gelu",
    "gelu and gelu_grad at large |z| (±25 to ±1e100): no nan",
    regimes=("extremes", "exact values"),
)
def gelu_extremes(learner, rng):
    z = rng.normal(scale=2, size=(3, 4))
    z.flat[:8] = [1000.0, -1000.0, 25.0, -25.0, 0.0, rng.uniform(30, 300), 1e100, -1e100]
    grade_gelu(learner, z)
    grade_gelu_grad(learner, z)


@check(
    "02_activations/gelu",
    "gelu of z > 10 is z itself in float64: a new array all the same",
    regimes=("aliasing",),
)
def gelu_identity_range(learner, rng):
    z = rng.uniform(10, 1000, size=(2, 3))
    grade_gelu(learner, z)
    grade_gelu_grad(learner, z)


@check(
    "02_activations/gelu",
    "gelu and gelu_grad on non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def gelu_layout(learner, rng):
    z = with_zeros(rng, (3, 4), 2)
    on_views(z, lambda view, note: grade_gelu(learner, view, note=note))
    on_views(z, lambda view, note: grade_gelu_grad(learner, view, note=note))


# ---------------------------------------------------------------- softmax

SOFTMAX_STABLE = (
    "subtract each slice's own maximum before exp (z − z.max(axis, keepdims=True)): "
    "softmax is unchanged by the shift and exp never sees a positive number."
)


WRONG_AXIS = (
    "normalised over the wrong axis: sum (and take the max) along `axis`, with keepdims=True."
)


def _softmax_last_axis(z, axis=-1):
    """Diagnostics only: softmax over the last axis, whatever `axis` says."""
    if axis % z.ndim == z.ndim - 1:
        raise ValueError("only another axis can show this mistake")
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _softmax_global_max(z, axis=-1):
    e = np.exp(z - np.max(z))
    return e / np.sum(e, axis=axis, keepdims=True)


def _softmax_axis_zero_as_default(z, axis=-1):
    if axis != 0 or z.ndim < 2:
        raise ValueError("only axis = 0 can show this mistake")
    return _softmax_last_axis(z, 0)


SOFTMAX_MISTAKES = [
    (
        "a max taken over the whole array instead of along the axis: z − z.max() shifts "
        "every slice by the largest logit anywhere, so a slice far below it underflows "
        "(its e^z become subnormal or 0); take z.max(axis=axis, keepdims=True).",
        _softmax_global_max,
    ),
    (
        "axis = 0 taken as 'not given' (`axis or -1`): 0 is an axis; test `axis is None` "
        "if you must, or simply use axis as given.",
        _softmax_axis_zero_as_default,
    ),
    (
        "axis argument ignored: normalised over the last axis whatever `axis` says; take "
        "the max and the sum along `axis`.",
        _softmax_last_axis,
    ),
    (WRONG_AXIS, softmax_on_wrong_axis),
    (WRONG_AXIS, lambda z, axis=-1: softmax_on_wrong_axis(z, axis, max_too=False)),
]


def grade_softmax(learner, z, axis=None, stable=False, note=""):
    """softmax(z, axis=axis) against torch; axis None: called without it (the default, -1)."""
    dim = -1 if axis is None else axis
    with torch.no_grad():
        expected = torch.softmax(tensor(z), dim=dim).numpy()
    check_outputs(
        learner,
        "softmax",
        (z,),
        {"output": expected},
        kwargs={} if axis is None else {"axis": axis},
        oracle=f"torch.softmax(z, dim={dim})",
        mistakes=SOFTMAX_MISTAKES,
        stable_form=SOFTMAX_STABLE if stable else None,
        parts=list(rows_of(z, dim)) if stable else (),
        note=note,
    )


@check(
    "02_activations/softmax",
    "softmax matches torch.softmax, axis=-1 and axis=0, 1-D to 3-D",
    regimes=("hyperparameters", "shapes"),
)
def softmax_values(learner, rng):
    grade_softmax(learner, rng.normal(size=6), -1)
    grade_softmax(learner, rng.normal(size=(4, 5)), -1)
    grade_softmax(learner, rng.normal(size=(2, 3, 4)), -1)
    grade_softmax(learner, rng.normal(size=(2, 3, 4)), 1)  # before axis 0: see the mistakes
    grade_softmax(learner, rng.normal(size=(4, 5)), 0)


@check(
    "02_activations/softmax",
    "the default axis, every axis of a 3-D input, square input, N = 1, a size-1 axis",
    regimes=("hyperparameters", "shapes"),
)
def softmax_axes(learner, rng):
    grade_softmax(learner, rng.normal(size=(3, 5)))  # axis left at its default, -1
    z = rng.normal(size=(2, 3, 4))
    for axis in (0, 1, 2, -2, -3):
        grade_softmax(learner, z, axis)
    square = rng.normal(size=(4, 4))
    grade_softmax(learner, square, 0)
    grade_softmax(learner, square, 1)
    grade_softmax(learner, rng.normal(size=(1, 5)), -1)  # one sample
    grade_softmax(learner, rng.normal(size=(1, 5)), 0)  # a size-1 axis: all ones
    grade_softmax(learner, rng.normal(size=(4, 1)))


@check(
    "02_activations/softmax",
    "softmax is stable: logits ±1000 in one row, rows near 0 and near 1000",
    regimes=("extremes",),
)
def softmax_stable(learner, rng):
    z = rng.normal(size=(4, 6))
    z[1] += 1000.0  # a row near 1000 next to rows near 0
    z[2, 0] = -1000.0
    z[3, :2] = [1000.0, -1000.0]  # both ends of the range in one slice
    rng.shuffle(z[3])
    grade_softmax(learner, z, -1, stable=True)
    grade_softmax(learner, z.T.copy(), 0, stable=True)
    offset = rng.normal(size=(2, 3, 4)) + 1e6  # a large common offset
    grade_softmax(learner, offset, 1, stable=True)


@check(
    "02_activations/softmax",
    "softmax of rows near 0 beside a row near 738: each slice's own max",
    regimes=("extremes",),
)
def softmax_mixed_rows(learner, rng):
    z = rng.uniform(-1, 1, size=(3, 5))
    z[1] = 738.0 - rng.uniform(0, 2, size=5)
    z[1, rng.integers(5)] = 738.0
    # shifted by 738, the rows near 0 fall to e^-739: subnormal floats, whose relative
    # precision is ~1e-3 there, so a global max gives wrong values (and no overflow)
    grade_softmax(learner, z, -1, stable=True)
    grade_softmax(learner, z.T.copy(), 0, stable=True)


@check(
    "02_activations/softmax",
    "ties and zeros: equal logits give equal probabilities, tied maxima",
    regimes=("exact values",),
)
def softmax_ties(learner, rng):
    z = rng.normal(size=(4, 5))
    z[0] = 0.0  # all zeros: uniform
    z[1] = 2.5  # all equal
    z[2, :2] = z[2].max() + 1.0  # two tied maxima
    grade_softmax(learner, z, -1)
    grade_softmax(learner, z, 0)


@check(
    "02_activations/softmax",
    "softmax on non-contiguous views (transposed, strided, reversed), along each axis",
    regimes=("layout",),
)
def softmax_layout(learner, rng):
    z = rng.normal(scale=2, size=(3, 5))
    for axis in (-1, 0):
        on_views(z, lambda view, note, a=axis: grade_softmax(learner, view, a, note=note))
    s = torch.softmax(tensor(rng.normal(size=4)), dim=0).numpy()
    on_views(s, lambda view, note: grade_jacobian(learner, view, note=note), argument="s")


def _jacobian_negated(s):
    return np.outer(s, s) - np.diag(s)


def _jacobian_diagonal_only(s):
    return np.diag(s * (1 - s))


def grade_jacobian(learner, s, note=""):
    """softmax_jacobian(s) against torch's Jacobian of softmax at log(s) (s > 0)."""
    expected = torch.autograd.functional.jacobian(
        lambda t: torch.softmax(t, dim=0), torch.log(tensor(s))
    ).numpy()
    check_outputs(
        learner,
        "softmax_jacobian",
        (s,),
        {"J": expected},
        oracle="torch.autograd.functional.jacobian of torch.softmax at log(s)",
        mistakes=[
            ("sign flipped: J = diag(s) − s sᵀ.", _jacobian_negated),
            (
                "off-diagonal terms missing: ∂s_i/∂z_j = −s_i s_j for i ≠ j.",
                _jacobian_diagonal_only,
            ),
        ],
        note=note,
    )


@check(
    "02_activations/softmax",
    "softmax_jacobian matches torch.autograd.functional.jacobian, K = 1 to 5",
    regimes=("shapes",),
)
def softmax_jacobian_values(learner, rng):
    for k in (1, 2, 5):
        z = rng.normal(size=k)
        grade_jacobian(learner, np.exp(z) / np.exp(z).sum())


@check(
    "02_activations/softmax",
    "softmax_jacobian at a uniform s (ties) and at a nearly one-hot s",
    regimes=("exact values", "extremes"),
)
def softmax_jacobian_special(learner, rng):
    grade_jacobian(learner, np.full(4, 0.25))
    z = np.array([0.0, -30.0, -300.0, -600.0])
    rng.shuffle(z)
    with torch.no_grad():
        s = torch.softmax(tensor(z), dim=0).numpy()  # entries down to 1e-261, none 0
    grade_jacobian(learner, s)
