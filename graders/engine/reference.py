"""Oracles computed with PyTorch at grading time, independent of any reference kata file.

Optimizer oracles call the functional forms that torch.optim's classes run in
their step() (torch.optim.adam.adam and its siblings, single-tensor path):
the same arithmetic as torch.optim.Adam(...).step(), without the ~1 s import of
torch._dynamo that the first Optimizer.step() of a process costs.
tests/test_reference.py checks each one against the optimizer class.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch.optim import adagrad as _adagrad
from torch.optim import adam as _adam
from torch.optim import rmsprop as _rmsprop
from torch.optim import sgd as _sgd

torch.set_default_dtype(torch.float64)


def tensor(a) -> torch.Tensor:
    """A float64 copy of a as a tensor (any layout: torch refuses negative strides)."""
    return torch.tensor(np.array(a, dtype=np.float64, order="C"))


def torch_two_layer_net(X, y, params, reg):
    """Loss and grads of affine → ReLU → affine → softmax cross-entropy + reg·(‖W1‖² + ‖W2‖²),
    by autograd: the oracle of 05's two_layer_net and of each step of 09's train_loop."""
    t = {k: tensor(v).requires_grad_(True) for k, v in params.items()}
    scores = torch.relu(tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.as_tensor(np.array(y))) + reg * (
        (t["W1"] ** 2).sum() + (t["W2"] ** 2).sum()
    )
    grads = torch.autograd.grad(loss, list(t.values()))
    return float(loss.detach()), {k: g.numpy() for k, g in zip(t, grads)}


def run_torch_optimizer(kind: str, w0, grad_fn, steps: int, **hyper) -> list[dict]:
    """Run `steps` steps of torch.optim.<kind>'s update; the state after each step.

    grad_fn(w, step) -> ndarray gives the gradient at w on step 1, 2, ...
    Returns one dict per step: {"w": ..., and the optimizer's state by kata name}.
    """
    p = tensor(w0)
    states = {
        "SGD": {"velocity": None},
        "Adagrad": {"sum_sq": torch.zeros_like(p)},
        "RMSprop": {"square_avg": torch.zeros_like(p)},
        "Adam": {"m": torch.zeros_like(p), "v": torch.zeros_like(p)},
        "AdamW": {"m": torch.zeros_like(p), "v": torch.zeros_like(p)},
    }[kind]
    step_count = torch.tensor(0.0)
    trajectory = []
    for step in range(1, steps + 1):
        g = tensor(grad_fn(p.numpy().copy(), step))
        if kind == "SGD":
            buffers = [states["velocity"]]
            _sgd.sgd(
                [p],
                [g],
                buffers,
                foreach=False,
                weight_decay=0.0,
                momentum=hyper.get("momentum", 0.0),
                lr=hyper["lr"],
                dampening=0.0,
                nesterov=hyper.get("nesterov", False),
                maximize=False,
            )
            states["velocity"] = buffers[0]
        elif kind == "Adagrad":
            _adagrad.adagrad(
                [p],
                [g],
                [states["sum_sq"]],
                [step_count],
                foreach=False,
                lr=hyper["lr"],
                weight_decay=0.0,
                lr_decay=0.0,
                eps=hyper["eps"],
                maximize=False,
            )
        elif kind == "RMSprop":
            _rmsprop.rmsprop(
                [p],
                [g],
                [states["square_avg"]],
                [],
                [],
                [step_count],
                foreach=False,
                lr=hyper["lr"],
                alpha=hyper["alpha"],
                eps=hyper["eps"],
                weight_decay=0.0,
                momentum=0.0,
                centered=False,
            )
        else:  # Adam, AdamW: AdamW is Adam with decoupled weight decay
            _adam.adam(
                [p],
                [g],
                [states["m"]],
                [states["v"]],
                [],
                [step_count],
                foreach=False,
                decoupled_weight_decay=(kind == "AdamW"),
                amsgrad=False,
                beta1=hyper["beta1"],
                beta2=hyper["beta2"],
                lr=hyper["lr"],
                weight_decay=hyper.get("weight_decay", 0.0),
                eps=hyper["eps"],
                maximize=False,
            )
        snapshot = {"w": p.numpy().copy()}
        for name, value in states.items():
            if value is not None:  # SGD without momentum keeps no buffer
                snapshot[name] = value.numpy().copy()
        trajectory.append(snapshot)
    return trajectory


def logistic_loss_grad_hessian(X, y, w):
    """Mean BCE of sigmoid(X @ w) with its autograd gradient and Hessian."""
    Xt, yt = tensor(X), tensor(y)

    def loss_fn(wt):
        return F.binary_cross_entropy_with_logits(Xt @ wt, yt)

    wt = tensor(w).requires_grad_(True)
    loss = loss_fn(wt)
    (grad,) = torch.autograd.grad(loss, wt)
    hessian = torch.autograd.functional.hessian(loss_fn, tensor(w))
    return float(loss.detach()), grad.numpy(), hessian.numpy()


def damped_newton_step(w, grad, H, damping):
    d = torch.linalg.solve(tensor(H) + damping * torch.eye(len(w)), tensor(grad))
    return (tensor(w) - d).numpy()
