"""Graders of 04_losses: each (loss, gradient) pair against torch.nn.functional and autograd.

Losses reduce as PyTorch's default reduction="mean". Every gradient is compared
with autograd of the oracle loss; "stable" katas run with numpy raising on
overflow (graders.engine.checks.STRICT_ERRSTATE) on logits up to ±1000.
Besides random inputs, every check builds on purpose what exposes a mistake:
exact matches (the kink of |d|), |d| exactly delta, confident wrong logits (where
log(p + ε) caps the loss), ties, transposed and strided views, large offsets.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.activations import softmax_on_wrong_axis
from graders.drivers.losses import cross_entropy as _ce
from graders.drivers.losses import strided, transposed
from graders.engine.checks import (
    Mistake,
    assert_fast_enough,
    assert_matches,
    call_strictly,
    check_outputs,
    expect_array,
    expect_tuple,
    rows_of,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor as _contiguous_tensor  # noqa: F401 (float64 default)
from graders.engine.registry import check, not_applicable

NO_RNG = "takes no rng: the loss is a deterministic function of its inputs"
NO_STEPS = "one evaluation of a loss and its gradient: no steps, epochs or schedule"
not_applicable(
    "04_losses/mse",
    hyperparameters="mse_loss(pred, target) has no parameter besides its two inputs",
    randomness=NO_RNG,
    process=NO_STEPS,
)
not_applicable("04_losses/huber", randomness=NO_RNG, process=NO_STEPS)
not_applicable(
    "04_losses/binary_cross_entropy",
    hyperparameters="bce_with_logits(logits, targets) has no parameter besides its two inputs",
    randomness=NO_RNG,
    process=NO_STEPS,
)
not_applicable("04_losses/cross_entropy", randomness=NO_RNG, process=NO_STEPS)


def tensor(a) -> torch.Tensor:
    """A float64 tensor holding a copy of a (torch refuses arrays with negative strides)."""
    return torch.tensor(np.array(a, dtype=np.float64))


def torch_loss_and_grad(loss_fn, pred, *others, **kwargs):
    """loss_fn(pred, *others) as a float, and its gradient with respect to pred."""
    p = tensor(pred).requires_grad_(True)
    rest = [
        torch.as_tensor(np.array(o))
        if np.issubdtype(np.asarray(o).dtype, np.integer)
        else tensor(o)
        for o in others
    ]
    loss = loss_fn(p, *rest, **kwargs)
    (grad,) = torch.autograd.grad(loss, p)
    return float(loss.detach()), grad.numpy()


def regression_pair(rng, shape):
    pred = rng.normal(size=shape)
    target = pred + rng.normal(scale=1.5, size=shape)
    target.flat[0] = pred.flat[0]  # one exact match: the kink of |d|
    return pred, target


SHAPES = [(1,), (9,), (4, 3), (1, 3)]


def expect_loss(value, call: str) -> float:
    """The loss must be a float (a Python float or numpy float64), not an array or an int."""
    problem = None
    if isinstance(value, np.ndarray):
        problem = (
            f"{describe_value(value)}, not a float: return float(...) of the mean "
            "(a 0-d or one-element array is an array)"
        )
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, (float, np.floating)):
        problem = f"{describe_value(value)}, not a float"
    elif np.asarray(value).dtype != np.float64:
        problem = f"a {np.asarray(value).dtype} number; katas compute in float64"
    if problem:
        raise KataFailure(f"wrong loss\n  called   {call}\n  loss is {problem}")
    return float(value)


SQUEEZED = (
    "the size-1 axis squeezed away (np.squeeze, .item() or float() on a one-sample batch): "
    "return {0} with the input's shape, whatever N is."
)


def grade_loss(
    learner,
    function,
    args,
    torch_fn,
    *,
    kwargs=None,
    torch_kwargs=None,
    oracle,
    grad_name="dpred",
    mistakes=(),
    stable_form=None,
    parts=(),
    note="",
):
    """Call the learner's (loss, gradient) function once and compare both with torch.

    mistakes: (says, function of the learner's arguments) pairs. stable_form: graded with
    numpy raising on overflow, nan and division by zero (call_strictly).
    """
    kwargs = kwargs or {}
    loss, grad = torch_loss_and_grad(torch_fn, *args, **(torch_kwargs or kwargs))
    fn = learner.fn(function)
    call = fn.describe(*args, **kwargs) + note
    if stable_form is None:
        result = fn(*args, **kwargs)
    else:
        result = call_strictly(fn, *args, stable_form=stable_form, parts=parts, **kwargs)
    got_loss, got_grad = expect_tuple(result, ("loss", grad_name), call)
    got = {"loss": expect_loss(got_loss, call)}
    try:
        got[grad_name] = expect_array(got_grad, grad_name, grad.shape, call)
    except KataFailure as failure:
        # a gradient of the wrong type or shape where the input has a size-1 axis (N = 1)
        if 1 in np.shape(args[0]):
            raise KataFailure(f"{failure}\n  looks like: {SQUEEZED.format(grad_name)}") from None
        raise

    def as_dict(outputs):
        return dict(zip(("loss", grad_name), outputs))

    known = [Mistake(says, lambda m=m: as_dict(m(*args, **kwargs))) for says, m in mistakes]
    assert_matches(got, {"loss": loss, grad_name: grad}, call=call, oracle=oracle, mistakes=known)
    return got


# ---------------------------------------------------------------- mse


def _mse_grad_sum(pred, target):
    d = pred - target
    return float(np.mean(d**2)), 2 * d


def _mse_grad_no_two(pred, target):
    d = pred - target
    return float(np.mean(d**2)), d / d.size


def _mse_per_sample_sum(pred, target):
    d = pred - target
    return float(np.sum(d**2) / len(d)), 2 * d / len(d)


def _memory_order_difference(pred, target, order="K"):
    """pred − target paired by memory order (ravel(order='K' or 'A')), not by index."""
    return (pred.ravel(order=order) - target.ravel(order=order)).reshape(pred.shape)


def _mse_memory_order(pred, target, order="K"):
    d = _memory_order_difference(pred, target, order)
    return float(np.mean(d**2)), 2 * d / d.size


def _mse_expanded(pred, target):
    loss = np.mean(pred**2) - 2 * np.mean(pred * target) + np.mean(target**2)
    return float(loss), 2 * (pred - target) / pred.size


MEMORY_ORDER = (
    "elements paired in memory order (ravel(order='K') or 'A', .flat on a raw buffer): "
    "on a transposed or strided view the memory order is not the index order, so "
    "{a}[i, j] met another element of {b}. Work on the arrays as they are ({a} − {b}), "
    "or flatten with np.ravel / reshape (index order)."
)
MSE_MISTAKES = [
    (
        "gradient not divided by the element count: the loss is a mean over all "
        "elements, so dpred = 2·(pred − target)/n.",
        _mse_grad_sum,
    ),
    ("factor 2 missing: d/dpred (pred − target)² = 2·(pred − target).", _mse_grad_no_two),
    (
        "averaged over the rows only: reduction='mean' averages over every element.",
        _mse_per_sample_sum,
    ),
    (MEMORY_ORDER.format(a="pred", b="target"), _mse_memory_order),
    (MEMORY_ORDER.format(a="pred", b="target"), lambda p, t: _mse_memory_order(p, t, "A")),
    (
        "the square expanded, mean(pred²) − 2·mean(pred·target) + mean(target²): with a "
        "large common offset the three terms are huge and nearly cancel, and rounding "
        "leaves noise instead of the loss. Square the difference: mean((pred − target)²).",
        _mse_expanded,
    ),
]
MSE_ORACLE = "F.mse_loss (mean) and autograd"


def grade_mse(learner, pred, target, note=""):
    grade_loss(
        learner,
        "mse_loss",
        (pred, target),
        F.mse_loss,
        oracle=MSE_ORACLE,
        mistakes=MSE_MISTAKES,
        note=note,
    )


@check(
    "04_losses/mse",
    "mse_loss matches F.mse_loss and autograd, N = 1 and 2-D too",
    regimes=("shapes", "exact values"),
)
def mse_values(learner, rng):
    for shape in SHAPES:
        grade_mse(learner, *regression_pair(rng, shape))


@check("04_losses/mse", "mse_loss on 3-D input with large errors", regimes=("shapes",))
def mse_large(learner, rng):
    pred = rng.normal(size=(2, 3, 4))
    grade_mse(learner, pred, pred + rng.normal(scale=100, size=pred.shape))


@check(
    "04_losses/mse",
    "non-contiguous inputs: transposed, reversed and strided views",
    regimes=("layout",),
)
def mse_layout(learner, rng):
    pred, target = regression_pair(rng, (5, 3))
    grade_mse(learner, transposed(pred), strided(target), note="  (pred a transposed view)")
    grade_mse(learner, strided(pred), transposed(target), note="  (target a transposed view)")
    pred, target = regression_pair(rng, (7,))
    grade_mse(learner, transposed(pred), target, note="  (pred reversed: a negative stride)")


@check(
    "04_losses/mse",
    "a large common offset (1e8), mixed scales in one array, tiny magnitudes",
    regimes=("extremes",),
)
def mse_extremes(learner, rng):
    pred, target = regression_pair(rng, (4, 3))
    grade_mse(learner, pred + 1e8, target + 1e8, note="  (pred and target near 1e8)")
    scales = 10.0 ** rng.permutation(np.arange(-6, 6)).reshape(4, 3)
    grade_mse(learner, pred * scales, target * scales, note="  (elements from 1e-6 to 1e5)")
    grade_mse(learner, pred * 1e-150, target * 1e-150, note="  (magnitudes near 1e-150)")


@check(
    "04_losses/mse",
    "a perfect fit (pred equal to target, all zero too): loss 0, a new zero gradient",
    regimes=("exact values", "aliasing"),
)
def mse_perfect_fit(learner, rng):
    pred = rng.normal(size=(3, 4))
    grade_mse(learner, pred, pred.copy(), note="  (target equal to pred)")
    grade_mse(learner, np.zeros((2, 3)), np.zeros((2, 3)), note="  (both all zero)")


# ---------------------------------------------------------------- huber


def _mae_grad_sum(pred, target):
    d = pred - target
    return float(np.mean(np.abs(d))), np.sign(d)


def _mae_grad_one_at_zero(pred, target):
    d = pred - target
    return float(np.mean(np.abs(d))), np.where(d >= 0, 1.0, -1.0) / d.size


def _mae_memory_order(pred, target, order="K"):
    d = _memory_order_difference(pred, target, order)
    return float(np.mean(np.abs(d))), np.sign(d) / d.size


def _huber(d, delta):
    small = np.abs(d) < delta
    loss = np.where(small, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))
    return float(np.mean(loss)), np.where(small, d, delta * np.sign(d)) / d.size


def _huber_as_smooth_l1(pred, target, delta=1.0):
    d = pred - target
    small = np.abs(d) < delta
    loss = np.where(small, 0.5 * d**2 / delta, np.abs(d) - 0.5 * delta)
    return float(np.mean(loss)), np.where(small, d / delta, np.sign(d)) / d.size


def _huber_delta_ignored(pred, target, delta=1.0):
    d = pred - target
    small = np.abs(d) < 1.0
    loss = np.where(small, 0.5 * d**2, np.abs(d) - 0.5)
    return float(np.mean(loss)), np.where(small, d, np.sign(d)) / d.size


def _huber_switch_at_one(pred, target, delta=1.0):
    d = pred - target
    small = np.abs(d) < 1.0
    loss = np.where(small, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))
    return float(np.mean(loss)), np.where(small, d, delta * np.sign(d)) / d.size


def _huber_two_masks(pred, target, delta=1.0):
    d = pred - target
    inner, outer = np.abs(d) < delta, np.abs(d) > delta
    loss = np.where(inner, 0.5 * d**2, 0.0) + np.where(
        outer, delta * (np.abs(d) - 0.5 * delta), 0.0
    )
    grad = np.where(inner, d, 0.0) + np.where(outer, delta * np.sign(d), 0.0)
    return float(np.mean(loss)), grad / d.size


def _huber_square_minus_excess(pred, target, delta=1.0):
    d = pred - target
    excess = np.maximum(np.abs(d) - delta, 0.0)
    return float(np.mean(0.5 * d**2 - 0.5 * excess**2)), (d - np.sign(d) * excess) / d.size


def _huber_memory_order(pred, target, delta=1.0, order="K"):
    return _huber(_memory_order_difference(pred, target, order), delta)


MAE_MISTAKES = [
    ("gradient not divided by the element count: sign(d)/n.", _mae_grad_sum),
    (
        "gradient ±1 where pred equals target: PyTorch uses sign(0) = 0.",
        _mae_grad_one_at_zero,
    ),
    (MEMORY_ORDER.format(a="pred", b="target"), _mae_memory_order),
    (MEMORY_ORDER.format(a="pred", b="target"), lambda p, t: _mae_memory_order(p, t, "A")),
    (
        "|d| computed as sqrt(d²): d² overflows to inf past 1e154 (and rounds to 0 below "
        "1e-162) where |d| itself is fine; use np.abs(d).",
        lambda p, t: (float(np.mean(np.sqrt((p - t) ** 2))), np.sign(p - t) / np.size(p)),
    ),
]
HUBER_MISTAKES = [
    (
        "this is SmoothL1Loss (Huber divided by delta): F.huber_loss is 0.5·d² inside "
        "delta and delta·(|d| − 0.5·delta) outside.",
        _huber_as_smooth_l1,
    ),
    (
        "delta ignored: the switch from quadratic to linear happens at |d| = delta.",
        _huber_delta_ignored,
    ),
    (
        "delta ignored in the switch: the quadratic part ends at |d| = delta, not at |d| = 1.",
        _huber_switch_at_one,
    ),
    (MEMORY_ORDER.format(a="pred", b="target"), _huber_memory_order),
    (
        MEMORY_ORDER.format(a="pred", b="target"),
        lambda p, t, delta=1.0: _huber_memory_order(p, t, delta, "A"),
    ),
    (
        "the linear piece as 0.5·d² − 0.5·(|d| − delta)²: equal on paper, but for |d| far "
        "beyond delta it subtracts two nearly equal squares and rounding eats the result "
        "(and d² overflows past 1e154); write it delta·(|d| − 0.5·delta).",
        _huber_square_minus_excess,
    ),
    (
        "|d| exactly delta falls in neither piece (two masks, |d| < delta and |d| > delta): "
        "there both pieces give 0.5·delta² and a gradient of ±delta; use one mask and "
        "np.where(small, quadratic, linear).",
        _huber_two_masks,
    ),
]


def grade_mae(learner, pred, target, note=""):
    grade_loss(
        learner,
        "mae_loss",
        (pred, target),
        F.l1_loss,
        oracle="F.l1_loss (mean) and autograd",
        mistakes=MAE_MISTAKES,
        note=note,
    )


def grade_huber(learner, pred, target, delta=None, note=""):
    kwargs = {} if delta is None else {"delta": delta}
    grade_loss(
        learner,
        "huber_loss",
        (pred, target),
        F.huber_loss,
        kwargs=kwargs,
        oracle=f"F.huber_loss(delta={1.0 if delta is None else delta:g}) and autograd",
        mistakes=HUBER_MISTAKES,
        note=note,
    )


@check(
    "04_losses/huber",
    "mae_loss matches F.l1_loss and autograd, exact zeros included",
    regimes=("shapes", "exact values"),
)
def mae_values(learner, rng):
    for shape in SHAPES:
        grade_mae(learner, *regression_pair(rng, shape))


@check(
    "04_losses/huber",
    "huber_loss matches F.huber_loss, delta = 1",
    regimes=("hyperparameters", "shapes"),
)
def huber_default(learner, rng):
    for shape in SHAPES:
        grade_huber(learner, *regression_pair(rng, shape))


@check(
    "04_losses/huber",
    "huber_loss with delta = 0.3 and delta = 2.5",
    regimes=("hyperparameters",),
)
def huber_custom(learner, rng):
    for delta in (0.3, 2.5):
        grade_huber(learner, *regression_pair(rng, (5, 4)), delta=delta)


@check(
    "04_losses/huber",
    "huber_loss at delta's extremes: 1e-4 (almost all linear) and 1e6 (all quadratic)",
    regimes=("hyperparameters",),
)
def huber_delta_extremes(learner, rng):
    pred, target = regression_pair(rng, (4, 3))
    # |d| from 1e5 to 1e6 but the exact match: a loss of ~delta·|d|, where a form that
    # subtracts two squares of |d| loses every digit
    far = target + np.sign(target - pred) * 10.0 ** rng.uniform(5, 6, size=target.shape)
    grade_huber(learner, pred, far, delta=1e-4, note="  (|pred − target| from 1e5 to 1e6)")
    grade_huber(learner, pred, target * 100, delta=1e6, note="  (every |d| below delta)")


@check(
    "04_losses/huber",
    "|pred − target| exactly delta (and 0): where the two pieces meet",
    regimes=("exact values",),
)
def huber_threshold(learner, rng):
    for delta in (1.0, 0.5, 0.25):
        # dyadic values: target ± delta is exact, so |pred − target| == delta exactly
        target = rng.integers(-16, 16, size=(3, 4)) / 8.0
        sign = rng.choice([-1.0, 1.0], size=(3, 4))
        offsets = np.where(rng.permutation(12).reshape(3, 4) < 8, delta, 0.0)
        offsets.flat[rng.integers(12)] = 3 * delta  # one beyond, one quadratic at least
        offsets.flat[(rng.integers(12) + 5) % 12] = delta / 2
        pred = target + sign * offsets
        note = f"  (|pred − target| exactly {delta:g} in most elements)"
        grade_huber(learner, pred, target, delta=None if delta == 1.0 else delta, note=note)
    grade_mae(learner, target, target.copy(), note="  (pred equal to target)")


@check(
    "04_losses/huber",
    "non-contiguous inputs: transposed, reversed and strided views",
    regimes=("layout",),
)
def huber_layout(learner, rng):
    pred, target = regression_pair(rng, (5, 3))
    grade_mae(learner, transposed(pred), strided(target), note="  (pred a transposed view)")
    grade_huber(learner, strided(pred), transposed(target), delta=0.7,
                note="  (target a transposed view)")  # fmt: skip
    pred, target = regression_pair(rng, (6,))
    grade_huber(learner, transposed(pred), target, note="  (pred reversed: a negative stride)")


@check(
    "04_losses/huber",
    "differences from 1e-200 to 1e200 in one array, and a common offset of 1e8",
    regimes=("extremes",),
)
def huber_extremes(learner, rng):
    d = rng.choice([-1.0, 1.0], size=(3, 4)) * 10.0 ** rng.permutation(
        [-200, -100, -8, -1, 0, 0.3, 1, 8, 12, 100, 150, 200]
    ).reshape(3, 4)
    target = rng.normal(size=(3, 4)) * np.abs(d)  # on the scale of d, so pred − target ≈ d
    note = "  (|pred − target| from 1e-200 to 1e200)"
    grade_mae(learner, target + d, target, note=note)
    grade_huber(learner, target + d, target, note=note)
    pred, target = regression_pair(rng, (3, 4))
    grade_huber(learner, pred + 1e8, target + 1e8, delta=0.5, note="  (values near 1e8)")


@check(
    "04_losses/huber",
    "a perfect fit (pred equal to target, all zero too): loss 0, a new zero gradient",
    regimes=("exact values", "aliasing"),
)
def huber_perfect_fit(learner, rng):
    pred = rng.normal(size=(3, 4))
    grade_mae(learner, pred, pred.copy(), note="  (target equal to pred)")
    grade_huber(learner, pred, pred.copy(), note="  (target equal to pred)")
    for grade in (grade_mae, grade_huber):
        grade(learner, np.zeros((2, 3)), np.zeros((2, 3)), note="  (both all zero)")


# ---------------------------------------------------------------- binary cross-entropy

BCE_STABLE = (
    "never take log(sigmoid(z)): loss = max(z, 0) − z·y + log(1 + exp(−|z|)) "
    "(np.logaddexp(0, −|z|) for the last term)."
)
# the epsilons people put inside a log (Keras 1e-7, scikit-learn 1e-15, ...)
EPSILONS = (1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-15, 1e-16, float(np.finfo(float).eps))
EPSILON_SAYS = (
    "log(p + ε) (ε = {eps:g}{how}): an epsilon inside the log caps the loss of a confident "
    "wrong answer at −log ε ≈ {cap:.3g} (a logit 1000 on the wrong side costs 1000), and "
    "moves a confident right one off 0. Nearly right on typical inputs, wrong at confident "
    "logits. Work from the logits: {stable}"
)


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _bce_grad_sum(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    loss = np.mean(np.logaddexp(0, logits) - logits * targets)
    return float(loss), p - targets


def _bce_sign(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    loss = np.mean(np.logaddexp(0, logits) - logits * targets)
    return float(loss), (targets - p) / logits.size


def _bce_hard_label_branch(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    loss = np.where(targets == 1, np.logaddexp(0, -logits), np.logaddexp(0, logits))
    return float(np.mean(loss)), (p - targets) / logits.size


def _bce_grad_rows(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    loss = np.mean(np.logaddexp(0, logits) - logits * targets)
    return float(loss), (p - targets) / len(logits)


def _bce_epsilon(logits, targets, eps, clip):
    p = _sigmoid(logits)
    q, add = (np.clip(p, eps, 1 - eps), 0.0) if clip else (p, eps)
    loss = -(targets * np.log(q + add) + (1 - targets) * np.log(1 - q + add))
    return float(np.mean(loss)), (p - targets) / logits.size


def _bce_memory_order(logits, targets, order="K"):
    z = logits.ravel(order=order).reshape(logits.shape)
    y = targets.ravel(order=order).reshape(logits.shape)
    loss = np.logaddexp(0, z) - z * y
    return float(np.mean(loss)), (_sigmoid(z) - y) / z.size


def epsilon_mistakes(function, stable):
    return [
        (
            EPSILON_SAYS.format(
                eps=eps,
                how=", p clipped to [ε, 1 − ε]" if clip else "",
                cap=-np.log(eps),
                stable=stable,
            ),
            lambda *a, eps=eps, clip=clip, **k: function(*a, eps=eps, clip=clip, **k),
        )
        for eps in EPSILONS
        for clip in (False, True)
    ]


BCE_MISTAKES = [
    ("gradient not divided by the element count: (σ(z) − y)/n.", _bce_grad_sum),
    (
        "gradient averaged over the rows only: the loss is a mean over all N·K elements, "
        "so dlogits = (σ(z) − y)/(N·K).",
        _bce_grad_rows,
    ),
    ("gradient sign flipped: ∂loss/∂z = (σ(z) − y)/n.", _bce_sign),
    (
        "the log term picked by the label (−log p where y == 1, −log(1 − p) elsewhere): "
        "right for hard 0/1 targets only; a soft target y weighs both, "
        "−[y·log p + (1 − y)·log(1 − p)].",
        _bce_hard_label_branch,
    ),
    (MEMORY_ORDER.format(a="logits", b="targets"), _bce_memory_order),
    (MEMORY_ORDER.format(a="logits", b="targets"), lambda z, y: _bce_memory_order(z, y, "A")),
    *epsilon_mistakes(_bce_epsilon, "max(z, 0) − z·y + log(1 + e^(−|z|))."),
]


def grade_bce(learner, logits, targets, stable=False, note=""):
    grade_loss(
        learner,
        "bce_with_logits",
        (logits, targets),
        F.binary_cross_entropy_with_logits,
        oracle="F.binary_cross_entropy_with_logits (mean) and autograd",
        grad_name="dlogits",
        mistakes=BCE_MISTAKES,
        stable_form=BCE_STABLE if stable else None,
        parts=[
            (f"logit {z:.6g} with target {y:g}", (np.array([z]), np.array([y])))
            for z, y in zip(logits.ravel(), targets.ravel())
        ]
        if stable
        else (),
        note=note,
    )


@check(
    "04_losses/binary_cross_entropy",
    "matches F.binary_cross_entropy_with_logits, (N,) and (N, K)",
    regimes=("shapes",),
)
def bce_values(learner, rng):
    for shape in SHAPES:
        logits = rng.normal(scale=3, size=shape)
        grade_bce(learner, logits, (rng.uniform(size=shape) < 0.5).astype(float))


@check("04_losses/binary_cross_entropy", "soft targets in [0, 1]", regimes=("shapes",))
def bce_soft(learner, rng):
    grade_bce(learner, rng.normal(scale=2, size=(6, 2)), rng.uniform(size=(6, 2)))


@check(
    "04_losses/binary_cross_entropy",
    "stable for logits up to ±1000, right and wrong, hard and soft targets",
    regimes=("extremes",),
)
def bce_stable(learner, rng):
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0, 0.0, 3.0, 1000.0, -1000.0])
    targets = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.3, 0.8])
    order = rng.permutation(len(logits))
    grade_bce(learner, logits[order], targets[order], stable=True)


@check(
    "04_losses/binary_cross_entropy",
    "logits exactly 0, targets exactly 0, 0.5 and 1",
    regimes=("exact values",),
)
def bce_exact(learner, rng):
    logits = rng.normal(scale=2, size=(3, 4))
    logits[:, 0] = 0.0  # σ(0) = 0.5: the switch of a two-branch sigmoid
    targets = rng.choice([0.0, 0.5, 1.0], size=(3, 4))
    targets[0, 0] = 0.5  # σ(z) = y: a zero gradient
    grade_bce(learner, logits, targets, stable=True)


@check(
    "04_losses/binary_cross_entropy",
    "confident and right everywhere (loss 0, gradient 0): a new gradient array",
    regimes=("aliasing", "extremes"),
)
def bce_confident(learner, rng):
    logits = -rng.uniform(40, 1000, size=(2, 3))
    grade_bce(learner, logits, np.zeros((2, 3)), stable=True, note="  (targets all 0)")
    targets = (rng.uniform(size=(2, 3)) < 0.5).astype(float)
    targets[0, 0], targets[0, 1] = 0.0, 1.0
    grade_bce(learner, np.where(targets == 1, -logits, logits), targets, stable=True,
              note="  (each logit far on its target's side)")  # fmt: skip


@check(
    "04_losses/binary_cross_entropy",
    "non-contiguous inputs: transposed, reversed and strided views",
    regimes=("layout",),
)
def bce_layout(learner, rng):
    logits = rng.normal(scale=3, size=(5, 3))
    targets = rng.uniform(size=(5, 3))
    grade_bce(learner, transposed(logits), strided(targets), note="  (logits a transposed view)")
    grade_bce(learner, strided(logits), transposed(targets),
              note="  (targets a transposed view)")  # fmt: skip
    grade_bce(learner, transposed(logits[:, 0]), targets[:, 0].copy(),
              note="  (logits reversed: a negative stride)")  # fmt: skip


# ---------------------------------------------------------------- cross-entropy

CE_STABLE = (
    "subtract each row's maximum before exp, and take log_softmax = shifted − "
    "log(sum(exp(shifted))): never log(softmax(z)), which is log(0) for far-off classes."
)


def ce_problem(rng, n, k, scale=2.0):
    return rng.normal(scale=scale, size=(n, k)), rng.integers(0, k, size=n)


def _log_softmax_wrong_axis(z, axis=-1, max_too=True):
    return np.log(softmax_on_wrong_axis(z, axis, max_too))


def _log_softmax_last_axis(z, axis=-1):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


LOG_SOFTMAX_WRONG_AXIS = "normalised over the wrong axis: reduce along `axis` with keepdims=True."
LOG_SOFTMAX_MISTAKES = [
    (
        "axis ignored: normalised over the last axis whatever `axis` says; reduce along `axis`.",
        _log_softmax_last_axis,
    ),
    (LOG_SOFTMAX_WRONG_AXIS, _log_softmax_wrong_axis),
    (LOG_SOFTMAX_WRONG_AXIS, lambda z, axis=-1: _log_softmax_wrong_axis(z, axis, max_too=False)),
]


def grade_log_softmax(learner, z, axis=None, stable=False, note=""):
    kwargs = {} if axis is None else {"axis": axis}
    dim = -1 if axis is None else axis
    with torch.no_grad():
        expected = F.log_softmax(tensor(z), dim=dim).numpy()
    check_outputs(
        learner,
        "log_softmax",
        (z,),
        {"output": expected},
        kwargs=kwargs,
        oracle=f"F.log_softmax(z, dim={dim})",
        mistakes=LOG_SOFTMAX_MISTAKES,
        stable_form=CE_STABLE if stable else None,
        parts=list(rows_of(z, dim)) if stable else (),
        note=note,
    )


@check(
    "04_losses/cross_entropy",
    "log_softmax matches F.log_softmax, axis=-1 and 0, 1-D to 3-D",
    regimes=("hyperparameters", "shapes"),
)
def log_softmax_values(learner, rng):
    for shape, axis in [((6,), -1), ((4, 5), -1), ((4, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)]:
        grade_log_softmax(learner, rng.normal(scale=2, size=shape), axis)


@check(
    "04_losses/cross_entropy",
    "log_softmax with the default axis, axis = 2 and -3 (first and last by the other "
    "name), a square (4, 4), and one class (K = 1)",
    regimes=("hyperparameters", "shapes"),
)
def log_softmax_axes(learner, rng):
    grade_log_softmax(learner, rng.normal(scale=2, size=(3, 4)))  # axis left at its default
    z = rng.normal(scale=2, size=(2, 3, 4))
    grade_log_softmax(learner, z, 2)
    grade_log_softmax(learner, z, -3)
    grade_log_softmax(learner, rng.normal(scale=2, size=(4, 4)), 0)
    grade_log_softmax(learner, rng.normal(scale=2, size=(3, 1)), -1, note="  (K = 1: all 0)")


@check(
    "04_losses/cross_entropy",
    "log_softmax is stable: ±1000, rows near 0, 1000 and 1e6",
    regimes=("extremes",),
)
def log_softmax_stable(learner, rng):
    z = rng.normal(size=(4, 5))
    z[1] += 1000.0
    z[2, 0] = -1000.0
    z[3] += 1e6
    grade_log_softmax(learner, z, stable=True)
    grade_log_softmax(learner, np.ascontiguousarray(z.T), 0, stable=True)


@check(
    "04_losses/cross_entropy",
    "log_softmax of log-probabilities (nothing left to normalise) and of K = 1: new arrays",
    regimes=("aliasing",),
)
def log_softmax_idempotent(learner, rng):
    with torch.no_grad():
        logp = F.log_softmax(tensor(rng.normal(scale=2, size=(3, 4))), dim=-1).numpy()
    grade_log_softmax(learner, logp, note="  (z is already log_softmax of something)")
    grade_log_softmax(learner, np.zeros((3, 1)), note="  (K = 1, z = 0: the output is z)")


@check(
    "04_losses/cross_entropy",
    "log_softmax on transposed and strided views, along either axis",
    regimes=("layout",),
)
def log_softmax_layout(learner, rng):
    z = rng.normal(scale=2, size=(4, 5))
    grade_log_softmax(learner, transposed(z), -1, note="  (z a transposed view)")
    grade_log_softmax(learner, transposed(z), 0, note="  (z a transposed view)")
    grade_log_softmax(learner, strided(z), 1, note="  (z a strided view)")


def _ce_epsilon(z, y, label_smoothing=0.0, *, eps, clip):
    n, k = z.shape
    target = (1 - label_smoothing) * np.eye(k)[y] + label_smoothing / k
    shifted = z - z.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    logp = np.log(np.clip(p, eps, 1 - eps)) if clip else np.log(p + eps)
    return float(-np.sum(target * logp) / n), (p - target) / n


def _ce_smoothing_no_scale(z, y, label_smoothing=0.0):
    n, k = z.shape
    target = np.eye(k)[y] + label_smoothing / k
    shifted = z - z.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.sum(target * logp) / n), (np.exp(logp) - target) / n


def _ce_memory_order(z, y, label_smoothing=0.0):
    n, k = z.shape
    return _ce(z.ravel(order="K").reshape(n, k), y, label_smoothing)


CE_MISTAKES = [
    (
        "summed over the batch instead of averaged: F.cross_entropy divides the loss and "
        "the gradient by N.",
        lambda z, y, label_smoothing=0.0: _ce(
            z, y, label_smoothing, reduce="sum", grad_scale="sum"
        ),
    ),
    (
        "gradient not divided by N: the loss is a mean over the batch, so is its gradient.",
        lambda z, y, label_smoothing=0.0: _ce(z, y, label_smoothing, grad_scale="sum"),
    ),
    (
        "one-hot built on the wrong axis: row i of the target has its 1 in column labels[i] "
        "(np.eye(K)[labels]).",
        lambda z, y, label_smoothing=0.0: _ce(z, y, label_smoothing, wrong_axis=True),
    ),
    (
        "label smoothing spread over the K − 1 wrong classes: F.cross_entropy's target is "
        "(1 − ε)·one_hot + ε/K, ε/K on every class, the true one included.",
        lambda z, y, label_smoothing=0.0: _ce(z, y, label_smoothing, smooth_others=True),
    ),
    (
        "label smoothing without the (1 − ε) factor on the true class: the target "
        "one_hot + ε/K sums to 1 + ε; F.cross_entropy's is (1 − ε)·one_hot + ε/K.",
        _ce_smoothing_no_scale,
    ),
    (
        "logits read in memory order (ravel(order='K') before a reshape to (N, K)): on a "
        "transposed view the memory order is not the index order, so row i's logits were "
        "not sample i's. reshape / np.ravel follow the index order; or use logits as it is.",
        _ce_memory_order,
    ),
    *epsilon_mistakes(_ce_epsilon, CE_STABLE),
]


def grade_ce(learner, logits, labels, label_smoothing=None, stable=False, note=""):
    kwargs = {} if label_smoothing is None else {"label_smoothing": label_smoothing}
    grade_loss(
        learner,
        "softmax_cross_entropy",
        (logits, labels),
        F.cross_entropy,
        kwargs=kwargs,
        torch_kwargs={"label_smoothing": label_smoothing or 0.0},
        oracle="F.cross_entropy (mean) and autograd",
        grad_name="dlogits",
        mistakes=CE_MISTAKES,
        stable_form=CE_STABLE if stable else None,
        parts=[
            (
                f"row {i} (logits from {row.min():.4g} to {row.max():.4g}), label {y}",
                (logits[i : i + 1], labels[i : i + 1]),
            )
            for i, (row, y) in enumerate(zip(logits, labels))
        ]
        if stable
        else (),
        note=note,
    )


@check(
    "04_losses/cross_entropy",
    "softmax_cross_entropy matches F.cross_entropy, N = 1 too",
    regimes=("hyperparameters", "shapes"),
)
def ce_values(learner, rng):
    for n, k in [(8, 5), (1, 4), (3, 2)]:
        logits, labels = ce_problem(rng, n, k)
        grade_ce(learner, logits, labels)


@check(
    "04_losses/cross_entropy",
    "N = K, where a one-hot on the wrong axis shows",
    regimes=("shapes",),
)
def ce_square(learner, rng):
    logits, labels = ce_problem(rng, 5, 5)
    # rows 0 and 1 share a class, so the one-hot is never symmetric (as it is, about one
    # seed in 120, when the labels form an involution): its transpose always differs.
    labels[:2] = rng.integers(0, 5)
    grade_ce(learner, logits, labels)


@check(
    "04_losses/cross_entropy",
    "label_smoothing = 0.1 and 0.3, as F.cross_entropy defines it",
    regimes=("hyperparameters",),
)
def ce_smoothing(learner, rng):
    for eps in (0.1, 0.3):
        grade_ce(learner, *ce_problem(rng, 6, 4), label_smoothing=eps)


@check(
    "04_losses/cross_entropy",
    "label_smoothing at its boundaries: 0 passed explicitly, 1 (a uniform target), K = 2",
    regimes=("hyperparameters",),
)
def ce_smoothing_boundaries(learner, rng):
    grade_ce(learner, *ce_problem(rng, 5, 3), label_smoothing=0.0)
    grade_ce(learner, *ce_problem(rng, 5, 4), label_smoothing=1.0)
    grade_ce(learner, *ce_problem(rng, 4, 2), label_smoothing=1.0)
    grade_ce(learner, *ce_problem(rng, 4, 2), label_smoothing=0.5)


@check(
    "04_losses/cross_entropy",
    "stable: logits ±1000, rows near 0, 1000 and 1e6, a confident wrong answer",
    regimes=("extremes",),
)
def ce_stable(learner, rng):
    logits, labels = ce_problem(rng, 5, 5)
    logits[1] += 1000.0
    logits[2, labels[2]] = -1000.0  # a confident wrong answer: a large but finite loss
    logits[3, (labels[3] + 1) % 5] = 1000.0
    logits[4] += 1e6
    grade_ce(learner, logits, labels, stable=True)
    grade_ce(learner, logits, labels, label_smoothing=0.2, stable=True)


@check(
    "04_losses/cross_entropy",
    "ties: equal logits in a row, the label among tied maxima, all-zero logits",
    regimes=("exact values",),
)
def ce_ties(learner, rng):
    logits, labels = ce_problem(rng, 4, 5)
    logits[0] = 0.0  # all equal: the loss is log K
    top = float(logits[1].max()) + 1.0
    logits[1, labels[1]] = logits[1, (labels[1] + 2) % 5] = top  # the label tied for max
    logits[2, :] = float(rng.normal())  # a constant row
    logits[3, [(labels[3] + 1) % 5, (labels[3] + 3) % 5]] = float(logits[3].max()) + 2.0
    grade_ce(learner, logits, labels)
    grade_log_softmax(learner, logits, note="  (rows with tied entries)")


@check(
    "04_losses/cross_entropy",
    "non-contiguous inputs: transposed logits, strided labels",
    regimes=("layout",),
)
def ce_layout(learner, rng):
    logits, labels = ce_problem(rng, 6, 4)
    grade_ce(learner, transposed(logits), labels, note="  (logits a transposed view)")
    grade_ce(learner, strided(logits), strided(labels), label_smoothing=0.1,
             note="  (logits and labels strided views)")  # fmt: skip


@check(
    "04_losses/cross_entropy",
    "returns a new dlogits and a float loss, K = 1 included",
    regimes=("aliasing",),
)
def ce_aliasing(learner, rng):
    logits, labels = ce_problem(rng, 3, 1)
    grade_ce(learner, logits, labels, note="  (K = 1: loss 0, gradient 0)")
    grade_ce(learner, *ce_problem(rng, 3, 4), label_smoothing=0.4)


# timeout: a Python loop over the batch takes ~1 s a call, three calls timed; on a loaded
# machine that can pass the default 5 s, and the learner should read "too slow", not a timeout.
@check(
    "04_losses/cross_entropy",
    "speed: at most 25x a vectorised reference on N = 40000",
    timeout=15,
    regimes=("shapes",),
)
def ce_speed(learner, rng):
    logits, labels = ce_problem(rng, 40000, 3)
    return assert_fast_enough(
        learner,
        "softmax_cross_entropy",
        (logits, labels),
        "graders.drivers.losses:cross_entropy",
        "softmax_cross_entropy on (40000, 3)",
    )
