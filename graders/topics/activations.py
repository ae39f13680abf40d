"""Graders of 02_activations: each activation and its derivative against torch.

Derivatives are compared with autograd of torch's own activation. Kinks are
tested exactly at the kink; "stable" katas run with numpy raising on overflow
(graders.engine.checks.STRICT_ERRSTATE) on logits up to ±1000, including arrays that
mix rows near 0 with rows near 1000.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.activations import softmax_on_wrong_axis
from graders.engine.checks import check_outputs, elements_of, rows_of
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor
from graders.engine.registry import check

SHAPES = [(7,), (3, 5), (2, 3, 4)]


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
):
    """One element-wise function (or its derivative) of the kata against torch."""
    value, grad = torch_value_and_grad(lambda t: torch_fn(t, **(kwargs or {})), z)
    try:
        check_outputs(
            learner,
            function,
            (z,),
            {"output": grad if derivative else value},
            kwargs=kwargs,
            oracle=oracle or ("autograd of " if derivative else "") + torch_fn.__name__,
            mistakes=mistakes,
            stable_form=stable_form,
            parts=list(elements_of(z)) if stable_form else (),
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


def _works_on_1d(fn, z, kwargs):
    """Diagnostics only: whether the learner's function returns on z flattened to 1-D."""
    try:
        with np.errstate(all="ignore"):
            fn(np.array(z, dtype=np.float64).ravel(), **(kwargs or {}))
    except (LearnerRaised, KataFailure, NotStarted):  # it fails on 1-D too: not this diagnosis
        return False
    return True


# ---------------------------------------------------------------- sigmoid

SIGMOID_STABLE = (
    "never exponentiate a large positive number: with e = exp(−|z|), σ(z) = 1/(1 + e) "
    "for z ≥ 0 and e/(1 + e) for z < 0 (or 0.5·(1 + tanh(z/2)))."
)


def _sigmoid_grad_plus(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 + s)


SIGMOID_GRAD_MISTAKES = [("σ'(z) written as s·(1 + s): it is s·(1 − s).", _sigmoid_grad_plus)]


@check("02_activations/sigmoid", "sigmoid matches torch.sigmoid on 1-D, 2-D and 3-D input")
def sigmoid_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(learner, "sigmoid", rng.normal(scale=4, size=shape), torch.sigmoid)


@check("02_activations/sigmoid", "sigmoid is stable for z up to ±1000")
def sigmoid_stable(learner, rng):
    grade_elementwise(
        learner, "sigmoid", extreme_inputs(rng), torch.sigmoid, stable_form=SIGMOID_STABLE
    )


@check("02_activations/sigmoid", "sigmoid_grad matches autograd of torch.sigmoid")
def sigmoid_grad_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner,
            "sigmoid_grad",
            rng.normal(scale=3, size=shape),
            torch.sigmoid,
            derivative=True,
            mistakes=SIGMOID_GRAD_MISTAKES,
        )


@check("02_activations/sigmoid", "sigmoid_grad is stable for z up to ±1000")
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


# ---------------------------------------------------------------- tanh


def _tanh_grad_linear(z):
    return 1 - np.tanh(z)


@check("02_activations/tanh", "tanh matches torch.tanh on 1-D, 2-D and 3-D input")
def tanh_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(learner, "tanh", rng.normal(scale=3, size=shape), torch.tanh)


@check("02_activations/tanh", "tanh_grad matches autograd of torch.tanh, z = 0 included")
def tanh_grad_values(learner, rng):
    for shape in SHAPES:
        z = rng.normal(scale=2, size=shape)
        z.flat[0] = 0.0
        grade_elementwise(
            learner,
            "tanh_grad",
            z,
            torch.tanh,
            derivative=True,
            mistakes=[("tanh'(z) written as 1 − tanh(z): it is 1 − tanh(z)².", _tanh_grad_linear)],
        )


@check("02_activations/tanh", "tanh and tanh_grad hold at z = ±1000")
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


# ---------------------------------------------------------------- relu


def with_kinks(rng, shape):
    """Random values with exact zeros planted: the kink is tested exactly at the kink."""
    z = rng.normal(size=shape)
    z.flat[:: max(1, z.size // 4)] = 0.0
    return z


def _relu_grad_one_at_zero(z):
    return (z >= 0).astype(float)


def _leaky_on_positives(z, negative_slope=0.01):
    return np.where(z > 0, negative_slope * z, z)


def _leaky_constant(z, negative_slope=0.01):
    return np.where(z > 0, z, negative_slope)


def _leaky_grad_on_positives(z, negative_slope=0.01):
    return np.where(z > 0, negative_slope, 1.0)


def _leaky_grad_one_at_zero(z, negative_slope=0.01):
    return np.where(z >= 0, 1.0, negative_slope)


LEAKY_MISTAKES = [
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
]


@check("02_activations/relu", "relu and relu_grad match torch, exactly at z = 0 too")
def relu_values(learner, rng):
    for shape in SHAPES:
        z = with_kinks(rng, shape)
        grade_elementwise(learner, "relu", z, torch.relu)
        grade_elementwise(
            learner,
            "relu_grad",
            z,
            torch.relu,
            derivative=True,
            mistakes=[
                (
                    "gradient 1 at z = 0: PyTorch's relu has gradient 0 there.",
                    _relu_grad_one_at_zero,
                )
            ],
        )


@check("02_activations/relu", "leaky_relu matches F.leaky_relu, default slope 0.01")
def leaky_default(learner, rng):
    for shape in SHAPES:
        z = with_kinks(rng, shape)
        grade_elementwise(learner, "leaky_relu", z, F.leaky_relu, mistakes=LEAKY_MISTAKES)
        grade_elementwise(
            learner,
            "leaky_relu_grad",
            z,
            F.leaky_relu,
            derivative=True,
            mistakes=LEAKY_GRAD_MISTAKES,
        )


@check("02_activations/relu", "leaky_relu and its gradient with negative_slope = 0.2")
def leaky_custom(learner, rng):
    z = with_kinks(rng, (4, 6))
    kwargs = {"negative_slope": 0.2}
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


# ---------------------------------------------------------------- gelu


def gelu_tanh(t):
    return F.gelu(t, approximate="tanh")


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


@check("02_activations/gelu", "gelu matches F.gelu(approximate='tanh')")
def gelu_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner,
            "gelu",
            rng.normal(scale=2, size=shape),
            gelu_tanh,
            oracle="F.gelu(z, approximate='tanh')",
            mistakes=[
                (
                    "this is the exact GELU, z·Φ(z) with erf: the kata uses the tanh "
                    "approximation.",
                    _gelu_exact,
                ),
                ("the 0.044715·z³ term is missing inside the tanh.", _gelu_no_cubic),
            ],
        )


@check("02_activations/gelu", "gelu_grad matches autograd of the tanh approximation")
def gelu_grad_values(learner, rng):
    for shape in SHAPES:
        grade_elementwise(
            learner,
            "gelu_grad",
            rng.normal(scale=2, size=shape),
            gelu_tanh,
            derivative=True,
            oracle="autograd of F.gelu(z, approximate='tanh')",
            mistakes=[
                (
                    "this is the exact GELU's derivative: differentiate the tanh approximation.",
                    _gelu_exact_grad,
                ),
                (
                    "product rule incomplete: d/dz [0.5·z·(1 + tanh u)] = 0.5·(1 + tanh u) + "
                    "0.5·z·(1 − tanh² u)·du/dz.",
                    _gelu_grad_no_product_rule,
                ),
            ],
        )


GELU_EXTREME_MISTAKES = [
    (
        "tanh(u) written with exponentials, (e^{2u} − 1)/(e^{2u} + 1): e^{2u} overflows to "
        "inf once u > 355 (z > ~21) and inf/inf = nan. Use np.tanh, which saturates at ±1.",
        _gelu_tanh_by_exponentials,
    ),
]


@check("02_activations/gelu", "gelu and gelu_grad at large |z| (±25 to ±1000): no nan")
def gelu_extremes(learner, rng):
    z = rng.normal(scale=2, size=(3, 4))
    z.flat[:6] = [1000.0, -1000.0, 25.0, -25.0, 0.0, rng.uniform(30, 300)]
    grade_elementwise(
        learner,
        "gelu",
        z,
        gelu_tanh,
        oracle="F.gelu(z, approximate='tanh')",
        mistakes=GELU_EXTREME_MISTAKES,
    )
    grade_elementwise(
        learner,
        "gelu_grad",
        z,
        gelu_tanh,
        derivative=True,
        oracle="autograd of F.gelu(z, approximate='tanh')",
    )


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


SOFTMAX_MISTAKES = [
    (
        "axis argument ignored: normalised over the last axis whatever `axis` says; take "
        "the max and the sum along `axis`.",
        _softmax_last_axis,
    ),
    (WRONG_AXIS, softmax_on_wrong_axis),
    (WRONG_AXIS, lambda z, axis=-1: softmax_on_wrong_axis(z, axis, max_too=False)),
]


def grade_softmax(learner, z, axis, stable=False):
    with torch.no_grad():
        expected = torch.softmax(tensor(z), dim=axis).numpy()
    check_outputs(
        learner,
        "softmax",
        (z,),
        {"output": expected},
        kwargs={"axis": axis},
        oracle=f"torch.softmax(z, dim={axis})",
        mistakes=SOFTMAX_MISTAKES,
        stable_form=SOFTMAX_STABLE if stable else None,
        parts=list(rows_of(z, axis)) if stable else (),
    )


@check("02_activations/softmax", "softmax matches torch.softmax, axis=-1 and axis=0, 1-D to 3-D")
def softmax_values(learner, rng):
    grade_softmax(learner, rng.normal(size=6), -1)
    grade_softmax(learner, rng.normal(size=(4, 5)), -1)
    grade_softmax(learner, rng.normal(size=(4, 5)), 0)
    grade_softmax(learner, rng.normal(size=(2, 3, 4)), -1)
    grade_softmax(learner, rng.normal(size=(2, 3, 4)), 1)


@check("02_activations/softmax", "softmax is stable: logits ±1000, rows near 0 and near 1000")
def softmax_stable(learner, rng):
    z = rng.normal(size=(3, 6))
    z[1] += 1000.0  # a row near 1000 next to rows near 0
    z[2, 0] = -1000.0
    grade_softmax(learner, z, -1, stable=True)
    grade_softmax(learner, z.T.copy(), 0, stable=True)


def _jacobian_negated(s):
    return np.outer(s, s) - np.diag(s)


def _jacobian_diagonal_only(s):
    return np.diag(s * (1 - s))


@check("02_activations/softmax", "softmax_jacobian matches torch.autograd.functional.jacobian")
def softmax_jacobian_values(learner, rng):
    for k in (1, 2, 5):
        z = rng.normal(size=k)
        s = np.exp(z) / np.exp(z).sum()
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
        )
