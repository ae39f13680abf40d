"""Graders of 12_sequences: embeddings, and RNN, LSTM and GRU layers over time.

The recurrent layers are compared with torch.nn.RNN / LSTM / GRU (and their *Cell forms for
one step) with the learner's weights copied in: weight_ih = Wxᵀ, weight_hh = Whᵀ, bias_ih =
b (bx for the GRU) and bias_hh = 0 (bh). Backward passes get a random upstream gradient on
every hidden state and the learner's own cache, and are compared with autograd. Besides
random inputs the checks build on purpose what exposes a mistake: T >= 5 with h0 ≠ 0 (a
gradient that does not flow back, or weights' gradients that are not summed over time,
show at every step), an upstream gradient on the last state only (exact zeros elsewhere),
two sequences' caches alive at once, gate pre-activations at ±1e3 graded with numpy
raising on overflow, time-major inputs transposed to batch-first views and torch's
weights transposed; for the embedding a repeated id in every lookup, the padding id
present, padding_idx at 0, V − 1 and −1.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.losses import strided, time_major, transposed
from graders.engine.checks import (
    Mistake,
    assert_fast_enough,
    assert_matches,
    call_strictly,
    expect_array,
    expect_tuple,
)
from graders.engine.describe import describe_value, view_note
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable

NO_RNG = "deterministic: takes no rng"
RECURRENT_ALIASING = (
    "every output is computed afresh (tanh, σ, products, sums over the steps): no path "
    "returns an input as it is, T = 1 and N = 1 still compute a step, and the engine checks "
    "the memory of every returned array on every call of every check"
)
RECURRENT_HYPER = (
    "no keyword parameters; what varies (T = 1, N = 1, h0 = 0 or not) is graded under "
    "shapes and exact values"
)
not_applicable(
    "12_sequences/embedding",
    extremes="a lookup and sums of dout: no exponent and no division, values pass unchanged",
    randomness=NO_RNG,
    process="one lookup and its gradient: no steps",
)
not_applicable(
    "12_sequences/rnn",
    hyperparameters=RECURRENT_HYPER,
    aliasing=RECURRENT_ALIASING,
    randomness=NO_RNG,
)
not_applicable(
    "12_sequences/lstm",
    hyperparameters=RECURRENT_HYPER + " (c0 is always 0 by the contract)",
    aliasing=RECURRENT_ALIASING,
    randomness=NO_RNG,
)
not_applicable(
    "12_sequences/gru",
    hyperparameters=RECURRENT_HYPER,
    aliasing=RECURRENT_ALIASING,
    randomness=NO_RNG,
)

STABLE_GATES = (
    "σ(a) = 1/(1 + e^(−a)) for a ≥ 0 and e^a/(1 + e^a) for a < 0, so that exp only ever "
    "sees −|a|; tanh as np.tanh, never (e^(2a) − 1)/(e^(2a) + 1)"
)


def tensor(a) -> torch.Tensor:
    """A float64 tensor of a copy of a (views included)."""
    return _tensor(np.ascontiguousarray(a))


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def grade_forward(learner, name, args, expected, *, oracle, mistakes=(), strict=False, note=""):
    """Call a forward; compare the outputs before its cache (the last one) with `expected`
    ({output: array}). mistakes: (says, thunk -> outputs tuple). Returns (cache, call)."""
    fn = learner.fn(name, cache=len(expected))  # (h, cache) or (h, c, cache)
    call = fn.describe(*args) + note
    if strict:
        result = call_strictly(fn, *args, stable_form=STABLE_GATES)
    else:
        result = fn(*args)
    values = expect_tuple(result, (*expected, "cache"), call)
    got = {k: expect_array(v, k, expected[k].shape, call) for k, v in zip(expected, values)}
    known = [Mistake(s, lambda m=m: dict(zip(expected, m()))) for s, m in mistakes]
    assert_matches(got, expected, call=call, oracle=oracle, mistakes=known)
    return values[-1], call


def grade_backward(learner, name, upstream, cache, expected, *, forward_call, mistakes=(),
                   strict=False, what="random"):  # fmt: skip
    """Call a backward with upstream gradients ({name: array}) and the learner's cache;
    compare every gradient with `expected` (autograd). mistakes: (says, thunk -> tuple)."""
    fn = learner.fn(name)
    shown = ", ".join(
        f"{k}={describe_value(v)} ({what}{view_note(v)})" for k, v in upstream.items()
    )
    call = f"{name}({shown}, cache from your {forward_call})"
    args = (*upstream.values(), cache)
    result = call_strictly(fn, *args, stable_form=STABLE_GATES) if strict else fn(*args)
    values = expect_tuple(result, tuple(expected), call)
    got = {k: expect_array(v, k, expected[k].shape, call) for k, v in zip(expected, values)}
    known = [Mistake(s, lambda m=m: dict(zip(expected, m()))) for s, m in mistakes]
    assert_matches(got, expected, call=call, oracle="torch autograd", mistakes=known)
    return got


# ---------------------------------------------------------------- torch oracles


def torch_recurrent(kind, x, h0, Wx, Wh, bx, bh=None, c_prev=None, upstream=()):
    """Run torch's module of `kind` ("rnn", "lstm", "gru"; a Cell when x is (N, D)) with
    the weights copied in. Returns (outputs as arrays, gradients as arrays): outputs are
    (h,) or (h, c) for an LSTM cell; gradients (given upstream gradients, one per output)
    are those of x, h0, [c_prev,] Wx, Wh, bx[, bh] in the kata's layout."""
    cell = x.ndim == 2
    D, H = Wx.shape[0], Wh.shape[0]
    classes = {
        "rnn": (torch.nn.RNNCell, torch.nn.RNN),
        "lstm": (torch.nn.LSTMCell, torch.nn.LSTM),
        "gru": (torch.nn.GRUCell, torch.nn.GRU),
    }
    cls = classes[kind][0 if cell else 1]
    module = cls(D, H, dtype=torch.float64) if cell else cls(D, H, batch_first=True,
                                                               dtype=torch.float64)  # fmt: skip
    suffix = "" if cell else "_l0"
    w_ih, w_hh = getattr(module, "weight_ih" + suffix), getattr(module, "weight_hh" + suffix)
    b_ih, b_hh = getattr(module, "bias_ih" + suffix), getattr(module, "bias_hh" + suffix)
    with torch.no_grad():
        w_ih.copy_(tensor(Wx).T)
        w_hh.copy_(tensor(Wh).T)
        b_ih.copy_(tensor(bx))
        b_hh.copy_(tensor(bh) if bh is not None else torch.zeros_like(b_hh))
    tx, th0 = tensor(x).requires_grad_(True), tensor(h0).requires_grad_(True)
    leaves = [tx, th0]
    if kind == "lstm" and cell:
        tc = tensor(c_prev).requires_grad_(True)
        leaves.append(tc)
        outputs = module(tx, (th0, tc))
    elif kind == "lstm":
        outputs = (module(tx, (th0[None], torch.zeros_like(th0)[None]))[0],)
    elif cell:
        outputs = (module(tx, th0),)
    else:
        outputs = (module(tx, th0[None])[0],)
    params = [w_ih, w_hh, b_ih] + ([b_hh] if bh is not None else [])
    values = tuple(o.detach().numpy().copy() for o in outputs)
    if not upstream:
        return values, None
    loss = sum((o * tensor(u)).sum() for o, u in zip(outputs, upstream))
    grads = torch.autograd.grad(loss, leaves + params)
    n = len(leaves)
    arrays = [g.numpy().copy() for g in grads[:n]]
    arrays += [np.ascontiguousarray(g.T.numpy()) for g in grads[n : n + 2]]
    arrays += [g.numpy().copy() for g in grads[n + 2 :]]
    return values, tuple(arrays)


# ---------------------------------------------------------------- embedding


def _embedding_ids(rng, shape, V, padding_idx=None, dtype=np.int64):
    """Random ids of `shape` in [0, V) with, on purpose, an id other than the padding one at
    two positions (where a buffered dW[ids] += dout loses a gradient), the padding id
    present (where ignoring padding_idx shows), and, for 2-D ids, ids[0, 1] ≠ ids[1, 0]
    (so that reading the positions in another order pairs ids with the wrong dout rows)."""
    pad = None if padding_idx is None else padding_idx % V
    size = int(np.prod(shape))
    for _ in range(1000):
        ids = rng.integers(0, V, size=shape)
        values, counts = np.unique(ids, return_counts=True)
        repeated = any(c >= 2 and v != pad for v, c in zip(values, counts))
        present = pad is None or pad in values
        crossed = ids.ndim < 2 or min(ids.shape) < 2 or ids[0, 1] != ids[1, 0]
        if (repeated or size < 2) and (present or size < 3) and crossed:
            return ids.astype(dtype)
    raise AssertionError(f"no ids of shape {shape} over {V} rows with the properties")


def _dw_repeats_lost(ids, dout, V, padding_idx):
    dW = np.zeros((V, dout.shape[-1]))
    dW[ids] += dout  # buffered: a repeated id keeps one of its gradients
    if padding_idx is not None:
        dW[padding_idx] = 0.0
    return dW


def _dw(ids, dout, V, padding_idx, zero_padding=True):
    dW = np.zeros((V, dout.shape[-1]))
    np.add.at(dW, ids.reshape(-1), dout.reshape(-1, dout.shape[-1]))
    if zero_padding and padding_idx is not None:
        dW[padding_idx] = 0.0
    return dW


def padding_mistakes(ids, dout, V, padding_idx):
    if padding_idx is None:
        return []
    if padding_idx == 0:
        says = (
            "padding_idx = 0 treated as no padding: `if padding_idx:` is False for row 0; "
            "test `padding_idx is not None`."
        )
    elif padding_idx < 0:
        says = (
            f"padding_idx = {padding_idx} not resolved: a negative padding_idx counts from "
            f"the end, as torch's (row V{padding_idx} = {padding_idx % V}); ids are never "
            "negative, so comparing them with it matches nothing."
        )
    else:
        says = f"the padding row (padding_idx = {padding_idx}) took a gradient: its row of dW is 0."
    return [(says, lambda: (_dw(ids, dout, V, padding_idx, zero_padding=False),))]


def grade_embedding(learner, rng, ids, V, D, padding_idx=None, *, W=None, dout=None,
                    note=""):  # fmt: skip
    """ids and W as given (views stay views); dout random (or a function of a random one)."""
    W = rng.normal(size=(V, D)) if W is None else W
    args = (ids, W) if padding_idx is None else (ids, W, padding_idx)
    tW = tensor(W).requires_grad_(True)
    out_t = F.embedding(torch.tensor(np.asarray(ids, dtype=np.int64)), tW,
                        padding_idx=padding_idx)  # fmt: skip
    expected_out = out_t.detach().numpy().copy()
    fwd_mistakes = []
    if padding_idx is not None:

        def zeroed():
            out = W[ids].copy()
            out[np.asarray(ids) == padding_idx % V] = 0.0
            return (out,)

        fwd_mistakes.append(
            (
                "the padding row zeroed in the forward: torch looks padding_idx up like any "
                "other id (the row holds what W holds; nn.Embedding only initialises it to "
                "0); padding_idx only stops its gradient.",
                zeroed,
            )
        )
    cache, call = grade_forward(
        learner,
        "embedding_forward",
        args,
        {"out": expected_out},
        oracle="F.embedding",
        mistakes=fwd_mistakes,
        note=note,
    )
    upstream = rng.normal(size=expected_out.shape)
    dout = upstream if dout is None else dout(upstream)
    (dW,) = torch.autograd.grad((out_t * tensor(dout)).sum(), [tW])
    mistakes = [
        (
            "dW[ids] += dout: with a repeated id the buffered += keeps one of its gradients "
            "and drops the rest. Add them all: np.add.at(dW, ids.ravel(), "
            "dout.reshape(-1, D)).",
            lambda: (_dw_repeats_lost(np.asarray(ids), dout, V, padding_idx),),
        ),
        *padding_mistakes(np.asarray(ids), dout, V, padding_idx),
    ]
    grade_backward(learner, "embedding_backward", {"dout": dout}, cache,
                   {"dW": dW.numpy().copy()}, forward_call=call, mistakes=mistakes)  # fmt: skip


@check(
    "12_sequences/embedding",
    "(N, T) ids with a repeated id: forward and backward match F.embedding and autograd",
    regimes=("shapes", "exact values", "hyperparameters"),
)
def embedding_random(learner, rng):
    V, D = int(rng.integers(5, 12)), int(rng.integers(2, 6))
    shape = (int(rng.integers(2, 5)), int(rng.integers(3, 7)))
    grade_embedding(learner, rng, _embedding_ids(rng, shape, V), V, D)


@check(
    "12_sequences/embedding",
    "padding_idx at 0, V − 1, a middle row and −1: present in ids, its row gets no gradient",
    regimes=("hyperparameters", "exact values"),
)
def embedding_padding(learner, rng):
    V, D = 7, 3
    for padding_idx in (0, V - 1, int(rng.integers(1, V - 1)), -1):
        ids = _embedding_ids(rng, (3, 5), V, padding_idx)
        grade_embedding(learner, rng, ids, V, D, padding_idx,
                        note=f"  (padding id {padding_idx % V} among the ids)")  # fmt: skip


@check(
    "12_sequences/embedding",
    "1-D ids, N = 1, T = 1, one row (V = 1), one feature (D = 1), int32 and unsorted ids",
    regimes=("shapes", "exact values"),
)
def embedding_shapes(learner, rng):
    grade_embedding(learner, rng, _embedding_ids(rng, (6,), 5), 5, 3)  # 1-D: out (T, D)
    grade_embedding(learner, rng, _embedding_ids(rng, (1, 4), 6), 6, 2)  # N = 1
    grade_embedding(learner, rng, _embedding_ids(rng, (3, 1), 4, 1), 4, 2, 1)  # T = 1
    grade_embedding(learner, rng, np.zeros((2, 3), dtype=np.int64), 1, 4)  # V = 1: all repeat
    grade_embedding(learner, rng, _embedding_ids(rng, (4, 3), 8, dtype=np.int32), 8, 1)
    ids = np.array([[5, 0, 3, 5], [2, 7, 0, 1]])  # out of order, 0 and 5 repeated
    grade_embedding(learner, rng, ids, 9, 3, padding_idx=3)


@check(
    "12_sequences/embedding",
    "views: ids transposed (time-major ids), W strided, dout transposed",
    regimes=("layout",),
)
def embedding_views(learner, rng):
    V, D = 9, 3
    ids = transposed(_embedding_ids(rng, (3, 4), V))
    grade_embedding(learner, rng, ids, V, D, W=strided(rng.normal(size=(V, D))),
                    dout=time_major, note="  (ids a transposed view, W strided)")  # fmt: skip
    ids = transposed(_embedding_ids(rng, (4, 5), V, padding_idx=2))
    grade_embedding(learner, rng, ids, V, D, 2, W=transposed(rng.normal(size=(V, D))),
                    dout=lambda d: np.ascontiguousarray(d[..., ::-1])[..., ::-1],
                    note="  (ids and W transposed views)")  # fmt: skip


@check(
    "12_sequences/embedding",
    "every id once, in order (out equals W, dW equals dout): new arrays",
    regimes=("aliasing",),
)
def embedding_identity(learner, rng):
    V, D = int(rng.integers(3, 7)), int(rng.integers(2, 5))
    grade_embedding(learner, rng, np.arange(V), V, D, note="  (ids = 0, 1, ..., V − 1)")
    grade_embedding(learner, rng, np.arange(V).reshape(1, V), V, D,
                    note="  (ids = [[0, 1, ..., V − 1]])")  # fmt: skip
    grade_embedding(learner, rng, np.tile(np.arange(V), (2, 1)), V, D,
                    note="  (every id twice: dW = the sum of both rows of dout)")  # fmt: skip


# ---------------------------------------------------------------- rnn


def np_rnn(x, h0, Wx, Wh, b, use_h0=True):
    h = h0 if use_h0 else np.zeros_like(h0)
    hs = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def np_rnn_backward(x, h0, Wx, Wh, b, dh, carry=True, accumulate=("Wx", "Wh", "b")):
    """BPTT in numpy, with switches for the listed mistakes: the gradient from step t + 1
    not carried; weights' gradients kept from one step (the earliest) only."""
    h = np_rnn(x, h0, Wx, Wh, b)
    prev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    grads = {"Wx": 0.0, "Wh": 0.0, "b": 0.0}
    dnext = np.zeros(h0.shape)
    for t in reversed(range(x.shape[1])):
        da = (dh[:, t] + (dnext if carry else 0.0)) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dnext = da @ Wh.T
        step = {"Wx": x[:, t].T @ da, "Wh": prev[:, t].T @ da, "b": da.sum(0)}
        for k in grads:
            grads[k] = grads[k] + step[k] if k in accumulate else step[k]
    return dx, dnext, grads["Wx"], grads["Wh"], grads["b"]


RNN_NOT_CARRIED = (
    "the gradient from the next time step not added: the gradient reaching h_t is dh[:, t] "
    "plus dh_prev from step t + 1 (h_t feeds the next step too), carried back to h0."
)
RNN_NOT_ACCUMULATED = (
    "dWh not accumulated over time: the same Wh is used at every step, so its gradient is "
    "the sum of every step's h_prevᵀ @ da (dWx and db too), not one step's."
)


def rnn_sequence_mistakes(x, h0, Wx, Wh, b, dh):
    a = (x, h0, Wx, Wh, b, dh)
    return [
        (RNN_NOT_CARRIED, lambda: np_rnn_backward(*a, carry=False)),
        (RNN_NOT_ACCUMULATED, lambda: np_rnn_backward(*a, accumulate=("Wx", "b"))),
        (RNN_NOT_ACCUMULATED, lambda: np_rnn_backward(*a, accumulate=())),
        (
            RNN_NOT_CARRIED + " And " + RNN_NOT_ACCUMULATED,
            lambda: np_rnn_backward(*a, carry=False, accumulate=()),
        ),  # fmt: skip
    ]


H0_IGNORED = (
    "h0 ignored: the first step starts from zeros instead of the h0 passed in (h0 is "
    "often zeros, but not here)."
)


def rnn_problem(rng, N, T, D, H, scale=1.0):
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.9, 0.9, size=(N, H))
    Wx = rng.normal(scale=scale / np.sqrt(D), size=(D, H))
    Wh = rng.normal(scale=scale / np.sqrt(H), size=(H, H))
    b = rng.normal(scale=0.5, size=H)
    return x, h0, Wx, Wh, b


def grade_rnn_step(learner, rng, x, h_prev, Wx, Wh, b, *, dh=None, strict=False, note=""):
    up = rng.normal(size=h_prev.shape) if dh is None else dh
    (h,), grads = torch_recurrent("rnn", x, h_prev, Wx, Wh, b, upstream=(up,))
    pre = x @ Wx + h_prev @ Wh + b
    cache, call = grade_forward(
        learner, "rnn_step_forward", (x, h_prev, Wx, Wh, b), {"h": h},
        oracle="nn.RNNCell (tanh) with the weights copied in", strict=strict, note=note,
        mistakes=[("the bias left out: h = tanh(x @ Wx + h_prev @ Wh + b).",
                   lambda: (np.tanh(pre - b),))],
    )  # fmt: skip
    hn = np.tanh(pre)
    prev_terms = lambda da: (da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(0))  # noqa: E731
    mistakes = [
        ("tanh' taken as 1 − h: the derivative of tanh is 1 − tanh² = 1 − h².",
         lambda: prev_terms(up * (1 - hn))),
        ("tanh' left out: the gradient goes through tanh first, da = dh·(1 − h²).",
         lambda: prev_terms(up)),
        ("dWh from x and dWx from h_prev swapped? dWx = xᵀ @ da, dWh = h_prevᵀ @ da.",
         lambda: (*prev_terms(up * (1 - hn**2))[:2], h_prev.T @ (up * (1 - hn**2)),
                  x.T @ (up * (1 - hn**2)), (up * (1 - hn**2)).sum(0))),
    ]  # fmt: skip
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    grade_backward(learner, "rnn_step_backward", {"dh": up}, cache, dict(zip(names, grads)),
                   forward_call=call, mistakes=mistakes, strict=strict)  # fmt: skip


def grade_rnn(learner, rng, problem, *, dh=None, strict=False, note="", what="random"):
    x, h0, Wx, Wh, b = problem
    N, T, _ = x.shape
    up = rng.normal(size=(N, T, h0.shape[1])) if dh is None else dh
    (h,), grads = torch_recurrent("rnn", x, h0, Wx, Wh, b, upstream=(up,))
    cache, call = grade_forward(
        learner, "rnn_forward", problem, {"h": h},
        oracle="nn.RNN(batch_first=True) with the weights copied in", strict=strict, note=note,
        mistakes=[(H0_IGNORED, lambda: (np_rnn(*problem, use_h0=False),))],
    )  # fmt: skip
    names = ("dx", "dh0", "dWx", "dWh", "db")
    grade_backward(learner, "rnn_backward", {"dh": up}, cache, dict(zip(names, grads)),
                   forward_call=call, mistakes=rnn_sequence_mistakes(*problem, up),
                   strict=strict, what=what)  # fmt: skip


@check(
    "12_sequences/rnn",
    "rnn_step_forward/backward match nn.RNNCell and autograd (D ≠ H, random dh)",
    regimes=("shapes",),
)
def rnn_step(learner, rng):
    D, H = int(rng.integers(2, 5)), int(rng.integers(5, 8))
    x, h0, Wx, Wh, b = rnn_problem(rng, int(rng.integers(2, 6)), 1, *rng.permutation([D, H]))
    grade_rnn_step(learner, rng, x[:, 0], h0, Wx, Wh, b)


@check(
    "12_sequences/rnn",
    "BPTT over T = 6 to 8 with dh on every step, h0 ≠ 0: two sequences' caches alive at once",
    regimes=("process", "shapes"),
)
def rnn_bptt(learner, rng):
    N, D, H = int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(3, 6))
    T = int(rng.integers(6, 9))  # one shape: a backward reading the other cache shows as values
    problems = [rnn_problem(rng, N, T, D, H) for _ in range(2)]
    ups = [rng.normal(size=(N, T, H)) for _ in problems]
    runs = []
    for k, (problem, up) in enumerate(zip(problems, ups), start=1):
        (h,), grads = torch_recurrent("rnn", *problem, upstream=(up,))
        cache, call = grade_forward(
            learner, "rnn_forward", problem, {"h": h},
            oracle="nn.RNN(batch_first=True) with the weights copied in",
            mistakes=[(H0_IGNORED, lambda p=problem: (np_rnn(*p, use_h0=False),))],
            note=f"  (sequence {k})",
        )  # fmt: skip
        runs.append((problem, up, grads, cache, call))
    names = ("dx", "dh0", "dWx", "dWh", "db")
    for problem, up, grads, cache, call in runs:  # both forwards first, then each backward
        mistakes = [
            *rnn_sequence_mistakes(*problem, up),
            ("backward used the last forward call's sequence, not the cache it was given: "
             "keep what the backward needs in the returned cache, not in a global.",
             lambda up=up: np_rnn_backward(*runs[-1][0], up)),
        ]  # fmt: skip
        grade_backward(learner, "rnn_backward", {"dh": up}, cache, dict(zip(names, grads)),
                       forward_call=call + ", after both forwards", mistakes=mistakes)  # fmt: skip


@check(
    "12_sequences/rnn",
    "T = 1, N = 1, one input and one hidden unit, a square D = H",
    regimes=("shapes",),
)
def rnn_small(learner, rng):
    grade_rnn(learner, rng, rnn_problem(rng, 3, 1, 2, 4))  # T = 1
    grade_rnn(learner, rng, rnn_problem(rng, 1, 5, 3, 2))  # N = 1
    grade_rnn(learner, rng, rnn_problem(rng, 2, 5, 1, 1))
    grade_rnn(learner, rng, rnn_problem(rng, 3, 5, 4, 4))  # square: Wx and Wh one shape
    x, h0, Wx, Wh, b = rnn_problem(rng, 1, 1, 3, 3)
    grade_rnn_step(learner, rng, x[:, 0], h0, Wx, Wh, b)


@check(
    "12_sequences/rnn",
    "h0 = 0 and an upstream gradient on the last state only (exact zeros elsewhere)",
    regimes=("exact values", "process"),
)
def rnn_last_only(learner, rng):
    x, h0, Wx, Wh, b = rnn_problem(rng, 3, 6, 3, 4)
    dh = np.zeros((3, 6, 4))
    dh[:, -1] = rng.normal(size=(3, 4))  # as in ‖∂h_T/∂h_0‖: only the last state is scored
    grade_rnn(learner, rng, (x, np.zeros_like(h0), Wx, Wh, b), dh=dh, note="  (h0 = 0)",
              what="random on the last step, 0 before")  # fmt: skip
    x, h_prev, Wx, Wh, b = rnn_problem(rng, 3, 1, 2, 3)
    grade_rnn_step(learner, rng, np.zeros((3, 2)), np.zeros((3, 3)), Wx, Wh, b,
                   note="  (x = 0, h_prev = 0: h = tanh(b))")  # fmt: skip


@check(
    "12_sequences/rnn",
    "views: x time-major transposed, Wx and Wh torch's weights transposed, b, h0, dh views",
    regimes=("layout",),
)
def rnn_views(learner, rng):
    N, T, D, H = 3, 5, 2, 4
    x, h0, Wx, Wh, b = rnn_problem(rng, N, T, D, H)
    weight_ih, weight_hh = np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wh.T)
    problem = (time_major(x), transposed(h0), weight_ih.T, weight_hh.T, strided(b))
    grade_rnn(learner, rng, problem, dh=time_major(rng.normal(size=(N, T, H))),
              note="  (x a transposed time-major array; Wx, Wh torch's weights transposed)")  # fmt: skip
    grade_rnn_step(learner, rng, transposed(x[:, 0]), strided(h0), weight_ih.T, weight_hh.T,
                   transposed(b), dh=transposed(rng.normal(size=(N, H))),
                   note="  (views)")  # fmt: skip


def saturating(rng, problem, gates):
    """The problem with biases alternating ±1000 in every gate block (so that every gate
    has units at +1000 and −1000 whatever the seed), and x at ±20 in places."""
    x, h0, Wx, Wh, *biases = problem
    width = Wx.shape[1] // gates
    sign = np.where(np.arange(width) % 2 == 0, 1.0, -1.0)
    big = 1000.0 * np.tile(sign, gates) + rng.normal(size=gates * width)
    x = x.copy()
    x.reshape(-1)[::3] = 20.0 * np.sign(x.reshape(-1)[::3])
    return (x, h0, Wx, Wh, big, *biases[1:])


@check(
    "12_sequences/rnn",
    "pre-activations at ±1e3 (tanh saturated), with numpy raising on overflow",
    regimes=("extremes",),
)
def rnn_extremes(learner, rng):
    problem = saturating(rng, rnn_problem(rng, 3, 5, 2, 4), 1)
    grade_rnn(learner, rng, problem, strict=True, note="  (pre-activations ±1e3)")
    x, h0, Wx, Wh, b = problem
    grade_rnn_step(learner, rng, x[:, 0], h0, Wx, Wh, b, strict=True,
                   note="  (pre-activations ±1e3)")  # fmt: skip


@check(
    "12_sequences/rnn",
    "speed: rnn_forward at most 25x a vectorised reference on N = 4000, T = 5",
    regimes=(),
)
def rnn_speed(learner, rng):
    problem = rnn_problem(rng, 4000, 5, 2, 3)
    return assert_fast_enough(
        learner,
        "rnn_forward",
        problem,
        "graders.drivers.sequences:rnn_forward",
        "rnn_forward on x (4000, 5, 2), H = 3",
        compared=lambda result: result[0],  # h (the learner's cache is its own)
    )


# ---------------------------------------------------------------- lstm

TORCH_ORDER = "ifgo"
OTHER_ORDERS = {
    "ifog": "CS231n's i, f, o, g",
    "igfo": "TensorFlow's LSTMCell i, g (j), f, o",
    "iofg": "ONNX's i, o, f, g",
}


def _lstm_gates(a, H, order):
    block = {name: a[:, k * H : (k + 1) * H] for k, name in enumerate(order)}
    return (_sigmoid(block["i"]), _sigmoid(block["f"]), np.tanh(block["g"]),
            _sigmoid(block["o"]))  # fmt: skip


def np_lstm_step(x, h_prev, c_prev, Wx, Wh, b, order=TORCH_ORDER, tanh_cell=True,
                 forget_bias=0.0):  # fmt: skip
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    a[:, H : 2 * H] += forget_bias
    i, f, g, o = _lstm_gates(a, H, order)
    c = f * c_prev + i * g
    return o * (np.tanh(c) if tanh_cell else c), c, (i, f, g, o)


def np_lstm(x, h0, Wx, Wh, b, order=TORCH_ORDER, tanh_cell=True, use_h0=True,
            forget_bias=0.0):  # fmt: skip
    h, c = (h0 if use_h0 else np.zeros_like(h0)), np.zeros_like(h0)
    steps = []
    for t in range(x.shape[1]):
        h_new, c_new, gates = np_lstm_step(x[:, t], h, c, Wx, Wh, b, order, tanh_cell,
                                           forget_bias)  # fmt: skip
        steps.append((h, c, gates, c_new, h_new))
        h, c = h_new, c_new
    return np.stack([s[-1] for s in steps], axis=1), steps


def np_lstm_step_backward(dh, dc, x, h_prev, c_prev, Wx, Wh, gates, c, through_h=True):
    i, f, g, o = gates
    tc = np.tanh(c)
    dc = dc + (dh * o * (1 - tc**2) if through_h else 0.0)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g**2), dh * tc * o * (1 - o)], axis=1)  # fmt: skip
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(0)


def np_lstm_backward(x, h0, Wx, Wh, b, dh, carry_c=True, carry_h=True, accumulate=True):
    _, steps = np_lstm(x, h0, Wx, Wh, b)
    N, T, H = dh.shape
    dx = np.zeros(x.shape)
    dWx, dWh, db = 0.0, 0.0, 0.0
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev, c_prev, gates, c, _ = steps[t]
        dx[:, t], dhp, dcp, a, w, bb = np_lstm_step_backward(
            dh[:, t] + (dh_next if carry_h else 0.0), dc_next if carry_c else 0.0,
            x[:, t], h_prev, c_prev, Wx, Wh, gates, c)  # fmt: skip
        dh_next, dc_next = dhp, dcp
        dWx, dWh, db = (dWx + a, dWh + w, db + bb) if accumulate else (a, w, bb)
    return dx, dh_next, dWx, dWh, db


def order_says(order):
    return (
        f"gates in {OTHER_ORDERS[order]} order: right under that library's layout; this kata "
        "uses PyTorch's i, f, g, o (blocks of H columns: input, forget, candidate, output)."
    )


FORGET_BIAS = (
    "a forget bias of 1 added inside the cell (TensorFlow's BasicLSTMCell forget_bias=1.0): "
    "PyTorch adds nothing; an open forget gate at the start comes from initialising b's "
    "forget block (b[H:2H]) to 1, outside the layer."
)
TANH_CELL = "tanh missing on the cell before the output gate: h = o ⊙ tanh(c), not o ⊙ c."
DC_NOT_CARRIED = (
    "dc not carried: the cell state's gradient flows back in time too, dc_prev = dc·f from "
    "step t + 1 goes into step t's dc (the additive path that keeps LSTM gradients alive)."
)


def lstm_forward_mistakes(problem):
    return [
        *((order_says(o), lambda o=o: (np_lstm(*problem, order=o)[0],)) for o in OTHER_ORDERS),
        (TANH_CELL, lambda: (np_lstm(*problem, tanh_cell=False)[0],)),
        (FORGET_BIAS, lambda: (np_lstm(*problem, forget_bias=1.0)[0],)),
        (H0_IGNORED, lambda: (np_lstm(*problem, use_h0=False)[0],)),
    ]


def lstm_backward_mistakes(problem, up):
    a = (*problem, up)
    return [
        (DC_NOT_CARRIED, lambda: np_lstm_backward(*a, carry_c=False)),
        (RNN_NOT_CARRIED, lambda: np_lstm_backward(*a, carry_h=False)),
        (RNN_NOT_ACCUMULATED, lambda: np_lstm_backward(*a, accumulate=False)),
    ]


def lstm_problem(rng, N, T, D, H, forget_bias=0.0):
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.9, 0.9, size=(N, H))
    Wx = rng.normal(scale=1 / np.sqrt(D), size=(D, 4 * H))
    Wh = rng.normal(scale=1 / np.sqrt(H), size=(H, 4 * H))
    b = rng.normal(scale=0.5, size=4 * H)
    b[H : 2 * H] += forget_bias
    return x, h0, Wx, Wh, b


def grade_lstm_step(learner, rng, x, h_prev, c_prev, Wx, Wh, b, *, dh=None, dc=None,
                    strict=False, note=""):  # fmt: skip
    H = h_prev.shape[1]
    up_h = rng.normal(size=(x.shape[0], H)) if dh is None else dh
    up_c = rng.normal(size=(x.shape[0], H)) if dc is None else dc
    (h, c), grads = torch_recurrent("lstm", x, h_prev, Wx, Wh, b, c_prev=c_prev,
                                    upstream=(up_h, up_c))  # fmt: skip
    args = (x, h_prev, c_prev, Wx, Wh, b)
    mistakes = [
        *((order_says(o), lambda o=o: np_lstm_step(*args, order=o)[:2]) for o in OTHER_ORDERS),
        (TANH_CELL, lambda: np_lstm_step(*args, tanh_cell=False)[:2]),
        (FORGET_BIAS, lambda: np_lstm_step(*args, forget_bias=1.0)[:2]),
    ]
    cache, call = grade_forward(learner, "lstm_step_forward", args, {"h": h, "c": c},
                                oracle="nn.LSTMCell with the weights copied in",
                                mistakes=mistakes, strict=strict, note=note)  # fmt: skip
    _, c_new, gates = np_lstm_step(*args)
    core = (x, h_prev, c_prev, Wx, Wh, gates, c_new)
    back_mistakes = [
        ("dc ignored: the cell's gradient from later steps (the dc argument) adds to "
         "dh·o·(1 − tanh²(c)).", lambda: np_lstm_step_backward(up_h, 0.0, *core)),
        ("the cell's gradient through h left out: dc_total = dc + dh·o·(1 − tanh²(c)).",
         lambda: np_lstm_step_backward(up_h, up_c, *core, through_h=False)),
    ]  # fmt: skip
    names = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
    grade_backward(learner, "lstm_step_backward", {"dh": up_h, "dc": up_c}, cache,
                   dict(zip(names, grads)), forward_call=call, mistakes=back_mistakes,
                   strict=strict)  # fmt: skip


def grade_lstm(learner, rng, problem, *, dh=None, strict=False, note="", what="random",
               caches_alive=None):  # fmt: skip
    x, h0, Wx, Wh, b = problem
    N, T, _ = x.shape
    up = rng.normal(size=(N, T, h0.shape[1])) if dh is None else dh
    (h,), grads = torch_recurrent("lstm", x, h0, Wx, Wh, b, upstream=(up,))
    cache, call = grade_forward(learner, "lstm_forward", problem, {"h": h},
                                oracle="nn.LSTM(batch_first=True) with the weights copied in",
                                mistakes=lstm_forward_mistakes(problem), strict=strict,
                                note=note)  # fmt: skip
    names = ("dx", "dh0", "dWx", "dWh", "db")
    backward = dict(upstream=up, cache=cache, expected=dict(zip(names, grads)), call=call,
                    mistakes=lstm_backward_mistakes(problem, up))  # fmt: skip
    if caches_alive is not None:  # the caller runs the backward later
        caches_alive.append(backward)
        return
    grade_backward(learner, "lstm_backward", {"dh": up}, cache, backward["expected"],
                   forward_call=call, mistakes=backward["mistakes"], strict=strict,
                   what=what)  # fmt: skip


@check(
    "12_sequences/lstm",
    "lstm_step_forward/backward match nn.LSTMCell and autograd (random dh and dc, c ≠ 0)",
    regimes=("shapes",),
)
def lstm_step(learner, rng):
    D, H = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    x, h0, Wx, Wh, b = lstm_problem(rng, int(rng.integers(2, 5)), 1, D, H)
    grade_lstm_step(learner, rng, x[:, 0], h0, rng.normal(size=h0.shape), Wx, Wh, b)


@check(
    "12_sequences/lstm",
    "BPTT over T = 6 to 8 with dh on every step, h0 ≠ 0: two sequences' caches alive at once",
    regimes=("process", "shapes"),
)
def lstm_bptt(learner, rng):
    N, D, H = int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 5))
    pending, T = [], int(rng.integers(6, 9))
    for k in (1, 2):
        problem = lstm_problem(rng, N, T, D, H)
        grade_lstm(learner, rng, problem, note=f"  (sequence {k})", caches_alive=pending)
    for run in pending:  # both forwards first, then each backward with its own cache
        grade_backward(learner, "lstm_backward", {"dh": run["upstream"]}, run["cache"],
                       run["expected"], forward_call=run["call"] + ", after both forwards",
                       mistakes=run["mistakes"])  # fmt: skip


@check(
    "12_sequences/lstm",
    "T = 1, N = 1, H = 1, and an open forget gate (bias +3) over T = 10",
    regimes=("shapes",),
)
def lstm_small(learner, rng):
    grade_lstm(learner, rng, lstm_problem(rng, 3, 1, 2, 3))  # T = 1
    grade_lstm(learner, rng, lstm_problem(rng, 1, 5, 3, 2))  # N = 1
    grade_lstm(learner, rng, lstm_problem(rng, 2, 5, 2, 1))  # H = 1: one unit, four gates
    grade_lstm(learner, rng, lstm_problem(rng, 2, 10, 2, 3, forget_bias=3.0))
    x, h0, Wx, Wh, b = lstm_problem(rng, 1, 1, 2, 2)
    grade_lstm_step(learner, rng, x[:, 0], h0, rng.normal(size=h0.shape), Wx, Wh, b)


@check(
    "12_sequences/lstm",
    "h0 = 0, c_prev = 0 and an upstream gradient on the last state only (zeros elsewhere)",
    regimes=("exact values", "process"),
)
def lstm_last_only(learner, rng):
    x, h0, Wx, Wh, b = lstm_problem(rng, 3, 6, 2, 3)
    dh = np.zeros((3, 6, 3))
    dh[:, -1] = rng.normal(size=(3, 3))
    grade_lstm(learner, rng, (x, np.zeros_like(h0), Wx, Wh, b), dh=dh, note="  (h0 = 0)",
               what="random on the last step, 0 before")  # fmt: skip
    grade_lstm_step(learner, rng, x[:, 0], np.zeros((3, 3)), np.zeros((3, 3)), Wx, Wh, b,
                    dc=np.zeros((3, 3)), note="  (h_prev = c_prev = 0, dc = 0)")  # fmt: skip


@check(
    "12_sequences/lstm",
    "views: x time-major transposed, Wx and Wh torch's weights transposed, b, h0, dh views",
    regimes=("layout",),
)
def lstm_views(learner, rng):
    N, T, D, H = 3, 5, 2, 3
    x, h0, Wx, Wh, b = lstm_problem(rng, N, T, D, H)
    weight_ih, weight_hh = np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wh.T)
    problem = (time_major(x), transposed(h0), weight_ih.T, weight_hh.T, strided(b))
    grade_lstm(learner, rng, problem, dh=time_major(rng.normal(size=(N, T, H))),
               note="  (x a transposed time-major array; Wx, Wh torch's weights transposed)")  # fmt: skip
    grade_lstm_step(learner, rng, transposed(x[:, 0]), strided(h0),
                    transposed(rng.normal(size=(N, H))), weight_ih.T, weight_hh.T,
                    transposed(b), dh=transposed(rng.normal(size=(N, H))),
                    dc=strided(rng.normal(size=(N, H))), note="  (views)")  # fmt: skip


@check(
    "12_sequences/lstm",
    "gate pre-activations at ±1e3, with numpy raising on overflow",
    regimes=("extremes",),
)
def lstm_extremes(learner, rng):
    problem = saturating(rng, lstm_problem(rng, 3, 5, 2, 3), 4)
    grade_lstm(learner, rng, problem, strict=True, note="  (gate pre-activations ±1e3)")
    x, h0, Wx, Wh, b = problem
    grade_lstm_step(learner, rng, x[:, 0], h0, rng.normal(size=h0.shape), Wx, Wh, b,
                    strict=True, note="  (gate pre-activations ±1e3)")  # fmt: skip


# ---------------------------------------------------------------- gru

GRU_ORDERS = {"rzn": "PyTorch's", "zrn": "Keras's z, r, n"}


def np_gru_step(x, h, Wx, Wh, bx, bh, reset_before=False, swap_z=False, order="rzn",
                bias_outside=False):  # fmt: skip
    H = h.shape[1]
    gx, gh = x @ Wx + bx, h @ Wh + bh
    blocks = {name: k for k, name in enumerate(order)}

    def part(a, name):
        k = blocks[name]
        return a[:, k * H : (k + 1) * H]

    r = _sigmoid(part(gx, "r") + part(gh, "r"))
    z = _sigmoid(part(gx, "z") + part(gh, "z"))
    if reset_before:
        k = blocks["n"]
        hidden = (r * h) @ Wh[:, k * H : (k + 1) * H] + bh[k * H : (k + 1) * H]
    elif bias_outside:
        k = blocks["n"]
        hidden = r * (h @ Wh[:, k * H : (k + 1) * H]) + bh[k * H : (k + 1) * H]
    else:
        hidden = r * part(gh, "n")
    n = np.tanh(part(gx, "n") + hidden)
    return z * n + (1 - z) * h if swap_z else (1 - z) * n + z * h


def np_gru(x, h0, Wx, Wh, bx, bh, use_h0=True, **variant):
    h = h0 if use_h0 else np.zeros_like(h0)
    hs = []
    for t in range(x.shape[1]):
        h = np_gru_step(x[:, t], h, Wx, Wh, bx, bh, **variant)
        hs.append(h)
    return np.stack(hs, axis=1)


GRU_RESET_BEFORE = (
    "r applied to h before the product, n = tanh(x W_in + b_in + (r ⊙ h) W_hn + b_hn): "
    "right under the other published GRU variant (Cho et al. 2014; Keras with "
    "reset_after=False); this kata is PyTorch's, where r multiplies (h W_hn + b_hn)."
)
GRU_SWAPPED_Z = (
    "z and 1 − z swapped: PyTorch's GRU keeps the old state with weight z, "
    "h' = (1 − z) ⊙ n + z ⊙ h (some texts write it the other way round)."
)
GRU_BIAS_OUTSIDE = (
    "r multiplies h @ W_hn but not b_hn: in PyTorch's GRU the reset gate scales the whole "
    "hidden term, n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))."
)
GRU_KERAS_ORDER = (
    "blocks in Keras's z, r, n order: right under that layout; this kata uses PyTorch's r, z, "
    "n (reset, update, candidate)."
)


def gru_mistakes(step, args):
    fn = np_gru_step if step else np_gru
    return [
        (GRU_RESET_BEFORE, lambda: (fn(*args, reset_before=True),)),
        (GRU_SWAPPED_Z, lambda: (fn(*args, swap_z=True),)),
        (GRU_KERAS_ORDER, lambda: (fn(*args, order="zrn"),)),
        (GRU_BIAS_OUTSIDE, lambda: (fn(*args, bias_outside=True),)),
        (
            GRU_RESET_BEFORE + " And " + GRU_SWAPPED_Z,
            lambda: (fn(*args, reset_before=True, swap_z=True),),
        ),  # fmt: skip
        *([] if step else [(H0_IGNORED, lambda: (np_gru(*args, use_h0=False),))]),
    ]


def gru_problem(rng, N, T, D, H):
    x = rng.normal(size=(N, T, D))
    h0 = rng.uniform(-0.9, 0.9, size=(N, H))
    Wx = rng.normal(scale=1 / np.sqrt(D), size=(D, 3 * H))
    Wh = rng.normal(scale=1 / np.sqrt(H), size=(H, 3 * H))
    bx, bh = rng.normal(scale=0.5, size=3 * H), rng.normal(scale=0.5, size=3 * H)
    return x, h0, Wx, Wh, bx, bh


def grade_gru(learner, rng, problem, *, strict=False, note=""):
    (h,), _ = torch_recurrent("gru", *problem)
    grade_forward(learner, "gru_forward", problem, {"h": h},
                  oracle="nn.GRU(batch_first=True) with the weights copied in",
                  mistakes=gru_mistakes(False, problem), strict=strict, note=note)  # fmt: skip


def grade_gru_step(learner, rng, args, *, strict=False, note=""):
    (h,), _ = torch_recurrent("gru", *args)
    grade_forward(learner, "gru_step_forward", args, {"h": h},
                  oracle="nn.GRUCell with the weights copied in",
                  mistakes=gru_mistakes(True, args), strict=strict, note=note)  # fmt: skip


def gru_step_args(problem):
    x, h0, *weights = problem
    return (x[:, 0], h0, *weights)


@check(
    "12_sequences/gru",
    "gru_step_forward matches nn.GRUCell (D ≠ H, bx and bh random)",
    regimes=("shapes",),
)
def gru_step(learner, rng):
    D, H = int(rng.integers(2, 5)), int(rng.integers(5, 7))
    problem = gru_problem(rng, int(rng.integers(2, 5)), 1, *rng.permutation([D, H]))
    grade_gru_step(learner, rng, gru_step_args(problem))


@check(
    "12_sequences/gru",
    "gru_forward over T = 6 to 8 matches nn.GRU at every step, h0 ≠ 0",
    regimes=("process", "shapes"),
)
def gru_sequence(learner, rng):
    problem = gru_problem(rng, int(rng.integers(2, 5)), int(rng.integers(6, 9)),
                          int(rng.integers(2, 5)), int(rng.integers(2, 5)))  # fmt: skip
    grade_gru(learner, rng, problem)


@check(
    "12_sequences/gru",
    "T = 1, N = 1, H = 1 and a square D = H",
    regimes=("shapes",),
)
def gru_small(learner, rng):
    grade_gru(learner, rng, gru_problem(rng, 3, 1, 2, 3))
    grade_gru(learner, rng, gru_problem(rng, 1, 5, 3, 2))
    grade_gru(learner, rng, gru_problem(rng, 2, 5, 2, 1))
    grade_gru(learner, rng, gru_problem(rng, 2, 4, 3, 3))
    grade_gru_step(learner, rng, gru_step_args(gru_problem(rng, 1, 1, 2, 2)))


@check(
    "12_sequences/gru",
    "h0 = 0 (the variants differ by b_hn alone at the first step) and x = 0",
    regimes=("exact values",),
)
def gru_zeros(learner, rng):
    x, h0, *weights = gru_problem(rng, 3, 5, 2, 3)
    grade_gru(learner, rng, (x, np.zeros_like(h0), *weights), note="  (h0 = 0)")
    grade_gru_step(learner, rng, (np.zeros((3, 2)), h0, *weights), note="  (x = 0)")


@check(
    "12_sequences/gru",
    "views: x time-major transposed, Wx and Wh torch's weights transposed, biases strided",
    regimes=("layout",),
)
def gru_views(learner, rng):
    x, h0, Wx, Wh, bx, bh = gru_problem(rng, 3, 5, 2, 3)
    weight_ih, weight_hh = np.ascontiguousarray(Wx.T), np.ascontiguousarray(Wh.T)
    problem = (time_major(x), transposed(h0), weight_ih.T, weight_hh.T, strided(bx),
               transposed(bh))  # fmt: skip
    grade_gru(learner, rng, problem, note="  (x a transposed time-major array; Wx, Wh "
              "torch's weights transposed)")  # fmt: skip
    grade_gru_step(learner, rng, (transposed(x[:, 0]), strided(h0), *problem[2:]),
                   note="  (views)")  # fmt: skip


@check(
    "12_sequences/gru",
    "gate pre-activations at ±1e3, with numpy raising on overflow",
    regimes=("extremes",),
)
def gru_extremes(learner, rng):
    problem = saturating(rng, gru_problem(rng, 3, 5, 2, 3), 3)
    x, h0, Wx, Wh, bx, bh = problem
    problem = (x, h0, Wx, Wh, bx, 0.5 * bx + rng.normal(size=bx.shape))  # bh at ±500 too
    grade_gru(learner, rng, problem, strict=True, note="  (gate pre-activations ±1e3)")
    grade_gru_step(learner, rng, gru_step_args(problem), strict=True,
                   note="  (gate pre-activations ±1e3)")  # fmt: skip
