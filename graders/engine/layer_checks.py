"""Grading a forward/backward layer pair against torch autograd.

The learner's forward gives (out, cache); its backward gets a random upstream
gradient (never all-ones: with ones, some wrong backwards pass) together with
the learner's own cache, and every returned gradient is compared with autograd
of sum(torch_forward(inputs) · dout).
"""

from __future__ import annotations

import torch

from graders.engine.checks import Mistake, assert_matches, expect_array, expect_tuple
from graders.engine.reference import tensor


def check_layer(
    learner,
    forward: str,
    backward: str,
    inputs: dict,
    torch_forward,
    *,
    rng,
    oracle: str,
    forward_kwargs: dict | None = None,
    backward_mistakes=(),
    forward_mistakes=(),
) -> dict:
    """Grade one layer pair; returns the learner's gradients by name ('dx', 'dW', ...).

    inputs: {name: array} in the forward's argument order. torch_forward takes the same
    tensors (and forward_kwargs). backward_mistakes: (says, fn(dout, **inputs) -> grads).
    """
    forward_kwargs = forward_kwargs or {}
    names = tuple(inputs)
    tensors = {k: tensor(v).requires_grad_(True) for k, v in inputs.items()}
    expected_out = torch_forward(*tensors.values(), **forward_kwargs)

    fn = learner.fn(forward)
    call = fn.describe(*inputs.values(), **forward_kwargs)
    out, cache = expect_tuple(fn(*inputs.values(), **forward_kwargs), ("out", "cache"), call)
    out = expect_array(out, "out", tuple(expected_out.shape), call)
    known = [
        Mistake(says, lambda m=m: {"out": m(*inputs.values(), **forward_kwargs)})
        for says, m in forward_mistakes
    ]
    assert_matches(
        {"out": out},
        {"out": expected_out.detach().numpy()},
        call=call,
        oracle=oracle,
        mistakes=known,
    )

    dout = rng.normal(size=out.shape)
    grads = torch.autograd.grad((expected_out * tensor(dout)).sum(), list(tensors.values()))
    expected = {f"d{k}": g.numpy() for k, g in zip(names, grads)}

    back = learner.fn(backward)
    back_call = f"{back.name}(dout=float64 array {dout.shape} (random), cache from your {call})"
    result = expect_tuple(back(dout, cache), tuple(expected), back_call)
    got = {
        name: expect_array(value, name, expected[name].shape, back_call)
        for name, value in zip(expected, result)
    }
    known = [
        Mistake(says, lambda m=m: dict(zip(expected, _as_tuple(m(dout, **inputs)))))
        for says, m in backward_mistakes
    ]
    assert_matches(got, expected, call=back_call, oracle="torch autograd", mistakes=known)
    return got


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)
