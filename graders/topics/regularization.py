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
    expect_tuple,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor
from graders.engine.registry import check, not_applicable

# A binomial count more than 5.5 standard deviations from its mean: probability about
# 4e-8 by the normal approximation (n·p·(1 − p) > 100 in every use). Exact binomial tails
# agree: 3.2e-8 to 4.2e-8 for the sizes and p used here, 8.4e-8 at the most skewed one
# (n = 30000, p = 0.99); below 1e-7 each.
Z_BOUND = 5.5
SHAPE = (200, 150)  # 30000 elements per mask

# ---------------------------------------------------------------- dropout

not_applicable(
    "08_regularization/dropout",
    process="one mask drawn per call, no steps: each call's mask is graded on its own, and "
    "successive calls (fresh masks from one advancing rng) under randomness",
)


def positive_input(rng, shape=SHAPE):
    """Values away from 0, so a dropped element (exactly 0) is never confused with a kept one."""
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def dropout_out(fn, x, p, generator, scaled, call, **kwargs):
    """The learner's out (a float64 array shaped like x), and the cache (None unscaled)."""
    result = fn(x, p, generator, **kwargs)
    if scaled:
        out, cache = expect_tuple(result, ("out", "cache"), call)
    else:
        out, cache = result, None
    return expect_array(out, "out", x.shape, call), cache


def grade_dropout_training(
    learner, rng, p, function="dropout_forward", scaled=True, shape=SHAPE, x=None, note="",
    seed=None,
):  # fmt: skip
    x = positive_input(rng, shape) if x is None else x
    fn = learner.fn(function)
    seed = int(rng.integers(1 << 30)) if seed is None else seed
    call = fn.describe(x, p, np.random.default_rng(seed)) + note
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


@check(
    "08_regularization/dropout",
    "kept values x/(1 − p), drop rate and mean, p = 0.5, 0.2, 0.9",
    regimes=("hyperparameters", "randomness"),
)
def dropout_properties(learner, rng):
    for p in (0.5, 0.2, 0.9):
        grade_dropout_training(learner, rng, p)


@check(
    "08_regularization/dropout",
    "p = 0 keeps everything; p = 0.99 keeps about 1%",
    regimes=("hyperparameters", "aliasing"),
)
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


@check(
    "08_regularization/dropout",
    "p = 1 drops everything: out and dx are zeros, never nan (F.dropout at p = 1)",
    regimes=("hyperparameters",),
)
def dropout_p_one(learner, rng):
    x = positive_input(rng, (7, 6))
    with torch.no_grad():  # the oracle's convention: zeros (torch special-cases p = 1)
        zeros = F.dropout(tensor(x), p=1.0, training=True).numpy()
    for function, scaled in (("dropout_forward", True), ("dropout_forward_unscaled", False)):
        fn = learner.fn(function)
        for training in (True, False):
            kwargs = {} if training else {"training": False}
            call = fn.describe(x, 1.0, np.random.default_rng(0), **kwargs)
            with np.errstate(divide="ignore", invalid="ignore"):
                out, cache = dropout_out(
                    fn, x, 1.0, np.random.default_rng(0), scaled, call, **kwargs
                )
            if scaled and not training:
                continue  # eval mode is the identity whatever p: graded elsewhere
            if not np.array_equal(out, zeros):
                nan = "nan" if np.isnan(out).any() else "non-zero values"
                raise KataFailure(
                    f"wrong out at p = 1\n  called   {call}\n  got      {nan} ({_head(out)})\n"
                    "  expected all zeros: at p = 1 every element is dropped (F.dropout "
                    "returns zeros)"
                    + (
                        "\n  looks like: keep / (1 − p) at p = 1 is 0/0 = nan: return zeros "
                        "when p = 1."
                        if np.isnan(out).any()
                        else ""
                    )
                )
            if scaled:
                dout = rng.normal(size=x.shape)
                bcall = "dropout_backward(dout, cache from dropout_forward(x, p=1.0, rng))"
                with np.errstate(divide="ignore", invalid="ignore"):
                    dx = expect_array(
                        learner.fn("dropout_backward")(dout, cache), "dx", x.shape, bcall
                    )
                if not np.array_equal(dx, np.zeros(x.shape)):
                    raise KataFailure(
                        f"wrong dx at p = 1\n  called   {bcall}\n  got      {_head(dx)}\n"
                        "  expected all zeros: nothing was kept, so no gradient flows"
                    )


def _head(a) -> str:
    flat = np.asarray(a, dtype=float).ravel()
    return np.array2string(flat[:4], precision=4, separator=", ") + (
        " ..." if flat.size > 4 else ""
    )


@check(
    "08_regularization/dropout",
    "any shape: 1-D and 3-D inputs, p = 0.5 and 0.3",
    regimes=("shapes", "randomness"),
)
def dropout_any_shape(learner, rng):
    # 3000 elements per mask: n·p·(1 − p) >= 630 > 100, so each Z_BOUND bound keeps its
    # 4e-8; four bounds (drop count and mean, two inputs): false failure below 2e-7.
    # One row (1, 500) too: n·p·(1 − p) = 125; two more bounds, below 3e-7 in all.
    for shape, p in (((3000,), 0.5), ((10, 20, 15), 0.3), ((1, 500), 0.5)):
        grade_dropout_training(learner, rng, p, shape=shape)


@check(
    "08_regularization/dropout",
    "nothing to do (eval mode, p = 0): the identity, as new arrays",
    regimes=("aliasing", "hyperparameters"),
)
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
    # p = 0 in training: nothing dropped, nothing scaled; the results are new arrays (the
    # call wrapper fails a result that shares x's or dout's memory)
    _, cache = expect_tuple(fn(x, 0.0, np.random.default_rng(1)), ("out", "cache"), call)
    learner.fn("dropout_backward")(dout, cache)
    unscaled = learner.fn("dropout_forward_unscaled")
    for kwargs in ({}, {"training": False}):
        ucall = unscaled.describe(x, 0.0, np.random.default_rng(2), **kwargs)
        out = expect_array(
            unscaled(x, 0.0, np.random.default_rng(2), **kwargs), "out", x.shape, ucall
        )
        if not np.array_equal(out, x):
            raise KataFailure(
                f"wrong out\n  called   {ucall}\n  with p = 0 nothing is dropped and x·(1 − p) "
                "= x: out must equal x"
            )


@check(
    "08_regularization/dropout",
    "backward uses the forward's mask, kept zeros of x included",
    regimes=("exact values",),
)
def dropout_backward_mask(learner, rng):
    for p in (0.3, 0.7):
        x = positive_input(rng, (40, 30))
        zeros = rng.choice(x.size, size=300, replace=False)
        x.flat[zeros] = 0.0  # exact zeros: out is 0 there whether kept or dropped
        forward = learner.fn("dropout_forward")
        seed = int(rng.integers(1 << 30))
        fcall = forward.describe(x, p, np.random.default_rng(seed))
        out, cache = expect_tuple(
            forward(x, p, np.random.default_rng(seed)), ("out", "cache"), fcall
        )
        out = expect_array(out, "out", x.shape, fcall)
        if np.any(out.flat[zeros] != 0):
            raise KataFailure(
                f"wrong out\n  called   {fcall}\n  where x is exactly 0, out must be 0 "
                "(kept: 0/(1 − p); dropped: 0)"
            )
        dout = rng.normal(size=x.shape)
        call = (
            f"dropout_backward(dout=random (40, 30), cache from dropout_forward(x with 300 "
            f"exact zeros, p={p}, rng))"
        )
        dx = expect_array(learner.fn("dropout_backward")(dout, cache), "dx", x.shape, call)
        nonzero = x != 0
        expected = np.zeros(x.shape)
        expected[nonzero] = dout[nonzero] * out[nonzero] / x[nonzero]  # 1/(1 − p) or 0
        if not np.allclose(dx[nonzero], expected[nonzero], rtol=1e-12, atol=0):
            raise KataFailure(
                f"wrong dx\n  called   {call}\n  dx must be dout / (1 − p) where the forward kept "
                "x, and 0 where it dropped it.\n  looks like: a new mask in backward (or no "
                "scaling): keep the forward's mask, scaled, in the cache."
            )
        factor = dx.flat[zeros] / dout.flat[zeros]
        legal = np.isclose(factor, 0.0, atol=1e-12) | np.isclose(factor, 1 / (1 - p), rtol=1e-12)
        # 300 zeros of x, each kept with probability 1 − p >= 0.3: all of them dropped has
        # probability 0.7**300 < 1e-46
        if not legal.all() or not np.any(factor != 0):
            raise KataFailure(
                f"wrong dx where x = 0\n  called   {call}\n  got dx = dout·{_head(factor)} at the "
                f"300 zeros of x; expected dout/(1 − p) = dout·{1 / (1 - p):.4g} at the kept "
                "ones (about 1 − p of them) and 0 at the dropped ones\n  looks like: the mask "
                "recovered from out != 0: a kept x = 0 gives out = 0 too; keep the mask itself "
                "in the cache."
            )


@check(
    "08_regularization/dropout",
    "same seed, same mask; other seed, other mask",
    regimes=("randomness",),
)
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


# Thirty calls with one rng on 200 elements at p = 0.5: S = Σ (count − n·p)² / (n·p·(1 − p))
# is close to chi²(30). Exactly (a dynamic programme over the Binomial(200, 0.5) counts):
# P(S < 4) = 3.6e-9 and P(S > 90) = 5.7e-8, so the two bounds fail a correct dropout with
# probability below 7e-8 per form, 1.3e-7 for both. A fixed count per call gives S ≈ 0.
CALLS, CALL_SHAPE, S_LOW, S_HIGH = 30, (10, 20), 4.0, 90.0
FIXED_COUNT = (
    "a fixed number of drops per call (exactly round(p·n)): the count of dropped elements "
    "is Binomial(n, p); drop each element on its own (rng.random(x.shape) >= p)."
)


@check(
    "08_regularization/dropout",
    "fresh masks on each call with one rng; drop counts spread as Binomial(n, p)",
    regimes=("randomness",),
)
def dropout_across_calls(learner, rng):
    x = positive_input(rng, CALL_SHAPE)
    n, p = x.size, 0.5
    for function, scaled in (("dropout_forward", True), ("dropout_forward_unscaled", False)):
        fn = learner.fn(function)
        generator = np.random.default_rng(int(rng.integers(1 << 30)))
        call = fn.describe(x, p, generator) + f", {CALLS} times with the same rng"
        masks = np.array(
            [dropout_out(fn, x, p, generator, scaled, call)[0] == 0 for _ in range(CALLS)]
        )
        # two independent masks of 200 elements agree everywhere with probability 2^-200
        repeats = [k for k in range(1, CALLS) if np.array_equal(masks[k], masks[k - 1])]
        if repeats:
            raise KataFailure(
                f"the same mask twice\n  called   {call}\n  calls {repeats[0]} and "
                f"{repeats[0] + 1} dropped exactly the same elements\n  looks like: a mask "
                "shared across calls: draw from rng itself, which advances (not a copy of it, "
                "nor a mask kept from an earlier call), so each call gets a fresh mask."
            )
        counts = masks.reshape(CALLS, -1).sum(axis=1)
        s = float(((counts - n * p) ** 2).sum() / (n * p * (1 - p)))
        if not S_LOW <= s <= S_HIGH:
            few = s < S_LOW
            raise KataFailure(
                f"wrong spread of the drop count\n  called   {call}\n  dropped "
                f"{counts.tolist()[:10]} ... elements of {n}\n  their spread "
                f"Σ(count − n·p)²/(n·p·(1 − p)) = {s:.3g}, expected within [{S_LOW:g}, "
                f"{S_HIGH:g}] (about {CALLS}, as for Binomial(n, p) counts; the bounds fail a "
                "correct dropout with probability below 1e-7)"
                + (f"\n  looks like: {FIXED_COUNT}" if few else "")
            )


FIBER_LOW, FIBER_HIGH = 1 / 3, 3.0


@check(
    "08_regularization/dropout",
    "independent elements: no mask shared along an axis, no fixed count per row (2-D, 3-D)",
    regimes=("randomness", "shapes"),
)
def dropout_independence(learner, rng):
    # Along each axis, the count dropped in each 1-D fiber is Binomial(m, p) (m the axis
    # length), independently: S/M (M fibers) is near 1. Exactly, by a dynamic programme
    # over the binomial counts: P(S/M outside [1/3, 3]) is below 4e-11 for the smallest
    # case here (M = 100 fibers of 120); five such bounds per form: below 1e-9 in all. A
    # mask shared along the axis gives S/M >= m·min(p, 1 − p) >= 6; a fixed count per
    # fiber S ≈ 0.
    # Fiber counts do not see a correlation between neighbours (one draw shared by two
    # elements only doubles S/M): at p = 0.5 the agreements mask[i] == mask[i + 1] of
    # neighbours along an axis are independent fair coins (the XOR of independent fair
    # bits), so their count over the N >= 22800 neighbouring pairs is exactly
    # Binomial(N, 1/2); a count beyond Z_BOUND standard deviations has probability below
    # 4e-8 (exact tails), three axes and two forms: below 2.4e-7. Neighbours that share
    # one draw in two agree about 3/4 of the time.
    for shape, p in (((100, 120), 0.3), ((20, 30, 40), 0.5)):
        x = positive_input(rng, shape)
        for function, scaled in (("dropout_forward", True), ("dropout_forward_unscaled", False)):
            fn = learner.fn(function)
            generator = np.random.default_rng(int(rng.integers(1 << 30)))
            call = fn.describe(x, p, generator)
            dropped = dropout_out(fn, x, p, generator, scaled, call)[0] == 0
            for axis, m in enumerate(shape):
                counts = dropped.sum(axis=axis)
                ratio = float(((counts - m * p) ** 2).sum() / (m * p * (1 - p)) / counts.size)
                if FIBER_LOW <= ratio <= FIBER_HIGH:
                    continue
                if ratio > FIBER_HIGH:
                    looks = (
                        f"a mask shared along axis {axis}: drawn for a smaller shape and "
                        "broadcast, it drops whole lines; draw one uniform per element, "
                        "rng.random(x.shape)."
                    )
                else:
                    looks = (
                        f"a fixed number of drops in each line along axis {axis} (exactly "
                        f"round(p·{m})): each element is dropped on its own."
                    )
                raise KataFailure(
                    f"elements not independent\n  called   {call}\n  the drop counts of the "
                    f"{counts.size} lines along axis {axis} (each of {m} elements) spread by "
                    f"{ratio:.3g} times a binomial's, expected within [{FIBER_LOW:.3g}, "
                    f"{FIBER_HIGH:g}] (false failure below 1e-9)\n  looks like: {looks}"
                )
            if p == 0.5:
                neighbours_agree(dropped, call)


NEIGHBOURS = (
    "neighbouring elements share a draw (one uniform drawn for several elements, or a mask "
    "repeated or tiled from a smaller one): draw one uniform per element, rng.random(x.shape)."
)


def neighbours_agree(dropped, call):
    """At p = 0.5: along each axis, how often neighbours are both kept or both dropped
    (a fair coin per pair for a correct dropout; the bound is stated in the caller)."""
    for axis, m in enumerate(dropped.shape):
        if m < 2:
            continue
        first = np.take(dropped, np.arange(m - 1), axis=axis)
        agree = first == np.take(dropped, np.arange(1, m), axis=axis)
        pairs, count = agree.size, int(agree.sum())
        spread = Z_BOUND * math.sqrt(pairs / 4)
        if abs(count - pairs / 2) <= spread:
            continue
        raise KataFailure(
            f"elements not independent\n  called   {call}\n  neighbours along axis {axis} "
            f"were both kept or both dropped in {count} of {pairs} pairs, expected "
            f"{pairs / 2:.0f} ± {spread:.0f} (half of them, at p = 0.5; false failure below "
            "1e-7)" + (f"\n  looks like: {NEIGHBOURS}" if count > pairs / 2 else "")
        )


@check(
    "08_regularization/dropout",
    "a single element over 60 calls: dropped with probability p, not always or never",
    regimes=("randomness", "shapes"),
)
def dropout_single_element(learner, rng):
    # 60 calls at p = 0.5: all the same outcome has probability 2·2^-60 < 2e-18; a drop
    # count outside 30 ± 21 (exact binomial tails) has probability 5.2e-9 per form.
    x, p, draws = np.array([1.5]), 0.5, 60
    for function, scaled in (("dropout_forward", True), ("dropout_forward_unscaled", False)):
        fn = learner.fn(function)
        generator = np.random.default_rng(int(rng.integers(1 << 30)))
        call = fn.describe(x, p, generator) + f", {draws} times with the same rng"
        dropped = [
            bool(dropout_out(fn, x, p, generator, scaled, call)[0][0] == 0) for _ in range(draws)
        ]
        count = sum(dropped)
        if count in (0, draws) or abs(count - draws * p) > 21:
            raise KataFailure(
                f"wrong drop rate for one element\n  called   {call}\n  dropped it {count} "
                f"times of {draws}, expected about {draws * p:.0f} (within ±21)"
                + (f"\n  looks like: {FIXED_COUNT}" if count in (0, draws) else "")
            )


@check(
    "08_regularization/dropout",
    "overflow-scale and tiny x: dropped exactly 0, kept x/(1 − p) (inf where it overflows)",
    regimes=("extremes",),
)
def dropout_extremes(learner, rng):
    shape = (40, 50)
    n = shape[0] * shape[1]
    kinds = rng.permutation(np.arange(n) % 3).reshape(shape)  # mixed scales in every row
    x = np.where(
        kinds == 0,
        rng.uniform(0.6, 1.0, size=shape) * 1e308,  # x/(1 − p) overflows: inf, as in torch
        np.where(kinds == 1, rng.uniform(1.0, 2.0, size=shape) * 1e-300, rng.normal(size=shape)),
    ) * rng.choice([-1.0, 1.0], size=shape)
    x[x == 0] = 1.0
    fn = learner.fn("dropout_forward")
    for p in (0.5, 1 - 2.0**-20):  # scale 2 (huge values overflow); scale 2^20 exactly
        scale = 1 / (1 - p)
        seed = int(rng.integers(1 << 30))
        call = fn.describe(x, p, np.random.default_rng(seed)) + (
            " with x mixing ±1e308, ±1e-300 and ±1 in every row"
        )
        with np.errstate(all="ignore"):
            out, _ = dropout_out(fn, x, p, np.random.default_rng(seed), True, call)
            want = x * scale  # torch's dropout computes x · (mask / (1 − p)): inf if it overflows
        bad = np.isnan(out) | ((out != 0) & ~np.isclose(out, want, rtol=1e-12, atol=0))
        if bad.any():
            i = tuple(int(v) for v in np.argwhere(bad)[0])
            nan = bool(np.isnan(out[i]))
            raise KataFailure(
                f"wrong out at extreme scale\n  called   {call}\n  out{list(i)} = {out[i]:.6g} "
                f"for x{list(i)} = {x[i]:.6g}; expected 0 (dropped) or x/(1 − p) = "
                f"{want[i]:.6g} (kept; inf where it overflows, as torch)"
                + (
                    "\n  looks like: scaled before masking: x/(1 − p) = inf times a dropped 0 "
                    "is nan; multiply by the mask first (x · (keep / (1 − p)))."
                    if nan
                    else ""
                )
            )
        if p == 0.5:
            dropped = int((out == 0).sum())
            spread = Z_BOUND * math.sqrt(n * p * (1 - p))  # 4e-8, as above
            if abs(dropped - n * p) > spread:
                raise KataFailure(
                    f"wrong dropout\n  called   {call}\n  dropped {dropped} of {n} elements, "
                    f"expected {n * p:.0f} ± {spread:.0f}"
                )


def on_view(learner, rng, x, note, function="dropout_forward", scaled=True):
    """grade_dropout_training on a view; a failure says whether a C-contiguous copy of the
    same values, with the same seed, passes (then the layout is what the code gets wrong)."""
    seed = int(rng.integers(1 << 30))
    try:
        return grade_dropout_training(
            learner, rng, 0.3, function, scaled, x=x, note=note, seed=seed
        )
    except KataFailure as failure:
        try:
            grade_dropout_training(
                learner, rng, 0.3, function, scaled, x=np.ascontiguousarray(x), seed=seed
            )
        except KataFailure:
            raise failure from None
        raise KataFailure(
            f"{failure}\n  a C-contiguous copy of the same x, with the same seed, passes: "
            "your code depends on the memory layout of x (a reshape or ravel that copies, "
            "then a write into the copy?)"
        ) from None


VIEWS = (
    ("x.T of a fresh array", lambda a: a.T),
    ("a strided view x[:, ::2]", lambda a: a[:, ::2]),
    ("a reversed view x[::-1]", lambda a: a[::-1]),
)


@check(
    "08_regularization/dropout",
    "non-contiguous x and dout (transposed, strided, reversed): forward, backward, eval",
    regimes=("layout",),
)
def dropout_layouts(learner, rng):
    # 2400 to 4800 elements per mask at p = 0.3: n·p·(1 − p) >= 504; twelve Z_BOUND
    # bounds (count and mean, three views, two forms) fail a correct dropout with
    # probability below 5e-7.
    base = positive_input(rng, (60, 80))
    backward = learner.fn("dropout_backward")
    for label, view_of in VIEWS:
        x = view_of(base)
        note = f"  (x is {label})"
        out, cache = on_view(learner, rng, x, note)
        out = np.asarray(out)
        dout = view_of(rng.normal(size=base.shape))
        call = f"dropout_backward(dout = {label.replace('x', 'dout', 1)}, cache)"
        dx = expect_array(backward(dout, cache), "dx", x.shape, call)
        if not np.allclose(dx, dout * out / x, rtol=1e-12, atol=0):
            raise KataFailure(
                f"wrong dx\n  called   {call}\n  dx must be dout / (1 − p) where the forward "
                "kept x and 0 where it dropped it, whatever the layout of x and dout"
            )
        on_view(learner, rng, x, note, "dropout_forward_unscaled", scaled=False)
        fn = learner.fn("dropout_forward")
        ecall = fn.describe(x, 0.3, np.random.default_rng(0), training=False) + note
        eval_out, _ = dropout_out(fn, x, 0.3, np.random.default_rng(0), True, ecall, training=False)
        if not np.array_equal(eval_out, x):
            raise KataFailure(f"wrong out in eval mode\n  called   {ecall}\n  expected x")


@check(
    "08_regularization/dropout",
    "dropout_forward_unscaled: no scaling in training, ×(1 − p) at test",
    regimes=("hyperparameters", "randomness"),
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
            else (
                "  looks like: right under the keep-probability convention (as in CS231n): "
                "x·p at test time; this kata's p is the drop probability, so x·(1 − p)."
            )
            if np.allclose(out, 0.25 * x)
            else ""
        )
        raise KataFailure(
            f"wrong test-time output\n  called   {call}\n  expected x·(1 − p) = "
            f"x·0.75{chr(10) + looks if looks else ''}"
        )


# ---------------------------------------------------------------- weight penalties

NO_RNG = "deterministic: takes no rng and draws nothing"
not_applicable(
    "08_regularization/weight_penalties",
    randomness=NO_RNG,
    process="one evaluation of a penalty and its gradient, and one proximal step: no loop, "
    "schedule or stopping rule",
)


def weight_list(rng):
    """A 2-D matrix, a 1-D bias-like vector, a 3-D tensor and a (1, 1) one: every array of
    the list is penalised, the 1-D ones included."""
    weights = [
        rng.normal(size=(3, 4)),
        rng.normal(size=(5,)),
        rng.normal(size=(2, 3, 2)),
        rng.normal(size=(1, 1)),
    ]
    weights[0][0, 0] = 0.0  # exact zeros: the L1 subgradient is 0 there
    weights[2][1, 2, 0] = -0.0
    weights[1][3] = 0.0
    return weights


def torch_penalty(weights, lam, kind):
    ts = [tensor(w).requires_grad_(True) for w in weights]
    terms = [(t**2).sum() if kind == "l2" else t.abs().sum() for t in ts]
    penalty = lam * sum(terms, torch.zeros((), dtype=torch.float64))
    if not ts:
        return float(penalty), []
    grads = torch.autograd.grad(penalty, ts)
    return float(penalty.detach()), [g.numpy() for g in grads]


def penalty_result(result, weights, call):
    """The learner's (penalty, grads) by name, after checking the contract's types: a
    float (not an int, not an array), and a list of float64 arrays shaped like weights."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected a tuple (penalty, grads), got "
            f"{describe_value(result)}"
        )
    got_penalty, got_grads = result
    if (
        isinstance(got_penalty, np.ndarray)
        and got_penalty.shape == ()
        and got_penalty.dtype.kind == "f"
    ):
        got_penalty = got_penalty[()]
    if not isinstance(got_penalty, (float, np.floating)):
        raise KataFailure(
            f"wrong penalty\n  called   {call}\n  expected a float, not "
            f"{type(got_penalty).__name__} ({describe_value(got_penalty)}); with lam = 0 too "
            "(0.0, not 0)"
        )
    if not isinstance(got_grads, list):
        raise KataFailure(
            f"wrong grads\n  called   {call}\n  expected a list of arrays, one per weight "
            f"array, got {describe_value(got_grads)}"
        )
    if len(got_grads) != len(weights):
        raise KataFailure(
            f"wrong grads\n  called   {call}\n  got a list of {len(got_grads)} arrays, expected "
            f"{len(weights)}: one gradient per array of weights, in the same order"
        )
    got = {"penalty": float(got_penalty)}
    got.update(
        {
            f"grads[{i}]": expect_array(g, f"grads[{i}]", w.shape, call)
            for i, (g, w) in enumerate(zip(got_grads, weights))
        }
    )
    return got


def grade_penalty(learner, kind, weights, lam, mistakes, note=""):
    penalty, grads = torch_penalty(weights, lam, kind)
    function = f"{kind}_penalty"
    fn = learner.fn(function)
    call = fn.describe(weights, lam) + note
    got = penalty_result(fn(weights, lam), weights, call)
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
    return got


LAST_ARRAY_ONLY = (
    "the penalty of the last array only: `penalty = ...` inside the loop over weights "
    "overwrites it; add every array's term (penalty += ...)."
)
BIASES_LEFT_OUT = (
    "1-D arrays left out as biases: this kata penalises every array it is given (leaving the "
    "biases out is the caller's choice: they are simply not passed in)."
)


def _square(w):
    return float((w**2).sum())


def _absolute(w):
    return float(np.abs(w).sum())


def _last_array_only(kind):
    def outputs(ws, lam):
        term = _square if kind == "l2" else _absolute
        grads = [(2.0 * lam * w) if kind == "l2" else (lam * np.sign(w)) for w in ws]
        return lam * term(ws[-1]), grads

    return outputs


def _biases_left_out(kind):
    def outputs(ws, lam):
        term = _square if kind == "l2" else _absolute
        grad = (lambda w: 2.0 * lam * w) if kind == "l2" else (lambda w: lam * np.sign(w))
        penalty = lam * sum(term(w) for w in ws if w.ndim > 1)
        return penalty, [grad(w) if w.ndim > 1 else np.zeros(w.shape) for w in ws]

    return outputs


L2_MISTAKES = [
    (
        "the factor 2 missing in the L2 gradient: d/dw of lam·w² is 2·lam·w.",
        lambda ws, lam: (lam * sum(map(_square, ws)), [lam * w for w in ws]),
    ),
    (
        "penalty with a ½ (the ½·lam·Σw² convention, gradient lam·w): right under that "
        "convention; this kata's penalty is lam·Σw², gradient 2·lam·w.",
        lambda ws, lam: (0.5 * lam * sum(map(_square, ws)), [lam * w for w in ws]),
    ),
    (
        "a mean over the elements: the penalty sums w² over every element (lam·Σw²).",
        lambda ws, lam: (
            lam * sum(float(np.mean(w**2)) for w in ws),
            [2.0 * lam * w / w.size for w in ws],
        ),
    ),
    (BIASES_LEFT_OUT, _biases_left_out("l2")),
    (LAST_ARRAY_ONLY, _last_array_only("l2")),
]
L1_MISTAKES = [
    (
        "subgradient ±1 at w = 0 (w >= 0 taken as positive): use sign(w), which is 0 there "
        "(as PyTorch's abs).",
        lambda ws, lam: (
            lam * sum(map(_absolute, ws)),
            [lam * np.where(w >= 0, 1.0, -1.0) for w in ws],
        ),
    ),
    (
        "subgradient ±1 at w = 0 (w > 0 taken as positive, the rest as negative): use "
        "sign(w), which is 0 there (as PyTorch's abs).",
        lambda ws, lam: (
            lam * sum(map(_absolute, ws)),
            [lam * np.where(w > 0, 1.0, -1.0) for w in ws],
        ),
    ),
    (
        "lam missing from the gradient: d/dw of lam·|w| is lam·sign(w).",
        lambda ws, lam: (lam * sum(map(_absolute, ws)), [np.sign(w) for w in ws]),
    ),
    *(
        (
            "a smoothed sign w / (|w| + eps): it is far from ±1 where |w| is near eps or "
            "below; use np.sign(w), exactly ±1 (0 at 0).",
            lambda ws, lam, eps=eps: (
                lam * sum(map(_absolute, ws)),
                [lam * w / (np.abs(w) + eps) for w in ws],
            ),
        )
        for eps in (1e-12, 1e-10, 1e-8, 1e-15)  # the usual epsilons
    ),
    (BIASES_LEFT_OUT, _biases_left_out("l1")),
    (LAST_ARRAY_ONLY, _last_array_only("l1")),
]
MISTAKES = {"l2": L2_MISTAKES, "l1": L1_MISTAKES}


@check(
    "08_regularization/weight_penalties",
    "l2_penalty and its gradient 2·lam·w match autograd: biases, 3-D and (1, 1) arrays, lam ≥ 1",
    regimes=("hyperparameters", "shapes"),
)
def l2_values(learner, rng):
    for lam in (float(rng.uniform(0.01, 0.5)), 1.0, 7.5):
        grade_penalty(learner, "l2", weight_list(rng), lam, L2_MISTAKES)
    one = [rng.normal(size=(4, 4))]  # a list of one square matrix
    grade_penalty(learner, "l2", one, 0.5, L2_MISTAKES)


@check(
    "08_regularization/weight_penalties",
    "l1_penalty and its subgradient (0 at 0 and −0) match autograd, lam ≥ 1",
    regimes=("hyperparameters", "shapes", "exact values"),
)
def l1_values(learner, rng):
    for lam in (float(rng.uniform(0.01, 0.5)), 1.0, 7.5):
        grade_penalty(learner, "l1", weight_list(rng), lam, L1_MISTAKES)
    one = [np.array([0.0, -0.0, 1.0, -1.0, 0.25])]  # a list of one vector
    grade_penalty(learner, "l1", one, 0.5, L1_MISTAKES)


@check(
    "08_regularization/weight_penalties",
    "nothing to penalise (lam = 0, an empty list, lr·lam = 0): 0.0, new zero gradients, w copied",
    regimes=("aliasing", "hyperparameters", "shapes"),
)
def penalties_nothing_to_do(learner, rng):
    # the call wrapper fails, after the values, any result that is an argument (the list or
    # an array of it) or shares its memory
    for kind in ("l2", "l1"):
        grade_penalty(learner, kind, weight_list(rng), 0.0, MISTAKES[kind], note="  (lam = 0)")
        grade_penalty(learner, kind, [], 0.3, MISTAKES[kind], note="  (an empty list)")
    for lr, lam in ((0.0, 0.5), (0.5, 0.0)):
        w = rng.normal(size=(3, 4))
        check_outputs(
            learner,
            "l1_proximal_step",
            (w, lr, lam),
            {"w": w.copy()},
            oracle="F.softshrink with lambd = lr·lam = 0: the identity",
        )


SOFTSHRINK_MISTAKES = [
    (
        "a subgradient step (w − lr·lam·sign(w)), not the proximal step: clip at 0, "
        "sign(w)·max(|w| − lr·lam, 0), so small weights land exactly on 0.",
        lambda w, lr, lam: w - lr * lam * np.sign(w),
    ),
    (
        "lr ignored: the threshold is lr·lam.",
        lambda w, lr, lam: np.sign(w) * np.maximum(np.abs(w) - lam, 0),
    ),
    (
        "lam ignored: the threshold is lr·lam.",
        lambda w, lr, lam: np.sign(w) * np.maximum(np.abs(w) - lr, 0),
    ),
    (
        "hard thresholding (w where |w| > lr·lam, else 0): the proximal step of L1 also "
        "shrinks the weights it keeps, by lr·lam.",
        lambda w, lr, lam: np.where(np.abs(w) > lr * lam, w, 0.0),
    ),
    (
        "w·max(1 − lr·lam/|w|, 0): the same formula on paper, but 1 − lr·lam/|w| cancels "
        "when |w| is close to lr·lam; compute |w| − lr·lam directly, "
        "sign(w)·max(|w| − lr·lam, 0).",
        lambda w, lr, lam: w * np.maximum(1 - lr * lam / np.abs(w), 0),
    ),
]


def grade_prox(learner, w, lr, lam, note=""):
    with torch.no_grad():
        expected = F.softshrink(tensor(w), lambd=lr * lam).numpy()
    return check_outputs(
        learner,
        "l1_proximal_step",
        (w, lr, lam),
        {"w": expected},
        oracle=f"F.softshrink(w, lambd=lr·lam = {lr * lam:g})",
        mistakes=SOFTSHRINK_MISTAKES,
        note=note,
    )


@check(
    "08_regularization/weight_penalties",
    "l1_proximal_step matches F.softshrink: |w| at, just inside and just past lr·lam; lr ≠ 1",
    regimes=("hyperparameters", "exact values", "shapes"),
)
def l1_prox(learner, rng):
    # binary fractions: lr·lam and |w| ± 2^-20 are exact, so "at the threshold" is exact
    for lr, lam in ((0.5, 0.25), (0.125, 2.0), (1.0, 0.375), (4.0, 0.03125)):
        t = lr * lam
        w = rng.normal(scale=2 * t, size=(4, 5))
        edge = [0.0, -0.0, t, -t, t + 2.0**-20, -(t + 2.0**-20), t - 2.0**-20, -(t - 2.0**-20)]
        w.flat[rng.permutation(w.size)[: len(edge)]] = edge
        grade_prox(learner, w, lr, lam)
    grade_prox(learner, rng.normal(size=(7,)), 0.1, 0.5)  # 1-D, a threshold of 0.05
    grade_prox(learner, rng.normal(size=(2, 3, 4)), 0.5, 0.2)  # 3-D
    grade_prox(learner, np.array([[0.3]]), 2.0, 1.0)  # (1, 1), past its own size: 0
    grade_prox(learner, rng.normal(size=(3, 3)), 10.0, 5.0)  # lr·lam = 50: all exactly 0


LAYOUT_VIEWS = (
    ("w.T of a fresh array", lambda a: a.T),
    ("a strided view w[:, ::2]", lambda a: a[:, ::2]),
    ("a reversed view w[::-1]", lambda a: a[::-1]),
)


@check(
    "08_regularization/weight_penalties",
    "non-contiguous weights and w (transposed, strided, reversed)",
    regimes=("layout",),
)
def penalties_layouts(learner, rng):
    for label, view_of in LAYOUT_VIEWS:
        base = rng.normal(size=(6, 8))
        base[0, 0] = 0.0
        views = [view_of(base), view_of(rng.normal(size=(4, 6)))]
        note = f"  (the weights are {label.replace('w', 'W', 1)})"
        for kind in ("l2", "l1"):
            on_layout(
                lambda ws, kind=kind, note=note: grade_penalty(
                    learner, kind, ws, 0.25, MISTAKES[kind], note=note
                ),
                views,
            )
        w = view_of(rng.normal(scale=0.5, size=(6, 8)))
        on_layout(
            lambda ws, label=label: grade_prox(learner, ws[0], 0.5, 0.5, note=f"  (w is {label})"),
            [w],
        )


def on_layout(grade, arrays):
    """grade(arrays) on views; a failure says whether C-contiguous copies of the same
    values pass (then it is the memory layout that the code gets wrong)."""
    try:
        grade(arrays)
    except KataFailure as failure:
        try:
            grade([np.ascontiguousarray(a) for a in arrays])
        except (KataFailure, LearnerRaised):
            raise failure from None
        raise KataFailure(
            f"{failure}\n  C-contiguous copies of the same arrays pass: your code depends on "
            "their memory layout (a reshape(-1) or ravel that copies, then a write into the "
            "copy?)"
        ) from None


@check(
    "08_regularization/weight_penalties",
    "extreme scales: |w| up to 1e150 and down to 1e-300 in one array, lam from 1e-8 to 1e3, "
    "|w| a hair above a huge lr·lam",
    regimes=("extremes",),
)
def penalties_extremes(learner, rng):
    signs = lambda shape: rng.choice([-1.0, 1.0], size=shape)  # noqa: E731
    mixed = 10.0 ** rng.uniform(-300, 150, size=(4, 6)) * signs((4, 6))  # mixed in each row
    tiny = 10.0 ** rng.uniform(-300, -9, size=(10,)) * signs(10)  # where an eps would show
    huge = rng.uniform(1.0, 9.0, size=(3, 2)) * 1e150 * signs((3, 2))  # w² near 1e300
    mixed[0, 0], tiny[0] = 0.0, 2.0**-1074  # an exact zero; the smallest subnormal
    for lam in (1e-8, 0.3):
        grade_penalty(
            learner, "l2", [mixed, huge], lam, L2_MISTAKES, note="  (|w| from 1e-300 to 1e150)"
        )
    for lam in (1e-8, 0.3, 1e3):
        grade_penalty(
            learner,
            "l1",
            [mixed, tiny, huge],
            lam,
            L1_MISTAKES,
            note="  (|w| from 1e-300 to 1e150)",
        )
    grade_penalty(learner, "l2", [tiny, rng.normal(size=(3,))], 1e3, L2_MISTAKES)
    grade_prox(learner, mixed, 1.0, 1e-3, note="  (|w| from 1e-300 to 1e150)")
    # a large common scale: |w| = 1e8 + d against lr·lam = 1e8, the answer d is tiny beside
    # both (|w| − lr·lam is exact here: the two are within a factor of 2)
    d = rng.uniform(1e-3, 1.0, size=(12,)) * signs(12)
    w = (1e8 + np.abs(d)) * np.sign(d)
    grade_prox(learner, w, 0.5, 2e8, note="  (|w| a hair above lr·lam = 1e8)")


# ---------------------------------------------------------------- early stopping

not_applicable(
    "08_regularization/early_stopping",
    randomness=NO_RNG,
    layout="val_losses is a list of Python floats, patience and min_delta are numbers: no "
    "argument is an array, so none has a memory layout",
    aliasing="returns two ints, which cannot share memory with val_losses or be its list; "
    "every call checks the type all the same (a tuple of two integers, not floats), on "
    "every path (stopped, never stopped, one epoch)",
)


def reference_early_stopping(
    losses,
    patience,
    min_delta,
    *,
    improves=None,
    reset=True,
    late=False,
    stop_test="after a miss",
    previous=False,
    no_break=False,
    start=math.inf,
    best_rule="argmin",
):
    """A second, independent reading of the contract (the oracle), with switches for the
    classic mistakes (diagnostics only):
      improves(loss, best, min_delta) in place of loss < best − min_delta; no reset of the
      count on an improvement; a stop one epoch late; the stop test `stop_test` ("after a
      miss": only after an epoch that did not improve, the contract; "equal": waited ==
      patience; "every epoch": after improving epochs too); `previous`: compared with the
      previous epoch, not the best; `no_break`: the last epoch at which patience had run
      out; `start`: the best before epoch 0 (inf, "first" for losses[0], or a number);
      best_rule ("argmin", the earliest lowest loss up to the stop; "latest tie"; "all
      epochs"; "last improvement")."""
    improves = improves or (lambda loss, best, md: loss < best - md)
    best = losses[0] if start == "first" else start
    waited, last_improved, stop = 0, 0, len(losses) - 1
    for epoch, loss in enumerate(losses):
        improved = improves(loss, best, min_delta)
        if improved:
            best, last_improved = loss, epoch
            waited = 0 if reset else waited
        else:
            waited += 1
        if previous:
            best = loss
        needed = patience + late
        due = {
            "after a miss": not improved and waited >= needed,
            "equal": not improved and waited == needed,
            "every epoch": waited >= needed,
        }[stop_test]
        if due:
            stop = epoch
            if not no_break:
                break
    window = list(losses if best_rule == "all epochs" else losses[: stop + 1])
    lowest = min(window)
    if best_rule == "last improvement":
        return stop, last_improved
    if best_rule == "latest tie":
        return stop, max(i for i, v in enumerate(window) if v == lowest)
    return stop, window.index(lowest)


def _from_the_global_minimum(losses, patience, min_delta):
    best = list(losses).index(min(losses))
    return min(best + patience, len(losses) - 1), best


FINITE_START = (
    "best started at a finite number (a large sentinel such as 1e9): losses above it never "
    "improve; start at inf (float('inf')) so that the first epoch always improves."
)
SENTINELS = (1e9, 1e10, 1e6, 1e8, 1e12, 1e15, 1e18, 1e30, 1e100, 1e300)  # the usual ones
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
    (
        "patience = 0 never stopped (a test waited == patience is never true once the count "
        "is 1): patience = 0 stops at the first epoch that does not improve, as patience = 1 "
        "does (Lightning's rule: count, then stop when count >= patience).",
        {"stop_test": "equal"},
    ),
    (
        "patience = 0 stopped at an epoch that improved: the count is tested only after an "
        "epoch that did not improve, so patience = 0 stops at the first epoch that does not "
        "improve, as patience = 1 does.",
        {"stop_test": "every epoch"},
    ),
    (
        "compared with the previous epoch, not the best so far: an epoch improves when its "
        "loss < (the lowest loss that counted as an improvement) − min_delta; a rebound "
        "followed by a smaller rebound is not an improvement.",
        {"previous": True},
    ),
    (
        "no break: the loop went on after patience ran out, and stop_epoch became the last "
        "epoch at which it had run out; stop_epoch is the first (training stops there).",
        {"no_break": True},
    ),
    (
        "best_epoch over every epoch, the ones after the stop included: training never saw "
        "them; best_epoch is the index of the lowest loss up to stop_epoch.",
        {"best_rule": "all epochs"},
    ),
    (
        "best_epoch the latest of tied lowest losses: on ties it is the earliest (the weights "
        "saved first, which a later equal loss does not replace).",
        {"best_rule": "latest tie"},
    ),
    (
        "the first epoch counted as not improving (best started at val_losses[0], so epoch 0 "
        "is compared with itself): the first epoch always improves; start best at inf.",
        {"start": "first"},
    ),
    *((FINITE_START, {"start": start}) for start in SENTINELS),
    (
        "stop_epoch from the lowest loss of the whole curve (its index + patience): training "
        "cannot see later epochs; decide epoch by epoch whether it improved.",
        _from_the_global_minimum,
    ),
]
DEFAULT_MIN_DELTA = (
    "min_delta's default is 0 (every strictly lower loss improves): called without "
    "min_delta your function gives another answer than with min_delta=0.0."
)


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
    matching = []
    for says, switches in EARLY_STOPPING_MISTAKES:
        mistaken = (
            switches
            if callable(switches)
            else (lambda *case, switches=switches: reference_early_stopping(*case, **switches))
        )
        try:
            if got == [tuple(mistaken(*case)) for case in cases] and says not in matching:
                matching.append(says)
        except (ValueError, IndexError):  # a mistake that does not apply to these curves
            continue
    # named only when it is the one listed mistake that gives these answers: where two
    # give the same answers on these curves, naming either could be wrong
    return f"\n  looks like: {matching[0]}" if len(matching) == 1 else ""


def call_early_stopping(fn, losses, patience, min_delta, always_kwarg):
    """The learner's (stop_epoch, best_epoch). The call wrapper checks that the list of
    losses comes back unchanged."""
    kwargs = {"min_delta": min_delta} if min_delta or always_kwarg else {}
    call = fn.describe(losses, patience, **kwargs)
    result = fn(list(losses), patience, **kwargs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected a tuple "
            f"(stop_epoch, best_epoch), got {describe_value(result)}"
        )
    if not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in result
    ):
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected two integer epoch "
            f"indices (stop_epoch, best_epoch), got {result!r}"
        )
    return tuple(int(v) for v in result)


def describe_losses(losses) -> str:
    text = repr([float(v) for v in losses])
    return text if len(text) <= 200 else text[:197] + "..."


def grade_early_stopping(fn, cases, always_kwarg, explain, note=""):
    """Each case against the oracle; on the first difference, the rule (when `explain`)
    and the listed mistake that gives the learner's answers on every case."""
    for losses, patience, min_delta in cases:
        got = call_early_stopping(fn, losses, patience, min_delta, always_kwarg)
        want = reference_early_stopping(losses, patience, min_delta)
        if got == want:
            continue
        looks = ""
        if not (min_delta or always_kwarg):  # called without min_delta: its default?
            try:
                explicit = call_early_stopping(fn, losses, patience, 0.0, True)
            except (KataFailure, LearnerRaised):
                explicit = None
            if explicit == want:
                looks = f"\n  looks like: {DEFAULT_MIN_DELTA}"
        rule = (
            "\n  an epoch improves when loss < best − min_delta (strictly; the first epoch "
            f"always improves); stop at the first index where {patience} epoch(s) in a row "
            "did not improve (patience 0: the first epoch that does not improve); best_epoch "
            "is the index of the lowest loss up to stop_epoch (the earliest on ties)."
        )
        shown = f", min_delta={min_delta!r}" if min_delta or always_kwarg else ""
        raise KataFailure(
            f"wrong epochs\n  called   early_stopping({describe_losses(losses)}, "
            f"patience={patience}{shown}){note}\n"
            f"  got      (stop_epoch, best_epoch) = {got}\n"
            f"  expected {want}"
            + (rule if explain else "")
            + (looks or early_stopping_mistake(fn, cases, always_kwarg))
        )


# (val_losses, patience, min_delta): binary fractions, so that every comparison at a
# boundary (a tie, loss exactly best − min_delta) is exact whichever way it is written
CASES = [
    ([1.0, 0.5, 0.75, 0.625, 0.875], 2, 0.0),  # stops at 3 (a rebound below the last one)
    ([1.0, 0.5, 0.75, 0.25, 0.875, 1.0], 2, 0.0),  # an improvement resets the count
    ([1.0, 0.75, 0.5, 0.25], 1, 0.0),  # never stops: the last index
    ([1.0, 0.5, 0.5, 0.5, 0.5], 2, 0.0),  # a tie with the best is no improvement; earliest
    ([1.0, 0.75, 0.5, 0.5, 0.5], 2, 0.0),  # ties, patience running out at the last epoch
    ([1.0, 0.75, 0.625, 0.5], 1, 0.25),  # 0.75 = 1 − 0.25 exactly: not better
    ([1.0, 0.75, 0.4375, 0.25], 1, 0.25),  # 0.4375 < 0.75 − 0.25 = 0.5: better (just)
    ([1.0, 0.5, 0.375, 0.25, 0.125], 2, 0.25),  # small gains do not count; best = argmin
    ([0.5], 3, 0.0),  # one epoch
    ([0.5, 0.25], 1, 0.0),  # two epochs, never stops
    ([2.0, 1.0, 1.5, 1.5, 1.5, 0.5], 3, 0.0),  # stops at 4, before the late 0.5
    ([1.0, 2.0, 3.0], 2, 0.0),  # no improvement after the first epoch
    ([1.0, 2.0, 3.0, 4.0], 2, 0.0),  # patience runs out exactly at epoch 2
]


@check(
    "08_regularization/early_stopping",
    "crafted curves: ties with the best, loss exactly best − min_delta, patience running out",
    regimes=("exact values", "hyperparameters", "shapes"),
)
def early_stopping_cases(learner, rng):
    fn = learner.fn("early_stopping")
    cases = [CASES[i] for i in rng.permutation(len(CASES))]
    grade_early_stopping(fn, cases, always_kwarg=False, explain=True)


BOUNDARY_CASES = [
    ([1.0, 0.5, 0.75, 0.25], 0, 0.0),  # patience 0: stops at the first miss, epoch 2
    ([1.0, 0.5, 0.25], 0, 0.0),  # patience 0, never a miss: the last index
    ([1.0, 2.0], 0, 0.0),  # patience 0: stops at epoch 1
    ([0.5], 0, 0.0),  # patience 0, one epoch
    ([1.0, 0.5, 0.75, 0.25], 1, 0.0),  # patience 1: the same as 0
    ([1.0, 2.0, 3.0], 5, 0.0),  # patience beyond the curve: never stops
    ([1.0, 0.5, 0.75, 0.625, 0.875, 0.25, 0.3125], 4, 0.0),  # patience = the stall + 1
    ([1.0, 0.5, 0.25, 0.125], 2, 1e6),  # a huge min_delta: only epoch 0 improves
    ([1.0, 0.5, 0.25, 0.125], 2, 0.0),  # min_delta given as 0.0 explicitly (see below)
]
# min_delta at its default: improvements of 2^-20 (far below any usual min_delta) count
TINY_STEPS = ([1.0, 1 - 2.0**-20, 1 - 2.0**-19, 1 - 2.0**-18, 1 - 2.0**-17], 1, 0.0)


@check(
    "08_regularization/early_stopping",
    "patience 0, 1 and beyond the curve; min_delta at its default 0, tiny gains, huge",
    regimes=("hyperparameters", "shapes"),
)
def early_stopping_boundaries(learner, rng):
    fn = learner.fn("early_stopping")
    cases = [BOUNDARY_CASES[i] for i in rng.permutation(len(BOUNDARY_CASES) - 1)]
    grade_early_stopping(fn, cases, always_kwarg=False, explain=True)
    grade_early_stopping(fn, [BOUNDARY_CASES[-1]], always_kwarg=True, explain=True)
    grade_early_stopping(fn, [TINY_STEPS], always_kwarg=False, explain=True)


# Curves with two stalls, a rebound below an earlier one, ties and gains smaller than
# min_delta: each prefix is what training had seen after that epoch.
PROCESS_CURVES = [
    ([1.0, 0.5, 0.75, 0.625, 0.875, 0.25, 0.375, 0.375, 0.125, 0.5, 0.5, 0.5], 2, 0.0),
    ([2.0, 1.0, 1.0, 0.9375, 1.5, 0.5, 0.625, 0.4375, 0.5, 0.5], 2, 0.125),
    ([1.0, 0.75, 1.0, 0.5, 0.625, 0.5625, 0.25, 0.25, 0.25], 0, 0.0),
    ([3.0, 2.0, 2.5, 2.25, 2.125, 1.0, 1.5, 1.25, 1.125, 1.0625], 3, 0.0),
]


@check(
    "08_regularization/early_stopping",
    "each epoch's decision: every prefix of four curves stops where training would have",
    regimes=("process",),
)
def early_stopping_each_epoch(learner, rng):
    # early_stopping(val_losses[:k + 1]) is what the rule decides after epoch k: not stopped
    # yet (stop_epoch = k) or stopped earlier; each prefix against the oracle, so that every
    # step (an improvement, a miss, the count, the stop) is checked, not only the end
    fn = learner.fn("early_stopping")
    for i in rng.permutation(len(PROCESS_CURVES)):
        losses, patience, min_delta = PROCESS_CURVES[i]
        prefixes = [(losses[: k + 1], patience, min_delta) for k in range(len(losses))]
        grade_early_stopping(fn, prefixes, always_kwarg=True, explain=True,
                             note="  (a prefix: the epochs seen so far)")  # fmt: skip


BIG = 2.0**40  # about 1.1e12: steps of 1/8 and min_delta 1/8 stay exact
EXTREME_CASES = [
    ([BIG + 1.0, BIG + 0.5, BIG + 0.75, BIG + 0.625, BIG + 0.875], 2, 0.125),  # offset 1e12
    ([BIG, BIG - 2.0**-12, BIG - 2.0**-11, BIG - 2.0**-11], 1, 2.0**-12),  # one ulp = min_delta
    ([1e300, 1e299, 5e299, 1e298], 1, 0.0),  # huge losses
    ([1e15, 2e15, 3e15], 2, 0.0),  # above any finite sentinel people use
    ([-1.0, -2.0, -1.5, -3.0], 1, 0.0),  # negative losses
    ([2.0**-1000, 2.0**-1001, 2.0**-1001, 2.0**-1002], 1, 0.0),  # tiny, tied
    ([2.0**-1000, 2.0**-1001, 2.0**-1002, 2.0**-1003], 1, 2.0**-1002),  # tiny min_delta
    ([1e10, 1.0, 1e-10, 1e-10, 2.0], 2, 0.0),  # mixed scales, a tie
    ([1.0, 0.5, 0.25], 2, 1e300),  # a huge min_delta
]


@check(
    "08_regularization/early_stopping",
    "extreme losses: around 1e12 (min_delta one ulp), 1e300, 1e-301, negative, mixed",
    regimes=("extremes",),
)
def early_stopping_extremes(learner, rng):
    fn = learner.fn("early_stopping")
    cases = [EXTREME_CASES[i] for i in rng.permutation(len(EXTREME_CASES))]
    grade_early_stopping(fn, cases, always_kwarg=True, explain=True)


@check(
    "08_regularization/early_stopping",
    "random loss curves: patience 0 to 4, min_delta 0 to 0.25 (exact binary steps)",
    regimes=("hyperparameters", "shapes", "exact values"),
)
def early_stopping_random(learner, rng):
    # losses on a grid of 1/16 and min_delta a multiple of it: ties and losses exactly
    # best − min_delta happen often, and every comparison is exact however it is written
    fn = learner.fn("early_stopping")
    cases = []
    for _ in range(20):
        n = int(rng.integers(1, 30))
        steps = rng.integers(-3, 3, size=n)
        losses = [float(v) for v in (80 + np.cumsum(steps)) / 16]
        cases.append((losses, int(rng.integers(0, 5)), float(rng.choice([0, 1, 2, 4]) / 16)))
    grade_early_stopping(fn, cases, always_kwarg=True, explain=False)
