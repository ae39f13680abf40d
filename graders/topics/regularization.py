"""Graders of 08_regularization: dropout (by properties), weight penalties, early stopping.

Dropout is random, so it is graded by properties, each statistical bound failing
a correct implementation with probability below 1e-6 (stated beside it).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from graders.engine.checks import (
    Mistake,
    assert_matches,
    check_outputs,
    expect_array,
    expect_float,
    expect_tuple,
)
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor
from graders.engine.registry import check

# A binomial count more than 5.5 standard deviations from its mean: probability below
# 4e-8 by the normal approximation, which is accurate here (n·p·(1 − p) > 100).
Z_BOUND = 5.5
SHAPE = (200, 150)  # 30000 elements per mask

# ---------------------------------------------------------------- dropout


def positive_input(rng, shape=SHAPE):
    """Values away from 0, so a dropped element (exactly 0) is never confused with a kept one."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def grade_dropout_training(learner, rng, p, function="dropout_forward", scaled=True, shape=SHAPE):
    x = positive_input(rng, shape)
    fn = learner.fn(function)
    seed = int(rng.integers(1 << 30))
    call = fn.describe(x, p, np.random.default_rng(seed))
    result = fn(x, p, np.random.default_rng(seed))
    out = result[0] if scaled and isinstance(result, tuple) else result
    if scaled and not isinstance(result, tuple):
        raise KataFailure(f"wrong return type\n  called   {call}\n  expected (out, cache)")
    out = expect_array(out, "out", x.shape, call)
    kept = out != 0
    n = x.size
    dropped = n - int(kept.sum())
    spread = Z_BOUND * math.sqrt(n * p * (1 - p))
    problems, looks = [], ""
    scale = 1 / (1 - p) if scaled else 1.0
    if kept.any() and not np.allclose(out[kept], x[kept] * scale, rtol=1e-12, atol=0):
        ratio = float(np.median(out[kept] / x[kept]))
        problems.append(
            f"kept values are x·{ratio:.4g}, expected x·{scale:.4g}"
            + (" = x/(1 − p)" if scaled else " (no scaling in training)")
        )
        if scaled and math.isclose(ratio, 1.0):
            looks = "no 1/(1 − p) scaling: inverted dropout divides the kept values by 1 − p."
        elif scaled and p > 0 and math.isclose(ratio, 1 / p, rel_tol=1e-9):
            looks = (
                "right under the keep-probability convention (as in CS231n); this kata uses "
                "PyTorch's drop probability: keep with probability 1 − p, divide by 1 − p."
            )
        elif not scaled and math.isclose(ratio, 1 / (1 - p)):
            looks = (
                "this is inverted dropout: the older form does not scale in training; it "
                "multiplies by 1 − p at test time instead."
            )
    if abs(dropped - n * p) > spread:
        problems.append(
            f"dropped {dropped} of {n} elements, expected {n * p:.0f} ± {spread:.0f} for p = {p}"
        )
        if not looks and abs(dropped - n * (1 - p)) <= spread:
            looks = (
                "right under the keep-probability convention (as in CS231n); this kata uses "
                "PyTorch's drop probability p: drop with probability p."
            )
    if scaled and not problems:  # E[out] = x: the mean of out/x is 1 within its bound
        mean = float(np.mean(out / x))
        bound = Z_BOUND * math.sqrt(p / ((1 - p) * n)) if p > 0 else 1e-12
        if abs(mean - 1) > bound:
            problems.append(f"mean of out/x is {mean:.4f}, expected 1 ± {bound:.4f}")
    if problems:
        raise KataFailure(
            f"wrong dropout\n  called   {call}\n  "
            + "\n  ".join(problems)
            + (f"\n  looks like: {looks}" if looks else "")
            + "\n  (statistical bounds fail a correct dropout with probability "
            "below 1e-6)"
        )
    return result


@check("08_regularization/dropout", "kept values x/(1 − p), drop rate and mean, p = 0.5, 0.2, 0.9")
def dropout_properties(learner, rng):
    for p in (0.5, 0.2, 0.9):
        grade_dropout_training(learner, rng, p)


@check("08_regularization/dropout", "p = 0 keeps everything; p = 0.99 keeps about 1%")
def dropout_edges(learner, rng):
    x = positive_input(rng)
    fn = learner.fn("dropout_forward")
    call = fn.describe(x, 0.0, np.random.default_rng(0))
    out, _ = expect_tuple(fn(x, 0.0, np.random.default_rng(0)), ("out", "cache"), call)
    if not np.array_equal(expect_array(out, "out", x.shape, call), x):
        raise KataFailure(
            f"wrong out\n  called   {call}\n  with p = 0 nothing is dropped: out must equal x"
        )
    grade_dropout_training(learner, rng, 0.99)


@check("08_regularization/dropout", "any shape: 1-D and 3-D inputs, p = 0.5 and 0.3")
def dropout_any_shape(learner, rng):
    # 3000 elements per mask: n·p·(1 − p) >= 630 > 100, so each Z_BOUND bound keeps its
    # 4e-8; four bounds (drop count and mean, two inputs): false failure below 2e-7.
    for shape, p in (((3000,), 0.5), ((10, 20, 15), 0.3)):
        grade_dropout_training(learner, rng, p, shape=shape)


@check("08_regularization/dropout", "eval mode is the identity and returns a new array")
def dropout_eval(learner, rng):
    x = positive_input(rng, (5, 4))
    fn = learner.fn("dropout_forward")
    call = fn.describe(x, 0.5, np.random.default_rng(0), training=False)
    out, cache = expect_tuple(
        fn(x, 0.5, np.random.default_rng(0), training=False), ("out", "cache"), call
    )
    out = expect_array(out, "out", x.shape, call)
    if not np.array_equal(out, x):
        raise KataFailure(
            f"wrong out in eval mode\n  called   {call}\n  looks like: dropout "
            "in eval: at test time inverted dropout is the identity."
        )
    if np.shares_memory(out, x):
        raise KataFailure(
            f"out is x itself\n  called   {call}\n  return a copy, so that "
            "changing out never changes the caller's x."
        )
    dout = rng.normal(size=x.shape)
    dx = expect_array(
        learner.fn("dropout_backward")(dout, cache),
        "dx",
        x.shape,
        "dropout_backward(dout, cache from eval mode)",
    )
    assert_matches(
        {"dx": dx},
        {"dx": dout},
        call="dropout_backward(dout, cache from eval mode)",
        oracle="the identity",
    )


@check("08_regularization/dropout", "backward uses the forward's mask")
def dropout_backward_mask(learner, rng):
    for p in (0.3, 0.7):
        x = positive_input(rng, (40, 30))
        forward = learner.fn("dropout_forward")
        seed = int(rng.integers(1 << 30))
        fcall = forward.describe(x, p, np.random.default_rng(seed))
        out, cache = expect_tuple(
            forward(x, p, np.random.default_rng(seed)), ("out", "cache"), fcall
        )
        out = expect_array(out, "out", x.shape, fcall)
        dout = rng.normal(size=x.shape)
        call = f"dropout_backward(dout=random (40, 30), cache from dropout_forward(x, p={p}, rng))"
        dx = expect_array(learner.fn("dropout_backward")(dout, cache), "dx", x.shape, call)
        expected = dout * out / x  # 1/(1 − p) where kept, 0 where dropped
        if not np.allclose(dx, expected, rtol=1e-12, atol=0):
            raise KataFailure(
                f"wrong dx\n  called   {call}\n  dx must be dout / (1 − p) where the forward kept "
                "x, and 0 where it dropped it.\n  looks like: a new mask in backward (or no "
                "scaling): keep the forward's mask, scaled, in the cache."
            )


@check("08_regularization/dropout", "same seed, same mask; other seed, other mask")
def dropout_reproducible(learner, rng):
    x = positive_input(rng, (30, 20))
    for name in ("dropout_forward", "dropout_forward_unscaled"):
        fn = learner.fn(name)
        runs = [fn(x, 0.5, np.random.default_rng(s)) for s in (11, 11, 12)]
        outs = [r[0] if isinstance(r, tuple) else r for r in runs]
        call = fn.describe(x, 0.5, np.random.default_rng(11))
        if not np.array_equal(outs[0], outs[1]):
            raise KataFailure(
                f"not reproducible\n  called   {call} twice\n  the same seed "
                "gave different masks: draw from `rng`, never np.random's globals."
            )
        if np.array_equal(outs[0], outs[2]):
            raise KataFailure(
                f"seed ignored\n  called   {call} and with seed 12\n  different "
                "seeds gave the same mask: draw from `rng`."
            )


@check(
    "08_regularization/dropout",
    "dropout_forward_unscaled: no scaling in training, ×(1 − p) at test",
)
def dropout_unscaled(learner, rng):
    for p in (0.5, 0.25):
        grade_dropout_training(learner, rng, p, "dropout_forward_unscaled", scaled=False)
    x = positive_input(rng, (6, 5))
    fn = learner.fn("dropout_forward_unscaled")
    call = fn.describe(x, 0.25, np.random.default_rng(0), training=False)
    out = expect_array(fn(x, 0.25, np.random.default_rng(0), training=False), "out", x.shape, call)
    if not np.allclose(out, 0.75 * x, rtol=1e-12):
        looks = (
            (
                "  looks like: the identity at test time is inverted dropout's rule; the older "
                "form multiplies by the keep probability 1 − p."
            )
            if np.allclose(out, x)
            else ""
        )
        raise KataFailure(
            f"wrong test-time output\n  called   {call}\n  expected x·(1 − p) = "
            f"x·0.75{chr(10) + looks if looks else ''}"
        )


# ---------------------------------------------------------------- weight penalties


def weight_list(rng):
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(5,)), rng.normal(size=(2, 2, 2))]
    weights[0][0, 0] = 0.0  # an exact zero: the L1 subgradient is 0 there
    return weights


def torch_penalty(weights, lam, kind):
    ts = [tensor(w).requires_grad_(True) for w in weights]
    penalty = lam * sum((t**2).sum() if kind == "l2" else t.abs().sum() for t in ts)
    grads = torch.autograd.grad(penalty, ts)
    return float(penalty.detach()), [g.numpy() for g in grads]


def grade_penalty(learner, rng, kind, lam, mistakes):
    weights = weight_list(rng)
    penalty, grads = torch_penalty(weights, lam, kind)
    function = f"{kind}_penalty"
    fn = learner.fn(function)
    call = fn.describe(weights, lam)
    result = fn(weights, lam)
    if (
        not isinstance(result, tuple)
        or len(result) != 2
        or not isinstance(result[1], (list, tuple))
    ):
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected (penalty, grads) "
            "with grads a list of arrays"
        )
    got_penalty, got_grads = result
    if len(got_grads) != len(weights):
        raise KataFailure(f"wrong grads\n  called   {call}\n  expected {len(weights)} arrays")
    got = {"penalty": expect_float(got_penalty, "penalty", call)}
    got.update(
        {
            f"grads[{i}]": expect_array(g, f"grads[{i}]", w.shape, call)
            for i, (g, w) in enumerate(zip(got_grads, weights))
        }
    )
    want = {"penalty": penalty, **{f"grads[{i}]": g for i, g in enumerate(grads)}}

    def as_dict(m):
        p, gs = m(weights, lam)
        return {"penalty": p, **{f"grads[{i}]": g for i, g in enumerate(gs)}}

    assert_matches(
        got,
        want,
        call=call,
        oracle=f"torch autograd of lam·Σ{'w²' if kind == 'l2' else '|w|'}",
        mistakes=[Mistake(s, lambda m=m: as_dict(m)) for s, m in mistakes],
    )


LAST_ARRAY_ONLY = (
    "the penalty of the last array only: `penalty = ...` inside the loop over weights "
    "overwrites it; add every array's term (penalty += ...)."
)


def _last_array_only(kind):
    def outputs(ws, lam):
        term = (
            (lambda w: float((w**2).sum())) if kind == "l2" else (lambda w: float(np.abs(w).sum()))
        )
        grads = [(2.0 * lam * w) if kind == "l2" else (lam * np.sign(w)) for w in ws]
        return lam * term(ws[-1]), grads

    return outputs


L2_MISTAKES = [
    (
        "the factor 2 missing in the L2 gradient: d/dw of lam·w² is 2·lam·w.",
        lambda ws, lam: (lam * sum(float((w**2).sum()) for w in ws), [lam * w for w in ws]),
    ),
    (
        "penalty with a ½: this kata's penalty is lam·Σw² (gradient 2·lam·w).",
        lambda ws, lam: (0.5 * lam * sum(float((w**2).sum()) for w in ws), [lam * w for w in ws]),
    ),
    (LAST_ARRAY_ONLY, _last_array_only("l2")),
]
L1_MISTAKES = [
    (
        "subgradient 1 at w = 0: use sign(w), which is 0 there (as PyTorch's abs).",
        lambda ws, lam: (
            lam * sum(float(np.abs(w).sum()) for w in ws),
            [lam * np.where(w >= 0, 1.0, -1.0) for w in ws],
        ),
    ),
    (
        "lam missing from the gradient: d/dw of lam·|w| is lam·sign(w).",
        lambda ws, lam: (lam * sum(float(np.abs(w).sum()) for w in ws), [np.sign(w) for w in ws]),
    ),
    (LAST_ARRAY_ONLY, _last_array_only("l1")),
]


@check("08_regularization/weight_penalties", "l2_penalty and its gradient match autograd")
def l2_values(learner, rng):
    grade_penalty(learner, rng, "l2", float(rng.uniform(0.01, 0.5)), L2_MISTAKES)


@check(
    "08_regularization/weight_penalties", "l1_penalty and its subgradient (0 at 0) match autograd"
)
def l1_values(learner, rng):
    grade_penalty(learner, rng, "l1", float(rng.uniform(0.01, 0.5)), L1_MISTAKES)


@check("08_regularization/weight_penalties", "l1_proximal_step matches F.softshrink, lr ≠ 1")
def l1_prox(learner, rng):
    for lr, lam in ((0.1, 0.5), (0.5, 0.2), (1.0, 0.3)):
        w = rng.normal(scale=0.5, size=(4, 5))
        w.flat[0], w.flat[1] = 0.0, lr * lam / 2  # already zero; inside the threshold
        with torch.no_grad():
            expected = F.softshrink(tensor(w), lambd=lr * lam).numpy()
        check_outputs(
            learner,
            "l1_proximal_step",
            (w, lr, lam),
            {"w": expected},
            oracle=f"F.softshrink(w, lambd=lr·lam = {lr * lam:g})",
            mistakes=[
                (
                    "a subgradient step (w − lr·lam·sign(w)), not the proximal step: clip at 0, "
                    "sign(w)·max(|w| − lr·lam, 0), so small weights land exactly on 0.",
                    lambda w, lr, lam: w - lr * lam * np.sign(w),
                ),
                (
                    "lr ignored: the threshold is lr·lam.",
                    lambda w, lr, lam: np.sign(w) * np.maximum(np.abs(w) - lam, 0),
                ),
            ],
        )


# ---------------------------------------------------------------- early stopping


def reference_early_stopping(
    losses, patience, min_delta, *, improves=None, reset=True, late=False, best_rule="argmin"
):
    """A second, independent reading of the contract (the oracle), with switches for the
    classic mistakes (diagnostics only): `improves(loss, best, min_delta)` in place of
    loss < best − min_delta, no reset of the count, a stop one epoch late, best_epoch
    as the last improvement."""
    improves = improves or (lambda loss, best, md: loss < best - md)
    best, waited, last_improved = math.inf, 0, 0
    stop = len(losses) - 1
    for epoch, loss in enumerate(losses):
        improved = improves(loss, best, min_delta)
        if improved:
            best, last_improved = loss, epoch
        waited = 0 if improved and reset else waited + (not improved)
        if waited == patience + late:
            stop = epoch
            break
    if best_rule == "last improvement":
        return stop, last_improved
    return stop, int(np.argmin(losses[: stop + 1]))


EARLY_STOPPING_MISTAKES = [
    (
        "ties count as improvements (loss <= best − min_delta): an epoch improves only when "
        "its loss is strictly below best − min_delta.",
        {"improves": lambda loss, best, md: loss <= best - md},
    ),
    (
        "the patience count not reset when an epoch improves: it counts epochs in a row "
        "without improvement.",
        {"reset": False},
    ),
    (
        "stops one epoch late: stop_epoch is the epoch at which the count reaches patience.",
        {"late": True},
    ),
    (
        "min_delta ignored: an epoch improves only when loss < best − min_delta.",
        {"improves": lambda loss, best, md: loss < best},
    ),
    (
        "min_delta as a relative threshold (loss < best·(1 − min_delta)): this kata's "
        "min_delta is absolute, as in Keras and Lightning: loss < best − min_delta.",
        {"improves": lambda loss, best, md: loss < best * (1 - md)},
    ),
    (
        "best_epoch as the last improvement: with min_delta > 0 a lower loss that is not "
        "min_delta better does not count as an improvement, yet it is the best loss; "
        "best_epoch is the index of the lowest loss up to stop_epoch.",
        {"best_rule": "last improvement"},
    ),
]


def early_stopping_mistake(fn, cases, always_kwarg) -> str:
    """'  looks like: ...' when one listed mistake gives the learner's answer on every case."""
    try:
        got = [
            tuple(int(v) for v in fn(list(losses), patience, **kwargs))
            for losses, patience, kwargs in (
                (losses, patience, {"min_delta": md} if md or always_kwarg else {})
                for losses, patience, md in cases
            )
        ]
    except (KataFailure, LearnerRaised, NotStarted, TypeError, ValueError):  # only naming it
        return ""
    for says, switches in EARLY_STOPPING_MISTAKES:
        if got == [reference_early_stopping(*case, **switches) for case in cases]:
            return f"\n  looks like: {says}"
    return ""


def call_early_stopping(fn, losses, patience, min_delta, always_kwarg):
    """The learner's (stop_epoch, best_epoch). The call wrapper checks that the list of
    losses comes back unchanged."""
    kwargs = {"min_delta": min_delta} if min_delta or always_kwarg else {}
    call = fn.describe(losses, patience, **kwargs)
    result = fn(list(losses), patience, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected "
            f"(stop_epoch, best_epoch), got {result!r}"
        )
    if not all(isinstance(v, (int, np.integer)) for v in result):
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected two integer epoch "
            f"indices (stop_epoch, best_epoch), got {result!r}"
        )
    return tuple(int(v) for v in result)


def grade_early_stopping(fn, cases, always_kwarg, explain):
    """Each case against the oracle; on the first difference, the rule (when `explain`)
    and the listed mistake that gives the learner's answers on every case."""
    for losses, patience, min_delta in cases:
        got = call_early_stopping(fn, losses, patience, min_delta, always_kwarg)
        want = reference_early_stopping(losses, patience, min_delta)
        if got == want:
            continue
        rule = (
            "\n  an epoch improves when loss < best − min_delta (strictly); stop at the first "
            f"index where {patience} epoch(s) in a row did not improve; best_epoch is the index "
            "of the lowest loss up to stop_epoch."
        )
        raise KataFailure(
            f"wrong epochs\n  called   early_stopping({losses}, patience={patience}, "
            f"min_delta={min_delta})\n  got      (stop_epoch, best_epoch) = {got}\n"
            f"  expected {want}"
            + (rule if explain else "")
            + early_stopping_mistake(fn, cases, always_kwarg)
        )


CASES = [
    # (val_losses, patience, min_delta): exact binary fractions, so boundaries are exact
    ([1.0, 0.5, 0.75, 0.625, 0.875], 2, 0.0),  # stops at 3
    ([1.0, 0.5, 0.75, 0.25, 0.875, 1.0], 2, 0.0),  # an improvement resets the count
    ([1.0, 0.75, 0.5, 0.25], 1, 0.0),  # never stops: last index
    ([1.0, 0.75, 0.5, 0.5, 0.5], 2, 0.0),  # equal is not an improvement
    ([1.0, 0.75, 0.625, 0.5], 1, 0.25),  # 0.75 = 1 − 0.25 exactly: not better
    ([1.0, 0.5, 0.375, 0.25, 0.125], 2, 0.25),  # small gains do not count; best = argmin
    ([0.5], 3, 0.0),  # one epoch
    ([2.0, 1.0, 1.5, 1.5, 1.5, 0.5], 3, 0.0),  # stops at 4, before the late 0.5
]


@check("08_regularization/early_stopping", "patience and min_delta at their boundaries")
def early_stopping_cases(learner, rng):
    fn = learner.fn("early_stopping")
    cases = [CASES[i] for i in rng.permutation(len(CASES))]
    grade_early_stopping(fn, cases, always_kwarg=False, explain=True)


@check("08_regularization/early_stopping", "random loss curves")
def early_stopping_random(learner, rng):
    fn = learner.fn("early_stopping")
    cases = []
    for _ in range(20):
        n = int(rng.integers(3, 30))
        losses = [float(v) for v in np.round(np.cumsum(rng.normal(-0.05, 0.2, size=n)) + 5, 2)]
        cases.append((losses, int(rng.integers(1, 5)), float(rng.choice([0.0, 0.05, 0.1]))))
    grade_early_stopping(fn, cases, always_kwarg=True, explain=False)
