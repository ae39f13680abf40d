"""The functional oracles do exactly what torch.optim's optimizer classes do."""

import numpy as np
import pytest
import torch

from graders.engine import reference

CASES = [
    ("SGD", torch.optim.SGD, {"lr": 0.1}, {"lr": 0.1}),
    ("SGD", torch.optim.SGD, {"lr": 0.1, "momentum": 0.8}, {"lr": 0.1, "momentum": 0.8}),
    (
        "SGD",
        torch.optim.SGD,
        {"lr": 0.1, "momentum": 0.8, "nesterov": True},
        {"lr": 0.1, "momentum": 0.8, "nesterov": True},
    ),
    ("Adagrad", torch.optim.Adagrad, {"lr": 0.3, "eps": 0.1}, {"lr": 0.3, "eps": 0.1}),
    (
        "RMSprop",
        torch.optim.RMSprop,
        {"lr": 0.05, "alpha": 0.9, "eps": 1e-3},
        {"lr": 0.05, "alpha": 0.9, "eps": 1e-3},
    ),
    (
        "Adam",
        torch.optim.Adam,
        {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3},
        {"lr": 0.1, "betas": (0.8, 0.95), "eps": 1e-3},
    ),
    (
        "Adam",
        torch.optim.Adam,
        {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3},
        {"lr": 0.1, "betas": (0.8, 0.95), "eps": 1e-3, "weight_decay": 0.3},
    ),
    (
        "AdamW",
        torch.optim.AdamW,
        {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3},
        {"lr": 0.1, "betas": (0.8, 0.95), "eps": 1e-3, "weight_decay": 0.3},
    ),
]


@pytest.mark.parametrize(("kind", "cls", "hyper", "torch_kwargs"), CASES)
def test_functional_oracle_equals_optimizer_class(kind, cls, hyper, torch_kwargs):
    rng = np.random.default_rng(0)
    w0, target = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))

    def grad_fn(w, step):
        return (w - target) * step

    got = reference.run_torch_optimizer(kind, w0, grad_fn, 6, **hyper)
    p = torch.tensor(w0, requires_grad=True)
    optimizer = cls([p], **torch_kwargs)
    for step, snapshot in enumerate(got, start=1):
        p.grad = torch.tensor(grad_fn(p.detach().numpy().copy(), step))
        optimizer.step()
        np.testing.assert_allclose(snapshot["w"], p.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_logistic_oracle_matches_the_closed_form():
    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(9, 3)), (rng.uniform(size=9) < 0.5).astype(float), rng.normal(size=3)
    loss, grad, H = reference.logistic_loss_grad_hessian(X, y, w)
    p = 1 / (1 + np.exp(-X @ w))
    assert loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-12)
    np.testing.assert_allclose(grad, X.T @ (p - y) / 9, rtol=1e-12)
    np.testing.assert_allclose(H, X.T @ np.diag(p * (1 - p)) @ X / 9, rtol=1e-10)
