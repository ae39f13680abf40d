"""Graders of 05_backprop: layer pairs, gradient checking, a two-layer net, autograd.

Backward passes get random upstream gradients and the learner's own cache, and are
compared with torch autograd. The Value engine is graded on random expression graphs
that reuse nodes, built twice: once with the learner's Value, once with torch tensors.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.backprop import build
from graders.drivers.backprop import two_layer_net as _reference_net
from graders.engine.checks import (
    Mistake,
    assert_fast_enough,
    assert_matches,
    call_strictly,
    check_outputs,
    expect_array,
    expect_float,
    expect_tuple,
)
from graders.engine.layer_checks import check_layer
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor
from graders.engine.registry import check

# ---------------------------------------------------------------- dense_layer


def _dense_db_not_summed(dout, x, W, b):
    return dout @ W.T, x.T @ dout, dout[0]


def _dense_db_mean(dout, x, W, b):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


DENSE_MISTAKES = [
    (
        "dW transposed: dW = xᵀ · dout, shaped like W (D_in, D_out).",
        lambda dout, x, W, b: (dout @ W.T, (dout.T @ x), dout.sum(axis=0)),
    ),
    (
        "db not summed over the batch: every sample's dout adds to db, db = dout.sum(axis=0).",
        _dense_db_not_summed,
    ),
    (
        "db averaged over the batch: the sum, not the mean (any 1/N is already in dout).",
        _dense_db_mean,
    ),
]


def _dense(x, W, b):
    return x @ W + b


def grade_dense(learner, rng, n, d_in, d_out):
    check_layer(
        learner,
        "dense_forward",
        "dense_backward",
        {
            "x": rng.normal(size=(n, d_in)),
            "W": rng.normal(size=(d_in, d_out)),
            "b": rng.normal(size=d_out),
        },
        _dense,
        rng=rng,
        oracle="x @ W + b in torch",
        backward_mistakes=DENSE_MISTAKES,
    )


@check("05_backprop/dense_layer", "forward and backward match autograd (random dout)")
def dense_random(learner, rng):
    grade_dense(
        learner, rng, int(rng.integers(3, 8)), int(rng.integers(2, 6)), int(rng.integers(2, 6))
    )


@check("05_backprop/dense_layer", "square W, where a transposed dW has the right shape")
def dense_square(learner, rng):
    grade_dense(learner, rng, 5, 4, 4)


@check("05_backprop/dense_layer", "a batch of one sample (N = 1)")
def dense_single(learner, rng):
    grade_dense(learner, rng, 1, 3, 2)


def _stale_cache(dout, h, W2):
    """What a backward that reads the last forward's inputs (layer 2's) gives for layer 1."""
    return {"dx": dout @ W2.T, "dW": h.T @ dout, "db": dout.sum(axis=0)}


@check("05_backprop/dense_layer", "two stacked layers: both forwards, then each backward")
def dense_stacked(learner, rng):
    # One width throughout, so a backward that reads another layer's cache gets the shapes
    # right and shows up as wrong values, not as an exception.
    n, d = int(rng.integers(3, 6)), 3
    x, W1, b1 = rng.normal(size=(n, d)), rng.normal(size=(d, d)), rng.normal(size=d)
    W2, b2 = rng.normal(size=(d, d)), rng.normal(size=d)
    tx, tW1, tb1, tW2, tb2 = (tensor(a).requires_grad_(True) for a in (x, W1, b1, W2, b2))
    th = tx @ tW1 + tb1
    th.retain_grad()
    tout = th @ tW2 + tb2
    dout = rng.normal(size=(n, d))
    (tout * tensor(dout)).sum().backward()
    h, dh = th.detach().numpy(), th.grad.numpy()

    fwd, back = learner.fn("dense_forward"), learner.fn("dense_backward")
    caches = []
    for layer, (inp, W, b, want) in enumerate(((x, W1, b1, h), (h, W2, b2, tout.detach()))):
        call = fwd.describe(inp, W, b) + f" (layer {layer + 1})"
        out, cache = expect_tuple(fwd(inp, W, b), ("out", "cache"), call)
        out = expect_array(out, "out", (n, d), call)
        assert_matches({"out": out}, {"out": np.asarray(want)}, call=call, oracle="torch")
        caches.append((call, cache))
    steps = (
        (2, dout, "dout (random)", {"dx": dh, "dW": tW2.grad.numpy(), "db": tb2.grad.numpy()}),
        (
            1,
            dh,
            "dL/dh from layer 2",
            {"dx": tx.grad.numpy(), "dW": tW1.grad.numpy(), "db": tb1.grad.numpy()},
        ),
    )
    for layer, upstream, what, want in steps:
        call, cache = caches[layer - 1]
        back_call = f"dense_backward(dout={what}, cache from your {call}), after both forwards"
        result = expect_tuple(back(upstream, cache), tuple(want), back_call)
        got = {k: expect_array(v, k, want[k].shape, back_call) for k, v in zip(want, result)}
        known = (
            [
                Mistake(
                    "backward used the last forward call's inputs (layer 2's), not the cache "
                    "it was given: keep what backward needs in the returned cache, not in a "
                    "global.",
                    lambda: _stale_cache(dh, h, W2),
                )
            ]
            if layer == 1
            else []
        )
        assert_matches(
            got, want, call=back_call, oracle="torch autograd through both layers", mistakes=known
        )


# ---------------------------------------------------------------- activation_layers


def _relu_backward_ones_at_zero(dout, x):
    return dout * (x >= 0)


def _sigmoid_backward_on_x(dout, x):
    return dout * x * (1 - x)


def _tanh_backward_linear(dout, x):
    return dout * (1 - np.tanh(x))


ACTIVATIONS = {
    "relu": (
        torch.relu,
        [
            (
                "gradient passed at x = 0: PyTorch's relu has gradient 0 there.",
                _relu_backward_ones_at_zero,
            )
        ],
    ),
    "sigmoid": (
        torch.sigmoid,
        [
            (
                "the derivative uses x instead of σ(x): dx = dout·s·(1 − s) "
                "with s the forward's output.",
                _sigmoid_backward_on_x,
            )
        ],
    ),
    "tanh": (
        torch.tanh,
        [("dx = dout·(1 − tanh(x)²), not dout·(1 − tanh(x)).", _tanh_backward_linear)],
    ),
}


def grade_activation(learner, rng, name, x):
    torch_fn, mistakes = ACTIVATIONS[name]
    check_layer(
        learner,
        f"{name}_forward",
        f"{name}_backward",
        {"x": x},
        torch_fn,
        rng=rng,
        oracle=f"torch.{name}",
        backward_mistakes=mistakes,
    )


@check("05_backprop/activation_layers", "relu forward/backward match autograd, x = 0 included")
def relu_layer(learner, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        x = rng.normal(size=shape)
        x.flat[::3] = 0.0
        grade_activation(learner, rng, "relu", x)


@check("05_backprop/activation_layers", "sigmoid forward/backward match autograd")
def sigmoid_layer(learner, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        grade_activation(learner, rng, "sigmoid", rng.normal(scale=3, size=shape))


@check("05_backprop/activation_layers", "tanh forward/backward match autograd")
def tanh_layer(learner, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        grade_activation(learner, rng, "tanh", rng.normal(scale=2, size=shape))


# ---------------------------------------------------------------- gradient_check

TEST_FUNCTIONS = [
    ("sum(sin(x) · A) + sum(x² · B)", lambda x, A, B: (torch.sin(x) * A).sum() + (x**2 * B).sum()),
    (
        "log(sum(exp(x · A))) + sum(x³ · B)",
        lambda x, A, B: torch.logsumexp((x * A).flatten(), 0) + (x**3 * B).sum(),
    ),
]


def _central(f, x, h):
    """The reference central difference (diagnostics and the h check)."""
    x = x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        plus = f(x)
        x[i] = saved - h
        minus = f(x)
        x[i] = saved
        grad[i] = (plus - minus) / (2 * h)
    return grad


def _one_sided(f, x, h=1e-5):
    x = x.copy()
    base, grad = f(x), np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        grad[i] = (f(x) - base) / h
        x[i] = saved
    return grad


PERTURBED_HINT = (
    "x left perturbed: after evaluating f at x ± h, put the saved value back "
    "(x[i] = saved), or work on a copy of x."
)


def _scalar_function(rng, shape, which):
    label, torch_f = TEST_FUNCTIONS[which]
    A, B = tensor(rng.normal(size=shape)), tensor(rng.normal(size=shape))

    def f(x):
        return float(torch_f(torch.as_tensor(np.asarray(x, dtype=np.float64)), A, B))

    def gradient(x):
        t = tensor(x).requires_grad_(True)
        (g,) = torch.autograd.grad(torch_f(t, A, B), t)
        return g.numpy()

    return label, f, gradient


def grade_numerical(learner, rng, shape, which, h=None):
    label, f, gradient = _scalar_function(rng, shape, which)
    f.__name__ = f"f(x) = {label}"
    x = rng.normal(size=shape)
    fn = learner.fn("numerical_gradient", mutation_hint=PERTURBED_HINT)
    kwargs = {} if h is None else {"h": h}
    call = fn.describe(f, x, **kwargs)
    got = expect_array(fn(f, x, **kwargs), "gradient", shape, call)
    step = 1e-5 if h is None else h
    known = [
        Mistake(
            "one-sided difference: use (f(x + h) − f(x − h)) / (2h), whose error "
            "shrinks like h² instead of h.",
            lambda: {"gradient": _one_sided(f, x, step)},
        )
    ]
    if h is None:
        assert_matches(
            {"gradient": got},
            {"gradient": gradient(x)},
            call=call,
            oracle="torch autograd (a central difference agrees to ~1e-9)",
            mistakes=known,
            rtol=1e-6,
            atol=1e-8,
        )
    else:
        known.append(
            Mistake(
                "h ignored: perturb by the h you are given.",
                lambda: {"gradient": _central(f, x, 1e-5)},
            )
        )
        assert_matches(
            {"gradient": got},
            {"gradient": _central(f, x, h)},
            call=call,
            oracle=f"central differences with h = {h}",
            mistakes=known,
            rtol=1e-7,
            atol=1e-9,
        )


@check("05_backprop/gradient_check", "numerical_gradient matches autograd on 1-D, 2-D and 3-D x")
def numerical_shapes(learner, rng):
    for shape, which in [((5,), 0), ((3, 4), 1), ((2, 2, 3), 0)]:
        grade_numerical(learner, rng, shape, which)


@check("05_backprop/gradient_check", "numerical_gradient uses the h it is given (h = 0.1)")
def numerical_step(learner, rng):
    grade_numerical(learner, rng, (4,), 1, h=0.1)


def _torch_relative_error(a, b):
    a, b = tensor(a), tensor(b)
    return float(torch.max((a - b).abs() / torch.clamp(a.abs() + b.abs(), min=1e-8)))


RELATIVE_MISTAKES = [
    (
        "averaged instead of the largest element: the error of the worst element counts.",
        lambda a, b: float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))),
    ),
    (
        "denominator max(|a|, |b|): the contract divides by max(1e-8, |a| + |b|).",
        lambda a, b: float(
            np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b))))
        ),
    ),
    (
        "no 1e-8 floor in the denominator: where a and b are both 0, |a − b| / (|a| + |b|) "
        "is 0/0 = nan (and 1 where both are tiny); divide by max(1e-8, |a| + |b|).",
        lambda a, b: float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))),
    ),
]


@check("05_backprop/gradient_check", "relative_error matches its definition, zeros included")
def relative_error_values(learner, rng):
    for shape in [(6,), (3, 4)]:
        a = rng.normal(size=shape)
        b = a + rng.normal(scale=1e-3, size=shape) * rng.uniform(size=shape)
        a.flat[0] = b.flat[0] = 0.0  # both zero: 0 / 1e-8 = 0, not nan
        a.flat[1], b.flat[1] = 1e-12, -1e-12  # the 1e-8 floor decides
        check_outputs(
            learner,
            "relative_error",
            (a, b),
            {"error": _torch_relative_error(a, b)},
            oracle="max |a − b| / clamp(|a| + |b|, min=1e-8), in torch",
            mistakes=RELATIVE_MISTAKES,
        )


# ---------------------------------------------------------------- two_layer_net


def _net_problem(rng, n, d, h, c):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, c, size=n)
    params = {
        "W1": rng.normal(size=(d, h)) / np.sqrt(d),
        "b1": rng.normal(scale=0.1, size=h),
        "W2": rng.normal(size=(h, c)) / np.sqrt(h),
        "b2": rng.normal(scale=0.1, size=c),
    }
    return X, y, params


def _torch_net(X, y, params, reg):
    t = {k: tensor(v).requires_grad_(True) for k, v in params.items()}
    scores = torch.relu(tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.as_tensor(y)) + reg * (
        (t["W1"] ** 2).sum() + (t["W2"] ** 2).sum()
    )
    grads = torch.autograd.grad(loss, list(t.values()))
    return float(loss.detach()), {k: g.numpy() for k, g in zip(t, grads)}


NET_MISTAKES = [
    (
        "the penalty's gradient misses its factor 2: d/dW of reg·ΣW² is 2·reg·W.",
        lambda X, y, p, reg: _reference_net(X, y, p, reg, reg_factor=1.0),
    ),
    (
        "biases regularised: the penalty covers W1 and W2 only.",
        lambda X, y, p, reg: _reference_net(X, y, p, reg, reg_biases=True),
    ),
]


STABLE_SOFTMAX = (
    "subtract each row's largest score before exp: softmax(s) = softmax(s − max(s)), "
    "log-softmax = (s − max) − log Σ exp(s − max)"
)


def grade_net(learner, rng, reg, sizes=(6, 4, 5, 3), problem=None, note=""):
    """problem: (X, y, params) instead of a random one; then graded with numpy raising
    on overflow (call_strictly), for scores large enough to overflow a naive softmax."""
    X, y, params = _net_problem(rng, *sizes) if problem is None else problem
    loss, grads = _torch_net(X, y, params, reg)
    fn = learner.fn("two_layer_net")
    kwargs = {"reg": reg} if reg else {}
    call = fn.describe(X, y, params, **kwargs) + note
    if problem is None:
        result = fn(X, y, params, **kwargs)
    else:
        result = call_strictly(fn, X, y, params, stable_form=STABLE_SOFTMAX, **kwargs)
    got_loss, got_grads = expect_tuple(result, ("loss", "grads"), call)
    if not isinstance(got_grads, dict) or set(got_grads) != set(params):
        raise KataFailure(
            f"wrong grads\n  called   {call}\n  expected a dict with keys "
            f"W1, b1, W2, b2, got {got_grads!r:.80}"
        )
    got = {"loss": expect_float(got_loss, "loss", call)}
    got.update(
        {
            f"grads['{k}']": expect_array(got_grads[k], f"grads['{k}']", params[k].shape, call)
            for k in params
        }
    )
    expected = {"loss": loss, **{f"grads['{k}']": g for k, g in grads.items()}}

    def flat(result):
        value, gs = result
        return {"loss": value, **{f"grads['{k}']": g for k, g in gs.items()}}

    known = [Mistake(says, lambda m=m: flat(m(X, y, params, reg))) for says, m in NET_MISTAKES]
    assert_matches(
        got,
        expected,
        call=call,
        oracle="torch: F.cross_entropy + reg·ΣW², autograd",
        mistakes=known,
    )


@check("05_backprop/two_layer_net", "loss and gradients match autograd, reg = 0")
def net_no_reg(learner, rng):
    grade_net(learner, rng, 0.0)


@check("05_backprop/two_layer_net", "loss and gradients match autograd, reg = 0.3")
def net_reg(learner, rng):
    grade_net(learner, rng, 0.3)


@check("05_backprop/two_layer_net", "scores near ±1000: the softmax must not overflow")
def net_large_scores(learner, rng):
    X, y, params = _net_problem(rng, 5, 4, 5, 3)
    params["b2"] = params["b2"] + np.array([1000.0, 0.0, -1000.0])  # exp(1000) overflows
    grade_net(learner, rng, 0.0, problem=(X, y, params), note="  (b2 near [1000, 0, -1000])")


@check("05_backprop/two_layer_net", "speed: at most 25x a vectorised reference on N = 30000")
def net_speed(learner, rng):
    X, y, params = _net_problem(rng, 30000, 2, 3, 2)
    return assert_fast_enough(
        learner,
        "two_layer_net",
        (X, y, params),
        "graders.drivers.backprop:two_layer_net",
        "two_layer_net on N = 30000",
        kwargs={"reg": 0.1},
    )


# ---------------------------------------------------------------- autograd

# The learner's Value runs in the worker, driven by graders/drivers/autograd.py; the
# same graph is built here from torch tensors with the same table of operations (OPS).
AUTOGRAD = "graders.drivers.backprop"
BINARY_OPS = ["a + b", "a * b", "a - b", "a / (b*b + 1)"]
UNARY_OPS = [
    "2 - a",
    "3 / (a*a + 0.5)",
    "(a*a + 0.5) ** -1.5",
    "1.5 + a",
    "0.5 * a",
    "a - 0.7",
    "a / 2",
    "a ** 2",
    "-a",
    "log(a*a + 0.5)",
    "exp(tanh(a))",
    "tanh(a)",
    "relu(a)",
    "sigmoid(a)",
]


def random_program(rng, leaves=3, steps=12):
    """A random expression graph as a list of (operation label, operand indices)."""
    program = []
    for i in range(steps):
        available = leaves + i
        if rng.uniform() < 0.5:
            label = BINARY_OPS[int(rng.integers(len(BINARY_OPS)))]
            program.append((label, tuple(int(k) for k in rng.integers(0, available, 2))))
        else:
            label = UNARY_OPS[int(rng.integers(len(UNARY_OPS)))]
            program.append((label, (int(rng.integers(0, available)),)))
    return program


def diagnose_autograd(learner) -> str:
    """Name the classic mistake from x.grad on the driver's four tiny probe graphs."""
    try:
        grads = learner.drive(f"{AUTOGRAD}:probes", what="the diagnostic probes")
    except (KataFailure, LearnerRaised, NotStarted):
        return ""
    if not isinstance(grads, dict):
        return ""
    got = {name: grads.get(name) for name in ("x + x", "chain", "relu(0)", "x ** 3")}
    if got["x + x"] is not None and abs(got["x + x"] - 2.0) > 1e-9:
        return (
            "grad overwritten instead of accumulated: x + x must give x.grad = 2, got "
            f"{got['x + x']:g}. A node used twice receives two contributions: use +=."
        )
    if got["chain"] is not None and abs(got["chain"] - 8.0) > 1e-9:
        return (
            "backward not in reverse topological order: for a = 2x, b = 3a, "
            f"root = a + b, x.grad must be 8, got {got['chain']:g}. A node must pass its "
            "gradient on only after every node that uses it has added its share: "
            "sort the graph topologically, then call each _backward in reverse."
        )
    if got["relu(0)"] is not None and got["relu(0)"] != 0.0:
        return (
            f"relu passes the gradient at 0: relu(x).backward() at x = 0 gave x.grad = "
            f"{got['relu(0)']:g}; its derivative at 0 is 0, as in PyTorch (use data > 0)."
        )
    if got["x ** 3"] is not None and abs(got["x ** 3"] - 6.75) > 1e-9:
        return (
            f"the power rule: d(x**n)/dx = n·x**(n−1); (x ** 3).backward() at x = 1.5 "
            f"must give x.grad = 6.75, got {got['x ** 3']:g}."
        )
    return ""


def _numbers(values, n: int, what: str) -> list[float]:
    if not isinstance(values, list) or len(values) != n:
        raise KataFailure(f"wrong result\n  called   {what}\n  expected {n} numbers")
    return [expect_float(v, "a node's value", what) for v in values]


def grade_autograd(learner, rng, values, program, root_terms, description, twice=False):
    """Values and grads of every node against the same graph in torch; the learner's
    second-backward grads when twice (None otherwise)."""
    what = f"your Value on the graph {description}"
    result = learner.drive(f"{AUTOGRAD}:evaluate", values, program, root_terms, twice, what=what)
    if not isinstance(result, dict):
        raise KataFailure(f"wrong result\n  called   {what}")
    n = len(values) + len(program)
    got_data = _numbers(result.get("data"), n, what)
    got_grads = _numbers(result.get("grads"), n, what)
    leaves = [tensor(v).requires_grad_(True) for v in values]
    t_nodes, t_root = build(lambda t: t, leaves, program, root_terms)
    for t in t_nodes:
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    t_root.backward()
    expected = {}
    got = {}
    for i, (t, data) in enumerate(zip(t_nodes, got_data)):
        expected[f"node {i} value"] = float(t.detach())
        got[f"node {i} value"] = data
    for i, (t, grad) in enumerate(zip(t_nodes, got_grads)):
        expected[f"node {i} grad"] = float(t.grad) if t.grad is not None else 0.0
        got[f"node {i} grad"] = grad
    steps = "; ".join(
        f"n{len(values) + j} = {label} of n{list(ops)}" for j, (label, ops) in enumerate(program)
    )
    call = (
        f"leaves n0..n{len(values) - 1} = {np.round(values, 3).tolist()}; {steps}; "
        f"root = sum of n{list(root_terms)}; root.backward()"
    )
    try:
        assert_matches(
            got,
            expected,
            call=call,
            oracle="the same graph in torch, float64",
            rtol=1e-9,
            atol=1e-12,
        )
    except KataFailure as failure:
        hint = diagnose_autograd(learner)
        raise KataFailure(f"{failure}\n  looks like: {hint}" if hint else str(failure)) from None
    if twice:
        return got_grads, _numbers(result.get("second"), n, "a second root.backward()")
    return got_grads, None


@check("05_backprop/autograd", "values and grads match torch on random graphs that reuse nodes")
def autograd_random(learner, rng):
    for _ in range(10):
        program = random_program(rng)
        n = 3 + len(program)
        root_terms = tuple(int(k) for k in rng.integers(3, n, size=3))
        grade_autograd(
            learner, rng, rng.normal(size=3).tolist(), program, root_terms, "a random graph"
        )


@check("05_backprop/autograd", "x*x, and one node feeding three others")
def autograd_reuse(learner, rng):
    program = [
        ("a * b", (0, 0)),  # n2 = x * x
        ("a + b", (0, 1)),  # n3 = x + y
        ("a * b", (3, 3)),  # n4 = n3 * n3
        ("tanh(a)", (3,)),  # n5 = tanh(n3)
        ("0.5 * a", (3,)),  # n6 = 0.5 * n3
    ]
    grade_autograd(
        learner,
        rng,
        rng.normal(size=2).tolist(),
        program,
        (2, 4, 5, 6),
        "x*x + (x+y)² + tanh(x+y) + 0.5·(x+y)",
    )


@check("05_backprop/autograd", "numbers on either side: 2 - v, 3 / v, v ** -1.5, 1 + v, v / 4")
def autograd_numbers(learner, rng):
    program = [
        ("2 - a", (0,)),
        ("3 / a", (0,)),
        ("a ** -1.5", (0,)),
        ("1 + a", (0,)),
        ("a / 4", (0,)),
        ("2 * a", (0,)),
        ("a - 1", (0,)),
    ]
    grade_autograd(
        learner,
        rng,
        [float(rng.uniform(0.5, 2.0))],
        program,
        (1, 2, 3, 4, 5, 6, 7),
        "2 - v, 3 / v, v ** -1.5, 1 + v, v / 4, 2 * v, v - 1",
    )


@check("05_backprop/autograd", "edges: relu at exactly 0, sigmoid and tanh at ±1000")
def autograd_edges(learner, rng):
    program = [
        ("relu(a)", (0,)),  # n3 = relu(0): gradient 0 at the kink
        ("a * b", (0, 1)),  # n4 = 0 · big = 0
        ("relu(a)", (4,)),  # n5 = relu(n4), at the kink again
        ("sigmoid(a)", (1,)),  # n6 = σ(+big) = 1
        ("sigmoid(a)", (2,)),  # n7 = σ(−big): e^big overflows
        ("tanh(a)", (2,)),  # n8 = tanh(−big) = −1
    ]
    big = float(rng.uniform(800.0, 1000.0))
    grade_autograd(
        learner,
        rng,
        [0.0, big, -big],
        program,
        (3, 5, 6, 7, 8),
        "relu(0) + relu(0·big) + σ(big) + σ(−big) + tanh(−big)",
    )


NEW_NODE_LABELS = [
    "v + 0", "0 + v", "v - 0", "v * 1", "1 * v", "v / 1", "v ** 1",
    "v + w", "v * w", "v.relu()", "v.tanh()",
]  # fmt: skip


@check("05_backprop/autograd", "every operation returns a new Value, its operands unchanged")
def autograd_new_nodes(learner, rng):
    a, b = (float(t) for t in rng.uniform(0.5, 2.0, size=2))
    for label in NEW_NODE_LABELS:
        what = f"{label} with v = Value({a:.6g}), w = Value({b:.6g})"
        result = learner.drive(f"{AUTOGRAD}:new_node", label, a, b, what=what)
        if not isinstance(result, dict):
            raise KataFailure(f"wrong result\n  called   {what}")
        if result.get("same") in ("v", "w"):
            raise KataFailure(
                f"{label} returned its operand itself, not a new Value\n"
                f"  called   v = Value({a:.6g}); w = Value({b:.6g}); out = {label}; "
                f"out is {result['same']} -> True\n"
                "  Every operation adds a new node to the graph, even when its value equals "
                "an operand's: the node's .grad is d(root)/d(node), which differs from the "
                "operand's when the operand is used elsewhere too."
            )
        before, after = result.get("before") or {}, result.get("after") or {}
        for name in ("v", "w"):
            if after.get(name) != before.get(name):
                raise KataFailure(
                    f"{label} modified its argument {name!r} in place\n"
                    f"  called   v = Value({a:.6g}); w = Value({b:.6g}); out = {label}\n"
                    f"  {name}.data, {name}.grad were {tuple(before.get(name) or ())}, are "
                    f"{tuple(after.get(name) or ())} afterwards\n"
                    "  An operation builds a new Value from its operands' data and leaves "
                    "the operands as they were."
                )


@check("05_backprop/autograd", "a second backward() gives the same grads (see the docstring)")
def autograd_twice(learner, rng):
    program = random_program(rng, steps=8)
    first, second = grade_autograd(
        learner,
        rng,
        rng.normal(size=3).tolist(),
        program,
        (10, 9, 3),
        "a random graph",
        twice=True,
    )
    if not np.allclose(first, second, rtol=1e-12, atol=0):
        i = int(np.argmax(~np.isclose(first, second, rtol=1e-12, atol=0)))
        raise KataFailure(
            "a second backward() changed the gradients\n"
            f"  node {i}: grad {first[i]:.6g} after the first call, {second[i]:.6g} after the "
            "second\n  looks like: grads not reset: backward() sets every .grad in the graph "
            "to 0 before propagating (the docstring's contract)."
        )
