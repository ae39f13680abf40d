"""The numpy side of graders/topics/backprop.py, importable in the worker.

Driving the learner's autograd `Value` (05_backprop/autograd): a graph is a program of
leaf values, then steps (label, operand indices), each label one of OPS, which works on
a Value and on a torch tensor alike (the grader builds the same graph in torch with the
same table). The drivers return numbers only. And the vectorised two-layer net the
speed check times.
"""

from __future__ import annotations

import numpy as np

OPS = {
    "a + b": lambda a, b: a + b,
    "a * b": lambda a, b: a * b,
    "a - b": lambda a, b: a - b,
    "a / (b*b + 1)": lambda a, b: a / (b * b + 1.0),
    "2 - a": lambda a: 2.0 - a,
    "3 / (a*a + 0.5)": lambda a: 3.0 / (a * a + 0.5),
    "(a*a + 0.5) ** -1.5": lambda a: (a * a + 0.5) ** -1.5,
    "1.5 + a": lambda a: 1.5 + a,
    "0.5 * a": lambda a: 0.5 * a,
    "a - 0.7": lambda a: a - 0.7,
    "a / 2": lambda a: a / 2.0,
    "a ** 2": lambda a: a**2,
    "-a": lambda a: -a,
    "log(a*a + 0.5)": lambda a: (a * a + 0.5).log(),
    "exp(tanh(a))": lambda a: a.tanh().exp(),
    "tanh(a)": lambda a: a.tanh(),
    "relu(a)": lambda a: a.relu(),
    "sigmoid(a)": lambda a: a.sigmoid(),
    "3 / a": lambda a: 3.0 / a,
    "a ** -1.5": lambda a: a**-1.5,
    "1 + a": lambda a: 1.0 + a,
    "a / 4": lambda a: a / 4.0,
    "2 * a": lambda a: 2.0 * a,
    "a - 1": lambda a: a - 1.0,
    # exponents at and around their boundaries (autograd_exponents)
    "a ** 0": lambda a: a**0,
    "a ** 1": lambda a: a**1,
    "a ** 3": lambda a: a**3,
    "a ** -1": lambda a: a**-1,
    "a ** 0.5": lambda a: a**0.5,
    "a ** 2.0": lambda a: a**2.0,
    # overflow-scale operands (autograd_extremes)
    "exp(a)": lambda a: a.exp(),
    "log(a)": lambda a: a.log(),
    "a * 1e-300": lambda a: a * 1e-300,
}

# (label, operation on v = Value(a), w = Value(b)); the number-only ones are where a
# "shortcut" returns the operand itself.
NEW_NODE_OPS = {
    "v + 0": lambda v, w: v + 0,
    "0 + v": lambda v, w: 0 + v,
    "v - 0": lambda v, w: v - 0,
    "v * 1": lambda v, w: v * 1,
    "1 * v": lambda v, w: 1 * v,
    "v / 1": lambda v, w: v / 1,
    "v ** 1": lambda v, w: v**1,
    "v + w": lambda v, w: v + w,
    "v * w": lambda v, w: v * w,
    "v.relu()": lambda v, w: v.relu(),
    "v.tanh()": lambda v, w: v.tanh(),
}


def build(make_leaf, values, program, root_terms):
    """nodes = leaves, then one node per program step; root = the sum of root_terms."""
    nodes = [make_leaf(v) for v in values]
    for label, operands in program:
        nodes.append(OPS[label](*(nodes[k] for k in operands)))
    root = nodes[root_terms[0]]
    for k in root_terms[1:]:
        root = root + nodes[k]
    return nodes, root


def evaluate(module, values, program, root_terms, twice=False) -> dict:
    """Build the graph with the learner's Value, call root.backward() (twice if asked):
    every node's data and grad, and the grads after the second call."""
    nodes, root = build(module.Value, values, program, root_terms)
    root.backward()
    result = {"data": [float(n.data) for n in nodes], "grads": [float(n.grad) for n in nodes]}
    if twice:
        root.backward()
        result["second"] = [float(n.grad) for n in nodes]
    return result


def probes(module) -> dict:
    """x.grad on four tiny graphs that expose the classic mistakes (None where the
    learner's Value raises): x + x at 3; a = 2x, b = 3a, a + b at 0.5; relu at 0;
    x ** 3 at 1.5."""
    Value = module.Value

    def x_plus_x():
        x = Value(3.0)
        (x + x).backward()
        return x

    def chain():
        x = Value(0.5)
        a = x * 2.0
        b = a * 3.0
        (a + b).backward()
        return x

    def relu_at_zero():
        x = Value(0.0)
        x.relu().backward()
        return x

    def cube():
        x = Value(1.5)
        (x**3).backward()
        return x

    grads = {}
    for name, probe in (("x + x", x_plus_x), ("chain", chain), ("relu(0)", relu_at_zero),
                        ("x ** 3", cube)):  # fmt: skip
        try:
            grads[name] = float(probe().grad)
        except Exception:  # noqa: BLE001 - a probe that cannot run gives no diagnosis
            grads[name] = None
    return grads


def new_node(module, label, a, b) -> dict:
    """One NEW_NODE_OPS operation on v = Value(a), w = Value(b): which operand (if any)
    came back as the result itself, and each operand's (data, grad) before and after."""
    v, w = module.Value(a), module.Value(b)
    before = {"v": [float(v.data), float(v.grad)], "w": [float(w.data), float(w.grad)]}
    out = NEW_NODE_OPS[label](v, w)
    after = {"v": [float(v.data), float(v.grad)], "w": [float(w.data), float(w.grad)]}
    same = "v" if out is v else "w" if out is w else ""
    return {"same": same, "before": before, "after": after}


def two_layer_net(X, y, params, reg, *, reg_factor=2.0, reg_biases=False, penalty_factor=1.0,
                  mask_at_zero=False, transpose_dW=None):  # fmt: skip
    """Vectorised numpy net: the speed reference, and (with switches) diagnostics:
    reg_factor the penalty gradient's factor (2), penalty_factor the loss's (1),
    mask_at_zero ReLU passing the gradient at 0, transpose_dW "W1" or "W2" returned
    transposed."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = len(X)
    pre = X @ W1 + b1
    hid = np.maximum(pre, 0)
    s = hid @ W2 + b2
    s = s - s.max(axis=1, keepdims=True)
    logp = s - np.log(np.exp(s).sum(axis=1, keepdims=True))
    penalty = np.sum(W1**2) + np.sum(W2**2) + (np.sum(b1**2) + np.sum(b2**2) if reg_biases else 0)
    loss = -logp[np.arange(n), y].mean() + penalty_factor * reg * penalty
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1
    ds /= n
    dh = ds @ W2.T * ((pre >= 0) if mask_at_zero else (pre > 0))
    grads = {
        "W1": X.T @ dh + reg_factor * reg * W1,
        "b1": dh.sum(0),
        "W2": hid.T @ ds + reg_factor * reg * W2,
        "b2": ds.sum(0),
    }
    if reg_biases:
        grads["b1"] = grads["b1"] + reg_factor * reg * b1
        grads["b2"] = grads["b2"] + reg_factor * reg * b2
    if transpose_dW:
        grads[transpose_dW] = grads[transpose_dW].T
    return float(loss), grads
