"""The notes' figures, computed with PyTorch and the graders' own oracles, written as SVG.

    python tools/figures.py              # writes exercises/<topic>/figures/<name>.svg
    python tools/figures.py --out DIR    # writes DIR/<topic>/figures/<name>.svg instead

Every number comes from torch (torch.nn.functional, autograd, torch.optim's update through
graders.engine.reference) or from a grader's reference (the lr schedule, the layer gradient
norms), never from solutions/. The output is byte-for-byte reproducible: fixed seeds, fixed
fonts (text kept as text), no date, a fixed hash salt for the SVG ids. tests/test_notes.py
regenerates the figures into a temporary folder and compares them with the committed ones.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.catalog import REPO_ROOT  # noqa: E402
from graders.engine.reference import run_torch_optimizer  # noqa: E402
from graders.topics.gradient_flow import torch_layer_norms  # noqa: E402
from graders.topics.training import reference_lr  # noqa: E402

STYLE = {
    "svg.fonttype": "none",  # text stays text: small files, no glyph outlines to drift
    "svg.hashsalt": "dl-katas",  # the ids of clip paths and the like, fixed
    "font.family": "DejaVu Sans",  # matplotlib's own font: the same layout everywhere
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.6,
    "path.simplify": True,
}
METADATA = {"Date": None, "Creator": None}  # nothing that changes from one run to the next
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def activations():
    """Six activations and their derivatives (autograd), on [−4, 4]."""
    z = torch.linspace(-4, 4, 401, dtype=torch.float64)
    functions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "ReLU": F.relu,
        "leaky ReLU (slope 0.1)": lambda x: F.leaky_relu(x, 0.1),
        "GELU": F.gelu,
        "SiLU (swish)": F.silu,
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    for color, (name, f) in zip(COLORS, functions.items()):
        x = z.clone().requires_grad_(True)
        y = f(x)
        (dy,) = torch.autograd.grad(y.sum(), x)
        left.plot(z, y.detach(), color=color, label=name)
        right.plot(z, dy, color=color, label=name)
    left.set(title="activation f(z)", xlabel="z", ylim=(-1.5, 4))
    right.set(title="derivative f′(z) (autograd)", xlabel="z", ylim=(-0.2, 1.2))
    right.annotate(
        "GELU and SiLU dip below 0\nfor z < 0, then vanish",
        xy=(-1.5, -0.1),
        xytext=(-4, 0.55),
        arrowprops={"arrowstyle": "->", "color": "0.4"},
        color="0.3",
    )
    left.legend(frameon=False, loc="upper left")
    return fig


def gradient_norms():
    """‖∂loss/∂W_i‖ per layer of a 20-layer stack: sigmoid with Xavier init, ReLU with He
    init (the 06_gradient_flow/vanishing stack and its torch oracle)."""
    depth, width, batch = 20, 128, 64
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, width, generator=generator, dtype=torch.float64).numpy()
    runs = {}
    for label, activation, std in (
        ("sigmoid, Xavier init", "sigmoid", math.sqrt(2 / (width + width))),
        ("ReLU, He init", "relu", math.sqrt(2 / width)),
    ):
        weights = [
            (torch.randn(width, width, generator=generator, dtype=torch.float64) * std).numpy()
            for _ in range(depth)
        ]
        runs[label] = torch_layer_norms(x, weights, activation)
    fig, ax = plt.subplots(figsize=(5.5, 3.2), layout="constrained")
    layers = np.arange(1, depth + 1)
    for color, (label, norms) in zip(COLORS, runs.items()):
        ax.semilogy(layers, norms, marker="o", markersize=3, color=color, label=label)
    ax.set(
        title=f"gradient norm per layer, {depth} layers of width {width}",
        xlabel="layer (1 = nearest the input)",
        ylabel="‖∂loss/∂Wᵢ‖ (log scale)",
    )
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(frameon=False)
    return fig


def constrained_minimum(loss, boundary):
    """The point of a closed curve (an (M, 2) array) where the loss is lowest."""
    values = loss(boundary[:, 0], boundary[:, 1])
    return boundary[np.argmin(values)]


def penalty_geometry():
    """The L1 diamond and the L2 disc of the same radius against the contours of a quadratic
    loss: the constrained minimum lands on a corner (w₂ = 0) for L1, not for L2."""
    center = np.array([2.0, 0.9])
    A = np.array([[1.0, 0.35], [0.35, 0.6]])  # the loss's curvature, tilted

    def loss(w1, w2):
        d1, d2 = w1 - center[0], w2 - center[1]
        return A[0, 0] * d1**2 + 2 * A[0, 1] * d1 * d2 + A[1, 1] * d2**2

    t = np.linspace(0, 2 * np.pi, 4001)  # fine, to find the minimum; drawn coarser
    radius = 1.0
    circle = radius * np.stack([np.cos(t), np.sin(t)], axis=1)
    diamond = circle / np.abs(circle).sum(axis=1, keepdims=True) * radius
    grid = np.linspace(-1.6, 3.2, 97)
    W1, W2 = np.meshgrid(grid, grid)
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.0), layout="constrained", sharey=True)
    for ax, shape, name in (
        (axes[0], diamond, "L1: |w₁| + |w₂| ≤ t"),
        (axes[1], circle, "L2: w₁² + w₂² ≤ t²"),
    ):
        best = constrained_minimum(loss, shape)
        level = loss(*best)
        shape = shape[::40]
        ax.contour(
            W1,
            W2,
            loss(W1, W2),
            levels=[level / 4, level, 2 * level, 4 * level],
            colors="0.55",
            linewidths=0.8,
        )
        ax.contour(W1, W2, loss(W1, W2), levels=[level], colors=COLORS[3], linewidths=1.4)
        ax.fill(shape[:, 0], shape[:, 1], color=COLORS[0], alpha=0.25)
        ax.plot(shape[:, 0], shape[:, 1], color=COLORS[0])
        ax.plot(*center, marker="x", color="k")
        ax.annotate(
            "minimum without\nthe penalty",
            center,
            xytext=(-8, 8),
            ha="right",
            textcoords="offset points",
        )
        ax.plot(*best, marker="o", color=COLORS[3])
        ax.annotate(
            f"({best[0]:.2f}, {best[1]:.2f})",
            best,
            xytext=(6, -12),
            textcoords="offset points",
            color=COLORS[3],
        )
        ax.axhline(0, color="k", linewidth=0.6)
        ax.axvline(0, color="k", linewidth=0.6)
        ax.set(title=name, xlabel="w₁", aspect="equal", xlim=(-1.6, 3.2), ylim=(-1.6, 2.4))
    axes[0].set_ylabel("w₂")
    return fig


def normalization_axes():
    """Which entries of an activation matrix (N examples × D features) share one mean and
    variance: a column for batch norm, a row for layer norm."""
    n, d = 6, 8
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.0), layout="constrained")
    for ax, title, along, note in (
        (
            axes[0],
            "batch norm",
            "column",
            "one mean and variance per feature, over the\nN examples of the batch (N, H, W in a CNN)",
        ),
        (
            axes[1],
            "layer norm",
            "row",
            "one mean and variance per example (per token\nin a Transformer), over its D features",
        ),
    ):
        cells = np.zeros((n, d))
        if along == "column":
            cells[:, 2] = 1
        else:
            cells[3, :] = 1
        ax.imshow(cells, cmap="Blues", vmin=-0.3, vmax=1.6)
        ax.set_xticks(np.arange(-0.5, d, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.grid(which="major", visible=False)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set(title=title, xlabel=f"features (D = {d})\n\n{note}", ylabel=f"examples (N = {n})")
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def lr_schedule():
    """Linear warm-up then cosine decay to a floor (09_training/lr_schedule's reference)."""
    total, warmup, base, floor = 1000, 100, 3e-4, 3e-5
    steps = np.arange(0, total + 1)
    lrs = [reference_lr(int(s), total, warmup, base, floor) for s in steps]
    fig, ax = plt.subplots(figsize=(5.5, 3.0), layout="constrained")
    ax.plot(steps, lrs, color=COLORS[0])
    ax.axvline(warmup, color="0.5", linestyle="--", linewidth=0.8)
    ax.annotate(
        f"warm-up ends, step W = {warmup}",
        (warmup, base),
        xytext=(12, -4),
        textcoords="offset points",
        va="top",
    )
    ax.axhline(floor, color="0.5", linestyle=":", linewidth=0.8)
    ax.annotate(
        f"floor min_lr = {floor:g}",
        (total, floor),
        xytext=(-4, 5),
        textcoords="offset points",
        ha="right",
    )
    ax.set(
        title=f"warm-up + cosine decay, base_lr = {base:g}, T = {total}",
        xlabel="step",
        ylabel="learning rate",
        ylim=(0, base * 1.1),
    )
    return fig


def optimizer_race():
    """SGD, SGD with momentum and Adam on f(w) = ½(w₁² + 50·w₂²), condition number 50,
    by torch.optim's own update functions: the loss per step and the path on the contours."""
    curvature = np.array([1.0, 50.0])
    w0 = np.array([-4.0, 1.0])
    steps = 150

    def loss(w):
        return 0.5 * float(np.sum(curvature * w**2))

    def grad(w, _step):
        return curvature * w

    runs = {
        # lr = 2/(L + μ), the best plain GD can do; heavy ball's best β and lr for κ = 50
        "SGD, lr 0.039": run_torch_optimizer("SGD", w0, grad, steps, lr=0.039),
        "momentum 0.57, lr 0.06": run_torch_optimizer(
            "SGD", w0, grad, steps, lr=0.06, momentum=0.57
        ),
        "Adam, lr 0.1": run_torch_optimizer(
            "Adam", w0, grad, steps, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8
        ),
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.3), layout="constrained")
    grid1, grid2 = np.linspace(-4.5, 1.5, 61), np.linspace(-2.4, 2.4, 49)
    W1, W2 = np.meshgrid(grid1, grid2)
    right.contour(
        W1,
        W2,
        0.5 * (curvature[0] * W1**2 + curvature[1] * W2**2),
        levels=[0.05, 0.3, 1, 3, 8, 16, 30, 60, 120],
        colors="0.7",
        linewidths=0.7,
    )
    for color, (label, trajectory) in zip(COLORS, runs.items()):
        path = np.array([w0] + [s["w"] for s in trajectory])
        left.semilogy(np.arange(steps + 1), [loss(w) for w in path], color=color, label=label)
        right.plot(path[:60, 0], path[:60, 1], color=color, marker=".", markersize=3, linewidth=1)
    left.set(
        title="f(w) = ½(w₁² + 50·w₂²), per step",
        xlabel="step",
        ylabel="f(w) (log scale)",
        ylim=(1e-8, 100),
    )
    left.legend(frameon=False)
    right.set(title="first 60 steps on the contours", xlabel="w₁", ylabel="w₂")
    right.plot(0, 0, marker="x", color="k")
    return fig


FIGURES = {
    ("02_activations", "activations.svg"): activations,
    ("03_optimizers", "optimizers_on_a_ravine.svg"): optimizer_race,
    ("06_gradient_flow", "gradient_norms_by_layer.svg"): gradient_norms,
    ("07_normalization", "batch_norm_vs_layer_norm.svg"): normalization_axes,
    ("08_regularization", "l1_diamond_l2_ball.svg"): penalty_geometry,
    ("09_training", "warmup_cosine.svg"): lr_schedule,
}


def write_figures(out: Path) -> list[Path]:
    """Every figure, as out/<topic>/figures/<name>; the paths written."""
    torch.manual_seed(0)
    written = []
    with plt.rc_context(STYLE):
        for (topic, name), draw in FIGURES.items():
            path = out / topic / "figures" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            fig = draw()
            fig.savefig(path, format="svg", metadata=METADATA)
            plt.close(fig)
            written.append(path)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT / "exercises",
        help="the folder holding <topic>/figures/ (default: exercises/)",
    )
    args = parser.parse_args(argv)
    for path in write_figures(args.out):
        print(f"{path}  ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
