"""Graders of 01_neurons: one unit, an MLP's forward pass, and collapsing linear stacks.

Oracles: torch.nn.Linear / torch.nn.Sequential with the learner's weights copied in
(transposed: torch stores (out, in)), and torch's activations. Inputs are random, with
the properties that expose a mistake built in on purpose (a bias away from 0, a negative
pre-activation through relu, a hidden unit exactly at 0, biases that dwarf the weights),
and every function is also called on non-contiguous views
(graders.drivers.activations.views_of) and on its paths with nothing to do.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from graders.drivers.activations import reversed_view, strided, transposed, views_of
from graders.engine.checks import (
    Mistake,
    assert_matches,
    check_outputs,
    expect_array,
    expect_float,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor as _tensor
from graders.engine.registry import check, not_applicable

NO_RNG = "deterministic: takes no rng and draws nothing"
for _kata in ("neuron", "mlp", "linear_collapse"):
    not_applicable(f"01_neurons/{_kata}", randomness=NO_RNG)
not_applicable("01_neurons/neuron", process="one formula, activation(w·x + b): no loop or schedule")
not_applicable(
    "01_neurons/mlp",
    process="the contract is the last layer's output (and a count): the hidden layers are "
    "not returned; each layer's part is pinned by the one-layer, identity and no-layer checks",
)
not_applicable(
    "01_neurons/linear_collapse",
    process="returns one (W, b): the partial products on the way are not part of the "
    "contract (the one-layer and two- to five-layer checks pin each fold)",
    hyperparameters="collapse_linear(params) takes the layers alone: no keyword or mode",
    exact_values="a composition of affine maps: no kink, tie or threshold where the "
    "result changes form; zero weights and biases are ordinary values here",
)


def tensor(a):
    """a as a float64 tensor; torch takes no negative strides, so views are copied first."""
    return _tensor(np.ascontiguousarray(a))


TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": lambda z: z,
}
NUMPY_ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "identity": lambda z: z,
}


def torch_stack(params, activation=None):
    """torch.nn.Sequential of Linear layers holding these (W, b), activation between them."""
    layers = []
    for i, (W, b) in enumerate(params):
        linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(tensor(W).T)
            linear.bias.copy_(tensor(b))
        layers.append(linear)
        if activation and i < len(params) - 1:
            layers.append(torch.nn.Module())
            layers[-1].forward = TORCH_ACTIVATIONS[activation]
    return torch.nn.Sequential(*layers)


def random_params(rng, sizes):
    return [
        (rng.normal(size=(a, b)) / np.sqrt(a), rng.normal(size=b))
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


LAYOUT_ADVICE = (
    "  A view (W.T, x[::2], x[::-1], a column of a matrix) is an ordinary array: compute "
    "with numpy operations on the array itself. np.frombuffer, .data, tobytes() and "
    "as_strided see its memory, which a view does not fill in order."
)


def layout_failure(failure, label, retry):
    """A layout dependence when retry() (the same call on contiguous copies) passes; else
    the failure itself."""
    try:
        retry()
    except (KataFailure, LearnerRaised, NotStarted):
        return failure
    if isinstance(failure, LearnerRaised):
        text = (
            f"your code raised {type(failure.error).__name__}: {failure.error}\n"
            f"  called   {failure.call}"
        )
    else:
        text = str(failure)
    return KataFailure(
        f"wrong on non-contiguous inputs ({label}), right on contiguous copies of the same "
        "values: the result depends on the memory layout\n"
        + "\n".join("  " + line for line in text.splitlines())
        + "\n"
        + LAYOUT_ADVICE
    )


def contiguous(value):
    """value with every array in it (through lists and tuples) a C-contiguous copy."""
    if isinstance(value, np.ndarray):
        return np.ascontiguousarray(value)
    if isinstance(value, (list, tuple)):
        return type(value)(contiguous(v) for v in value)
    return value


def on_layouts(cases, grade):
    """grade(*args, note) for each (label, args) of non-contiguous inputs; a failure that
    contiguous copies of the same args do not have is told as a layout dependence."""
    for label, args in cases:
        try:
            grade(*args, f"  ({label})")
        except (KataFailure, LearnerRaised) as failure:
            retry = functools.partial(grade, *contiguous(args), "")
            raise layout_failure(failure, label, retry) from None


# ---------------------------------------------------------------- neuron


def _neuron_no_bias(x, w, b, activation="sigmoid"):
    return float(NUMPY_ACTIVATIONS[activation](np.dot(w, x)))


def _neuron_activation_before_bias(x, w, b, activation="sigmoid"):
    return float(NUMPY_ACTIVATIONS[activation](np.dot(w, x)) + b)


def _neuron_activation_first(x, w, b, activation="sigmoid"):
    return float(np.sum(NUMPY_ACTIVATIONS[activation](w * x)) + b)


def _neuron_tanh_as_unscaled_sigmoid(x, w, b, activation="sigmoid"):
    if activation != "tanh":
        raise ValueError("only a tanh neuron can show this mistake")
    return float(2 / (1 + np.exp(-(np.dot(w, x) + b))) - 1)


NEURON_MISTAKES = [
    ("bias left out: the unit computes activation(w·x + b).", _neuron_no_bias),
    (
        "activation applied before the bias: activation(w·x) + b; the bias belongs inside, "
        "activation(w·x + b).",
        _neuron_activation_before_bias,
    ),
    (
        "activation applied before the sum: first z = w·x + b, then activation(z).",
        _neuron_activation_first,
    ),
    (
        "tanh written as 2σ(z) − 1: that is tanh(z/2); tanh(z) = 2σ(2z) − 1.",
        _neuron_tanh_as_unscaled_sigmoid,
    ),
]


def _expect_python_float(got, call) -> float:
    """The contract returns a Python float (np.float64 is one): not an int, not an array."""
    if isinstance(got, float):
        return got
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool):
        why = (
            f"the int {got!r}: max(z, 0) returns the int 0 when z < 0; write max(z, 0.0) "
            "or float(...)"
        )
    else:
        why = describe_value(got)
    raise KataFailure(
        f"wrong return type\n  called   {call}\n  expected a Python float\n  got      {why}"
    )


def _grade_neuron(learner, x, w, b, activation=None, note=""):
    """neuron(x, w, b[, activation]) against torch; activation None: left at its default."""
    act = "sigmoid" if activation is None else activation
    kwargs = {} if activation is None else {"activation": activation}
    z = torch.dot(tensor(w), tensor(x)) + b
    expected = float(TORCH_ACTIVATIONS[act](z))
    fn = learner.fn("neuron")
    call = fn.describe(x, w, b, **kwargs) + note
    got = _expect_python_float(fn(x, w, b, **kwargs), call)
    assert_matches(
        {"output": got},
        {"output": expected},
        call=call,
        oracle=f"torch.{act}(torch.dot(w, x) + b)" if act != "identity" else "torch.dot(w, x) + b",
        mistakes=[
            Mistake(says, lambda m=m: {"output": m(x, w, b, act)}) for says, m in NEURON_MISTAKES
        ],
    )


def _neuron_inputs(rng, d, activation):
    """x, w, b with b at least 0.5 away from 0, and, for relu, w·x < 0 < w·x + b: a bias
    left out, or added after the activation, then changes the output on every seed."""
    x, w = rng.normal(size=d), rng.normal(size=d)
    b = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 2.0))
    if activation == "relu":
        if np.dot(w, x) > 0:
            w = -w
        b = -float(np.dot(w, x)) + float(rng.uniform(0.3, 2.0))
    return x, w, b


@check(
    "01_neurons/neuron",
    "matches torch for sigmoid, tanh, relu and identity",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def neuron_activations(learner, rng):
    for activation in TORCH_ACTIVATIONS:
        d = int(rng.integers(2, 9))
        _grade_neuron(learner, *_neuron_inputs(rng, d, activation), activation)
    _grade_neuron(learner, *_neuron_inputs(rng, 64, "tanh"), "tanh")  # a wide unit


@check(
    "01_neurons/neuron",
    "the default activation is sigmoid",
    regimes=("hyperparameters",),
)
def neuron_default(learner, rng):
    _grade_neuron(learner, *_neuron_inputs(rng, int(rng.integers(2, 6)), "sigmoid"))


@check(
    "01_neurons/neuron",
    "one input (D = 1), a negative pre-activation through relu: 0.0, a float",
    regimes=("shapes", "aliasing"),
)
def neuron_single_input(learner, rng):
    x, w = np.array([abs(rng.normal()) + 0.5]), np.array([-2.0])
    _grade_neuron(learner, x, w, float(rng.uniform(-0.5, 0.5)), "relu")
    _grade_neuron(learner, x, w, 0.3, "sigmoid")
    _grade_neuron(learner, x, w, 0.3, "identity")


@check(
    "01_neurons/neuron",
    "w·x + b exactly 0 (relu's kink, σ = 1/2, tanh = 0) and ±5e−324 beside it",
    regimes=("exact values", "aliasing"),
)
def neuron_at_zero(learner, rng):
    k = float(rng.integers(1, 5))
    x, w = np.array([1.0, 2.0, k]), np.array([0.5, -0.25, 1.0])
    b = -k  # w·x = k exactly (0.5 − 0.5 + k), so w·x + b = 0 in any order of summation
    for activation in TORCH_ACTIVATIONS:
        _grade_neuron(learner, x, w, b, activation)
    for tiny in (5e-324, -5e-324):
        _grade_neuron(learner, np.array([tiny]), np.array([1.0]), 0.0, "relu")


@check(
    "01_neurons/neuron",
    "a saturated neuron: w·x + b = ±800 through sigmoid and tanh",
    regimes=("extremes",),
)
def neuron_saturated(learner, rng):
    for activation in ("sigmoid", "tanh"):
        for target in (800.0, -800.0):
            d = int(rng.integers(2, 6))
            x, w = rng.normal(size=d), rng.normal(size=d)
            b = target - float(np.dot(w, x))  # the pre-activation is ±800 (up to rounding)
            try:
                _grade_neuron(learner, x, w, b, activation)
            except LearnerRaised as raised:
                if not isinstance(raised.error, (OverflowError, FloatingPointError)):
                    raise
                expected = float(TORCH_ACTIVATIONS[activation](tensor(np.float64(target))))
                raise KataFailure(
                    f"overflow for a saturated neuron (w·x + b = {target:g})\n"
                    f"  called   {raised.call}\n"
                    f"  raised   {type(raised.error).__name__}: {raised.error}\n"
                    f"  expected {expected:.6g}  (a large |z| is a normal input: the unit "
                    "is saturated)\n"
                    "  e^800 overflows a float; compute σ(z) as 1/(1 + e^−z) for z ≥ 0 and "
                    "e^z/(1 + e^z) for z < 0, or 0.5·(1 + tanh(z/2)); tanh with np.tanh."
                ) from None


@check(
    "01_neurons/neuron",
    "a large common offset (w·x = 1e6, b = −1e6 + z) and inputs of mixed scales",
    regimes=("extremes",),
)
def neuron_offset(learner, rng):
    # integers and quarters: every product and sum is exact, in any order
    z = float(rng.choice([-1.25, -0.5, 0.75, 1.5]))
    x, w = np.array([1e6, 3.0, -2.0]), np.array([1.0, 2.0, 3.0])  # w·x = 1e6
    for activation in ("sigmoid", "tanh", "relu"):
        _grade_neuron(learner, x, w, -1e6 + z, activation)
    x, w = np.array([1e150, 1e-150, 2.0]), np.array([1e-150, 1e150, -1.0])
    _grade_neuron(learner, x, w, float(rng.uniform(-1, 1)), "sigmoid")


@check(
    "01_neurons/neuron",
    "x and w as non-contiguous views (strided, reversed, a column of a matrix)",
    regimes=("layout",),
)
def neuron_layout(learner, rng):
    d = int(rng.integers(3, 7))
    x, w, b = _neuron_inputs(rng, d, "tanh")
    matrix = rng.normal(size=(d, 3))
    matrix[:, 1] = x
    cases = [
        ("x and w strided views, [::2]", (strided(x), strided(w))),
        ("x and w reversed views, [::-1]", (reversed_view(x), reversed_view(w))),
        ("x a column of a matrix, X[:, 1]", (matrix[:, 1], w)),
    ]
    on_layouts(cases, lambda xv, wv, note: _grade_neuron(learner, xv, wv, b, "tanh", note))


@check(
    "01_neurons/neuron",
    "raises ValueError for an unknown activation",
    regimes=("hyperparameters",),
)
def neuron_unknown_activation(learner, rng):
    fn = learner.fn("neuron")
    x, w = rng.normal(size=3), rng.normal(size=3)
    call = fn.describe(x, w, 0.1, activation="softplus")
    try:
        value = fn(x, w, 0.1, activation="softplus")
    except LearnerRaised as raised:
        if isinstance(raised.error, ValueError):
            return None
        raise
    raise KataFailure(
        f"no error for an unknown activation\n  called   {call}\n"
        f"  got      {expect_float(value, 'output', call):.6g}\n"
        "  expected ValueError: the docstring promises it, so a typo cannot pass silently."
    )


# ---------------------------------------------------------------- mlp


def _mlp_activation_everywhere(x, params, activation="relu"):
    out = x
    for W, b in params:
        out = NUMPY_ACTIVATIONS[activation](out @ W + b)
    return out


def _mlp_always_relu(x, params, activation="relu"):
    if activation == "relu":
        raise ValueError("only another activation can show this mistake")
    out = x
    for i, (W, b) in enumerate(params):
        out = out @ W + b
        if i < len(params) - 1:
            out = np.maximum(out, 0.0)
    return out


MLP_MISTAKES = [
    (
        "activation after the last layer too: the output layer returns raw scores "
        "(logits); the activation follows every layer but the last.",
        _mlp_activation_everywhere,
    ),
    (
        "activation argument ignored: relu between the layers whatever `activation` says.",
        _mlp_always_relu,
    ),
]


def _grade_mlp(learner, x, params, activation=None, note=""):
    """mlp_forward against torch; activation None: left at its default (relu)."""
    act = "relu" if activation is None else activation
    with torch.no_grad():
        expected = torch_stack(params, act)(tensor(x)).numpy()
    check_outputs(
        learner,
        "mlp_forward",
        (x, params),
        {"out": expected},
        kwargs={} if activation is None else {"activation": activation},
        oracle=f"torch.nn.Sequential of Linear layers with {act} between them",
        mistakes=MLP_MISTAKES,
        note=note,
    )


def _mixed_sign_params(rng, sizes):
    """Random layers whose hidden units take both signs on every seed (half the biases
    pushed up, half down), so relu between the layers always shows."""
    params = random_params(rng, sizes)
    for i, (W, b) in enumerate(params[:-1]):
        shift = np.where(np.arange(b.size) % 2 == 0, 3.0, -3.0)
        params[i] = (W, b + shift)
    return params


@check(
    "01_neurons/mlp",
    "mlp_forward matches torch.nn.Sequential (relu, 3 layers)",
    regimes=("hyperparameters", "shapes"),
)
def mlp_relu(learner, rng):
    sizes = [int(n) for n in rng.integers(2, 7, size=4)]
    _grade_mlp(
        learner,
        rng.normal(size=(int(rng.integers(2, 9)), sizes[0])),
        _mixed_sign_params(rng, sizes),
        "relu",
    )


@check(
    "01_neurons/mlp",
    "the default activation is relu",
    regimes=("hyperparameters",),
)
def mlp_default(learner, rng):
    sizes = [int(n) for n in rng.integers(2, 6, size=3)]
    _grade_mlp(learner, rng.normal(size=(4, sizes[0])), _mixed_sign_params(rng, sizes))


@check(
    "01_neurons/mlp",
    "mlp_forward with tanh, sigmoid and identity, N = 1",
    regimes=("hyperparameters", "shapes"),
)
def mlp_other_activations(learner, rng):
    for activation in ("tanh", "sigmoid", "identity"):
        sizes = [int(n) for n in rng.integers(2, 6, size=3)]
        _grade_mlp(learner, rng.normal(size=(1, sizes[0])), random_params(rng, sizes), activation)


@check(
    "01_neurons/mlp",
    "a one-layer network applies no activation",
    regimes=("shapes", "aliasing"),
)
def mlp_one_layer(learner, rng):
    params = random_params(rng, [4, 3])
    params[0] = (params[0][0], params[0][1] - 5.0)  # mostly negative outputs: relu would show
    _grade_mlp(learner, rng.normal(size=(5, 4)), params, "relu")


@check(
    "01_neurons/mlp",
    "no layers (the identity: a copy of x), and layers one unit wide",
    regimes=("shapes", "aliasing"),
)
def mlp_degenerate(learner, rng):
    _grade_mlp(learner, rng.normal(size=(3, 4)), [], "relu")
    _grade_mlp(learner, rng.normal(size=(3, 4)), [], "identity")
    _grade_mlp(learner, rng.normal(size=(2, 1)), _mixed_sign_params(rng, [1, 1, 3, 1]), "tanh")


@check(
    "01_neurons/mlp",
    "saturated hidden units: pre-activations up to ±800 through sigmoid and tanh",
    regimes=("extremes",),
)
def mlp_saturated(learner, rng):
    for activation in ("sigmoid", "tanh"):
        sizes = [3, 4, 2]
        params = random_params(rng, sizes)
        W1, b1 = params[0]
        params[0] = (W1 * 100.0, b1 + np.array([800.0, -800.0, 0.0, 0.0]))
        _grade_mlp(learner, rng.normal(size=(3, 3)), params, activation)


@check(
    "01_neurons/mlp",
    "x = 0 and hidden pre-activations exactly 0 (relu's kink)",
    regimes=("exact values",),
)
def mlp_zeros(learner, rng):
    params = random_params(rng, [3, 4, 2])
    _grade_mlp(learner, np.zeros((2, 3)), params, "relu")  # the output is b1's path alone
    W1 = rng.integers(-3, 4, size=(3, 4)).astype(float)
    x = rng.integers(-2, 3, size=(3, 3)).astype(float)
    b1 = -(x[0] @ W1)  # sample 0's hidden units are all exactly 0 (integer arithmetic)
    _grade_mlp(learner, x, [(W1, b1), params[1]], "relu")


@check(
    "01_neurons/mlp",
    "x and the weights as non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def mlp_layout(learner, rng):
    sizes = [3, 5, 4, 2]
    x = rng.normal(size=(4, sizes[0]))
    params = _mixed_sign_params(rng, sizes)
    cases = [
        (
            "x and every W transposed views (Fortran order), b strided",
            (transposed(x), [(transposed(W), strided(b)) for W, b in params]),
        ),
        (
            "x a column slice, W reversed, b reversed",
            (views_of(x)[-1][1], [(reversed_view(W), reversed_view(b)) for W, b in params]),
        ),
        ("W strided views, [:, ::2]", (x, [(strided(W), b) for W, b in params])),
    ]
    on_layouts(cases, lambda xv, pv, note: _grade_mlp(learner, xv, pv, "relu", note))


def _count_with_one_bias(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])) + 1


def _count_without_biases(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


def _grade_count(learner, sizes):
    model = torch_stack(random_params(np.random.default_rng(0), sizes))
    expected = sum(p.numel() for p in model.parameters())
    fn = learner.fn("count_parameters")
    call = fn.describe(sizes)
    got = fn(sizes)
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        raise KataFailure(
            f"wrong type\n  called   {call}\n  expected an int, got {describe_value(got)}"
        )
    if got != expected:
        mistakes = {
            _count_with_one_bias(sizes): "bias counted once per network: every layer "
            "has its own bias vector, one bias per output unit.",
            _count_without_biases(sizes): "biases not counted: each layer has "
            "D_out biases besides its D_in · D_out weights.",
        }
        # a mistake that gives the right count here (one layer of one unit: one bias in
        # all) cannot be what went wrong; the other one still can
        mistakes.pop(expected, None)
        hint = mistakes.get(int(got), "")
        raise KataFailure(
            f"wrong count\n  called   {call}\n  got      {got}\n"
            f"  expected {expected}  (sum of p.numel() over torch.nn.Linear layers)"
            + (f"\n  looks like: {hint}" if hint else "")
        )


@check(
    "01_neurons/mlp",
    "count_parameters matches torch's parameter count, an int",
    regimes=("shapes", "aliasing"),
)
def mlp_count(learner, rng):
    for depth in (2, 3, 5):
        _grade_count(learner, [int(n) for n in rng.integers(1, 40, size=depth)])
    for sizes in ([1, 1], [7, 1, 1], [1, 9], [int(rng.integers(2, 9))]):  # widths of 1, none
        _grade_count(learner, sizes)


# ---------------------------------------------------------------- linear_collapse


def _collapse_last_bias(params):
    W = params[0][0]
    for W_next, _ in params[1:]:
        W = W @ W_next
    return W, params[-1][1]


def _collapse_summed_biases(params):
    W = params[0][0]
    for W_next, _ in params[1:]:
        W = W @ W_next
    return W, sum(b for _, b in params)


def _collapse_next_layer_only(params):
    W, b = params[0][0], params[-1][1]
    for (_, b_i), (W_next, _) in zip(params, params[1:]):
        W, b = W @ W_next, b + b_i @ W_next
    return W, b


def _collapse_by_subtraction(params):
    def run(x):
        for W_i, b_i in params:
            x = x @ W_i + b_i
        return x

    b = run(np.zeros(params[0][0].shape[0]))
    return run(np.eye(params[0][0].shape[0])) - b, b


COLLAPSE_MISTAKES = [
    (
        "bias terms not propagated through later layers: each bias is multiplied by "
        "every weight matrix after it, b = (b1 @ W2 + b2) @ W3 + b3 ...",
        _collapse_summed_biases,
    ),
    (
        "bias terms not propagated through later layers: the earlier biases are lost; "
        "b = (b1 @ W2 + b2) @ W3 + b3 ...",
        _collapse_last_bias,
    ),
    (
        "bias propagated through the next layer only: b1 must go through every weight "
        "matrix after it, b = (b1 @ W2 + b2) @ W3 + b3, not b1 @ W2 + b2 @ W3 + b3 "
        "(right for two layers only).",
        _collapse_next_layer_only,
    ),
    (
        "W recovered as stack(I) − stack(0): right on paper, but with biases much larger "
        "than the weights the subtraction of two large numbers cancels W's digits. "
        "Multiply the weight matrices: W = W1 @ W2 @ ... @ Wk.",
        _collapse_by_subtraction,
    ),
]


def _grade_collapse(learner, rng, params, note=""):
    """collapse_linear(params) against torch: W the product of the Linear layers' weights,
    b the stack applied to zeros; then x @ W + b against the stack on random x."""
    sizes = [params[0][0].shape[0]] + [W.shape[1] for W, _ in params]
    stack = torch_stack(params)  # no activation between the layers
    with torch.no_grad():
        b = stack(torch.zeros(1, sizes[0])).numpy()[0]
        W = functools.reduce(torch.matmul, [layer.weight.T for layer in stack]).detach().numpy()
    fn = learner.fn("collapse_linear")
    call = fn.describe(params) + note
    result = fn(params)
    if not isinstance(result, tuple) or len(result) != 2:
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected a tuple (W, b)\n"
            f"  got      {describe_value(result)}"
        )
    got = {
        "W": expect_array(result[0], "W", W.shape, call),
        "b": expect_array(result[1], "b", b.shape, call),
    }
    assert_matches(
        got,
        {"W": W, "b": b},
        call=call,
        oracle="torch: the product of the Linear layers' weights; the stack applied to 0",
        mistakes=[
            Mistake(says, lambda m=m: dict(zip(("W", "b"), m(params))))
            for says, m in COLLAPSE_MISTAKES
        ],
    )
    x = rng.normal(size=(5, sizes[0]))
    with torch.no_grad():
        outputs = stack(tensor(x)).numpy()
    assert_matches(
        {"x @ W + b": x @ got["W"] + got["b"]},
        {"x @ W + b": outputs},
        call=call + f", then x @ W + b on x {x.shape}",
        oracle="the torch stack applied to x",
        rtol=1e-9,
    )


@check(
    "01_neurons/linear_collapse",
    "the collapsed layer equals a stack of 2 to 4 layers",
    regimes=("shapes",),
)
def collapse_stack(learner, rng):
    for depth in (3, 4, 5):
        sizes = [int(n) for n in rng.integers(2, 7, size=depth)]
        _grade_collapse(learner, rng, random_params(rng, sizes))


@check(
    "01_neurons/linear_collapse",
    "a stack of square layers (biases of equal width)",
    regimes=("shapes",),
)
def collapse_square(learner, rng):
    _grade_collapse(learner, rng, random_params(rng, [4, 4, 4, 4]))


@check(
    "01_neurons/linear_collapse",
    "a single layer collapses to itself (copies of its W and b)",
    regimes=("shapes", "aliasing"),
)
def collapse_single(learner, rng):
    _grade_collapse(learner, rng, random_params(rng, [3, 5]))


@check(
    "01_neurons/linear_collapse",
    "layers one unit wide: a bottleneck, a single output",
    regimes=("shapes",),
)
def collapse_narrow(learner, rng):
    _grade_collapse(learner, rng, random_params(rng, [3, 1, 4, 1]))
    _grade_collapse(learner, rng, random_params(rng, [1, 1]))


@check(
    "01_neurons/linear_collapse",
    "biases of 1e12 next to weights of order 1: W keeps its digits",
    regimes=("extremes",),
)
def collapse_large_biases(learner, rng):
    sizes = [int(n) for n in rng.integers(2, 6, size=4)]
    params = [(W, b * 1e12) for W, b in random_params(rng, sizes)]
    _grade_collapse(learner, rng, params)


@check(
    "01_neurons/linear_collapse",
    "weights and biases as non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def collapse_layout(learner, rng):
    sizes = [int(n) for n in rng.integers(2, 6, size=4)]
    params = random_params(rng, sizes)
    cases = [
        ("every W a transposed view (Fortran order), b strided",
         ([(transposed(W), strided(b)) for W, b in params],)),
        ("every W and b reversed views", ([(reversed_view(W), reversed_view(b)) for W, b in params],)),
        ("a single layer, W transposed and b strided", ([(transposed(params[0][0]), strided(params[0][1]))],)),
    ]  # fmt: skip
    on_layouts(cases, lambda pv, note: _grade_collapse(learner, rng, pv, note))
