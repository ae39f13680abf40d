"""Graders of 09_training: mini-batches, gradient noise, the learning-rate schedule and a
full training loop on a spiral data set the grader generates."""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from graders.engine.checks import check_outputs, expect_float
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check

# ---------------------------------------------------------------- batching


SHUFFLED_IN_PLACE = (
    "shuffled in place: shuffle through an index (X[order] is a new array), never "
    "X[:] = X[order] or rng.shuffle(X): the caller's data set must stay as it was."
)


def collect_batches(learner, X, y, batch_size, seed=None, shuffle=True):
    fn = learner.fn("minibatches", mutation_hint=SHUFFLED_IN_PLACE)
    kwargs = {"shuffle": False} if not shuffle else {}
    rng = None if seed is None else np.random.default_rng(seed)
    call = fn.describe(X, y, batch_size, rng, **kwargs)
    batches = fn.consume(X, y, batch_size, rng, **kwargs)
    if not batches:
        raise KataFailure(
            f"no batches\n  called   {call}\n  it yielded nothing: every example must come "
            "out in some batch (yield each pair Xb, yb)."
        )
    for i, pair in enumerate(batches):
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and all(isinstance(a, np.ndarray) and a.ndim >= 1 for a in pair)
        ):
            raise KataFailure(
                f"wrong batch\n  called   {call}\n  batch {i} is not a pair of arrays (Xb, yb)"
            )
    return batches, call


def check_one_pass(learner, X, y, batch_size, seed):
    batches, call = collect_batches(learner, X, y, batch_size, seed)
    n = len(X)
    sizes = [len(yb) for _, yb in batches]
    want_sizes = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if sizes != want_sizes:
        looks = ""
        if sizes == [batch_size] * (n // batch_size):
            looks = "\n  looks like: last partial batch dropped: yield the short remainder too."
        elif sizes == [*want_sizes, 0]:
            looks = (
                "\n  looks like: an empty last batch: N is a multiple of batch_size here, and "
                "N // batch_size + 1 batches leave the last one empty (use ceil(N / batch_size))."
            )
        raise KataFailure(
            f"wrong batch sizes\n  called   {call}\n  got      {sizes}\n"
            f"  expected {want_sizes} (every example once; the last batch may be "
            f"short){looks}"
        )
    Xs = np.concatenate([xb for xb, _ in batches])
    ys = np.concatenate([yb for _, yb in batches])
    ids = ys  # y holds each example's index, so the order and coverage can be read off
    if sorted(ids.tolist()) != list(range(n)):
        repeated = len(ids) - len(set(ids.tolist()))
        raise KataFailure(
            f"wrong pass\n  called   {call}\n  {repeated} examples appear twice and others "
            "never: every example exactly once per pass.\n  looks like: sampling with "
            "replacement: shuffle once with rng.permutation(N), then slice."
        )
    if not np.array_equal(Xs, X[ids]):
        raise KataFailure(
            f"X and y out of step\n  called   {call}\n  each Xb row must belong "
            "with its yb entry: index X and y with the same indices."
        )
    return ids


def indexed_data(rng, n, trailing=(3,)):
    return rng.normal(size=(n, *trailing)), np.arange(n)


@check("09_training/batching", "every example once per pass, last batch short, any trailing shape")
def batching_pass(learner, rng):
    for n, batch_size, trailing in ((23, 5, (3,)), (20, 4, (2, 3)), (7, 3, ())):
        X, y = indexed_data(rng, n, trailing)
        check_one_pass(learner, X, y, batch_size, int(rng.integers(1 << 30)))


@check("09_training/batching", "batch_size >= N (batch GD) and = 1 (SGD)")
def batching_edges(learner, rng):
    X, y = indexed_data(rng, 9)
    check_one_pass(learner, X, y, 9, 1)
    check_one_pass(learner, X, y, 50, 2)
    check_one_pass(learner, X, y, 1, 3)


@check("09_training/batching", "shuffle=False keeps the order (with or without rng); same seed")
def batching_order(learner, rng):
    X, y = indexed_data(rng, 17)
    for seed in (None, 7):  # shuffle=False must keep the order even when an rng is given
        batches, call = collect_batches(learner, X, y, 4, seed, shuffle=False)
        if not np.array_equal(np.concatenate([yb for _, yb in batches]), y):
            looks = ""
            if seed is not None:
                looks = (
                    "\n  looks like: shuffled because an rng was given: shuffle alone decides; "
                    "shuffle=False keeps the order whatever rng is."
                )
            raise KataFailure(
                f"order changed\n  called   {call}\n  shuffle=False keeps the original "
                f"order.{looks}"
            )
    first = check_one_pass(learner, X, y, 4, 5)
    again = check_one_pass(learner, X, y, 4, 5)
    other = check_one_pass(learner, X, y, 4, 6)
    if not np.array_equal(first, again):
        raise KataFailure(
            "not reproducible: the same seed gave two different orders. Shuffle "
            "with the rng you are given, not np.random's globals."
        )
    if np.array_equal(first, other) or np.array_equal(first, y):
        raise KataFailure(
            "not shuffled by rng: seeds 5 and 6 (or no shuffle) gave the same "
            "order. Use rng.permutation(N)."
        )


# ---------------------------------------------------------------- gradient noise


def torch_noise(grads, b):
    g = tensor(grads)
    n = g.shape[0]
    if n == 1:  # one example: the batch is the data set, no noise
        return 0.0
    spread = ((g - g.mean(0)) ** 2).sum(1).mean()
    return float((n - b) / (b * (n - 1)) * spread)


def simulate_noise(grads, b, rng, draws=20000):
    """Monte Carlo E‖g_B − g‖² with batches drawn without replacement, and its standard error."""
    n = len(grads)
    full = grads.mean(0)
    keys = rng.random((draws, n))
    batches = np.argsort(keys, axis=1)[:, :b]  # uniform b-subsets
    errors = ((grads[batches].mean(1) - full) ** 2).sum(1)
    return float(errors.mean()), float(errors.std() / math.sqrt(draws))


NOISE_MISTAKES = [
    (
        "sampling with replacement (no finite-population correction): without replacement the "
        "error carries (N − b)/(N − 1), which is 0 at b = N.",
        lambda G, b: float(np.mean(((G - G.mean(0)) ** 2).sum(1)) / b),
    ),
    (
        "the correction (N − b)/N instead of (N − b)/(N − 1).",
        lambda G, b: float((len(G) - b) / (b * len(G)) * np.mean(((G - G.mean(0)) ** 2).sum(1))),
    ),
    (
        "N read from the wrong axis: per_example_grads is (N, P), so N = shape[0] (the two "
        "only agree when N = P).",
        lambda G, b: float(
            (G.shape[1] - b) / (b * (G.shape[1] - 1)) * np.mean(((G - G.mean(0)) ** 2).sum(1))
        ),
    ),
]


@check("09_training/gradient_noise", "matches the exact formula, b near N, and N = 1")
def noise_formula(learner, rng):
    n, p = 20, 6
    grads = rng.normal(size=(n, p)) + rng.normal(size=p)
    cases = [(grads, b) for b in (1, 4, 18, 20)] + [(grads[:1], 1)]  # N = 1 too
    for G, b in cases:
        check_outputs(
            learner,
            "minibatch_gradient_variance",
            (G, b),
            {"variance": torch_noise(G, b)},
            oracle="(N − b)/(b·(N − 1)) · mean ‖g_i − g‖², in torch",
            mistakes=NOISE_MISTAKES,
        )


@check("09_training/gradient_noise", "agrees with a simulation of 20000 random batches")
def noise_simulation(learner, rng):
    grads = rng.normal(size=(12, 4)) * rng.uniform(0.5, 2, size=4)
    fn = learner.fn("minibatch_gradient_variance")
    for b in (3, 10):
        call = fn.describe(grads, b)
        got = expect_float(fn(grads, b), "variance", call)
        mean, se = simulate_noise(grads, b, rng)
        # 5.5 standard errors: a correct formula fails this with probability below 1e-6
        if abs(got - mean) > 5.5 * se:
            raise KataFailure(
                f"disagrees with simulation\n  called   {call}\n  got      {got:.6g}\n"
                f"  simulated {mean:.6g} ± {se:.2g} (20000 batches drawn without "
                "replacement; bound 5.5 standard errors)"
            )
    return "the formula matched 20000 simulated batches at b = 3 and b = 10 of N = 12."


# ---------------------------------------------------------------- lr schedule


def reference_lr(step, total, warmup, base, floor):
    if step < warmup:
        return base * step / warmup
    if step > total:
        return floor
    return cosine_part(step, total, warmup, base, floor)


def cosine_part(step, total, warmup, base, floor):
    return floor + (base - floor) * 0.5 * (
        1 + math.cos(math.pi * (step - warmup) / (total - warmup))
    )


def lr_looks_like(got, step, total, warmup, base, floor) -> str:
    """A "looks like" line naming the schedule mistake that gives `got`, or ""."""

    def near(value):
        return math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12)

    if step > total and near(cosine_part(step, total, warmup, base, floor)):
        return (
            "\n  looks like: no floor after total_steps: past total_steps the lr stays at "
            "min_lr (the cosine would rise again)."
        )
    if floor and step >= warmup and near(reference_lr(step, total, warmup, base, 0.0)):
        return "\n  looks like: min_lr ignored: the cosine decays from base_lr to min_lr, not to 0."
    return ""


@check("09_training/lr_schedule", "pinned points: step 0, warmup_steps, the middle, total_steps")
def lr_points(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    base, floor = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.0, 0.05))
    total, warmup = 100, 10
    points = {
        "step 0": 0,
        "step warmup_steps": warmup,
        "the middle of the decay": 55,
        "step total_steps": total,
        "after total_steps": total + 7,
        "step 3 of warm-up": 3,
    }
    for label, step in points.items():
        call = fn.describe(step, total, warmup, base, min_lr=floor)
        got = expect_float(fn(step, total, warmup, base, min_lr=floor), "lr", call)
        want = reference_lr(step, total, warmup, base, floor)
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            raise KataFailure(
                f"wrong lr at {label}\n  called   {call}\n  got      {got:.10g}\n"
                f"  expected {want:.10g}  (the formula in the docstring)"
                + lr_looks_like(got, step, total, warmup, base, floor)
            )


@check(
    "09_training/lr_schedule",
    "every step (rises in warm-up, then falls); default min_lr; no warm-up",
)
def lr_curve(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    # min_lr None: left at its default 0.0; warmup_steps = 0: no warm-up at all
    for total, warmup, floor in ((50, 8, None), (50, 8, 0.01), (30, 0, 0.01)):
        kwargs = {} if floor is None else {"min_lr": floor}
        values = [fn(s, total, warmup, 0.5, **kwargs) for s in range(total + 3)]
        values = [
            float(v)
            if isinstance(v, float)  # Python or numpy float; anything else is vetted below
            else expect_float(v, "lr", fn.describe(s, total, warmup, 0.5, **kwargs))
            for s, v in enumerate(values)
        ]
        want = [reference_lr(s, total, warmup, 0.5, floor or 0.0) for s in range(total + 3)]
        bad = [
            s
            for s, (g, w) in enumerate(zip(values, want))
            if not math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12)
        ]
        if bad:
            s = bad[0]
            raise KataFailure(
                f"wrong lr at step {s}\n  called   {fn.describe(s, total, warmup, 0.5, **kwargs)}"
                f"\n  got      {values[s]:.10g}\n  expected {want[s]:.10g}"
                + lr_looks_like(values[s], s, total, warmup, 0.5, floor or 0.0)
            )


@check("09_training/lr_schedule", "base_lr and min_lr as 0-d arrays (a tensor-like lr), untouched")
def lr_array_hyperparameters(learner, rng):
    # torch.optim accepts a tensor lr; here a 0-d numpy array. The call wrapper checks that
    # the arrays are unchanged afterwards (`base_lr *= ...` on an array changes the caller's).
    fn = learner.fn("warmup_cosine_lr")
    total, warmup = 40, 6
    base, floor = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.001, 0.05))
    for step in (2, warmup, 23, total, total + 4):
        base_lr, min_lr = np.array(base), np.array(floor)
        call = fn.describe(step, total, warmup, base_lr, min_lr=min_lr)
        got = expect_float(fn(step, total, warmup, base_lr, min_lr=min_lr), "lr", call)
        want = reference_lr(step, total, warmup, base, floor)
        if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            raise KataFailure(
                f"wrong lr at step {step}\n  called   {call}  (base_lr = np.array({base:.6g}), "
                f"min_lr = np.array({floor:.6g}))\n  got      {got:.10g}\n"
                f"  expected {want:.10g}  (the formula in the docstring)"
                + lr_looks_like(got, step, total, warmup, base, floor)
            )


# ---------------------------------------------------------------- train loop


def spiral(rng, per_class=300, classes=3, noise=0.1):
    """CS231n's spiral: `classes` interleaved arms in 2-D, not linearly separable."""
    X, y = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, per_class)
        t = np.linspace(c * 4, (c + 1) * 4, per_class) + rng.normal(scale=noise, size=per_class)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(per_class, c))
    X, y = np.concatenate(X), np.concatenate(y)
    order = rng.permutation(len(X))
    return X[order], y[order]


def accuracy(params, X, y):
    with torch.no_grad():
        h = torch.relu(tensor(X) @ tensor(params["W1"]) + tensor(params["b1"]))
        scores = h @ tensor(params["W2"]) + tensor(params["b2"])
    return float((scores.argmax(1).numpy() == y).mean())


TRAINING = {"hidden_dim": 200, "epochs": 500, "lr": 0.1, "batch_size": 16}


def train(learner, X, y, seed, **overrides):
    fn = learner.fn("train_classifier")
    settings = {**TRAINING, **overrides}
    call = fn.describe(
        X,
        y,
        settings["hidden_dim"],
        settings["epochs"],
        settings["lr"],
        settings["batch_size"],
        np.random.default_rng(seed),
    )
    result = fn(
        X,
        y,
        settings["hidden_dim"],
        settings["epochs"],
        settings["lr"],
        settings["batch_size"],
        np.random.default_rng(seed),
    )
    if not isinstance(result, tuple) or len(result) != 2 or not isinstance(result[0], dict):
        raise KataFailure(f"wrong return type\n  called   {call}\n  expected (params, history)")
    params, history = result
    if set(params) != {"W1", "b1", "W2", "b2"}:
        raise KataFailure(f"wrong params\n  called   {call}\n  expected keys W1, b1, W2, b2")
    d, h, c = X.shape[1], settings["hidden_dim"], int(y.max()) + 1
    shapes = {
        "W1": ((d, h), "(D, hidden_dim)"),
        "b1": ((h,), "(hidden_dim,)"),
        "W2": ((h, c), "(hidden_dim, C)"),
        "b2": ((c,), "(C,)"),
    }
    for key, (shape, formula) in shapes.items():
        got = np.shape(params[key])
        if got != shape:
            raise KataFailure(
                f"wrong params\n  called   {call}\n  {key} has shape {got}, expected "
                f"{shape} = {formula} with hidden_dim={h}, D={d}, C={c}: build the network "
                "from the arguments, not from fixed numbers."
            )
    if len(history) != settings["epochs"]:
        raise KataFailure(
            f"wrong history\n  called   {call}\n  expected one mean loss per "
            f"epoch ({settings['epochs']}), got {len(history)}"
        )
    return params, [float(h) for h in history], call


@check(
    "09_training/train_loop", "spiral: held-out accuracy >= 0.9, loss falls, under 20 s", timeout=60
)
def train_spiral(learner, rng):
    X, y = spiral(rng)
    split = int(0.75 * len(X))
    start = time.perf_counter()
    params, history, call = train(learner, X[:split], y[:split], int(rng.integers(1 << 30)))
    seconds = time.perf_counter() - start
    held_out = accuracy(params, X[split:], y[split:])
    first, last = np.mean(history[:10]), np.mean(history[-10:])
    problems = []
    if held_out < 0.9:
        problems.append(f"held-out accuracy {held_out:.3f}, expected at least 0.9")
    if not last < 0.5 * first:
        problems.append(
            f"mean loss of the last 10 epochs {last:.3f} is not below half the "
            f"first 10's ({first:.3f})"
        )
    if seconds > 20:
        problems.append(f"took {seconds:.1f} s, limit 20 s (a Python loop over samples?)")
    if problems:
        raise KataFailure(f"training fell short\n  called   {call}\n  " + "\n  ".join(problems))
    return (
        f"held-out accuracy {held_out:.3f} on the spiral after {TRAINING['epochs']} epochs "
        f"in {seconds:.1f} s; loss {history[0]:.3f} → {history[-1]:.3f}."
    )


@check("09_training/train_loop", "same seed, same result; other seed, other result", timeout=30)
def train_reproducible(learner, rng):
    X, y = spiral(rng, per_class=60)
    runs = [train(learner, X, y, seed, epochs=3) for seed in (21, 21, 22)]
    (p1, h1, call), (p2, h2, _), (p3, _, _) = runs
    if not all(np.array_equal(p1[k], p2[k]) for k in p1) or h1 != h2:
        raise KataFailure(
            f"not reproducible\n  called   {call} twice\n  the same seed gave "
            "different parameters: draw initial weights and shuffles from rng only."
        )
    if all(np.array_equal(p1[k], p3[k]) for k in p1):
        raise KataFailure(
            f"seed ignored\n  called   {call} and with seed 22\n  different "
            "seeds gave the same parameters: initialise with rng."
        )


@check("09_training/train_loop", "batch GD (batch_size > N): one step per epoch, the loss falls")
def train_full_batch(learner, rng):
    # batch_size above N: every epoch is one full-batch gradient step (no empty epoch).
    # Not a probability bound: over 1000 seeds the reference's last/first loss ratio was at
    # most 0.81 (median 0.67); tests/test_statistics.py runs it on 200 seeds.
    X, y = spiral(rng, per_class=10)
    epochs = 25
    _, history, call = train(
        learner,
        X,
        y,
        int(rng.integers(1 << 30)),
        hidden_dim=16,
        epochs=epochs,
        lr=0.5,
        batch_size=len(X) + 7,
    )
    if not np.all(np.isfinite(history)):
        raise KataFailure(
            f"no step in an epoch\n  called   {call}\n  history {history[:3]} ... is not "
            f"finite: with batch_size={len(X) + 7} > N={len(X)} the whole set is one batch "
            "(batch gradient descent).\n  looks like: an epoch without a batch: "
            "range(N // batch_size) is empty when batch_size > N; yield the short batch too."
        )
    if not history[-1] < history[0]:
        raise KataFailure(
            f"training fell short\n  called   {call}\n  full-batch gradient descent for "
            f"{epochs} epochs: loss {history[0]:.4f} → {history[-1]:.4f}, expected it to fall."
        )
