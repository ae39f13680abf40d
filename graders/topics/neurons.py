"""Graders of 01_neurons: one unit, an MLP's forward pass, and collapsing linear stacks.

Oracles: torch.nn.Linear / torch.nn.Sequential with the learner's weights copied in
(transposed: torch stores (out, in)), and torch's activations.
"""

from __future__ import annotations

import numpy as np
import torch

from graders.engine.checks import check_outputs, expect_float
from graders.engine.learner import KataFailure, LearnerRaised
from graders.engine.reference import tensor
from graders.engine.registry import check

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


# ---------------------------------------------------------------- neuron


def _neuron_no_bias(x, w, b, activation="sigmoid"):
    return float(NUMPY_ACTIVATIONS[activation](np.dot(w, x)))


def _neuron_activation_first(x, w, b, activation="sigmoid"):
    return float(np.sum(NUMPY_ACTIVATIONS[activation](w * x)) + b)


def _neuron_tanh_as_unscaled_sigmoid(x, w, b, activation="sigmoid"):
    if activation != "tanh":
        raise ValueError("only a tanh neuron can show this mistake")
    return float(2 / (1 + np.exp(-(np.dot(w, x) + b))) - 1)


NEURON_MISTAKES = [
    ("bias left out: the unit computes activation(w·x + b).", _neuron_no_bias),
    (
        "activation applied before the sum: first z = w·x + b, then activation(z).",
        _neuron_activation_first,
    ),
    (
        "tanh written as 2σ(z) − 1: that is tanh(z/2); tanh(z) = 2σ(2z) − 1.",
        _neuron_tanh_as_unscaled_sigmoid,
    ),
]


def _grade_neuron(learner, x, w, b, activation):
    z = torch.dot(tensor(w), tensor(x)) + b
    expected = float(TORCH_ACTIVATIONS[activation](z))
    check_outputs(
        learner,
        "neuron",
        (x, w, b),
        {"output": expected},
        kwargs={"activation": activation},
        oracle=f"torch.{activation}(torch.dot(w, x) + b)"
        if activation != "identity"
        else "torch.dot(w, x) + b",
        mistakes=NEURON_MISTAKES,
    )


@check("01_neurons/neuron", "matches torch for sigmoid, tanh, relu and identity")
def neuron_activations(learner, rng):
    for activation in TORCH_ACTIVATIONS:
        d = int(rng.integers(2, 9))
        _grade_neuron(
            learner, rng.normal(size=d), rng.normal(size=d), float(rng.normal()), activation
        )


@check("01_neurons/neuron", "one input (D = 1), a negative pre-activation through relu")
def neuron_single_input(learner, rng):
    x, w = np.array([abs(rng.normal()) + 0.5]), np.array([-2.0])
    _grade_neuron(learner, x, w, float(rng.uniform(-0.5, 0.5)), "relu")
    _grade_neuron(learner, x, w, 0.3, "sigmoid")


@check("01_neurons/neuron", "a saturated neuron: w·x + b = ±800 through sigmoid and tanh")
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


@check("01_neurons/neuron", "raises ValueError for an unknown activation")
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


def _grade_mlp(learner, x, params, activation):
    with torch.no_grad():
        expected = torch_stack(params, activation)(tensor(x)).numpy()
    check_outputs(
        learner,
        "mlp_forward",
        (x, params),
        {"out": expected},
        kwargs={"activation": activation},
        oracle=f"torch.nn.Sequential of Linear layers with {activation} between them",
        mistakes=MLP_MISTAKES,
    )


@check("01_neurons/mlp", "mlp_forward matches torch.nn.Sequential (relu, 3 layers)")
def mlp_relu(learner, rng):
    sizes = [int(n) for n in rng.integers(2, 7, size=4)]
    _grade_mlp(
        learner,
        rng.normal(size=(int(rng.integers(2, 9)), sizes[0])),
        random_params(rng, sizes),
        "relu",
    )


@check("01_neurons/mlp", "mlp_forward with tanh, sigmoid and identity, N = 1")
def mlp_other_activations(learner, rng):
    for activation in ("tanh", "sigmoid", "identity"):
        sizes = [int(n) for n in rng.integers(2, 6, size=3)]
        _grade_mlp(learner, rng.normal(size=(1, sizes[0])), random_params(rng, sizes), activation)


@check("01_neurons/mlp", "a one-layer network applies no activation")
def mlp_one_layer(learner, rng):
    params = random_params(rng, [4, 3])
    params[0] = (params[0][0], params[0][1] - 5.0)  # mostly negative outputs: relu would show
    _grade_mlp(learner, rng.normal(size=(5, 4)), params, "relu")


def _count_with_one_bias(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])) + 1


def _count_without_biases(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))


@check("01_neurons/mlp", "count_parameters matches torch's parameter count")
def mlp_count(learner, rng):
    for depth in (2, 3, 5):
        sizes = [int(n) for n in rng.integers(1, 40, size=depth)]
        model = torch_stack(random_params(rng, sizes))
        expected = sum(p.numel() for p in model.parameters())
        fn = learner.fn("count_parameters")
        call = fn.describe(sizes)
        got = fn(sizes)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            raise KataFailure(f"wrong type\n  called   {call}\n  expected an int, got {got!r}")
        if got != expected:
            hint = {
                _count_with_one_bias(sizes): "bias counted once per network: every layer "
                "has its own bias vector, one bias per output unit.",
                _count_without_biases(sizes): "biases not counted: each layer has "
                "D_out biases besides its D_in · D_out weights.",
            }.get(int(got), "")
            raise KataFailure(
                f"wrong count\n  called   {call}\n  got      {got}\n"
                f"  expected {expected}  (sum of p.numel() over torch.nn.Linear layers)"
                + (f"\n  looks like: {hint}" if hint else "")
            )


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
]


def _grade_collapse(learner, rng, sizes):
    params = random_params(rng, sizes)
    with torch.no_grad():
        stack = torch_stack(params)  # no activation between the layers
        b = stack(torch.zeros(1, sizes[0])).numpy()[0]
        W = stack(torch.eye(sizes[0])).numpy() - b
    got = check_outputs(
        learner,
        "collapse_linear",
        (params,),
        {"W": W, "b": b},
        oracle="the torch stack applied to the identity matrix and to zeros",
        mistakes=COLLAPSE_MISTAKES,
    )
    x = rng.normal(size=(5, sizes[0]))
    with torch.no_grad():
        outputs = stack(tensor(x)).numpy()
    np.testing.assert_allclose(x @ got["W"] + got["b"], outputs, rtol=1e-9, atol=1e-12)


@check("01_neurons/linear_collapse", "the collapsed layer equals a stack of 2 to 4 layers")
def collapse_stack(learner, rng):
    for depth in (3, 4, 5):
        _grade_collapse(learner, rng, [int(n) for n in rng.integers(2, 7, size=depth)])


@check("01_neurons/linear_collapse", "a stack of square layers (biases of equal width)")
def collapse_square(learner, rng):
    _grade_collapse(learner, rng, [4, 4, 4, 4])


@check("01_neurons/linear_collapse", "a single layer collapses to itself")
def collapse_single(learner, rng):
    _grade_collapse(learner, rng, [3, 5])
