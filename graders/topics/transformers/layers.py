"""Graders of 13_transformers' layers: RMSNorm, the SwiGLU feed-forward, the pre-LN block
and decoding with a KV cache.

RMSNorm and SwiGLU are layer pairs, compared with F.rms_norm and F.silu and autograd under
a random upstream gradient and the learner's own cache. The block is compared with
nn.TransformerEncoderLayer(norm_first=True, activation="gelu", dropout=0.0,
batch_first=True, bias=True) with the learner's weights copied in (its attention biases
zeroed, since the kata's attention has none): an implementation independent of ours. The
KV cache is decoded position by position and compared with the full causal forward of
F.scaled_dot_product_attention(is_causal=True), both its outputs and the cache it returns.
Besides random inputs the checks build on purpose what exposes a mistake: rows with a
non-zero mean (layer norm differs), eps that matters (rows near √eps), 3-D and square
inputs, views, rows near 1e150 (inv_rms³ underflows), pre-activations and attention scores
near ±1e3 under numpy raising on overflow, a residual stream offset by 1e6, ten or more
decoding steps, a cache built by the grader and decoded twice from the same state, and
byte counts past 2**53 and 2**63.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.losses import strided, time_major, transposed
from graders.engine.checks import (
    ATOL,
    Mistake,
    assert_matches,
    call_strictly,
    expect_array,
    expect_tuple,
)
from graders.engine.describe import describe_value, view_note
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable

NO_RNG = "deterministic: takes no rng"
FRESH = (
    "every output is computed afresh (products, sums, a normalisation): no path returns an "
    "input as it is, and the engine checks the memory of every returned array on every call "
    "of every check"
)
not_applicable(
    "13_transformers/rmsnorm",
    aliasing=FRESH,
    randomness=NO_RNG,
    process="one normalisation: no steps, nothing running",
)
not_applicable(
    "13_transformers/feed_forward",
    hyperparameters="no keyword parameters; what varies (D, F, F = D, 3-D input) is graded "
    "under shapes",
    aliasing=FRESH,
    randomness=NO_RNG,
    process="one layer: no steps",
)
not_applicable(
    "13_transformers/transformer_block",
    aliasing=FRESH + " (out = x + two sublayers: a new array even when they add nothing)",
    randomness=NO_RNG,
    process="one block: no steps (a stack of blocks is the caller's loop)",
)
not_applicable("13_transformers/kv_cache", randomness=NO_RNG)

STABLE_SIGMOID = (
    "σ(a) = 1/(1 + e^(−a)) for a ≥ 0 and e^a/(1 + e^a) for a < 0, so that exp only ever "
    "sees −|a|; silu'(a) = σ(a)·(1 + a·(1 − σ(a))) from that σ"
)
STABLE_SOFTMAX = "subtract each row's maximum score before exp: softmax(s) = softmax(s − max(s))"


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (views included: torch takes no negative strides)."""
    return _tensor(np.ascontiguousarray(a))


def grade_pair(learner, forward, backward, inputs, torch_forward, *, rng, oracle, kwargs=None,
               forward_mistakes=(), backward_mistakes=(), dout=None, stable_form=None,
               atol=ATOL, back_atol=None, note=""):  # fmt: skip
    """Grade a forward/backward pair on `inputs` ({name: array}, in the forward's order).

    torch_forward(*tensors, **kwargs) is the oracle; the backward gets a random upstream
    gradient (dout, when given, maps it to what is sent: a view, say) and the learner's
    own cache, and is compared with autograd. Mistakes: (says, fn) with fn(*inputs,
    **kwargs) -> out for the forward, fn(dout, *inputs, **kwargs) -> gradients for the
    backward. stable_form: both calls run with numpy raising on overflow."""
    kwargs = kwargs or {}
    args = tuple(inputs.values())
    tensors = [tensor(a).requires_grad_(True) for a in args]
    out_t = torch_forward(*tensors, **kwargs)
    expected = out_t.detach().numpy().copy()

    fn = learner.fn(forward)
    call = fn.describe(*args, **kwargs) + note
    if stable_form:
        result = call_strictly(fn, *args, stable_form=stable_form, **kwargs)
    else:
        result = fn(*args, **kwargs)
    out, cache = expect_tuple(result, ("out", "cache"), call)
    out = expect_array(out, "out", expected.shape, call)
    known = [Mistake(s, lambda m=m: {"out": m(*args, **kwargs)}) for s, m in forward_mistakes]
    assert_matches({"out": out}, {"out": expected}, call=call, oracle=oracle, mistakes=known,
                   atol=atol)  # fmt: skip

    upstream = rng.normal(size=expected.shape)
    dout = upstream if dout is None else dout(upstream)
    grads = torch.autograd.grad((out_t * tensor(dout)).sum(), tensors)
    want = {f"d{k}": g.numpy().copy() for k, g in zip(inputs, grads)}
    back = learner.fn(backward)
    back_call = (f"{backward}(dout={describe_value(dout)} (random{view_note(dout)}), cache from "
                 f"your {call})")  # fmt: skip
    if stable_form:
        result = call_strictly(back, dout, cache, stable_form=stable_form)
    else:
        result = back(dout, cache)
    values = expect_tuple(result, tuple(want), back_call)
    got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, values)}
    known = [
        Mistake(s, lambda m=m: dict(zip(want, m(dout, *args, **kwargs))))
        for s, m in backward_mistakes
    ]
    assert_matches(got, want, call=back_call, oracle="torch autograd", mistakes=known,
                   atol=atol if back_atol is None else back_atol)  # fmt: skip
    return got


# ---------------------------------------------------------------- rmsnorm

RMS_EPS = 1e-6


def np_rmsnorm(x, weight, eps=RMS_EPS, *, axis=-1, centre=False, eps_outside=False,
               reduce=np.mean):  # fmt: skip
    """RMSNorm in numpy, with switches for the listed mistakes."""
    if centre:
        x = x - x.mean(axis=axis, keepdims=True)
    ms = reduce(x * x, axis=axis, keepdims=True)
    rms = np.sqrt(ms) + eps if eps_outside else np.sqrt(ms + eps)
    return weight * x / rms


def np_rmsnorm_backward(dout, x, weight, eps=RMS_EPS, *, path=True, cubed=False):
    """(dx, dweight) in numpy: without the path through rms, or through inv_rms**3 as a
    staged graph writes it (which underflows to 0 for rows near 1e150)."""
    inv_rms = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    x_hat = x * inv_rms
    dx_hat = dout * weight
    dweight = (dout * x_hat).reshape(-1, x.shape[-1]).sum(axis=0)
    if cubed:
        dms = -0.5 * np.sum(dx_hat * x, axis=-1, keepdims=True) * inv_rms**3
        return dx_hat * inv_rms + dms * 2.0 * x / x.shape[-1], dweight
    if not path:
        return dx_hat * inv_rms, dweight
    return inv_rms * (dx_hat - x_hat * np.mean(dx_hat * x_hat, axis=-1, keepdims=True)), dweight


RMS_LAYER_NORM = (
    "mean subtracted: that is layer norm (without its bias). RMSNorm divides x itself by "
    "rms = sqrt(mean(x²) + eps): nothing is centred."
)
RMS_EPS_OUTSIDE = (
    "eps outside the square root: rms = sqrt(mean(x²) + eps), then x / rms; not "
    "x / (sqrt(mean(x²)) + eps)."
)
RMS_SUM = (
    "sum of squares instead of their mean: rms = sqrt(mean(x²) + eps), the mean over the D "
    "features (with a sum the output shrinks as 1/√D)."
)
RMS_BATCH_AXIS = (
    "normalised over the batch axis: the root mean square is each row's own, over axis=-1 "
    "(on a square input both axes fit the shapes)."
)
RMS_AXIS_1 = (
    "normalised over axis 1, not the last axis: for (N, T, D) input axis 1 is T; use "
    "axis=-1, which is D for 2-D and 3-D input alike."
)
RMS_NO_PATH = (
    "dx missing the path through rms: rms depends on every x of the row, so "
    "dx = (dx̂ − x̂·mean(dx̂·x̂))/rms with dx̂ = dout·weight and x̂ = x/rms."
)
RMS_CUBED = (
    "dx missing the path through rms where x is huge: inv_rms**3 underflows to 0 there "
    "(1e-450 for rows near 1e150). Write the term with x̂ = x·inv_rms: "
    "dx = inv_rms·(dx̂ − x̂·mean(dx̂·x̂))."
)


def rmsnorm_mistakes(eps):
    e = RMS_EPS if eps is None else eps
    listed = [
        (RMS_LAYER_NORM, lambda x, w, eps=e: np_rmsnorm(x, w, eps, centre=True)),
        (RMS_EPS_OUTSIDE, lambda x, w, eps=e: np_rmsnorm(x, w, eps, eps_outside=True)),
        (RMS_SUM, lambda x, w, eps=e: np_rmsnorm(x, w, eps, reduce=np.sum)),
        (RMS_BATCH_AXIS, lambda x, w, eps=e: np_rmsnorm(x, w, eps, axis=0)),
        (RMS_AXIS_1, lambda x, w, eps=e: np_rmsnorm(x, w, eps, axis=1)),
    ]
    if e:
        listed.append(("eps left out: rms = sqrt(mean(x²) + eps).",
                       lambda x, w, eps=e: np_rmsnorm(x, w, 0.0)))  # fmt: skip
    if eps is not None and eps != RMS_EPS:
        listed.append((
            f"eps argument ignored: normalised with eps = {RMS_EPS:g}, the default, not the "
            f"eps={eps:g} passed in.",
            lambda x, w, eps=e: np_rmsnorm(x, w, RMS_EPS),
        ))  # fmt: skip
    return listed


def rmsnorm_backward_mistakes(eps):
    e = RMS_EPS if eps is None else eps
    return [
        (RMS_NO_PATH, lambda d, x, w, eps=e: np_rmsnorm_backward(d, x, w, eps, path=False)),
        (RMS_CUBED, lambda d, x, w, eps=e: np_rmsnorm_backward(d, x, w, eps, cubed=True)),
    ]


def rms_written_out(x, w, eps):
    """RMSNorm as torch ops, for autograd where F.rms_norm's own backward is not exact: at
    rows near 1e150 its fused backward loses the term through rms (rsqrt³ underflows, as in
    the mistake below), while autograd through sqrt and a division keeps it."""
    return w * x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)


def grade_rmsnorm(learner, rng, x, *, weight=None, eps=None, dout=None, atol=ATOL,
                  back_atol=None, note="", written_out=False):  # fmt: skip
    D = x.shape[-1]
    weight = rng.uniform(0.5, 1.5, size=D) * rng.choice([-1.0, 1.0], size=D) if weight is None \
        else weight  # fmt: skip
    kwargs = {} if eps is None else {"eps": eps}
    e = RMS_EPS if eps is None else eps
    if written_out:
        oracle = "w·x/sqrt(mean(x²) + eps) in torch, and its autograd"
        torch_forward = lambda x, w, eps=e: rms_written_out(x, w, eps)  # noqa: E731
    else:
        oracle = "F.rms_norm over the last axis"
        torch_forward = lambda x, w, eps=e: F.rms_norm(x, (D,), weight=w, eps=eps)  # noqa: E731
    grade_pair(
        learner, "rmsnorm_forward", "rmsnorm_backward", {"x": x, "weight": weight},
        torch_forward, rng=rng, oracle=oracle, kwargs=kwargs,
        forward_mistakes=rmsnorm_mistakes(eps), backward_mistakes=rmsnorm_backward_mistakes(eps),
        dout=dout, atol=atol, back_atol=back_atol, note=note,
    )  # fmt: skip


def rms_rows(rng, shape, scale=None):
    """Rows with a mean of their own (where layer norm differs) and a spread of order 1."""
    scale = rng.uniform(0.5, 2.0) if scale is None else scale
    return scale * (rng.normal(size=shape) + rng.normal(size=shape[:-1] + (1,)))


@check(
    "13_transformers/rmsnorm",
    "(N, D) and (N, T, D): forward and backward match F.rms_norm and autograd",
    regimes=("shapes", "hyperparameters"),
)
def rms_random(learner, rng):
    grade_rmsnorm(learner, rng, rms_rows(rng, (int(rng.integers(2, 6)), int(rng.integers(3, 8)))))
    shape = (int(rng.integers(2, 4)), int(rng.integers(2, 5)), int(rng.integers(5, 8)))
    grade_rmsnorm(learner, rng, rms_rows(rng, shape))


@check(
    "13_transformers/rmsnorm",
    "eps away from its default (1e-2, where it matters) and eps = 0",
    regimes=("hyperparameters",),
)
def rms_eps(learner, rng):
    grade_rmsnorm(learner, rng, rms_rows(rng, (4, 5), scale=0.1), eps=1e-2)
    grade_rmsnorm(learner, rng, rms_rows(rng, (2, 3, 4), scale=0.3), eps=1e-3)
    grade_rmsnorm(learner, rng, rms_rows(rng, (4, 5), scale=1e-3), eps=0.0)


@check(
    "13_transformers/rmsnorm",
    "N = 1, D = 1, and square inputs ((D, D), (N, D, D), (D, T, D))",
    regimes=("shapes",),
)
def rms_shapes(learner, rng):
    grade_rmsnorm(learner, rng, rms_rows(rng, (1, 6)))
    grade_rmsnorm(learner, rng, rms_rows(rng, (4, 1)))  # out = weight·x/sqrt(x² + eps)
    # where the batch or the time axis has D entries, normalising over it fits every shape
    grade_rmsnorm(learner, rng, rms_rows(rng, (4, 4)))
    grade_rmsnorm(learner, rng, rms_rows(rng, (2, 3, 3)))
    grade_rmsnorm(learner, rng, rms_rows(rng, (3, 2, 3)))


@check(
    "13_transformers/rmsnorm",
    "constant rows (layer norm would give 0 there), a row of zeros, weight with zeros",
    regimes=("exact values",),
)
def rms_exact(learner, rng):
    x = rms_rows(rng, (4, 5))
    x[0] = 2.5  # rms = sqrt(6.25 + eps): out ≈ weight there
    x[1] = -0.75
    x[2] = 0.0  # out = 0, dx = weight·dout/sqrt(eps)
    weight = rng.uniform(0.5, 1.5, size=5)
    weight[int(rng.integers(5))] = 0.0
    grade_rmsnorm(learner, rng, x, weight=weight, note="  (rows 0, 1 constant, row 2 zeros)")


@check(
    "13_transformers/rmsnorm",
    "views: x and dout transposed (2-D and time-major 3-D), weight strided",
    regimes=("layout",),
)
def rms_views(learner, rng):
    x = rms_rows(rng, (5, 4))
    grade_rmsnorm(learner, rng, transposed(x), weight=strided(rng.uniform(0.5, 1.5, size=4)),
                  dout=transposed, note="  (x a transposed view, weight strided)")  # fmt: skip
    x = rms_rows(rng, (3, 4, 5))
    grade_rmsnorm(learner, rng, time_major(x), weight=transposed(rng.uniform(0.5, 1.5, size=5)),
                  dout=time_major, note="  (x a time-major array's batch-first view)")  # fmt: skip


@check(
    "13_transformers/rmsnorm",
    "extremes: rows near 1e150 and 1e-150, mixed scales in a row, rows near √eps",
    regimes=("extremes",),
)
def rms_extremes(learner, rng):
    # huge and tiny rows: out of a 1e-150 row is ~1e-147 and dx of a 1e150 row ~1e-150, so
    # both are compared relatively (atol 1e-170); the other rows are of order 1
    x = rms_rows(rng, (5, 6))
    x[0] *= 1e150
    x[1] *= np.logspace(-3, 3, 6)  # features from 1e-3 to 1e3 in one row
    x[2] *= 1e-150
    grade_rmsnorm(
        learner, rng, x, atol=1e-170, note="  (row 0 ~1e150, row 2 ~1e-150)", written_out=True
    )
    # rows of 1e-3: mean(x²) ~ eps, so where eps sits decides the result
    grade_rmsnorm(learner, rng, rms_rows(rng, (4, 5), scale=1e-3),
                  note="  (rows ~1e-3: mean(x²) ~ eps)")  # fmt: skip


# ---------------------------------------------------------------- feed_forward


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _gelu(z):
    return F.gelu(torch.from_numpy(np.asarray(z, dtype=np.float64))).numpy()


GATES = {
    "silu": lambda a: a * _sigmoid(a),
    "sigmoid": _sigmoid,
    "gelu": _gelu,
    "relu": lambda a: np.maximum(a, 0.0),
}


def np_swiglu(x, W1, W3, W2, *, gate="silu", swapped=False):
    a, b = (x @ W3, x @ W1) if swapped else (x @ W1, x @ W3)
    return (GATES[gate](a) * b) @ W2


def np_swiglu_backward(dout, x, W1, W3, W2, *, deriv="right", paths=("gate", "up"),
                       w2_transposed=True):  # fmt: skip
    D, F_ = W1.shape
    a, b = x @ W1, x @ W3
    s = _sigmoid(a)
    dh = dout @ (W2.T if w2_transposed else W2)
    da = dh * b * (s if deriv == "sigma" else s * (1.0 + a * (1.0 - s)))
    db = dh * a * s
    rows = x.reshape(-1, D)
    dx = sum(da @ W1.T if p == "gate" else db @ W3.T for p in paths)
    return (dx, rows.T @ da.reshape(-1, F_), rows.T @ db.reshape(-1, F_),
            (a * s * b).reshape(-1, F_).T @ dout.reshape(-1, D))  # fmt: skip


SWIGLU_FORWARD_MISTAKES = [
    (
        "W1 and W3 swapped: SiLU goes on x @ W1 (the gate, LLaMA's w1) and multiplies "
        "x @ W3 (the up projection, w3).",
        lambda *a: np_swiglu(*a, swapped=True),
    ),
    (
        "σ as the gate: right for GLU (Dauphin et al. 2017); SwiGLU gates with silu(a) = a·σ(a).",
        lambda *a: np_swiglu(*a, gate="sigmoid"),
    ),
    (
        "GELU as the gate: right for GeGLU; SwiGLU gates with silu(a) = a·σ(a).",
        lambda *a: np_swiglu(*a, gate="gelu"),
    ),
    (
        "ReLU as the gate: right for ReGLU; SwiGLU gates with silu(a) = a·σ(a).",
        lambda *a: np_swiglu(*a, gate="relu"),
    ),
]


def swiglu_backward_mistakes(D, F_):
    listed = [
        (
            "silu'(a) taken as σ(a): d/da [a·σ(a)] = σ(a) + a·σ(a)(1 − σ(a)) = "
            "σ(a)·(1 + a·(1 − σ(a))).",
            lambda *a: np_swiglu_backward(*a, deriv="sigma"),
        ),
        (
            "dx missing the path through the gate: x feeds both projections, so "
            "dx = da @ W1ᵀ + db @ W3ᵀ.",
            lambda *a: np_swiglu_backward(*a, paths=("up",)),
        ),
        (
            "dx missing the path through the up projection: x feeds both projections, so "
            "dx = da @ W1ᵀ + db @ W3ᵀ.",
            lambda *a: np_swiglu_backward(*a, paths=("gate",)),
        ),
    ]
    if D == F_:
        listed.append((
            "W2 not transposed in the backward: dh = dout @ W2ᵀ (W2 is (F, D); with F = D "
            "both products fit the shapes).",
            lambda *a: np_swiglu_backward(*a, w2_transposed=False),
        ))  # fmt: skip
    return listed


def swiglu_problem(rng, lead, D, F_):
    x = rng.normal(size=(*lead, D))
    W1 = rng.normal(scale=1 / np.sqrt(D), size=(D, F_))
    W3 = rng.normal(scale=1 / np.sqrt(D), size=(D, F_))
    W2 = rng.normal(scale=1 / np.sqrt(F_), size=(F_, D))
    return {"x": x, "W1": W1, "W3": W3, "W2": W2}


def torch_swiglu(x, W1, W3, W2):
    return (F.silu(x @ W1) * (x @ W3)) @ W2


def grade_swiglu(learner, rng, inputs, *, dout=None, stable=False, note=""):
    D, F_ = inputs["W1"].shape
    grade_pair(
        learner, "swiglu_forward", "swiglu_backward", inputs, torch_swiglu, rng=rng,
        oracle="(F.silu(x @ W1) * (x @ W3)) @ W2 in torch",
        forward_mistakes=SWIGLU_FORWARD_MISTAKES,
        backward_mistakes=swiglu_backward_mistakes(D, F_), dout=dout,
        stable_form=STABLE_SIGMOID if stable else None, note=note,
    )  # fmt: skip


@check(
    "13_transformers/feed_forward",
    "(N, D) with F ≠ D: forward and backward match torch (F.silu) and autograd",
    regimes=("shapes",),
)
def swiglu_random(learner, rng):
    D = int(rng.integers(2, 6))
    F_ = D + int(rng.integers(1, 5))
    grade_swiglu(learner, rng, swiglu_problem(rng, (int(rng.integers(2, 6)),), D, F_))


@check(
    "13_transformers/feed_forward",
    "a square F = D, 2-D and 3-D (W2 and W2ᵀ fit the same shapes)",
    regimes=("shapes",),
)
def swiglu_square(learner, rng):
    grade_swiglu(learner, rng, swiglu_problem(rng, (3,), 4, 4))
    grade_swiglu(learner, rng, swiglu_problem(rng, (2, 4), 4, 4))  # F = D = T


@check(
    "13_transformers/feed_forward",
    "(N, T, D) input with T ≠ D, N = 1, D = 1 and F = 1",
    regimes=("shapes",),
)
def swiglu_shapes(learner, rng):
    grade_swiglu(learner, rng, swiglu_problem(rng, (2, 3), 5, 7))  # 3-D, T ≠ D
    grade_swiglu(learner, rng, swiglu_problem(rng, (1,), 3, 5))
    grade_swiglu(learner, rng, swiglu_problem(rng, (4,), 1, 3))
    grade_swiglu(learner, rng, swiglu_problem(rng, (1, 2), 3, 1))


@check(
    "13_transformers/feed_forward",
    "zero rows of x (silu(0) = 0, silu'(0) = 1/2) and a zero column of W3",
    regimes=("exact values",),
)
def swiglu_zeros(learner, rng):
    inputs = swiglu_problem(rng, (4,), 3, 5)
    inputs["x"][[0, 2]] = 0.0
    inputs["W3"][:, int(rng.integers(5))] = 0.0  # b = 0 there: no gradient through the gate
    grade_swiglu(learner, rng, inputs, note="  (rows 0 and 2 of x are 0)")


@check(
    "13_transformers/feed_forward",
    "views: x time-major, weights torch's (out, in) transposed, dout a view",
    regimes=("layout",),
)
def swiglu_views(learner, rng):
    inputs = swiglu_problem(rng, (3, 4), 3, 5)
    views = {"x": time_major(inputs["x"])}
    views.update({k: np.ascontiguousarray(v.T).T for k, v in inputs.items() if k != "x"})
    grade_swiglu(learner, rng, views, dout=time_major,
                 note="  (x a time-major array's batch-first view; W1, W3, W2 nn.Linear "
                 "weights transposed)")  # fmt: skip
    inputs = swiglu_problem(rng, (4,), 3, 6)
    views = {"x": transposed(inputs["x"]), "W1": strided(inputs["W1"]),
             "W3": transposed(inputs["W3"]), "W2": inputs["W2"]}  # fmt: skip
    grade_swiglu(learner, rng, views, dout=transposed, note="  (views)")


@check(
    "13_transformers/feed_forward",
    "pre-activations x @ W1 near ±1e3, with numpy raising on overflow",
    regimes=("extremes",),
)
def swiglu_extremes(learner, rng):
    inputs = swiglu_problem(rng, (4,), 3, 6)
    # a constant first feature and alternating ±1000 in W1's first row: every column of
    # x @ W1 sits near +1000 or −1000 whatever the seed
    inputs["x"][:, 0] = 1.0
    inputs["W1"][0] = 1000.0 * np.where(np.arange(6) % 2 == 0, 1.0, -1.0)
    grade_swiglu(learner, rng, inputs, stable=True, note="  (x @ W1 near ±1e3)")


# ---------------------------------------------------------------- transformer_block

LN_EPS = 1e-5
BLOCK_NAMES = ("ln1_gamma", "ln1_beta", "Wq", "Wk", "Wv", "Wo", "ln2_gamma", "ln2_beta",
               "W1", "b1", "W2", "b2")  # fmt: skip


def block_params(rng, D, F_, scale=1.0):
    r = lambda *shape, s=1.0: rng.normal(scale=s, size=shape)  # noqa: E731
    return {
        "ln1_gamma": rng.uniform(0.5, 1.5, size=D), "ln1_beta": r(D, s=0.3),
        "Wq": r(D, D, s=scale / np.sqrt(D)), "Wk": r(D, D, s=scale / np.sqrt(D)),
        "Wv": r(D, D, s=1 / np.sqrt(D)), "Wo": r(D, D, s=1 / np.sqrt(D)),
        "ln2_gamma": rng.uniform(0.5, 1.5, size=D), "ln2_beta": r(D, s=0.3),
        "W1": r(D, F_, s=1 / np.sqrt(D)), "b1": r(F_, s=0.3),
        "W2": r(F_, D, s=1 / np.sqrt(F_)), "b2": r(D, s=0.3),
    }  # fmt: skip


def torch_encoder_layer(x, params, n_heads, mask=None):
    """nn.TransformerEncoderLayer(norm_first=True, gelu, dropout 0, batch_first, bias=True)
    with the kata's weights copied in: (out, in) layouts are the transposes, the packed
    in_proj_weight is [Wqᵀ; Wkᵀ; Wvᵀ], and the attention's biases (the kata has none) are 0."""
    N, T, D = x.shape
    F_ = params["W1"].shape[1]
    layer = torch.nn.TransformerEncoderLayer(
        D, n_heads, F_, dropout=0.0, activation="gelu", layer_norm_eps=LN_EPS,
        batch_first=True, norm_first=True, bias=True, dtype=torch.float64,
    )  # fmt: skip
    p = {k: tensor(v) for k, v in params.items()}
    with torch.no_grad():
        layer.norm1.weight.copy_(p["ln1_gamma"])
        layer.norm1.bias.copy_(p["ln1_beta"])
        layer.norm2.weight.copy_(p["ln2_gamma"])
        layer.norm2.bias.copy_(p["ln2_beta"])
        layer.self_attn.in_proj_weight.copy_(torch.cat([p["Wq"].T, p["Wk"].T, p["Wv"].T]))
        layer.self_attn.in_proj_bias.zero_()
        layer.self_attn.out_proj.weight.copy_(p["Wo"].T)
        layer.self_attn.out_proj.bias.zero_()
        layer.linear1.weight.copy_(p["W1"].T)
        layer.linear1.bias.copy_(p["b1"])
        layer.linear2.weight.copy_(p["W2"].T)
        layer.linear2.bias.copy_(p["b2"])
    src_mask = None
    if mask is not None:
        # torch's boolean src_mask is True where attention is NOT allowed, the opposite of
        # the kata's (and of F.scaled_dot_product_attention's) mask: invert it. A mask that
        # differs per sequence goes in as (N·n_heads, T, T), sequence-major as torch expects.
        allowed = np.broadcast_to(np.asarray(mask, dtype=bool), (N, n_heads, T, T))
        src_mask = torch.from_numpy(~allowed.reshape(N * n_heads, T, T).copy())
    layer.train()  # dropout is 0: the same function, and never the inference fast path
    with torch.no_grad():
        return layer(tensor(x), src_mask=src_mask).numpy().copy()


def torch_block_variant(x, params, n_heads, mask=None, *, post_ln=False, gelu="none",
                        attn_residual=True, ffn_residual=True, mask_mode="right",
                        scale="head", split="right", out_in=False, naive_var=False,
                        causal_default=False):  # fmt: skip
    """The block written out in torch ops, with switches for the listed mistakes."""
    p = {k: tensor(v) for k, v in params.items()}
    X = tensor(x)
    N, T, D = X.shape
    if mask is None and causal_default:
        mask = causal(T)
    d = D // n_heads

    def ln(a, g, b):
        mean = a.mean(-1, keepdim=True)
        if naive_var:
            var = (a * a).mean(-1, keepdim=True) - mean**2
        else:
            var = ((a - mean) ** 2).mean(-1, keepdim=True)
        return g * (a - mean) / torch.sqrt(var + LN_EPS) + b

    def heads(a):
        if split == "no_transpose":
            return a.reshape(N, n_heads, T, d)
        return a.reshape(N, T, n_heads, d).transpose(1, 2)

    def merge(c):
        return c.reshape(N, T, D) if split == "no_transpose" else c.transpose(1, 2).reshape(N, T, D)

    def W(name):
        return p[name].T if out_in else p[name]

    def mha(y):
        q, k, v = heads(y @ W("Wq")), heads(y @ W("Wk")), heads(y @ W("Wv"))
        s = q @ k.transpose(-1, -2) / math.sqrt(d if scale == "head" else D)
        allowed = None if mask is None else torch.from_numpy(np.asarray(mask, dtype=bool).copy())
        if allowed is not None and mask_mode in ("right", "inverted"):
            keep = allowed if mask_mode == "right" else ~allowed
            s = s.masked_fill(~keep, -math.inf)
        w = torch.softmax(s, dim=-1)
        if allowed is not None and mask_mode == "zeroed":
            w = w * allowed
        return merge(w @ v) @ W("Wo")

    def act(z):
        return F.gelu(z, approximate="tanh") if gelu == "tanh" else F.gelu(z)

    def ffn(z):
        return act(z @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    if post_ln:
        h = ln(X + mha(X), p["ln1_gamma"], p["ln1_beta"])
        return ln(h + ffn(h), p["ln2_gamma"], p["ln2_beta"]).numpy()
    h = (X if attn_residual else 0.0) + mha(ln(X, p["ln1_gamma"], p["ln1_beta"]))
    return ((h if ffn_residual else 0.0) + ffn(ln(h, p["ln2_gamma"], p["ln2_beta"]))).numpy()


BLOCK_MISTAKES = [
    (
        "post-LN instead of pre-LN: this block normalises each sublayer's input and leaves "
        "the residual stream alone, h = x + MHA(LN1(x)), out = h + FFN(LN2(h)); post-LN "
        "(the original Transformer) is LN(x + sublayer(x)).",
        {"post_ln": True},
    ),
    (
        'GELU in its tanh approximation: nn.TransformerEncoderLayer(activation="gelu") uses '
        "the exact z·Φ(z) = ½z(1 + erf(z/√2)) (math.erf, element-wise).",
        {"gelu": "tanh"},
    ),
    (
        "the residual forgotten around the attention: h = x + MHA(LN1(x)).",
        {"attn_residual": False},
    ),
    (
        "the residual forgotten around the feed-forward: out = h + FFN(LN2(h)).",
        {"ffn_residual": False},
    ),
    (
        "the mask's sense inverted: True means the query may attend to that key (as in "
        "F.scaled_dot_product_attention); scores where the mask is False become −inf.",
        {"mask_mode": "inverted"},
    ),
    (
        "the mask ignored: scores where the mask is False become −inf before the softmax.",
        {"mask_mode": "ignored"},
    ),  # fmt: skip
    (
        "mask=None taken as causal: without a mask every position attends to every other "
        "(an encoder layer's default); a decoder passes its causal mask explicitly.",
        {"causal_default": True},
    ),
    (
        "masked weights zeroed after the softmax and not renormalised: mask the scores "
        "(−inf) before the softmax, so that each row of weights still sums to 1.",
        {"mask_mode": "zeroed"},
    ),
    (
        "scores divided by √D instead of √(D / n_heads): the scale is the square root of "
        "each head's width.",
        {"scale": "model"},
    ),
    (
        "heads split along the wrong axis: (N, T, D) → (N, T, n_heads, D/n_heads) → "
        "transpose to (N, n_heads, T, D/n_heads); a reshape straight to (N, n_heads, T, ·) "
        "mixes positions and features.",
        {"split": "no_transpose"},
    ),
    (
        "weights used as torch's (out, in) matrices: this kata's weights are (in, out), "
        "y @ Wq; nn.Linear stores Wqᵀ and computes y @ weightᵀ.",
        {"out_in": True},
    ),
    (
        "layer-norm variance as E[x²] − mean²: for a row whose mean is large next to its "
        "spread the two terms cancel and rounding error takes over; use mean((x − mean)²).",
        {"naive_var": True},
    ),
]


def applies(variant, n_heads, mask) -> bool:
    """Whether a mistake can differ from the block on these arguments (a variant that is the
    block itself here must never be named, even where rounding tells them apart)."""
    if "mask_mode" in variant:
        return mask is not None
    if "causal_default" in variant:
        return mask is None
    if "scale" in variant or "split" in variant:
        return n_heads > 1
    return True


def grade_block(learner, rng, x, params, n_heads, mask=None, *, stable=False, offset=False,
                note=""):  # fmt: skip
    expected = torch_encoder_layer(x, params, n_heads, mask)
    args = (x, params, n_heads) if mask is None else (x, params, n_heads, mask)
    fn = learner.fn("block_forward")
    call = fn.describe(*args) + note
    if stable:
        out = call_strictly(fn, *args, stable_form=STABLE_SOFTMAX)
    else:
        out = fn(*args)
    out = expect_array(out, "out", expected.shape, call)
    mistakes = [
        Mistake(says, lambda v=variant: {"out": torch_block_variant(x, params, n_heads, mask, **v)})
        for says, variant in BLOCK_MISTAKES
        if applies(variant, n_heads, mask)
    ]
    oracle = "nn.TransformerEncoderLayer(norm_first=True) with the weights copied in"
    assert_matches({"out": out}, {"out": expected}, call=call, oracle=oracle, mistakes=mistakes)
    if offset:
        # x ~ 1e6: out is dominated by the residual stream, whose rounding (~1e-10) hides
        # errors of the sublayers; out − x, their sum, is of order 1 and shows them.
        base = np.asarray(x)
        assert_matches(
            {"out − x": out - base}, {"out − x": expected - base}, call=call, oracle=oracle,
            mistakes=[Mistake(m.says, lambda m=m: {"out − x": m.outputs()["out"] - base})
                      for m in mistakes],
            # out − x carries the rounding of sums of 1e6-sized numbers through two layer
            # norms and the sublayers: ~1e-9 seen, so atol 1e-7; the one-pass variance is off
            # by ~1e-4 there
            atol=1e-7,
        )  # fmt: skip


def causal(T):
    return np.tril(np.ones((T, T), dtype=bool))


def padding(lengths, T):
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None])[:, None, None, :]


@check(
    "13_transformers/transformer_block",
    "no mask: matches nn.TransformerEncoderLayer(norm_first=True, gelu) with the weights copied in",
    regimes=("shapes", "hyperparameters"),
)
def block_no_mask(learner, rng):
    N, T, D, F_ = int(rng.integers(2, 4)), int(rng.integers(3, 6)), 4, int(rng.integers(5, 9))
    grade_block(learner, rng, rng.normal(size=(N, T, D)), block_params(rng, D, F_), 2)


@check(
    "13_transformers/transformer_block",
    "a causal (T, T) mask, True = may attend, with 1, 2 and D heads",
    regimes=("hyperparameters", "shapes"),
)
def block_causal(learner, rng):
    N, T, D = 2, int(rng.integers(4, 7)), 6
    for n_heads in (2, 1, D):  # D heads: head_dim 1
        x = rng.normal(size=(N, T, D))
        grade_block(learner, rng, x, block_params(rng, D, 8), n_heads, causal(T),
                    note="  (mask = causal)")  # fmt: skip


@check(
    "13_transformers/transformer_block",
    "a padding mask (N, 1, 1, T) and padding combined with causal (N, 1, T, T)",
    regimes=("hyperparameters", "exact values"),
)
def block_padding(learner, rng):
    N, T, D = 3, 5, 4  # N ≠ T: a mask taken for (T, T) does not fit
    lengths = np.array([T, int(rng.integers(2, T)), 1])
    x = rng.normal(size=(N, T, D))
    pad = padding(lengths, T)
    grade_block(learner, rng, x, block_params(rng, D, 6), 2, pad,
                note=f"  (padding mask of lengths {lengths.tolist()})")  # fmt: skip
    grade_block(learner, rng, x, block_params(rng, D, 6), 2, pad & causal(T),
                note=f"  (padding of lengths {lengths.tolist()} and causal)")  # fmt: skip


@check(
    "13_transformers/transformer_block",
    "N = 1, T = 1, D = 2, and F smaller than D",
    regimes=("shapes",),
)
def block_small(learner, rng):
    grade_block(learner, rng, rng.normal(size=(1, 4, 4)), block_params(rng, 4, 6), 2)
    grade_block(learner, rng, rng.normal(size=(3, 1, 4)), block_params(rng, 4, 6), 2,
                causal(1), note="  (T = 1)")  # fmt: skip
    grade_block(learner, rng, rng.normal(size=(2, 3, 2)), block_params(rng, 2, 3), 1)
    grade_block(learner, rng, rng.normal(size=(2, 3, 6)), block_params(rng, 6, 2), 3)


@check(
    "13_transformers/transformer_block",
    "constant rows of x (layer norm's variance 0) and x = 0",
    regimes=("exact values",),
)
def block_constant(learner, rng):
    x = rng.normal(size=(2, 4, 4))
    x[0, 1] = 1.5  # LN1(x) = beta there
    x[1, :] = -0.5  # every position alike: the attention weights are uniform
    grade_block(learner, rng, x, block_params(rng, 4, 6), 2, causal(4),
                note="  (x[0, 1] and x[1] constant)")  # fmt: skip
    grade_block(learner, rng, np.zeros((2, 3, 4)), block_params(rng, 4, 6), 2,
                note="  (x = 0)")  # fmt: skip


@check(
    "13_transformers/transformer_block",
    "views: x time-major, Wq, Wk, Wv slices of torch's packed in_proj_weight transposed",
    regimes=("layout",),
)
def block_views(learner, rng):
    N, T, D, F_ = 3, 4, 4, 6
    params = block_params(rng, D, F_)
    in_proj = np.concatenate([params["Wq"].T, params["Wk"].T, params["Wv"].T])  # (3D, D)
    views = dict(params)
    views.update(Wq=in_proj[:D].T, Wk=in_proj[D : 2 * D].T, Wv=in_proj[2 * D :].T)
    views.update(Wo=np.ascontiguousarray(params["Wo"].T).T,
                 W1=np.ascontiguousarray(params["W1"].T).T,
                 W2=np.ascontiguousarray(params["W2"].T).T,
                 ln1_gamma=strided(params["ln1_gamma"]), b1=transposed(params["b1"]))  # fmt: skip
    grade_block(learner, rng, time_major(rng.normal(size=(N, T, D))), views, 2, causal(T),
                note="  (x a time-major array's batch-first view; weights torch's, "
                "transposed)")  # fmt: skip


@check(
    "13_transformers/transformer_block",
    "attention scores of ±2e3 with numpy raising on overflow; x offset by 1e6",
    regimes=("extremes",),
)
def block_extremes(learner, rng):
    N, T, D = 2, 4, 4
    params = block_params(rng, D, 6)
    params["ln1_gamma"], params["ln1_beta"] = np.ones(D), np.zeros(D)
    # LN1(x) has rows of squared norm D·var/(var + eps) ≈ D; with Wq = Wk = c·I and one
    # head, q_t·k_t/√D ≈ c²·√D = 2000 for every t: exp of it overflows
    c = math.sqrt(2000.0 / math.sqrt(D))
    params["Wq"], params["Wk"] = c * np.eye(D), c * np.eye(D)
    x = rng.normal(size=(N, T, D))
    grade_block(learner, rng, x, params, 1, causal(T), stable=True,
                note="  (scores up to 2e3)")  # fmt: skip
    x = 1e6 + rng.normal(size=(N, T, D))
    grade_block(learner, rng, x, block_params(rng, D, 6), 2, causal(T), offset=True,
                note="  (x = 1e6 + N(0, 1))")  # fmt: skip


# ---------------------------------------------------------------- kv_cache


def kv_params(rng, D, scale=1.0):
    return {k: rng.normal(scale=scale / np.sqrt(D), size=(D, D)) for k in ("Wq", "Wk", "Wv", "Wo")}


def torch_causal(x, params, n_heads):
    """The full causal forward over x (N, T, D): (out (N, T, D), K, V (N, heads, T, hd))."""
    N, T, D = x.shape
    X = tensor(x)
    q, k, v = (
        (X @ tensor(params[name])).reshape(N, T, n_heads, D // n_heads).transpose(1, 2)
        for name in ("Wq", "Wk", "Wv")
    )
    attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out = attended.transpose(1, 2).reshape(N, T, D) @ tensor(params["Wo"])
    return out.numpy().copy(), k.numpy().copy(), v.numpy().copy()


def np_decode(x_t, cache, params, n_heads, *, own_key=True, scale="head", split="right",
              window=None, prepend=False):  # fmt: skip
    """decode_step in numpy on the cache given, with switches for the listed mistakes."""
    N, D = x_t.shape
    hd = D // n_heads

    def heads(a):
        if split == "interleaved":
            return a.reshape(N, hd, n_heads).transpose(0, 2, 1)[:, :, None, :]
        return a.reshape(N, n_heads, 1, hd)

    q, k, v = (heads(x_t @ params[n]) for n in ("Wq", "Wk", "Wv"))
    if cache:
        order = (lambda old, new: [new, old]) if prepend else (lambda old, new: [old, new])
        keys, values = cache["k"], cache["v"]
        k = np.concatenate(order(cache["k"], k), axis=2)
        v = np.concatenate(order(cache["v"], v), axis=2)
        if own_key:
            keys, values = k, v
    elif not own_key:
        raise ValueError("no key to attend to")
    else:
        keys, values = k, v
    if window is not None:
        k, v = k[:, :, -window:], v[:, :, -window:]
        keys, values = k, v
    scores = q @ keys.transpose(0, 1, 3, 2) / math.sqrt(hd if scale == "head" else D)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = w / w.sum(axis=-1, keepdims=True)
    context = w @ values
    if split == "interleaved":
        context = context[:, :, 0, :].transpose(0, 2, 1)
    return {"out_t": context.reshape(N, D) @ params["Wo"], "cache['k']": k, "cache['v']": v}


DECODE_MISTAKES = [
    (
        "the new token's own key left out: position t attends to positions 0..t, itself "
        "included; append its key and value to the cache before the attention.",
        {"own_key": False},
    ),
    (
        "scores divided by √D instead of √(D / n_heads): the scale is the square root of "
        "each head's width.",
        {"scale": "model"},
    ),
    (
        "heads split along the wrong axis: head h holds columns h·hd .. (h + 1)·hd − 1 of "
        "x_t @ W, x_t @ W reshaped to (N, n_heads, hd); not every n_heads-th column.",
        {"split": "interleaved"},
    ),
    (
        "new position prepended: the outputs do not depend on the order of the keys, but the "
        "cache keeps positions in order, the newest last (np.concatenate([old, new], axis=2)).",
        {"prepend": True},
    ),
]


def window_mistakes(t):
    return [
        (
            f"only the last {w} positions attended: right for sliding-window attention "
            "(Mistral); this kata's causal attention sees every position before t, and the "
            "cache keeps them all.",
            {"window": w},
        )
        for w in range(1, t + 1)
    ]


CACHE_LAYOUT = (
    "the cache's axes in the order (N, t, n_heads, hd): this kata's cache is "
    "(N, n_heads, t, hd), each head's keys one after the other in time (the layout of "
    "F.scaled_dot_product_attention's k and v)."
)


def expect_cache(value, N, H, t, hd, call, given):
    """The returned cache: a dict with exactly the keys k and v, float64 (N, H, t, hd)
    (given: the cache decode_step was called with)."""
    if not isinstance(value, dict) or set(value) != {"k", "v"}:
        keys = sorted(map(str, value)) if isinstance(value, dict) else None
        raise KataFailure(
            f"wrong cache\n  called   {call}\n  expected a dict with exactly the keys 'k' and "
            f"'v', got {describe_value(value) if keys is None else f'a dict with keys {keys}'}"
        )
    arrays = {}
    for name in ("k", "v"):
        got = value[name]
        shape = got.shape if isinstance(got, np.ndarray) else None
        says = None
        if shape == (N, t, H, hd) != (N, H, t, hd):
            says = CACHE_LAYOUT
        elif shape is not None and len(shape) == 4 and shape[:2] + shape[3:] == (N, H, hd):
            before = given.get(name) if isinstance(given, dict) else None
            if shape[2] == t - 1 and before is not None and np.array_equal(got, before):
                says = ("the new position not appended: the cache returned holds every "
                        "position so far, the new one last.")  # fmt: skip
            elif 0 < shape[2] < t:
                says = window_mistakes(shape[2])[-1][0]
        if says:
            raise KataFailure(
                f"wrong cache['{name}']\n  called   {call}\n  cache['{name}'] has shape "
                f"{shape}, expected {(N, H, t, hd)} (position {t - 1} is the new one)\n"
                f"  looks like: {says}"
            )
        arrays[f"cache['{name}']"] = expect_array(got, f"cache['{name}']", (N, H, t, hd), call)
    return arrays


def grade_decode_step(learner, x_t, cache, params, n_heads, expected, *, stable=False,
                      note=""):  # fmt: skip
    """One call of decode_step; expected: {"out_t", "cache['k']", "cache['v']"} (torch).
    Returns the learner's new cache."""
    N, D = x_t.shape
    H, t = n_heads, expected["cache['k']"].shape[2]
    fn = learner.fn("decode_step")
    args = (x_t, cache, params, n_heads)
    call = fn.describe(*args) + note
    result = call_strictly(fn, *args, stable_form=STABLE_SOFTMAX) if stable else fn(*args)
    out_t, new_cache = expect_tuple(result, ("out_t", "cache"), call)
    got = {"out_t": expect_array(out_t, "out_t", (N, D), call)}
    got.update(expect_cache(new_cache, N, H, t, D // H, call, cache))
    mistakes = [
        Mistake(says, lambda v=variant: np_decode(x_t, cache, params, n_heads, **v))
        for says, variant in DECODE_MISTAKES + window_mistakes(t - 1)
    ]
    oracle = "F.scaled_dot_product_attention(is_causal=True) over the whole sequence"
    assert_matches(got, expected, call=call, oracle=oracle, mistakes=mistakes)
    return new_cache


def expected_at(full, t):
    out, K, V = full
    return {"out_t": out[:, t], "cache['k']": K[:, :, : t + 1], "cache['v']": V[:, :, : t + 1]}


def decode_sequence(learner, x, params, n_heads, *, stable=False, note=""):
    """Decode x (N, T, D) position by position from the empty cache, each step fed the
    cache the learner's previous step returned."""
    full = torch_causal(x, params, n_heads)
    cache = {}
    for t in range(x.shape[1]):
        cache = grade_decode_step(learner, np.ascontiguousarray(x[:, t]), cache, params, n_heads,
                                  expected_at(full, t), stable=stable,
                                  note=f"  (step {t} of a decoding loop{note})")  # fmt: skip


@check(
    "13_transformers/kv_cache",
    "decoding 10 to 12 positions from the empty cache {}: each out_t and cache equal the full "
    "causal forward's",
    regimes=("process", "shapes", "hyperparameters"),
)
def kv_decode(learner, rng):
    N, D = int(rng.integers(2, 4)), 6
    T = int(rng.integers(10, 13))
    decode_sequence(learner, rng.normal(size=(N, T, D)), kv_params(rng, D), 2)


@check(
    "13_transformers/kv_cache",
    "a cache of t = 3 to 6 positions built by the grader; 1 head, 2 heads and D heads",
    regimes=("hyperparameters", "shapes"),
)
def kv_given_cache(learner, rng):
    N, D = 2, 4
    for n_heads in (2, 1, D):  # D heads: head_dim 1
        T = int(rng.integers(4, 8))
        x, params = rng.normal(size=(N, T, D)), kv_params(rng, D)
        full = torch_causal(x, params, n_heads)
        t = T - 1
        cache = {"k": full[1][:, :, :t].copy(), "v": full[2][:, :, :t].copy()}
        grade_decode_step(learner, x[:, t].copy(), cache, params, n_heads, expected_at(full, t),
                          note=f"  (a cache of {t} positions, {n_heads} heads)")  # fmt: skip


@check(
    "13_transformers/kv_cache",
    "N = 1, D = 2, one head over 4 steps, and a single step (t = 0)",
    regimes=("shapes",),
)
def kv_small(learner, rng):
    decode_sequence(learner, rng.normal(size=(1, 4, 4)), kv_params(rng, 4), 2, note=", N = 1")
    decode_sequence(learner, rng.normal(size=(2, 4, 2)), kv_params(rng, 2), 1, note=", D = 2")
    decode_sequence(learner, rng.normal(size=(3, 1, 6)), kv_params(rng, 6), 3, note=", T = 1")


@check(
    "13_transformers/kv_cache",
    "two steps from the same cache (branching): the cache given is left as it was, a new "
    "dict comes back each time",
    regimes=("aliasing",),
)
def kv_branches(learner, rng):
    N, T, D = 2, 5, 4
    params = kv_params(rng, D)
    x = rng.normal(size=(N, T, D))
    prefix = torch_causal(x, params, 2)
    cache = {"k": prefix[1][:, :, : T - 1].copy(), "v": prefix[2][:, :, : T - 1].copy()}
    for branch in range(2):  # two continuations of one prefix, from one cache
        if branch:
            x = x.copy()
            x[:, T - 1] = rng.normal(size=(N, D))
        grade_decode_step(learner, x[:, T - 1].copy(), cache, params, 2,
                          expected_at(torch_causal(x, params, 2), T - 1),
                          note=f"  (branch {branch + 1} from the same cache)")  # fmt: skip
    # the empty cache too: the first position's cache is new arrays, not x_t's memory
    x = rng.normal(size=(N, 1, D))
    grade_decode_step(learner, x[:, 0].copy(), {}, params, 2,
                      expected_at(torch_causal(x, params, 2), 0), note="  (cache = {})")  # fmt: skip


@check(
    "13_transformers/kv_cache",
    "views: x_t strided, the weights torch's transposed, the cache views of a larger buffer",
    regimes=("layout",),
)
def kv_views(learner, rng):
    N, T, D, H = 2, 6, 4, 2
    x = rng.normal(size=(N, T, D))
    params = kv_params(rng, D)
    full = torch_causal(x, params, H)
    views = {k: np.ascontiguousarray(v.T).T for k, v in params.items()}
    t = T - 1
    # the cache as slices of (N, H, T, hd) arrays, one of them held time-major
    k_view = full[1][:, :, :t]
    v_view = np.ascontiguousarray(full[2].transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3)[:, :, :t]
    grade_decode_step(learner, strided(x[:, t]), {"k": k_view, "v": v_view}, views, H,
                      expected_at(full, t), note="  (x_t strided, cache arrays views)")  # fmt: skip


@check(
    "13_transformers/kv_cache",
    "x_t = 0 after a prefix (its key is 0: a score of 0 among the others), and equal inputs "
    "at every position (tied scores)",
    regimes=("exact values",),
)
def kv_zeros(learner, rng):
    N, T, D = 2, 5, 4
    params = kv_params(rng, D)
    x = rng.normal(size=(N, T, D))
    x[:, -1] = 0.0  # q = k = v = 0 at the last position: uniform weights over all t + 1
    decode_sequence(learner, x, params, 2, note=", the last x_t = 0")
    x = np.repeat(rng.normal(size=(N, 1, D)), 4, axis=1)
    decode_sequence(learner, x, params, 2, note=", every x_t equal")


@check(
    "13_transformers/kv_cache",
    "scores of ±2e3 with numpy raising on overflow",
    regimes=("extremes",),
)
def kv_extremes(learner, rng):
    N, T, D = 2, 4, 4
    x = rng.normal(size=(N, T, D))
    x *= np.sqrt(D) / np.linalg.norm(x, axis=-1, keepdims=True)  # every ‖x_t‖² = D
    # Wq = Wk = c·I, one head: the score of each position with itself is c²·D/√D = 2000
    c = math.sqrt(2000.0 / math.sqrt(D))
    params = kv_params(rng, D)
    params["Wq"], params["Wk"] = c * np.eye(D), c * np.eye(D)
    decode_sequence(learner, x, params, 1, stable=True, note=", scores up to 2e3")


# ---------------------------------------------------------------- kv_cache_bytes


def grade_bytes(learner, config: dict, note=""):
    """config: kv_cache_bytes's arguments by name (bytes_per_value left to its default
    when absent)."""
    fn = learner.fn("kv_cache_bytes")
    call = fn.describe(**config) + note
    got = fn(**config)
    per_value = config.get("bytes_per_value", 2)
    values = (config["n_layers"] * config["n_kv_heads"] * config["head_dim"]
              * config["seq_len"] * config["batch"])  # fmt: skip
    exact = 2 * values * per_value
    if type(got) is not int:
        kind = "a numpy integer" if isinstance(got, np.integer) else describe_value(got)
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  got      {kind} ({got!r})\n"
            "  expected a Python int: numpy's integers wrap around past 2**63 and a float "
            "rounds past 2**53 (return int(...) of exact integer arithmetic)"
        )
    if got == exact:
        return
    says = None
    if got == exact // 2:
        says = "only the keys counted: the cache holds a key and a value per position, 2·…"
    elif per_value != 2 and got == 2 * values * 2:
        says = (f"bytes_per_value ignored: counted at 2 bytes a value (fp16), not the "
                f"bytes_per_value={per_value} passed in.")  # fmt: skip
    elif exact and got != exact and abs(got - exact) <= exact * 2**-50:
        says = ("computed through a float: float64 holds integers exactly only up to 2**53; "
                "multiply Python ints, which are exact at any size.")  # fmt: skip
    elif got == (exact + 2**63) % 2**64 - 2**63:
        says = ("numpy int64 arithmetic (np.prod?) wrapped around past 2**63: multiply Python "
                "ints, which are exact at any size.")  # fmt: skip
    raise KataFailure(
        f"wrong bytes\n  called   {call}\n  got      {got}\n  expected {exact}  (2 · n_layers · "
        f"n_kv_heads · head_dim · seq_len · batch · bytes_per_value: keys and values)"
        + (f"\n  looks like: {says}" if says else "")
    )


def config(n_layers, n_kv_heads, head_dim, seq_len, batch, bytes_per_value=None):
    named = dict(n_layers=n_layers, n_kv_heads=n_kv_heads, head_dim=head_dim, seq_len=seq_len,
                 batch=batch)  # fmt: skip
    return named if bytes_per_value is None else {**named, "bytes_per_value": bytes_per_value}


@check(
    "13_transformers/kv_cache",
    "kv_cache_bytes of LLaMA-style models (MHA 7B, GQA 70B, MQA), at fp16, int8 and fp32",
    regimes=("hyperparameters", "exact values"),
)
def kv_bytes_models(learner, rng):
    seq_len, batch = int(rng.integers(1, 8193)), int(rng.integers(1, 17))
    grade_bytes(learner, config(32, 32, 128, 4096, 1), "  (LLaMA-2 7B at 4k, one sequence)")
    grade_bytes(learner, config(80, 8, 128, seq_len, batch), "  (LLaMA-2 70B: GQA, 8 kv heads)")
    grade_bytes(learner, config(32, 8, 128, seq_len, batch, 1), "  (int8 cache)")
    grade_bytes(learner, config(40, 1, 128, seq_len, batch, 4), "  (MQA: one kv head, fp32)")
    grade_bytes(learner, config(32, 32, 128, 0, batch), "  (seq_len = 0: nothing cached)")
    grade_bytes(learner, config(1, 1, 1, 1, 1, 1), "  (one of everything)")


@check(
    "13_transformers/kv_cache",
    "kv_cache_bytes exact past 2**53 and 2**63 (a Python int, not a float or an int64)",
    regimes=("extremes",),
)
def kv_bytes_huge(learner, rng):
    # odd factors near 1e6 and 1e9: the product has more than 64 significant bits, so a
    # float rounds it and an int64 wraps around
    seq_len = 10**9 + 2 * int(rng.integers(0, 10**6)) + 1
    batch = 10**6 + 2 * int(rng.integers(0, 10**3)) + 1
    grade_bytes(learner, config(81, 9, 127, seq_len, batch, 3), "  (a product near 3e23)")
    grade_bytes(learner, config(61, 7, 131, 2**40 + 1, 3), "  (seq_len = 2**40 + 1)")
