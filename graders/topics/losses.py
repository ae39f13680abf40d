"""Graders of 04_losses: each (loss, gradient) pair against torch.nn.functional and autograd.

Losses reduce as PyTorch's default reduction="mean". Every gradient is compared
with autograd of the oracle loss; "stable" katas run with numpy raising on
overflow (graders.engine.checks.STRICT_ERRSTATE) on logits up to ±1000.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.activations import softmax_on_wrong_axis
from graders.drivers.losses import cross_entropy as _ce
from graders.engine.checks import assert_fast_enough, check_outputs, rows_of
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check


def torch_loss_and_grad(loss_fn, pred, *others, **kwargs):
    """loss_fn(pred, *others) as a float, and its gradient with respect to pred."""
    p = tensor(pred).requires_grad_(True)
    rest = [
        torch.as_tensor(o) if np.issubdtype(np.asarray(o).dtype, np.integer) else tensor(o)
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


SHAPES = [(1,), (9,), (4, 3)]


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
):
    loss, grad = torch_loss_and_grad(torch_fn, *args, **(torch_kwargs or kwargs or {}))
    try:
        check_outputs(
            learner,
            function,
            args,
            {"loss": loss, grad_name: grad},
            kwargs=kwargs,
            oracle=oracle,
            mistakes=mistakes,
            stable_form=stable_form,
            parts=parts,
        )
    except KataFailure as failure:
        # a gradient of the wrong type or shape where the input has a size-1 axis (N = 1)
        if 1 in np.shape(args[0]) and f"\n  {grad_name} has " in str(failure):
            raise KataFailure(f"{failure}\n  looks like: {SQUEEZED.format(grad_name)}") from None
        raise


SQUEEZED = (
    "the size-1 axis squeezed away (np.squeeze, .item() or float() on a one-sample batch): "
    "return {0} with the input's shape, whatever N is."
)


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
]


@check("04_losses/mse", "mse_loss matches F.mse_loss and autograd, N = 1 and 2-D too")
def mse_values(learner, rng):
    for shape in SHAPES:
        grade_loss(
            learner,
            "mse_loss",
            regression_pair(rng, shape),
            F.mse_loss,
            oracle="F.mse_loss (mean) and autograd",
            mistakes=MSE_MISTAKES,
        )


@check("04_losses/mse", "mse_loss on 3-D input with large errors")
def mse_large(learner, rng):
    pred = rng.normal(size=(2, 3, 4))
    grade_loss(
        learner,
        "mse_loss",
        (pred, pred + rng.normal(scale=100, size=pred.shape)),
        F.mse_loss,
        oracle="F.mse_loss (mean) and autograd",
        mistakes=MSE_MISTAKES,
    )


# ---------------------------------------------------------------- huber


def _mae_grad_sum(pred, target):
    d = pred - target
    return float(np.mean(np.abs(d))), np.sign(d)


def _mae_grad_one_at_zero(pred, target):
    d = pred - target
    return float(np.mean(np.abs(d))), np.where(d >= 0, 1.0, -1.0) / d.size


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
]


@check("04_losses/huber", "mae_loss matches F.l1_loss and autograd, exact zeros included")
def mae_values(learner, rng):
    for shape in SHAPES:
        grade_loss(
            learner,
            "mae_loss",
            regression_pair(rng, shape),
            F.l1_loss,
            oracle="F.l1_loss (mean) and autograd",
            mistakes=[
                ("gradient not divided by the element count: sign(d)/n.", _mae_grad_sum),
                (
                    "gradient ±1 where pred equals target: PyTorch uses sign(0) = 0.",
                    _mae_grad_one_at_zero,
                ),
            ],
        )


@check("04_losses/huber", "huber_loss matches F.huber_loss, delta = 1")
def huber_default(learner, rng):
    for shape in SHAPES:
        grade_loss(
            learner,
            "huber_loss",
            regression_pair(rng, shape),
            F.huber_loss,
            oracle="F.huber_loss (mean) and autograd",
            mistakes=HUBER_MISTAKES,
        )


@check("04_losses/huber", "huber_loss with delta = 0.3 and delta = 2.5")
def huber_custom(learner, rng):
    for delta in (0.3, 2.5):
        grade_loss(
            learner,
            "huber_loss",
            regression_pair(rng, (5, 4)),
            F.huber_loss,
            kwargs={"delta": delta},
            oracle=f"F.huber_loss(delta={delta}) and autograd",
            mistakes=HUBER_MISTAKES,
        )


# ---------------------------------------------------------------- binary cross-entropy

BCE_STABLE = (
    "never take log(sigmoid(z)): loss = max(z, 0) − z·y + log(1 + exp(−|z|)) "
    "(np.logaddexp(0, −|z|) for the last term)."
)


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
]


def grade_bce(learner, logits, targets, stable=False):
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
    )


@check(
    "04_losses/binary_cross_entropy", "matches F.binary_cross_entropy_with_logits, (N,) and (N, K)"
)
def bce_values(learner, rng):
    for shape in SHAPES:
        logits = rng.normal(scale=3, size=shape)
        grade_bce(learner, logits, (rng.uniform(size=shape) < 0.5).astype(float))


@check("04_losses/binary_cross_entropy", "soft targets in [0, 1]")
def bce_soft(learner, rng):
    grade_bce(learner, rng.normal(scale=2, size=(6, 2)), rng.uniform(size=(6, 2)))


@check("04_losses/binary_cross_entropy", "stable for logits up to ±1000, right and wrong")
def bce_stable(learner, rng):
    logits = np.array([1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0, 0.0, 3.0])
    targets = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    order = rng.permutation(len(logits))
    grade_bce(learner, logits[order], targets[order], stable=True)


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


@check("04_losses/cross_entropy", "log_softmax matches F.log_softmax, axis=-1 and 0, 1-D to 3-D")
def log_softmax_values(learner, rng):
    for shape, axis in [((6,), -1), ((4, 5), -1), ((4, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)]:
        z = rng.normal(scale=2, size=shape)
        with torch.no_grad():
            expected = F.log_softmax(tensor(z), dim=axis).numpy()
        check_outputs(
            learner,
            "log_softmax",
            (z,),
            {"output": expected},
            kwargs={"axis": axis},
            oracle=f"F.log_softmax(z, dim={axis})",
            mistakes=LOG_SOFTMAX_MISTAKES,
        )


@check("04_losses/cross_entropy", "log_softmax is stable: ±1000, rows near 0 and near 1000")
def log_softmax_stable(learner, rng):
    z = rng.normal(size=(3, 5))
    z[1] += 1000.0
    z[2, 0] = -1000.0
    with torch.no_grad():
        expected = F.log_softmax(tensor(z), dim=-1).numpy()
    check_outputs(
        learner,
        "log_softmax",
        (z,),
        {"output": expected},
        oracle="F.log_softmax(z, dim=-1)",
        stable_form=CE_STABLE,
        parts=list(rows_of(z, -1)),
    )


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
]


def grade_ce(learner, logits, labels, label_smoothing=None, stable=False):
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
    )


@check("04_losses/cross_entropy", "softmax_cross_entropy matches F.cross_entropy, N = 1 too")
def ce_values(learner, rng):
    for n, k in [(8, 5), (1, 4), (3, 2)]:
        logits, labels = ce_problem(rng, n, k)
        grade_ce(learner, logits, labels)


@check("04_losses/cross_entropy", "N = K, where a one-hot on the wrong axis shows")
def ce_square(learner, rng):
    logits, labels = ce_problem(rng, 5, 5)
    # rows 0 and 1 share a class, so the one-hot is never symmetric (as it is, about one
    # seed in 120, when the labels form an involution): its transpose always differs.
    labels[:2] = rng.integers(0, 5)
    grade_ce(learner, logits, labels)


@check("04_losses/cross_entropy", "label_smoothing = 0.1 and 0.3, as F.cross_entropy defines it")
def ce_smoothing(learner, rng):
    for eps in (0.1, 0.3):
        grade_ce(learner, *ce_problem(rng, 6, 4), label_smoothing=eps)


@check("04_losses/cross_entropy", "stable: logits ±1000, rows near 0 and near 1000")
def ce_stable(learner, rng):
    logits, labels = ce_problem(rng, 4, 5)
    logits[1] += 1000.0
    logits[2, labels[2]] = -1000.0  # a confident wrong answer: a large but finite loss
    logits[3, (labels[3] + 1) % 5] = 1000.0
    grade_ce(learner, logits, labels, stable=True)


# timeout: a Python loop over the batch takes ~1 s a call, three calls timed; on a loaded
# machine that can pass the default 5 s, and the learner should read "too slow", not a timeout.
@check(
    "04_losses/cross_entropy",
    "speed: at most 25x a vectorised reference on N = 40000",
    timeout=15,
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
