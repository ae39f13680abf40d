"""The numpy side of graders/topics/training.py, importable in the worker.

shuffle_orders: many passes of the learner's minibatches in one request (the order of a
pass is one draw of a distribution, and a request costs far more than a pass).
global_randomness: whether minibatches drew from numpy's or Python's global generators.
watch_training: train_classifier run with its two_layer_net and minibatches watched, so
that the grader can check each step of the loop, not only where it ends.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np


def _ids_of(batches) -> np.ndarray:
    """The ids (yb) of one pass, concatenated; raises TypeError on anything but arrays."""
    ids = []
    for pair in batches:
        Xb, yb = pair
        ids.append(np.asarray(yb).reshape(-1))
    if not ids:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(ids).astype(np.int64)


def shuffle_orders(module, n: int, batch_size: int, rng, calls: int) -> dict:
    """{"orders": (calls, n) int array}: the order of the examples in each of `calls`
    passes of minibatches(X, y, batch_size, rng) on one rng (y holds each example's
    index); or {"bad_pass": k, "ids": [...]} for the first pass that is not a permutation."""
    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    y = np.arange(n)
    orders = np.empty((calls, n), dtype=np.int64)
    for k in range(calls):
        ids = _ids_of(module.minibatches(X, y, batch_size, rng))
        if ids.shape != (n,) or not np.array_equal(np.sort(ids), y):
            return {"bad_pass": k, "ids": ids[:50].tolist()}
        orders[k] = ids
    return {"orders": orders}


def _global_states():
    legacy = np.random.get_state()  # noqa: NPY002 - watching the global state is the point
    return (legacy[0], legacy[1].copy(), *legacy[2:]), random.getstate()


def _same_legacy(a, b) -> bool:
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:])


def global_randomness(module, n: int, batch_size: int, rng, shuffle: bool) -> dict:
    """{"numpy": bool, "python": bool}: whether one pass of minibatches changed the state
    of np.random's global generator, or of Python's random module."""
    X = np.arange(n, dtype=np.float64).reshape(n, 1)
    y = np.arange(n)
    numpy_before, python_before = _global_states()
    _ids_of(module.minibatches(X, y, batch_size, rng, shuffle=shuffle))
    numpy_after, python_after = _global_states()
    return {
        "numpy": not _same_legacy(numpy_before, numpy_after),
        "python": python_before != python_after,
    }


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


def _source_file(function) -> str:
    function = getattr(function, "__wrapped__", function)
    code = getattr(function, "__code__", None)
    return str(Path(code.co_filename).as_posix()) if code is not None else ""


def watch_training(module, X, y, hidden_dim, epochs, lr, batch_size, rng) -> dict:
    """Run module.train_classifier(X, y, hidden_dim, epochs, lr, batch_size, rng) with the
    module's two_layer_net and minibatches replaced by recording wrappers around them.

    Returns {"returned": what it returned, "events": [...], "files": {...},
    "global_numpy": bool, "global_python": bool}; each event, in the order they happened:
      ["minibatches", {"X_equal", "y_equal", "batch_size", "rng": "given" | "none" |
       "other", "shuffle"}]: a call of minibatches;
      ["batch", Xb, yb]: a batch it yielded;
      ["net", Xb, yb, params (a copy, as passed), reg, loss, grads (a copy, as returned)]:
       a call of two_layer_net.
    files: the source files of the module's two_layer_net and minibatches ("" when it
    has no such name)."""
    real_net = getattr(module, "two_layer_net", None)
    real_batches = getattr(module, "minibatches", None)
    events = []
    X_seen, y_seen = X.copy(), y.copy()

    def two_layer_net(Xb, yb, params, reg=0.0):
        loss, grads = real_net(Xb, yb, params, reg)
        events.append(
            [
                "net",
                _copy(Xb),
                _copy(yb),
                _copy(dict(params)),
                _copy(reg),
                _copy(loss),
                _copy(dict(grads)) if isinstance(grads, dict) else None,
            ]  # fmt: skip
        )
        return loss, grads

    def minibatches(X_arg, y_arg, batch_size_arg, rng_arg=None, shuffle=True):
        same_shape = np.shape(X_arg) == X_seen.shape and np.shape(y_arg) == y_seen.shape
        events.append(
            [
                "minibatches",
                {
                    "X_equal": bool(same_shape and np.array_equal(X_arg, X_seen)),
                    "y_equal": bool(same_shape and np.array_equal(y_arg, y_seen)),
                    "batch_size": batch_size_arg,
                    "rng": "given" if rng_arg is rng else "none" if rng_arg is None else "other",
                    "shuffle": bool(shuffle),
                },
            ]
        )
        for Xb, yb in real_batches(X_arg, y_arg, batch_size_arg, rng_arg, shuffle=shuffle):
            events.append(["batch", _copy(Xb), _copy(yb)])
            yield Xb, yb

    files = {"two_layer_net": _source_file(real_net), "minibatches": _source_file(real_batches)}
    numpy_before, python_before = _global_states()
    try:
        if real_net is not None:
            module.two_layer_net = two_layer_net
        if real_batches is not None:
            module.minibatches = minibatches
        returned = module.train_classifier(X, y, hidden_dim, epochs, lr, batch_size, rng)
    finally:
        if real_net is not None:
            module.two_layer_net = real_net
        if real_batches is not None:
            module.minibatches = real_batches
    numpy_after, python_after = _global_states()
    return {
        "returned": returned,
        "events": events,
        "files": files,
        "global_numpy": not _same_legacy(numpy_before, numpy_after),
        "global_python": python_before != python_after,
    }
