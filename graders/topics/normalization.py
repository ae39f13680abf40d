"""Graders of 07_normalization: batch norm (train and eval) and layer norm, against
F.batch_norm / F.layer_norm and autograd with random upstream gradients."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.normalization import batchnorm_forward as _bn
from graders.engine.checks import (
    ATOL,
    Mistake,
    assert_fast_enough,
    assert_matches,
    expect_array,
    expect_tuple,
)
from graders.engine.layer_checks import check_layer
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check

# ---------------------------------------------------------------- batchnorm


BN_FORWARD_MISTAKES = [
    (
        "unbiased variance in the normalisation: normalise with the biased batch variance "
        "(divide by N); only the running estimate uses N − 1.",
        {"unbiased_norm": True},
    ),
    (
        "momentum weighting inverted: running = (1 − momentum)·running + momentum·batch "
        "(PyTorch's momentum weighs the new value).",
        {"inverted_momentum": True},
    ),
    (
        "batch statistics used in eval mode: with training=False, normalise with the running "
        "mean and variance.",
        {"batch_in_eval": True},
    ),
    (
        "variance as E[x²] − mean²: for a feature whose mean is large next to its spread the "
        "two terms cancel and rounding error takes over; use mean((x − mean)²), x.var(axis=0).",
        {"naive_var": True},
    ),
]


def bn_problem(rng, n, d, small_variance=False, large_offset=False):
    x = rng.normal(loc=rng.normal(size=d), scale=rng.uniform(0.5, 2, size=d), size=(n, d))
    if small_variance:
        x[:, 0] = 3.0 + 1e-3 * rng.normal(size=n)  # variance ~1e-6: where eps placement shows
    if large_offset:  # E[x²] − mean² loses ~1e-4 of the variance to rounding here
        x[:, 1:] = 1e4 + 1e-2 * rng.normal(size=(n, d - 1))
    return (
        x,
        rng.uniform(0.5, 1.5, size=d),
        rng.normal(size=d),
        rng.normal(size=d),
        rng.uniform(0.5, 2.0, size=d),
    )


def grade_batchnorm(learner, rng, problem, *, training=True, momentum=None, eps=None, atol=ATOL):
    """atol: for inputs whose rounding alone moves x̂ by more than the default (x ~ 1e4)."""
    x, gamma, beta, rm, rv = problem
    kwargs = {}
    if not training:
        kwargs["training"] = False
    if momentum is not None:
        kwargs["momentum"] = momentum
    if eps is not None:
        kwargs["eps"] = eps
    m = 0.1 if momentum is None else momentum
    e = 1e-5 if eps is None else eps

    tx, tg, tb = (tensor(a).requires_grad_(True) for a in (x, gamma, beta))
    trm, trv = tensor(rm), tensor(rv)
    out_t = F.batch_norm(tx, trm, trv, weight=tg, bias=tb, training=training, momentum=m, eps=e)

    fn = learner.fn("batchnorm_forward")
    call = fn.describe(x, gamma, beta, rm, rv, **kwargs)
    names = ("out", "cache", "running_mean", "running_var")
    out, cache, new_rm, new_rv = expect_tuple(fn(x, gamma, beta, rm, rv, **kwargs), names, call)
    got = {
        "out": expect_array(out, "out", x.shape, call),
        "running_mean": expect_array(new_rm, "running_mean", rm.shape, call),
        "running_var": expect_array(new_rv, "running_var", rv.shape, call),
    }
    for name, value, old in (("running_mean", new_rm, rm), ("running_var", new_rv, rv)):
        if np.shares_memory(value, old):
            raise KataFailure(
                f"{name} is the array passed in\n  called   {call}\n  return a "
                "new array (np.copy in eval mode), so the caller's is untouched."
            )
    expected = {
        "out": out_t.detach().numpy(),
        "running_mean": trm.numpy(),
        "running_var": trv.numpy(),
    }
    mistakes = [
        Mistake(
            says,
            lambda sw=switches: dict(
                zip(
                    ("out", "running_mean", "running_var"),
                    _bn(x, gamma, beta, rm, rv, training, m, e, **sw),
                )
            ),
        )
        for says, switches in BN_FORWARD_MISTAKES
    ]
    if not training:
        mistakes.append(
            Mistake(
                "training=False ignored: batch statistics used in eval mode and the running "
                "ones updated; in eval, normalise with the running mean and variance and "
                "return them unchanged.",
                lambda: dict(
                    zip(
                        ("out", "running_mean", "running_var"),
                        _bn(x, gamma, beta, rm, rv, True, m, e),
                    )
                ),
            )
        )
    if m != 0.1:
        mistakes.append(
            Mistake(
                f"momentum argument ignored: the running statistics moved with momentum 0.1, "
                f"not the momentum={m} passed in.",
                lambda: dict(
                    zip(
                        ("out", "running_mean", "running_var"),
                        _bn(x, gamma, beta, rm, rv, training, 0.1, e),
                    )
                ),
            )
        )
    assert_matches(
        got,
        expected,
        call=call,
        oracle="F.batch_norm (running stats updated by torch)",
        mistakes=mistakes,
        atol=atol,
    )

    dout = rng.normal(size=x.shape)
    grads = torch.autograd.grad((out_t * tensor(dout)).sum(), [tx, tg, tb])
    want = dict(zip(("dx", "dgamma", "dbeta"), (g.numpy() for g in grads)))
    back = learner.fn("batchnorm_backward")
    back_call = f"batchnorm_backward(dout=float64 array {x.shape} (random), cache from your {call})"
    result = expect_tuple(back(dout, cache), tuple(want), back_call)
    got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, result)}

    def missing_paths():
        inv_std = 1 / np.sqrt(x.var(0) + e)
        x_hat = (x - x.mean(0)) * inv_std
        return {"dx": dout * gamma * inv_std, "dgamma": (dout * x_hat).sum(0), "dbeta": dout.sum(0)}

    def batch_paths_in_eval():
        inv_std = 1 / np.sqrt(rv + e)
        x_hat, dx_hat = (x - rm) * inv_std, dout * gamma
        dx = inv_std * (dx_hat - dx_hat.mean(0) - x_hat * (dx_hat * x_hat).mean(0))
        return {"dx": dx, "dgamma": (dout * x_hat).sum(0), "dbeta": dout.sum(0)}

    known = (
        [
            Mistake(
                "dx missing the mean and variance paths: in training the batch mean and "
                "variance depend on x too, dx = (γ/σ)·(dout − mean(dout) − x̂·mean(dout·x̂)).",
                missing_paths,
            )
        ]
        if training
        else [
            Mistake(
                "batch-statistics backward in eval mode: with training=False the running "
                "mean and variance are constants, so dx = γ·dout / sqrt(running_var + eps).",
                batch_paths_in_eval,
            )
        ]
    )
    assert_matches(
        got,
        want,
        call=back_call,
        oracle="torch autograd through F.batch_norm",
        mistakes=known,
        atol=atol,
    )


@check("07_normalization/batchnorm", "training: out, running stats and backward match torch")
def bn_train(learner, rng):
    grade_batchnorm(
        learner, rng, bn_problem(rng, int(rng.integers(4, 10)), int(rng.integers(2, 6)))
    )


@check("07_normalization/batchnorm", "momentum 0.3, eps 1e-2, a feature of tiny variance")
def bn_custom(learner, rng):
    grade_batchnorm(
        learner, rng, bn_problem(rng, 8, 4, small_variance=True), momentum=0.3, eps=1e-2
    )


@check("07_normalization/batchnorm", "a feature with a large offset (mean 1e4, std 1e-2)")
def bn_offset(learner, rng):
    # x ~ 1e4 carries ~1e-12 of rounding, ~1e-10 in x̂ = (x − mean)/σ with σ ~ 1e-2, ~1e-8
    # in dx; the one-pass variance is off by ~1e-4 relative, ~1e-5 in out.
    problem = bn_problem(rng, 6, 3, large_offset=True)
    grade_batchnorm(learner, rng, problem, atol=1e-7)


@check("07_normalization/batchnorm", "a batch of two samples (N = 2)")
def bn_two(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 2, 3))


@check("07_normalization/batchnorm", "eval mode: running statistics, returned as new arrays")
def bn_eval(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 6, 4), training=False)
    grade_batchnorm(
        learner, rng, bn_problem(rng, 5, 3, small_variance=True), training=False, eps=1e-3
    )


@check("07_normalization/batchnorm", "speed: at most 25x a vectorised reference on N = 20000")
def bn_speed(learner, rng):
    x, gamma, beta, rm, rv = bn_problem(rng, 20000, 1)  # one feature: per-row loops show most
    return assert_fast_enough(
        learner,
        "batchnorm_forward",
        (x, gamma, beta, rm, rv),
        "graders.drivers.normalization:batchnorm_forward",
        "batchnorm_forward on (20000, 1)",
        compared=lambda result: result[0],  # out (the learner's cache is its own)
    )


# ---------------------------------------------------------------- layernorm


def _layernorm_batch_axis(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_axis_1(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_unbiased(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True, ddof=1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def grade_layernorm(learner, rng, shape, eps=None):
    x = rng.normal(loc=2.0, scale=rng.uniform(0.5, 3.0), size=shape)
    d = shape[-1]
    kwargs = {} if eps is None else {"eps": eps}
    e = 1e-5 if eps is None else eps
    check_layer(
        learner,
        "layernorm_forward",
        "layernorm_backward",
        {"x": x, "gamma": rng.uniform(0.5, 1.5, size=d), "beta": rng.normal(size=d)},
        lambda x, g, b, eps=e: F.layer_norm(x, (d,), weight=g, bias=b, eps=eps),
        rng=rng,
        oracle="F.layer_norm over the last axis",
        forward_kwargs=kwargs,
        forward_mistakes=[
            (
                "normalised over the batch axis: layer norm uses each sample's own features, "
                "mean and var over axis=-1.",
                _layernorm_batch_axis,
            ),
            ("unbiased variance: layer norm divides by D, not D − 1.", _layernorm_unbiased),
            (
                "normalised over axis 1, not the last axis: for (B, T, D) input axis 1 is T; "
                "use axis=-1, which is D for 2-D and 3-D input alike.",
                _layernorm_axis_1,
            ),
        ]
        + (
            [
                (
                    f"eps argument ignored: normalised with eps = 1e-5, not the eps={eps} "
                    "passed in.",
                    lambda x, g, b, eps: F.layer_norm(
                        tensor(x), (d,), weight=tensor(g), bias=tensor(b), eps=1e-5
                    ).numpy(),
                )
            ]
            if eps is not None
            else []
        ),
    )


@check("07_normalization/layernorm", "(N, D): forward and backward match F.layer_norm")
def ln_2d(learner, rng):
    grade_layernorm(learner, rng, (int(rng.integers(2, 7)), int(rng.integers(3, 8))))


@check("07_normalization/layernorm", "(B, T, D) and a single sample, eps = 1e-2")
def ln_3d(learner, rng):
    grade_layernorm(learner, rng, (2, 3, 5))
    grade_layernorm(learner, rng, (1, 4), eps=1e-2)
