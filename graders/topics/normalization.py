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
from graders.engine.describe import describe_value
from graders.engine.layer_checks import check_layer
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (views included: torch takes no negative strides)."""
    return _tensor(np.ascontiguousarray(a))


def view_of(a: np.ndarray, how: str) -> np.ndarray:
    """The values of a, held as a non-contiguous view: 'T' (a transposed copy, transposed
    back), 'step' (every other element of a doubled array), 'reversed' (a reversed copy,
    reversed back)."""
    if how == "T":
        return np.ascontiguousarray(a.T).T
    if how == "step":
        return np.repeat(a, 2, axis=-1)[..., ::2]
    return np.ascontiguousarray(a[..., ::-1])[..., ::-1]


# ---------------------------------------------------------------- batchnorm

not_applicable(
    "07_normalization/batchnorm",
    randomness="deterministic: takes no rng",
    process="one step: a forward normalises one batch and updates the running statistics "
    "once; carrying them from batch to batch is the caller's loop",
)


BN_FORWARD_MISTAKES = [
    (
        "unbiased variance in the normalisation: normalise with the biased batch variance "
        "(divide by N); only the running estimate uses N − 1.",
        {"unbiased_norm": True},
    ),
    (
        "running variance updated with the biased batch variance: the running estimate "
        "uses the unbiased one, var·N/(N − 1) (the normalisation uses the biased one).",
        {"biased_running": True},
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
    (
        "eps outside the square root: x̂ = (x − mean)/sqrt(var + eps), not "
        "(x − mean)/(sqrt(var) + eps).",
        {"eps_outside": True},
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


def _no_variance_path(x_hat, dx_hat, inv_std, axis):
    """dx without the variance path."""
    return inv_std * (dx_hat - dx_hat.mean(axis=axis, keepdims=True))


def _staged_cubed(x, dx_hat, inv_std, axis):
    """dx through the staged graph with dvar = Σ dx̂·(x − mean)·(−½)·σ⁻³ (CS231n's): where
    σ ~ 1e150, σ⁻³ underflows to 0 and takes the variance path with it."""
    n = x.shape[axis]
    xc = x - x.mean(axis=axis, keepdims=True)
    dvar = np.sum(dx_hat * xc, axis=axis, keepdims=True) * -0.5 * inv_std**3
    dmean = -np.sum(dx_hat * inv_std, axis=axis, keepdims=True) - 2.0 * dvar * xc.mean(
        axis=axis, keepdims=True
    )
    return dx_hat * inv_std + dvar * 2.0 * xc / n + dmean / n


STAGED_CUBED = (
    "dx missing the variance path where x is huge: σ⁻³ (inv_std**3) underflows to 0 there "
    "(1e-450 for σ ~ 1e150), and dvar with it. Write the term with x̂: "
    "dvar = −½·Σ dx̂·x̂·σ⁻² (x̂ = (x − mean)·σ⁻¹), or dx = σ⁻¹·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂))."
)


def grade_batchnorm(learner, rng, problem, *, training=True, momentum=None, eps=None,
                    atol=ATOL, back_atol=None, dout=None):  # fmt: skip
    """atol: for inputs whose rounding alone moves x̂ by more than the default (x ~ 1e4);
    back_atol: the backward's (default atol), tiny where dx is (x ~ 1e150); dout: the
    upstream gradient (a view, for the layout check), random by default."""
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
                "new array (np.copy in eval mode, or when momentum is 0), so the caller's "
                "is untouched."
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

    dout = rng.normal(size=x.shape) if dout is None else dout
    grads = torch.autograd.grad((out_t * tensor(dout)).sum(), [tx, tg, tb])
    want = dict(zip(("dx", "dgamma", "dbeta"), (g.numpy() for g in grads)))
    back = learner.fn("batchnorm_backward")
    back_call = f"batchnorm_backward(dout={describe_value(dout)} (random), cache from your {call})"
    result = expect_tuple(back(dout, cache), tuple(want), back_call)
    got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, result)}

    def batch_terms():
        inv_std = 1 / np.sqrt(x.var(0) + e)
        return (x - x.mean(0)) * inv_std, dout * gamma, inv_std

    def missing_paths():
        x_hat, dx_hat, inv_std = batch_terms()
        return {"dx": dx_hat * inv_std, "dgamma": (dout * x_hat).sum(0), "dbeta": dout.sum(0)}

    def no_variance_path(staged=False):
        x_hat, dx_hat, inv_std = batch_terms()
        dx = (
            _staged_cubed(x, dx_hat, inv_std[None], 0)
            if staged
            else _no_variance_path(x_hat, dx_hat, inv_std, 0)
        )
        return {"dx": dx, "dgamma": (dout * x_hat).sum(0), "dbeta": dout.sum(0)}

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
            ),
            Mistake(
                "dx missing the variance path (the −x̂·mean(dx̂·x̂) term): in training the "
                "batch variance depends on x too.",
                no_variance_path,
            ),
            Mistake(STAGED_CUBED, lambda: no_variance_path(staged=True)),
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
        atol=atol if back_atol is None else back_atol,
    )


@check(
    "07_normalization/batchnorm",
    "training: out, running stats and backward match torch",
    regimes=("hyperparameters", "shapes"),
)
def bn_train(learner, rng):
    grade_batchnorm(
        learner, rng, bn_problem(rng, int(rng.integers(4, 10)), int(rng.integers(2, 6)))
    )


@check(
    "07_normalization/batchnorm",
    "momentum 0.3, eps 1e-2, a feature of tiny variance",
    regimes=("hyperparameters", "extremes"),
)
def bn_custom(learner, rng):
    grade_batchnorm(
        learner, rng, bn_problem(rng, 8, 4, small_variance=True), momentum=0.3, eps=1e-2
    )


@check(
    "07_normalization/batchnorm",
    "a feature with a large offset (mean 1e4, std 1e-2)",
    regimes=("extremes",),
)
def bn_offset(learner, rng):
    # x ~ 1e4 carries ~1e-12 of rounding, ~1e-10 in x̂ = (x − mean)/σ with σ ~ 1e-2, ~1e-8
    # in dx; the one-pass variance is off by ~1e-4 relative, ~1e-5 in out.
    problem = bn_problem(rng, 6, 3, large_offset=True)
    grade_batchnorm(learner, rng, problem, atol=1e-7)


@check(
    "07_normalization/batchnorm",
    "a batch of two samples (N = 2)",
    regimes=("shapes",),
)
def bn_two(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 2, 3))


@check(
    "07_normalization/batchnorm",
    "eval mode: running statistics, returned as new arrays",
    regimes=("hyperparameters", "aliasing"),
)
def bn_eval(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 6, 4), training=False)
    grade_batchnorm(
        learner, rng, bn_problem(rng, 5, 3, small_variance=True), training=False, eps=1e-3
    )


@check(
    "07_normalization/batchnorm",
    "momentum 0 (running statistics kept, as new arrays) and 1 (the batch's)",
    regimes=("hyperparameters", "aliasing", "exact values"),
)
def bn_momentum_edges(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 5, 3), momentum=0.0)
    grade_batchnorm(learner, rng, bn_problem(rng, 5, 3), momentum=1.0)


@check(
    "07_normalization/batchnorm",
    "a constant feature (variance exactly 0: out = beta there), eps 1e-12",
    regimes=("exact values", "hyperparameters"),
)
def bn_constant_feature(learner, rng):
    for eps in (None, 1e-12):
        problem = bn_problem(rng, 6, 4)
        problem[0][:, int(rng.integers(4))] = 2.5  # exact: its mean is 2.5, x − mean is 0
        # torch's own mean of the column can be off by an ulp (~4e-16), which 1/sqrt(1e-12)
        # turns into ~1e-9 in out: the comparison allows that much, no more
        grade_batchnorm(learner, rng, problem, eps=eps, atol=1e-8 if eps else ATOL)


@check(
    "07_normalization/batchnorm",
    "a square batch (N = D), one feature (D = 1), one sample in eval mode",
    regimes=("shapes",),
)
def bn_shapes(learner, rng):
    grade_batchnorm(learner, rng, bn_problem(rng, 4, 4))  # an axis mix-up keeps the shapes
    grade_batchnorm(learner, rng, bn_problem(rng, 5, 1))
    grade_batchnorm(learner, rng, bn_problem(rng, 1, 3), training=False)  # N = 1: eval only


@check(
    "07_normalization/batchnorm",
    "views: x and dout transposed, parameters strided and reversed",
    regimes=("layout",),
)
def bn_views(learner, rng):
    for training in (True, False):
        x, gamma, beta, rm, rv = bn_problem(rng, 5, 4)
        problem = (view_of(x, "T"), view_of(gamma, "step"), view_of(beta, "reversed"),
                   view_of(rm, "step"), view_of(rv, "reversed"))  # fmt: skip
        dout = view_of(rng.normal(size=(5, 4)), "T")
        grade_batchnorm(learner, rng, problem, training=training, dout=dout)


@check(
    "07_normalization/batchnorm",
    "mixed scales: features at 1e150, 1e-150 and 1 in one batch",
    regimes=("extremes",),
)
def bn_scales(learner, rng):
    # torch stays finite: (x − mean)² ~ 1e300. dx scales as 1/σ (1e-150 for the huge
    # feature), so the backward is compared relatively (atol 1e-162, 1e-12 of that scale)
    problem = bn_problem(rng, 6, 3)
    problem[0][:, 0] *= 1e150
    problem[0][:, 1] *= 1e-150  # far below eps: x̂ ~ 1e-148
    problem[3][0] *= 1e150  # running mean and variance of the same scale
    problem[4][0] *= 1e300
    grade_batchnorm(learner, rng, problem, back_atol=1e-162)


@check(
    "07_normalization/batchnorm",
    "speed: at most 25x a vectorised reference on N = 20000",
)
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

not_applicable(
    "07_normalization/layernorm",
    randomness="deterministic: takes no rng",
    process="one normalisation: no steps, nothing running",
)


def _layernorm_batch_axis(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_axis_1(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_unbiased(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True, ddof=1)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_eps_outside(x, gamma, beta, eps=1e-5):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / (np.sqrt(var) + eps) + beta


def _layernorm_naive_var(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = (x**2).mean(axis=-1, keepdims=True) - mean**2
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _layernorm_no_variance_path(dout, x, gamma, beta, eps=1e-5, staged=False):
    lead = tuple(range(x.ndim - 1))
    inv_std = 1 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    dx = (
        _staged_cubed(x, dout * gamma, inv_std, -1)
        if staged
        else _no_variance_path(x_hat, dout * gamma, inv_std, -1)
    )
    return dx, (dout * x_hat).sum(axis=lead), dout.sum(axis=lead)


def layernorm_mistakes(d, eps):
    return [
        (
            "normalised over the batch axis: layer norm uses each sample's own features, "
            "mean and var over axis=-1 (on a square (N, N) input both axes fit the shapes).",
            _layernorm_batch_axis,
        ),
        ("unbiased variance: layer norm divides by D, not D − 1.", _layernorm_unbiased),
        (
            "normalised over axis 1, not the last axis: for (B, T, D) input axis 1 is T; "
            "use axis=-1, which is D for 2-D and 3-D input alike.",
            _layernorm_axis_1,
        ),
        (
            "variance as E[x²] − mean²: for a row whose mean is large next to its spread the "
            "two terms cancel and rounding error takes over; use mean((x − mean)²).",
            _layernorm_naive_var,
        ),
        (
            "eps outside the square root: x̂ = (x − mean)/sqrt(var + eps), not "
            "(x − mean)/(sqrt(var) + eps).",
            _layernorm_eps_outside,
        ),
    ] + (
        [
            (
                f"eps argument ignored: normalised with eps = 1e-5, not the eps={eps} passed in.",
                lambda x, g, b, eps: F.layer_norm(
                    tensor(x), (d,), weight=tensor(g), bias=tensor(b), eps=1e-5
                ).numpy(),
            )
        ]
        if eps is not None
        else []
    )


LN_BACKWARD_MISTAKES = [
    (
        "dx missing the variance path (the −x̂·mean(dx̂·x̂) term): the row's variance depends "
        "on x too.",
        _layernorm_no_variance_path,
    ),
    (STAGED_CUBED, lambda *a, **k: _layernorm_no_variance_path(*a, **k, staged=True)),
]


def ln_inputs(rng, shape, x=None):
    d = shape[-1]
    if x is None:
        x = rng.normal(loc=2.0, scale=rng.uniform(0.5, 3.0), size=shape)
    return {"x": x, "gamma": rng.uniform(0.5, 1.5, size=d), "beta": rng.normal(size=d)}


def grade_layernorm(learner, rng, shape, eps=None, x=None):
    inputs = ln_inputs(rng, shape, x)
    d = shape[-1]
    kwargs = {} if eps is None else {"eps": eps}
    e = 1e-5 if eps is None else eps
    check_layer(
        learner,
        "layernorm_forward",
        "layernorm_backward",
        inputs,
        lambda x, g, b, eps=e: F.layer_norm(x, (d,), weight=g, bias=b, eps=eps),
        rng=rng,
        oracle="F.layer_norm over the last axis",
        forward_kwargs=kwargs,
        forward_mistakes=layernorm_mistakes(d, eps),
        backward_mistakes=[
            (s, lambda dout, m=m, **k: m(dout, **k, eps=e)) for s, m in LN_BACKWARD_MISTAKES
        ],  # fmt: skip
    )


def grade_layernorm_given(learner, inputs, dout, *, eps=None, atol=ATOL, back_atol=None):
    """check_layer's comparisons with the upstream gradient given (a view, for the layout
    check) and tolerances of one's own (x ~ 1e150: dx ~ 1e-150)."""
    d = inputs["x"].shape[-1]
    kwargs = {} if eps is None else {"eps": eps}
    e = 1e-5 if eps is None else eps
    tensors = {k: tensor(v).requires_grad_(True) for k, v in inputs.items()}
    out_t = F.layer_norm(tensors["x"], (d,), weight=tensors["gamma"], bias=tensors["beta"], eps=e)
    fn = learner.fn("layernorm_forward")
    call = fn.describe(*inputs.values(), **kwargs)
    out, cache = expect_tuple(fn(*inputs.values(), **kwargs), ("out", "cache"), call)
    out = expect_array(out, "out", inputs["x"].shape, call)
    assert_matches(
        {"out": out},
        {"out": out_t.detach().numpy()},
        call=call,
        oracle="F.layer_norm over the last axis",
        mistakes=[
            Mistake(says, lambda m=m: {"out": m(*inputs.values(), **kwargs)})
            for says, m in layernorm_mistakes(d, eps)
        ],
        atol=atol,
    )
    grads = torch.autograd.grad((out_t * tensor(dout)).sum(), list(tensors.values()))
    want = {f"d{k}": g.numpy() for k, g in zip(inputs, grads)}
    back = learner.fn("layernorm_backward")
    back_call = f"layernorm_backward(dout={describe_value(dout)} (random), cache from your {call})"
    result = expect_tuple(back(dout, cache), tuple(want), back_call)
    got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, result)}
    assert_matches(
        got,
        want,
        call=back_call,
        oracle="torch autograd through F.layer_norm",
        mistakes=[
            Mistake(says, lambda m=m: dict(zip(want, m(dout, **inputs, eps=e))))
            for says, m in LN_BACKWARD_MISTAKES
        ],
        atol=atol if back_atol is None else back_atol,
    )


@check(
    "07_normalization/layernorm",
    "(N, D): forward and backward match F.layer_norm",
    regimes=("hyperparameters", "shapes"),
)
def ln_2d(learner, rng):
    grade_layernorm(learner, rng, (int(rng.integers(2, 7)), int(rng.integers(3, 8))))


@check(
    "07_normalization/layernorm",
    "(B, T, D) and a single sample, eps = 1e-2",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def ln_3d(learner, rng):
    grade_layernorm(learner, rng, (2, 3, 5))
    grade_layernorm(learner, rng, (1, 4), eps=1e-2)


@check(
    "07_normalization/layernorm",
    "square inputs ((N, N), (B, T, T), (D, T, D)) and one feature (D = 1)",
    regimes=("shapes",),
)
def ln_square(learner, rng):
    # where the batch or the time axis has D entries, normalising over it fits every shape
    grade_layernorm(learner, rng, (4, 4))
    grade_layernorm(learner, rng, (2, 3, 3))
    grade_layernorm(learner, rng, (3, 2, 3))
    grade_layernorm(learner, rng, (3, 1))  # x̂ = 0: out = beta, dx = 0


@check(
    "07_normalization/layernorm",
    "eps 0, and a constant row (variance exactly 0: out = beta there)",
    regimes=("hyperparameters", "exact values"),
)
def ln_eps_edges(learner, rng):
    grade_layernorm(learner, rng, (4, 5), eps=0.0)
    x = rng.normal(size=(4, 5))
    x[int(rng.integers(4))] = -1.5  # exact: its mean is -1.5, x − mean is 0
    grade_layernorm(learner, rng, (4, 5), x=x)
    grade_layernorm(learner, rng, (4, 5), x=x, eps=1e-12)


@check(
    "07_normalization/layernorm",
    "views: x and dout transposed (2-D and 3-D), gamma strided, beta reversed",
    regimes=("layout",),
)
def ln_views(learner, rng):
    for shape in ((5, 4), (2, 3, 4)):
        inputs = ln_inputs(rng, shape)
        inputs = {"x": view_of(inputs["x"], "T"), "gamma": view_of(inputs["gamma"], "step"),
                  "beta": view_of(inputs["beta"], "reversed")}  # fmt: skip
        grade_layernorm_given(learner, inputs, view_of(rng.normal(size=shape), "T"))


@check(
    "07_normalization/layernorm",
    "extremes: rows at 1e150, mixed scales in a row, a large offset, a tiny variance",
    regimes=("extremes",),
)
def ln_extremes(learner, rng):
    # huge and mixed-scale rows: out stays O(1), dx scales as 1/σ (1e-150), so the backward
    # is compared relatively (atol 1e-162)
    x = rng.normal(size=(3, 5))
    x[0] *= 1e150
    x[1] *= np.logspace(-3, 3, 5)  # features from 1e-3 to 1e3 in one row
    grade_layernorm_given(learner, ln_inputs(rng, x.shape, x), rng.normal(size=x.shape),
                          back_atol=1e-162)  # fmt: skip
    # x ~ 1e4 carries ~1e-12 of rounding, ~1e-10 in x̂ (σ ~ 1e-2): atol 1e-7, while the
    # one-pass variance is off by ~1e-4 relative there
    x = rng.normal(size=(3, 5))
    x[0] = 1e4 + 1e-2 * rng.normal(size=5)
    x[1] = 3.0 + 1e-3 * rng.normal(size=5)  # variance ~1e-6, next to eps = 1e-5
    grade_layernorm_given(learner, ln_inputs(rng, x.shape, x), rng.normal(size=x.shape),
                          atol=1e-7)  # fmt: skip
