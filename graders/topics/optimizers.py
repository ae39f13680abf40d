"""Graders of 03_optimizers: each step function against torch.optim over several steps.

The gradient at each step comes from a random quadratic with per-step noise and
depends on the current w, so an error compounds visibly over the steps.
Hyperparameters are moved away from their defaults in at least one check of
every kata, and to their boundaries (lr = 0, momentum = 0, beta = 0, alpha = 0,
eps = 0, weight_decay = 0, a large t, a large damping) in another, so an ignored
argument, or a 0 taken for "use the default", fails. Every step kata is also
graded on non-contiguous inputs (transposed, strided and reversed views, a
different one per argument and per call), on gradients from 1e-150 to 1e150 in
one array (eps-sized ones among them), and on its nothing-to-do paths (lr = 0, a
zero gradient), where a result must still be a new array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.optim import adagrad as torch_adagrad
from torch.optim import adam as torch_adam
from torch.optim import rmsprop as torch_rmsprop
from torch.optim import sgd as torch_sgd

from graders.engine import reference
from graders.engine.checks import Mistake, assert_matches, expect_array, expect_float, expect_tuple
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check, not_applicable

ADAM_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

GD_KEY, MOMENTUM_KEY = "03_optimizers/gradient_descent", "03_optimizers/momentum"
ADAGRAD_KEY, RMSPROP_KEY = "03_optimizers/adagrad", "03_optimizers/rmsprop"
ADAM_KEY, ADAMW_KEY, NEWTON_KEY = (
    "03_optimizers/adam",
    "03_optimizers/adamw",
    "03_optimizers/newton",
)

NO_RNG = "deterministic: takes no rng and draws nothing"
ONE_STEP = (
    "one step per call: no loop, schedule or stopping rule inside (the checks chain the "
    "calls, t included, and compare w and the state after every one)"
)
for _key in (MOMENTUM_KEY, ADAGRAD_KEY, RMSPROP_KEY, ADAM_KEY, ADAMW_KEY):
    not_applicable(_key, randomness=NO_RNG, process=ONE_STEP)
not_applicable(GD_KEY, randomness=NO_RNG)
not_applicable(
    NEWTON_KEY,
    randomness=NO_RNG,
    process="a loss, its derivatives and one linear solve per call: no loop, schedule or "
    "stopping rule inside (newton_converges runs the loop itself)",
)


# ---------------------------------------------------------------- the oracle

STATE_NAMES = {
    "SGD": ("velocity",),
    "Adagrad": ("sum_sq",),
    "RMSprop": ("square_avg",),
    "Adam": ("m", "v"),
    "AdamW": ("m", "v"),
}


def torch_steps(kind, w0, grad_fn, steps, hyper, state0=None, t0=0) -> list[dict]:
    """`steps` steps of torch.optim.<kind>'s update from w0: the state after each step.

    The functional forms that torch.optim's classes run in step() (single-tensor path, as
    graders.engine.reference.run_torch_optimizer), here from a given state: state0 (the
    kata's state arrays; zeros, and torch's fresh state, when None) after t0 earlier steps.
    grad_fn(w, step) gives the gradient on step 1, 2, ... of this run.
    SGD with momentum 0 keeps no buffer in torch: the kata's velocity is then
    v = 0·v + g = g, recorded as such.
    """
    p = tensor(w0)
    names = STATE_NAMES[kind]
    if state0 is None:
        state = {n: torch.zeros_like(p) for n in names}
    else:
        state = {n: tensor(s) for n, s in zip(names, state0, strict=True)}
    step_count = torch.tensor(float(t0))
    trajectory = []
    for step in range(1, steps + 1):
        g = tensor(grad_fn(p.numpy().copy(), step))
        if kind == "SGD":
            momentum = hyper.get("momentum", 0.0)
            # torch's first step clones the gradient into a new buffer: the same as μ·0 + g
            buffers = [None if state0 is None and step == 1 else state["velocity"]]
            torch_sgd.sgd([p], [g], buffers, foreach=False, weight_decay=0.0, momentum=momentum,
                     lr=hyper["lr"], dampening=0.0, nesterov=hyper.get("nesterov", False),
                     maximize=False)  # fmt: skip
            state["velocity"] = buffers[0] if momentum != 0 else g.clone()
        elif kind == "Adagrad":
            torch_adagrad.adagrad([p], [g], [state["sum_sq"]], [step_count], foreach=False,
                             lr=hyper["lr"], weight_decay=0.0, lr_decay=0.0, eps=hyper["eps"],
                             maximize=False)  # fmt: skip
        elif kind == "RMSprop":
            torch_rmsprop.rmsprop([p], [g], [state["square_avg"]], [], [], [step_count],
                             foreach=False, lr=hyper["lr"], alpha=hyper["alpha"],
                             eps=hyper["eps"], weight_decay=0.0, momentum=0.0,
                             centered=False)  # fmt: skip
        else:  # Adam, AdamW: AdamW is Adam with decoupled weight decay
            torch_adam.adam([p], [g], [state["m"]], [state["v"]], [], [step_count],
                                  foreach=False, decoupled_weight_decay=(kind == "AdamW"),
                                  amsgrad=False, beta1=hyper["beta1"], beta2=hyper["beta2"],
                                  lr=hyper["lr"], weight_decay=hyper.get("weight_decay", 0.0),
                                  eps=hyper["eps"], maximize=False)  # fmt: skip
        snapshot = {"w": p.numpy().copy()}
        snapshot.update({n: state[n].numpy().copy() for n in names})
        trajectory.append(snapshot)
    return trajectory


# ---------------------------------------------------------------- problems


def random_shape(rng) -> tuple:
    return [(int(rng.integers(2, 9)),), tuple(int(n) for n in rng.integers(2, 6, size=2))][
        int(rng.integers(2))
    ]


def quadratic_gradient(rng, shape, steps, scale=1.0):
    """grad_fn(w, step) of a random separable quadratic, plus per-step noise."""
    curvature = rng.uniform(0.5, 3.0, size=shape)
    target = rng.normal(size=shape)
    noise = rng.normal(scale=0.3, size=(steps + 1, *shape))

    def grad_fn(w, step):
        return scale * (curvature * (w - target) + noise[step])

    return grad_fn


def zero_gradient(rng, shape, steps, scale=1.0):
    """grad_fn(w, step) that is exactly zero everywhere: the nothing-to-do path."""
    return lambda w, step: np.zeros(shape)


EXTREME_SCALES = (1e-150, None, 1.0, 1e8, 1e150)  # None: the kata's eps


def mixed_scale_gradient(eps):
    """A maker of grad_fn(w, step) whose entries have magnitudes 1e-150, eps, 1, 1e8 and
    1e150 in one array (each at least once in 5 or more entries; squares stay finite),
    each times a factor in ±[0.5, 2] drawn per step (never zero, never near overflow)."""
    scales = np.array([eps if s is None else s for s in EXTREME_SCALES])

    def make(rng, shape, steps, scale=1.0):
        n = int(np.prod(shape))
        magnitude = scales[rng.permutation(n) % len(scales)].reshape(shape)
        size = (steps + 1, *shape)
        factor = rng.uniform(0.5, 2.0, size=size) * rng.choice([-1.0, 1.0], size=size)

        def grad_fn(w, step):
            return magnitude * factor[step]

        return grad_fn

    return make


def offset_weights(rng, shape):
    """Normal weights, a third of them (every third flat entry) offset by 1e6."""
    w0 = rng.normal(size=shape)
    return w0 + np.where(np.arange(w0.size).reshape(shape) % 3 == 0, 1e6, 0.0)


EXTREME_NOTE = (
    "  (gradients from 1e-150 to 1e150 in one array, eps-sized ones among them; every "
    "third weight offset by 1e6)"
)

LAYOUTS = ("transposed", "strided", "reversed")
LAYOUT_NOTE = (
    "  (every array argument a non-contiguous view: transposed, strided or reversed, a "
    "different one per argument and per call; w a transposed view on the first call)"
)


def laid_out(x, kind: str) -> np.ndarray:
    """x's values in a non-contiguous array: a transposed view of a fresh array (x.T of
    one, for 2-D and up), every other column of a wider one, or a reversed one."""
    x = np.asarray(x, dtype=np.float64)
    if kind == "transposed" and x.ndim >= 2:
        return np.ascontiguousarray(x.T).T
    if kind == "reversed":
        return np.ascontiguousarray(x[..., ::-1])[..., ::-1]
    base = np.zeros(x.shape[:-1] + (2 * x.shape[-1],))
    base[..., ::2] = x
    return base[..., ::2]


def mixed_layouts(x, position: int, step: int) -> np.ndarray:
    """The layout of the position-th array argument on call `step` (1, 2, ...)."""
    return laid_out(x, LAYOUTS[(position + step - 1) % len(LAYOUTS)])


SPARSE_NOTE = (
    "  (exact zeros in the gradient: a third of the entries get none on each step, every "
    "entry on step 3)"
)


def sparse_gradient(rng, shape, steps, scale=1.0):
    """quadratic_gradient with exact zeros, as a parameter that gets no gradient sees.

    Entry k (flat index) gets a zero gradient on step t when (k + t) % 3 == 0, and every
    entry gets zero on step 3. So on step 1 some entries see 0 with a zero state, on
    steps 2, 4, 5 some see 0 with a nonzero state, and step 3 is zero throughout.
    """
    dense = quadratic_gradient(rng, shape, steps, scale)
    index = np.arange(int(np.prod(shape))).reshape(shape)

    def grad_fn(w, step):
        g = dense(w, step)
        return np.zeros_like(g) if step == 3 else np.where((index + step) % 3 == 0, 0.0, g)

    return grad_fn


def _lazy(step_fn):
    """Diagnostics only: step_fn, but entries whose gradient is 0 keep their w and state."""

    def lazy(w, grad, *rest, **hyper):
        new = step_fn(w, grad, *rest, **hyper)
        old = (w, *rest[: len(new) - 1])
        return tuple(np.where(grad != 0, n, o) for n, o in zip(new, old, strict=True))

    return lazy


def _skips_zero_step(step_fn, n_state):
    """Diagnostics only: step_fn, but an all-zero gradient returns w and the state as given."""

    def skips(w, grad, *rest, **hyper):
        if not np.any(grad):
            return (w, *rest[:n_state])
        return step_fn(w, grad, *rest, **hyper)

    return skips


def zero_gradient_mistakes(step_fn, n_state, still):
    """The two ways to skip work on a zero gradient; `still`: what the real step still does."""
    return [
        (
            f"entries with a zero gradient left untouched (a lazy, sparse update): {still}",
            _lazy(step_fn),
        ),
        (
            f"the step skipped when the gradient is all zero: {still}",
            _skips_zero_step(step_fn, n_state),
        ),
    ]


def _clipped(step_fn, limit=1e6):
    """Diagnostics only: step_fn on the gradient clipped to ±limit ("for safety")."""

    def clipped(w, grad, *rest, **hyper):
        return step_fn(w, np.clip(grad, -limit, limit), *rest, **hyper)

    return clipped


CLIPPED = (
    "the gradient clipped (or capped) somewhere: an optimizer step takes the gradient as it "
    "is, 1e150 included; clipping is a separate choice (09_training)."
)


def _falsy_defaults(step_fn, defaults):
    """Diagnostics only: step_fn with every hyperparameter given as 0 replaced by its
    default, as `x = x or default` does."""

    def step(*args, **hyper):
        hyper = {k: (defaults.get(k, v) if v == 0 and not isinstance(v, bool) else v)
                 for k, v in hyper.items()}  # fmt: skip
        return step_fn(*args, **hyper)

    return step


def falsy_mistake(step_fn, defaults):
    return (
        "a hyperparameter given as 0 replaced by its default (`x = x or default`?): 0 is a "
        "valid value here, and the contract says what it does.",
        _falsy_defaults(step_fn, defaults),
    )


# ---------------------------------------------------------------- one step function, many steps


@dataclass
class Problem:
    w0: np.ndarray
    grad_fn: object  # grad_fn(w, step) -> the gradient on step 1, 2, ...
    steps: int
    state0: tuple | None = None  # the state arrays before the first call (zeros if None)
    t0: int = 0  # steps taken before the first call: its t is t0 + 1


def same_layout(x, position, step):
    return x


class StepKata:
    """A kata whose function is step(w, grad, *state, [t], **hyper) -> (w, *state)."""

    def __init__(self, function, state, torch_kind, defaults=None, takes_t=False, oracle=None):
        self.function = function
        # the kata's documented defaults (PyTorch's): the oracle runs with them when a
        # check leaves a hyperparameter to the learner's default
        self.defaults = defaults or {}
        self.state = tuple(state)
        self.torch_kind = torch_kind
        self.takes_t = takes_t
        self.oracle = oracle or f"torch.optim.{torch_kind}"

    @property
    def outputs(self):
        return ("w", *self.state)

    def first_state(self, problem):
        if problem.state0 is not None:
            return [np.array(s, dtype=np.float64) for s in problem.state0]
        return [np.zeros_like(problem.w0) for _ in self.state]

    def trajectory(self, step_fn, problem, hyper, validate_call=None, send=same_layout):
        """Labelled outputs of the calls, feeding each call's state to the next.

        send(array, position, step): the array as passed (a view of it, for layouts)."""
        w, state = problem.w0, self.first_state(problem)
        shape = problem.w0.shape
        got = {}
        for step in range(1, problem.steps + 1):
            arrays = (w, problem.grad_fn(np.array(w), step), *state)
            args = tuple(send(a, i, step) for i, a in enumerate(arrays))
            args += (problem.t0 + step,) if self.takes_t else ()
            result = step_fn(*args, **hyper)
            if len(self.outputs) == 1:
                result = (result,)
            elif validate_call:
                result = expect_tuple(result, self.outputs, validate_call)
            if validate_call:
                result = [
                    expect_array(r, name, shape, validate_call)
                    for r, name in zip(result, self.outputs, strict=True)
                ]
            w, *state = result
            for name, value in zip(self.outputs, result, strict=True):
                got[f"{name} after step {step}"] = value
        return got

    def oracle_trajectory(self, problem, hyper) -> dict:
        snapshots = torch_steps(
            self.torch_kind,
            problem.w0,
            problem.grad_fn,
            problem.steps,
            {**self.defaults, **hyper},
            state0=problem.state0,
            t0=problem.t0,
        )
        return {
            f"{name} after step {t}": snap[name]
            for t, snap in enumerate(snapshots, start=1)
            for name in self.outputs
        }

    def grade(
        self,
        learner,
        rng,
        *,
        steps,
        hyper,
        mistakes=(),
        shape=None,
        scale=1.0,
        gradient=quadratic_gradient,
        note="",
        w0=None,
        state0=None,
        t0=0,
        layout=False,
    ):
        """Run the learner's step function and the oracle on the same problem; compare.

        gradient(rng, shape, steps, scale) -> grad_fn(w, step) makes the problem; w0
        (normal by default), state0 (zeros) and t0 (0) start it; layout: pass every array
        as a non-contiguous view (mixed_layouts).
        """
        shape = tuple(shape or (np.shape(w0) if w0 is not None else random_shape(rng)))
        w0 = rng.normal(size=shape) if w0 is None else np.asarray(w0, dtype=np.float64)
        problem = Problem(w0, gradient(rng, shape, steps, scale), steps, state0, t0)
        send = mixed_layouts if layout else same_layout
        fn = learner.fn(self.function)
        first = (w0, problem.grad_fn(w0.copy(), 1), *self.first_state(problem))
        first = tuple(send(a, i, 1) for i, a in enumerate(first))
        call = fn.describe(*first, *((t0 + 1,) if self.takes_t else ()), **hyper)
        if steps > 1:
            t_note = f" with t = {t0 + 2}, {t0 + 3}, ..." if self.takes_t else ""
            call += f", then {steps - 1} more calls fed its own {', '.join(self.outputs)}{t_note}"
        if state0 is not None:
            call += f"  (state from {t0} earlier steps, nonzero)" if t0 else "  (a given state)"
        call += note + (LAYOUT_NOTE if layout else "")
        got = self.trajectory(fn, problem, hyper, validate_call=call, send=send)
        expected = self.oracle_trajectory(problem, hyper)
        known = [
            Mistake(says, lambda step=step: self.trajectory(step, problem, hyper))
            for says, step in mistakes
        ]
        assert_matches(got, expected, call=call, oracle=self.oracle, mistakes=known)

    def grade_extremes(self, learner, rng, hyper, mistakes, steps=4):
        """Mixed gradient scales (1e-150 to 1e150, eps-sized among them) on a (2, 5) w,
        every third weight offset by 1e6."""
        eps = {**self.defaults, **hyper}.get("eps", 1e-8)
        self.grade(learner, rng, steps=steps, hyper=hyper, mistakes=mistakes,
                   w0=offset_weights(rng, (2, 5)), gradient=mixed_scale_gradient(eps),
                   note=EXTREME_NOTE)  # fmt: skip

    def grade_layout(self, learner, rng, hyper, mistakes, steps=3, shape=(3, 4)):
        self.grade(learner, rng, steps=steps, hyper=hyper, mistakes=mistakes, shape=shape,
                   layout=True)  # fmt: skip


def grade_on_sparse_gradients(kata: StepKata, learner, rng, hyper, mistakes):
    """Five steps on a (2, 3) problem whose gradient has exact zeros (sparse_gradient)."""
    kata.grade(
        learner,
        rng,
        steps=5,
        hyper=hyper,
        mistakes=mistakes,
        shape=(2, 3),
        gradient=sparse_gradient,
        note=SPARSE_NOTE,
    )


# ---------------------------------------------------------------- gradient_descent


def _gd(w, grad, lr):
    """Diagnostics only (the oracle is torch): the correct step."""
    return w - lr * grad


def _gd_sign_flipped(w, grad, lr):
    return w + lr * grad


def _gd_lr_ignored(w, grad, lr):
    return w - grad


GD = StepKata("gd_step", (), "SGD", oracle="torch.optim.SGD (no momentum)")
GD_MISTAKES = [
    ("a step up the gradient (w + lr·grad): descent moves against it.", _gd_sign_flipped),
    ("lr ignored: the step must be lr · grad.", _gd_lr_ignored),
    (CLIPPED, _clipped(_gd)),
]


@check(GD_KEY, "gd_step matches torch.optim.SGD", regimes=("hyperparameters", "shapes"))
def gd_step_matches(learner, rng):
    GD.grade(
        learner, rng, steps=1, hyper={"lr": float(rng.uniform(0.05, 0.5))}, mistakes=GD_MISTAKES
    )


@check(GD_KEY, "gd_step with lr = 0, lr = 1.5, a zero gradient, and shape (1,)",
       regimes=("hyperparameters", "exact values", "aliasing", "shapes"))  # fmt: skip
def gd_step_boundaries(learner, rng):
    # lr = 0 and a zero gradient have nothing to do: the result must still be a new array
    GD.grade(learner, rng, steps=1, hyper={"lr": 0.0}, mistakes=GD_MISTAKES, shape=(2, 3))
    GD.grade(learner, rng, steps=1, hyper={"lr": 0.3}, mistakes=GD_MISTAKES,
             gradient=zero_gradient, note="  (a zero gradient)")  # fmt: skip
    GD.grade(learner, rng, steps=2, hyper={"lr": 1.5}, mistakes=GD_MISTAKES, shape=(1,))


@check(GD_KEY, "gd_step on non-contiguous w and grad", regimes=("layout",))
def gd_step_layout(learner, rng):
    GD.grade_layout(learner, rng, {"lr": 0.2}, GD_MISTAKES)


@check(GD_KEY, "gd_step on gradients from 1e-150 to 1e150, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def gd_step_extremes(learner, rng):
    GD.grade_extremes(learner, rng, {"lr": 0.1}, GD_MISTAKES, steps=2)


@check(GD_KEY, "gradient_descent matches torch.optim.SGD over 8 steps",
       regimes=("hyperparameters", "shapes", "process"))  # fmt: skip
def gradient_descent_matches(learner, rng):
    _grade_gradient_descent(learner, rng, random_shape(rng), 8)


@check(GD_KEY, "gradient_descent on a (3, 2) matrix of weights", regimes=("shapes", "process"))
def gradient_descent_matrix(learner, rng):
    # w0 "of any shape": a weight matrix, not only the vector a quick test passes
    _grade_gradient_descent(learner, rng, (3, 2), 3)


@check(GD_KEY, "gradient_descent from a transposed w0, grad_fn returning views",
       regimes=("layout", "process"))  # fmt: skip
def gradient_descent_layout(learner, rng):
    _grade_gradient_descent(learner, rng, (3, 4), 3, layout=True)


@check(GD_KEY, "gradient_descent with lr = 0: every entry w0, each its own array",
       regimes=("hyperparameters", "aliasing", "process"))  # fmt: skip
def gradient_descent_lr_zero(learner, rng):
    _grade_gradient_descent(learner, rng, (4,), 3, lr=0.0)


@check(GD_KEY, "gradient_descent keeps stepping once the gradient is exactly zero",
       regimes=("process", "exact values"))  # fmt: skip
def gradient_descent_reaches_zero(learner, rng):
    # grad = w − target with lr = 1: the first step lands on target exactly (dyadic
    # numbers), and the gradient is exactly 0 from then on; `steps` still means steps
    target = rng.integers(-16, 17, size=4) / 8
    w0 = target + rng.choice([-1.0, 1.0], size=4) * rng.integers(1, 9, size=4) / 4
    _grade_gradient_descent(learner, rng, (4,), 4, lr=1.0, w0=w0,
                            grad_fn=lambda w, step: w - target,
                            note="  (grad_fn(w) = w − target: the first step reaches target "
                            "exactly, every gradient after it is exactly 0)")  # fmt: skip


def _grade_gradient_descent(learner, rng, shape, steps, lr=None, w0=None, grad_fn=None,
                            note="", layout=False):  # fmt: skip
    """Run gradient_descent against torch: the number of grad_fn calls (one per step), the
    history (w0, then w after each step), the final w, and where grad_fn was called (at
    each step's w)."""
    lr = float(rng.uniform(0.05, 0.3)) if lr is None else lr
    w0 = rng.normal(size=shape) if w0 is None else w0
    grad_fn = grad_fn or quadratic_gradient(rng, shape, steps)
    calls = []

    def learner_grad_fn(w):
        calls.append(np.array(w, copy=True))
        # a call beyond the steps is told as such below: it gets a gradient, not an error
        g = grad_fn(np.asarray(w), min(len(calls), steps))
        return laid_out(g, LAYOUTS[len(calls) % 3]) if layout else g

    sent = laid_out(w0, "transposed") if layout else w0
    fn = learner.fn("gradient_descent")
    call = fn.describe(learner_grad_fn, sent, lr, steps) + note
    if layout:
        call += "  (w0 a transposed view; grad_fn returns transposed, strided, reversed views)"
    w, history = expect_tuple(fn(learner_grad_fn, sent, lr, steps), ("w", "history"), call)
    expect_array(w, "w", shape, call)
    history = _expect_history(history, steps, shape, call)
    if len(calls) != steps:
        raise KataFailure(
            f"wrong number of grad_fn calls\n  called   {call}\n"
            f"  grad_fn was called {len(calls)} times, expected steps = {steps}: once per "
            "step, at that step's w (the contract), and not once more after the last step"
            + ("\n  looks like: a loop that stops early" if len(calls) < steps else "")
        )
    expected = torch_steps("SGD", w0, grad_fn, steps, {"lr": lr})
    got = {f"history[{k}]": h for k, h in enumerate(history)}
    got["final w"] = w
    want = {"history[0]": w0, **{f"history[{k}]": s["w"] for k, s in enumerate(expected, 1)}}
    want["final w"] = expected[-1]["w"] if steps else w0
    assert_matches(got, want, call=call, oracle="torch.optim.SGD, lr as given")
    assert_matches(
        {f"w given to grad_fn on step {k + 1}": c for k, c in enumerate(calls)},
        {f"w given to grad_fn on step {k + 1}": want[f"history[{k}]"] for k in range(steps)},
        call=call,
        oracle="each step's gradient taken at that step's w, history[k] on step k + 1",
    )


def _expect_history(history, steps, shape, call):
    if not isinstance(history, list):
        raise KataFailure(
            f"wrong history\n  called   {call}\n"
            f"  history is {type(history).__name__}, expected a list (the contract): "
            "steps + 1 arrays, w0 first"
        )
    if len(history) != steps + 1:
        size = len(history)
        raise KataFailure(
            f"wrong history\n  called   {call}\n"
            f"  expected steps + 1 = {steps + 1} entries (w0 first, then w after each step), "
            f"got {size}"
            + ("\n  looks like: w0 is missing from the history." if size == steps else "")
            + ("\n  looks like: a loop that stops early" if size < steps else "")
        )
    history = [expect_array(h, f"history[{k}]", shape, call) for k, h in enumerate(history)]
    for k in range(1, len(history)):
        if np.shares_memory(history[k], history[k - 1]):
            raise KataFailure(
                f"wrong history\n  called   {call}\n"
                f"  history[{k - 1}] and history[{k}] are the same array in memory, so every "
                "entry shows the last w.\n  looks like: an in-place update (w -= ...) with the "
                "same array appended each step: append a copy, or write w = w - ..."
            )
    return history


@check(GD_KEY, "gradient_descent with steps=0 returns w0 alone",
       regimes=("hyperparameters", "aliasing", "process"))  # fmt: skip
def gradient_descent_zero_steps(learner, rng):
    _grade_gradient_descent(learner, rng, (3,), 0)


@check(GD_KEY, "gradient_descent reaches the least-squares solution", regimes=("hyperparameters",))
def gradient_descent_least_squares(learner, rng):
    n, d = 40, 3
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    hessian = X.T @ X / n
    lr = 1.0 / np.linalg.eigvalsh(hessian).max()  # stable: below 2 / λ_max

    def mse_gradient(w):
        return X.T @ (X @ w - y) / n

    fn = learner.fn("gradient_descent")
    call = fn.describe(mse_gradient, np.zeros(d), lr, 400)
    w, _ = expect_tuple(fn(mse_gradient, np.zeros(d), lr, 400), ("w", "history"), call)
    expect_array(w, "w", (d,), call)
    best = np.linalg.lstsq(X, y, rcond=None)[0]
    assert_matches(
        {"w after 400 steps": w},
        {"w after 400 steps": best},
        call=call,
        oracle="np.linalg.lstsq, the exact minimiser",
        rtol=1e-6,
        atol=1e-8,
    )
    return (
        f"gradient descent with lr = 1/λ_max = {lr:.3g} reached np.linalg.lstsq's answer; "
        f"above 2/λ_max = {2 * lr:.3g} it would diverge."
    )


# ---------------------------------------------------------------- momentum


def _momentum_cs231n(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    velocity = momentum * velocity - lr * grad
    return w + velocity, velocity


def _momentum_course(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    velocity = momentum * velocity + lr * grad
    return w - velocity, velocity


def _momentum_no_lookahead(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    velocity = momentum * velocity + grad
    return w - lr * velocity, velocity


def _momentum(w, grad, velocity, lr, momentum=0.9, nesterov=False, *, dampening=0.0,
              store_direction=False, no_buffer=False):  # fmt: skip
    """Diagnostics only (the oracle is torch): the step, with switches for its variants.
    (A look-ahead with the old velocity, g + μ·v_old, is no variant: it equals the new v,
    so it is the look-ahead missing.)"""
    if no_buffer and momentum == 0:
        return w - lr * grad, np.zeros_like(velocity)
    new = momentum * velocity + (1 - dampening) * grad
    direction = grad + momentum * new if nesterov else new
    return w - lr * direction, direction if store_direction else new


def _momentum_dampened(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    return _momentum(w, grad, velocity, lr, momentum, nesterov, dampening=momentum)


def _momentum_stores_direction(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    return _momentum(w, grad, velocity, lr, momentum, nesterov, store_direction=True)


def _momentum_no_buffer(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    return _momentum(w, grad, velocity, lr, momentum, nesterov, no_buffer=True)


MOMENTUM = StepKata("sgd_momentum_step", ("velocity",), "SGD", {"momentum": 0.9})
DAMPENED = (
    "dampened velocity, v = μv + (1 − μ)·g, an average of the gradients (torch's "
    "dampening = μ): PyTorch's default dampening is 0, v = μv + g.",
    _momentum_dampened,
)
MOMENTUM_MISTAKES = [
    (
        "right under CS231n's convention (v = μv − lr·g, then w = w + v): same path, other "
        "state. This kata stores PyTorch's buffer: v = μv + g, then w = w − lr·v.",
        _momentum_cs231n,
    ),
    (
        "right under the course's convention (v = μv + lr·g, then w = w − v): same path, other "
        "state. This kata stores PyTorch's buffer: v = μv + g, then w = w − lr·v.",
        _momentum_course,
    ),
    DAMPENED,
    (CLIPPED, _clipped(_momentum)),
]
NESTEROV_MISTAKES = [
    (
        "Nesterov look-ahead missing: with nesterov=True, step along grad + momentum · v "
        "(the new v), not along v.",
        _momentum_no_lookahead,
    ),
    (
        "Nesterov's look-ahead direction returned as the velocity: the state is the buffer "
        "v = μv + g; the direction g + μ·v only moves w.",
        _momentum_stores_direction,
    ),
    DAMPENED,
]
MOMENTUM_ZERO_MISTAKES = [
    falsy_mistake(_momentum, {"momentum": 0.9}),
    (
        "with momentum = 0 the velocity was left at zero: the kata still returns "
        "v = 0·v + g = g (PyTorch keeps no buffer then; the formula does).",
        _momentum_no_buffer,
    ),
    *MOMENTUM_MISTAKES,
]


@check(MOMENTUM_KEY, "matches torch.optim.SGD(momentum=0.9) over 6 steps",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def momentum_default(learner, rng):
    MOMENTUM.grade(
        learner,
        rng,
        steps=6,
        hyper={"lr": 0.05},
        mistakes=MOMENTUM_MISTAKES,
    )


@check(MOMENTUM_KEY, "matches torch.optim.SGD with momentum=0.5, lr=0.2",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def momentum_custom(learner, rng):
    hyper = {"lr": 0.2, "momentum": 0.5}
    MOMENTUM.grade(learner, rng, steps=6, hyper=hyper, mistakes=MOMENTUM_MISTAKES)


@check(MOMENTUM_KEY, "matches torch.optim.SGD(nesterov=True) over 6 steps",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def momentum_nesterov(learner, rng):
    hyper = {"lr": 0.1, "momentum": 0.8, "nesterov": True}
    MOMENTUM.grade(learner, rng, steps=6, hyper=hyper, mistakes=NESTEROV_MISTAKES)


@check(MOMENTUM_KEY, "momentum = 0, with and without nesterov: plain SGD, velocity = grad",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def momentum_zero(learner, rng):
    for nesterov in (False, True):
        hyper = {"lr": 0.1, "momentum": 0.0, "nesterov": nesterov}
        MOMENTUM.grade(learner, rng, steps=3, hyper=hyper, mistakes=MOMENTUM_ZERO_MISTAKES,
                       note="  (w as torch.optim.SGD(momentum=0) moves it; velocity by the "
                       "contract, v = 0·v + g)")  # fmt: skip


@check(MOMENTUM_KEY, "momentum = 0.99, and lr = 0 (w stays, the velocity still builds up)",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def momentum_boundaries(learner, rng):
    for hyper in ({"lr": 0.01, "momentum": 0.99}, {"lr": 0.0, "momentum": 0.9},
                  {"lr": 0.0, "momentum": 0.7, "nesterov": True}):  # fmt: skip
        mistakes = NESTEROV_MISTAKES if hyper.get("nesterov") else MOMENTUM_MISTAKES
        MOMENTUM.grade(learner, rng, steps=4, hyper=hyper, mistakes=mistakes)


@check(MOMENTUM_KEY, "keeps moving where the gradient is exactly zero",
       regimes=("exact values", "aliasing"))  # fmt: skip
def momentum_zero_gradient(learner, rng):
    still = (
        "v = μv + g still decays the velocity and w keeps moving by lr·μv where g = 0: "
        "momentum carries a parameter across a flat stretch."
    )
    grade_on_sparse_gradients(
        MOMENTUM, learner, rng, {"lr": 0.05}, zero_gradient_mistakes(_momentum, 1, still)
    )


@check(MOMENTUM_KEY, "works for shapes (1,) and (2, 3, 4)", regimes=("shapes",))
def momentum_shapes(learner, rng):
    for shape in [(1,), (2, 3, 4)]:
        MOMENTUM.grade(
            learner,
            rng,
            steps=3,
            hyper={"lr": 0.1, "momentum": 0.7},
            mistakes=MOMENTUM_MISTAKES,
            shape=shape,
        )


@check(MOMENTUM_KEY, "non-contiguous w, grad and velocity, heavy ball and nesterov",
       regimes=("layout",))  # fmt: skip
def momentum_layout(learner, rng):
    MOMENTUM.grade_layout(learner, rng, {"lr": 0.1, "momentum": 0.8}, MOMENTUM_MISTAKES)
    MOMENTUM.grade_layout(learner, rng, {"lr": 0.1, "momentum": 0.6, "nesterov": True},
                          NESTEROV_MISTAKES, shape=(2, 3, 2))  # fmt: skip


@check(MOMENTUM_KEY, "gradients from 1e-150 to 1e150 in one array, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def momentum_extremes(learner, rng):
    MOMENTUM.grade_extremes(learner, rng, {"lr": 0.1}, MOMENTUM_MISTAKES)


# ---------------------------------------------------------------- adagrad


def _adagrad(w, grad, sum_sq, lr=1e-2, eps=1e-10, *, eps_inside=False, accumulate=True,
             root=True, eps_floor=False):  # fmt: skip
    """Diagnostics only (the oracle is torch): AdaGrad with switches for its mistakes."""
    sum_sq = sum_sq + grad**2 if accumulate else grad**2
    if eps_inside:
        denominator = np.sqrt(sum_sq + eps)
    elif eps_floor:
        denominator = np.maximum(np.sqrt(sum_sq), eps)
    else:
        denominator = (np.sqrt(sum_sq) if root else sum_sq) + eps
    return w - lr * grad / denominator, sum_sq


def _adagrad_variant(**switches):
    def step(w, grad, sum_sq, lr=1e-2, eps=1e-10):
        return _adagrad(w, grad, sum_sq, lr, eps, **switches)

    return step


def _adagrad_no_eps(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    return _adagrad(w, grad, sum_sq, lr, 0.0)


def _adagrad_default_eps(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    return _adagrad(w, grad, sum_sq, lr, 1e-10)


ADAGRAD_DEFAULTS = {"lr": 1e-2, "eps": 1e-10}
ADAGRAD = StepKata("adagrad_step", ("sum_sq",), "Adagrad", ADAGRAD_DEFAULTS)
EPS_FLOOR = (
    "eps used as a floor, max(sqrt(·), eps): PyTorch adds it, sqrt(·) + eps, which differs "
    "where the root is near eps (tiny gradients)."
)
ADAGRAD_MISTAKES = [
    (
        "eps inside the square root: PyTorch divides by sqrt(sum_sq) + eps.",
        _adagrad_variant(eps_inside=True),
    ),
    (
        "sum_sq holds only the latest grad²: AdaGrad adds every step's grad² to the running sum.",
        _adagrad_variant(accumulate=False),
    ),
    (
        "square root missing: divide by sqrt(sum_sq) + eps, not by sum_sq.",
        _adagrad_variant(root=False),
    ),
    (
        "eps dropped or ignored (the default 1e-10 used): divide by sqrt(sum_sq) + eps, with "
        "the eps given.",
        _adagrad_default_eps,
    ),
    (
        "eps dropped or ignored (no eps at all): divide by sqrt(sum_sq) + eps, with the eps "
        "given. A parameter with no gradient yet has sum_sq = 0, and 0 / sqrt(0) is nan: eps "
        "is there for that.",
        _adagrad_no_eps,
    ),
    (EPS_FLOOR, _adagrad_variant(eps_floor=True)),
    (CLIPPED, _clipped(_adagrad)),
    falsy_mistake(_adagrad, ADAGRAD_DEFAULTS),
]


@check(ADAGRAD_KEY, "matches torch.optim.Adagrad over 6 steps",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adagrad_default(learner, rng):
    ADAGRAD.grade(
        learner,
        rng,
        steps=6,
        hyper={},
        mistakes=ADAGRAD_MISTAKES,
    )


@check(ADAGRAD_KEY, "matches torch.optim.Adagrad with lr=0.3, eps=0.1",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adagrad_custom(learner, rng):
    ADAGRAD.grade(
        learner,
        rng,
        steps=6,
        hyper={"lr": 0.3, "eps": 0.1},
        mistakes=ADAGRAD_MISTAKES,
        shape=(2, 3, 4),
    )


@check(ADAGRAD_KEY, "matches torch on tiny gradients, where eps matters",
       regimes=("extremes", "shapes"))  # fmt: skip
def adagrad_tiny(learner, rng):
    hyper = {"lr": 0.1, "eps": 1e-6}
    ADAGRAD.grade(
        learner, rng, steps=4, hyper=hyper, mistakes=ADAGRAD_MISTAKES, scale=1e-6, shape=(1,)
    )


@check(ADAGRAD_KEY, "lr = 0 (w stays, sum_sq grows), eps = 0 on gradients near 1e-10, eps = 10",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def adagrad_boundaries(learner, rng):
    ADAGRAD.grade(learner, rng, steps=3, hyper={"lr": 0.0}, mistakes=ADAGRAD_MISTAKES)
    # eps = 0: no gradient here is exactly zero (0 / sqrt(0) would be nan, as in torch)
    ADAGRAD.grade(learner, rng, steps=3, hyper={"lr": 0.1, "eps": 0.0}, scale=1e-10,
                  mistakes=ADAGRAD_MISTAKES, note="  (gradients about 1e-10)")  # fmt: skip
    ADAGRAD.grade(learner, rng, steps=3, hyper={"lr": 0.5, "eps": 10.0}, mistakes=ADAGRAD_MISTAKES)


@check(ADAGRAD_KEY, "matches torch where the gradient is exactly zero",
       regimes=("exact values", "aliasing"))  # fmt: skip
def adagrad_zero_gradient(learner, rng):
    # step 3 is all zero: AdaGrad's update is then a true no-op, returned as new arrays
    grade_on_sparse_gradients(ADAGRAD, learner, rng, {}, ADAGRAD_MISTAKES)


@check(ADAGRAD_KEY, "non-contiguous w, grad and sum_sq", regimes=("layout",))
def adagrad_layout(learner, rng):
    ADAGRAD.grade_layout(learner, rng, {"lr": 0.1}, ADAGRAD_MISTAKES)


@check(ADAGRAD_KEY, "gradients from 1e-150 to 1e150 in one array, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def adagrad_extremes(learner, rng):
    ADAGRAD.grade_extremes(learner, rng, {"lr": 0.1}, ADAGRAD_MISTAKES)


# ---------------------------------------------------------------- rmsprop


def _rmsprop(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8, *, eps_inside=False,
             swapped=False, eps_floor=False):  # fmt: skip
    """Diagnostics only (the oracle is torch): RMSprop with switches for its mistakes."""
    keep = 1 - alpha if swapped else alpha
    square_avg = keep * square_avg + (1 - keep) * grad**2
    if eps_inside:
        denominator = np.sqrt(square_avg + eps)
    elif eps_floor:
        denominator = np.maximum(np.sqrt(square_avg), eps)
    else:
        denominator = np.sqrt(square_avg) + eps
    return w - lr * grad / denominator, square_avg


def _rmsprop_variant(**switches):
    def step(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
        return _rmsprop(w, grad, square_avg, lr, alpha, eps, **switches)

    return step


RMSPROP_DEFAULTS = {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}
RMSPROP = StepKata("rmsprop_step", ("square_avg",), "RMSprop", RMSPROP_DEFAULTS)
RMSPROP_MISTAKES = [
    (
        "eps inside the square root: PyTorch divides by sqrt(square_avg) + eps.",
        _rmsprop_variant(eps_inside=True),
    ),
    (
        "alpha and 1 − alpha swapped: alpha weighs the old average, 1 − alpha the new grad².",
        _rmsprop_variant(swapped=True),
    ),
    (EPS_FLOOR, _rmsprop_variant(eps_floor=True)),
    (CLIPPED, _clipped(_rmsprop)),
    falsy_mistake(_rmsprop, RMSPROP_DEFAULTS),
]


@check(RMSPROP_KEY, "matches torch.optim.RMSprop over 6 steps",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def rmsprop_default(learner, rng):
    RMSPROP.grade(
        learner,
        rng,
        steps=6,
        hyper={},
        mistakes=RMSPROP_MISTAKES,
    )


@check(RMSPROP_KEY, "matches torch with alpha=0.9 (Hinton's and Keras's value), lr=0.05",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def rmsprop_alpha(learner, rng):
    hyper = {"lr": 0.05, "alpha": 0.9, "eps": 1e-3}
    RMSPROP.grade(learner, rng, steps=6, hyper=hyper, mistakes=RMSPROP_MISTAKES, shape=(2, 3, 4))


@check(RMSPROP_KEY, "matches torch on tiny gradients, where eps matters",
       regimes=("extremes", "shapes"))  # fmt: skip
def rmsprop_tiny(learner, rng):
    RMSPROP.grade(
        learner,
        rng,
        steps=4,
        hyper={"lr": 0.01, "alpha": 0.9, "eps": 1e-8},
        mistakes=RMSPROP_MISTAKES,
        scale=1e-6,
        shape=(1,),
    )


@check(RMSPROP_KEY, "alpha = 0 (square_avg = grad²), alpha = 0.999, lr = 0, eps = 0",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def rmsprop_boundaries(learner, rng):
    for hyper in ({"lr": 0.01, "alpha": 0.0}, {"lr": 0.01, "alpha": 0.999}, {"lr": 0.0},
                  {"lr": 0.01, "alpha": 0.9, "eps": 0.0}):  # fmt: skip
        RMSPROP.grade(learner, rng, steps=3, hyper=hyper, mistakes=RMSPROP_MISTAKES,
                      scale=1e-8 if hyper.get("eps") == 0 else 1.0)  # fmt: skip


@check(RMSPROP_KEY, "matches torch where the gradient is exactly zero",
       regimes=("exact values", "aliasing"))  # fmt: skip
def rmsprop_zero_gradient(learner, rng):
    still = "square_avg still decays, to alpha·square_avg, on a step whose gradient is 0."
    grade_on_sparse_gradients(
        RMSPROP, learner, rng, {}, [*zero_gradient_mistakes(_rmsprop, 1, still), *RMSPROP_MISTAKES]
    )


@check(RMSPROP_KEY, "non-contiguous w, grad and square_avg", regimes=("layout",))
def rmsprop_layout(learner, rng):
    RMSPROP.grade_layout(learner, rng, {"lr": 0.05, "alpha": 0.9}, RMSPROP_MISTAKES)


@check(RMSPROP_KEY, "gradients from 1e-150 to 1e150 in one array, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def rmsprop_extremes(learner, rng):
    RMSPROP.grade_extremes(learner, rng, {"lr": 0.05, "alpha": 0.9}, RMSPROP_MISTAKES)


# ---------------------------------------------------------------- adam


def _adam(
    w,
    grad,
    m,
    v,
    t,
    lr,
    beta1,
    beta2,
    eps,
    *,
    correct=True,
    t_shift=0,
    eps_inside=False,
    abs_grad=False,
    eps_floor=False,
    swapped=False,
    corrected_state=False,
):
    """Adam with switches for its classic mistakes (diagnostics only, never the oracle)."""
    if swapped:
        beta1, beta2 = beta2, beta1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (np.abs(grad) if abs_grad else grad**2)
    if correct:
        m_hat, v_hat = m / (1 - beta1 ** (t + t_shift)), v / (1 - beta2 ** (t + t_shift))
    else:
        m_hat, v_hat = m, v
    if eps_inside:
        denominator = np.sqrt(v_hat + eps)
    elif eps_floor:
        denominator = np.maximum(np.sqrt(v_hat), eps)
    else:
        denominator = np.sqrt(v_hat) + eps
    new_w = w - lr * m_hat / denominator
    return (new_w, m_hat, v_hat) if corrected_state else (new_w, m, v)


def _adam_variant(**switches):
    def step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return _adam(w, grad, m, v, t, lr, beta1, beta2, eps, **switches)

    return step


ADAM = StepKata("adam_step", ("m", "v"), "Adam", ADAM_DEFAULTS, takes_t=True)
CORRECTED_STATE = (
    "the bias-corrected m_hat and v_hat returned as the new state: return m and v as "
    "stored (uncorrected); the correction is recomputed from t on every step."
)
BETAS_SWAPPED = (
    "beta1 and beta2 swapped: beta1 weighs the old first moment m (the gradient's average), "
    "beta2 the old second moment v (grad²'s average)."
)
ADAM_MISTAKES = [
    (
        "this is Adam without bias correction: divide m by 1 − beta1**t and v by "
        "1 − beta2**t before the step.",
        _adam_variant(correct=False),
    ),
    (
        "eps inside the square root: PyTorch divides by sqrt(v_hat) + eps.",
        _adam_variant(eps_inside=True),
    ),
    (
        "t counted from 0: the first call has t = 1, so correct by 1 − beta**t, not "
        "1 − beta**(t + 1).",
        _adam_variant(t_shift=1),
    ),
    (
        "|g| in place of g²: the second moment averages the squared gradient.",
        _adam_variant(abs_grad=True),
    ),
    (CORRECTED_STATE, _adam_variant(corrected_state=True)),
    (BETAS_SWAPPED, _adam_variant(swapped=True)),
    (EPS_FLOOR, _adam_variant(eps_floor=True)),
    (CLIPPED, _clipped(_adam_variant())),
    falsy_mistake(_adam_variant(), ADAM_DEFAULTS),
]


@check(ADAM_KEY, "matches torch.optim.Adam over 5 steps", regimes=("hyperparameters", "shapes"))
def adam_default(learner, rng):
    ADAM.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAM_MISTAKES,
    )


@check(ADAM_KEY, "matches torch with beta1=0.8, beta2=0.95, eps=1e-3, lr=0.1",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adam_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3}
    ADAM.grade(learner, rng, steps=8, hyper=hyper, mistakes=ADAM_MISTAKES, shape=(2, 3, 4))


@check(ADAM_KEY, "matches torch on tiny gradients, where eps matters",
       regimes=("extremes", "shapes"))  # fmt: skip
def adam_tiny(learner, rng):
    ADAM.grade(
        learner,
        rng,
        steps=4,
        hyper={**ADAM_DEFAULTS, "lr": 0.01},
        mistakes=ADAM_MISTAKES,
        scale=1e-6,
        shape=(1,),
    )


@check(ADAM_KEY, "beta1 = 0, beta2 = 0, beta2 = 0.9999, lr = 0 (m and v still update)",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def adam_boundaries(learner, rng):
    for hyper in ({"lr": 0.05, "beta1": 0.0}, {"lr": 0.05, "beta2": 0.0},
                  {"lr": 0.05, "beta2": 0.9999}, {"lr": 0.0}):  # fmt: skip
        ADAM.grade(learner, rng, steps=3, hyper=hyper, mistakes=ADAM_MISTAKES)


def _mid_training_state(rng, shape):
    """m and v as a long run leaves them: m of either sign, v positive."""
    return (0.3 * rng.normal(size=shape), rng.uniform(0.05, 1.0, size=shape))


@check(ADAM_KEY, "mid-training: t = 1000 and t = 10, m and v from earlier steps",
       regimes=("hyperparameters",))  # fmt: skip
def adam_mid_training(learner, rng):
    # at t = 1000, 1 − beta1**t ≈ 1 but 1 − beta2**t ≈ 0.63: the correction still matters
    for t0 in (999, 9):
        shape = random_shape(rng)
        ADAM.grade(learner, rng, steps=3, hyper={"lr": 0.01}, mistakes=ADAM_MISTAKES,
                   shape=shape, state0=_mid_training_state(rng, shape), t0=t0)  # fmt: skip


@check(ADAM_KEY, "keeps moving where the gradient is exactly zero",
       regimes=("exact values", "aliasing"))  # fmt: skip
def adam_zero_gradient(learner, rng):
    still = (
        "m and v still decay, and w keeps moving by lr·m_hat / (sqrt(v_hat) + eps) while m is "
        "nonzero (torch.optim.Adam is dense; SparseAdam and LazyAdam are other optimizers)."
    )
    grade_on_sparse_gradients(
        ADAM, learner, rng, {}, [*zero_gradient_mistakes(_adam_variant(), 2, still), *ADAM_MISTAKES]
    )


@check(ADAM_KEY, "first step moves every weight by about lr (bias correction)",
       regimes=("hyperparameters",))  # fmt: skip
def adam_first_step(learner, rng):
    w, grad = rng.normal(size=(6,)), rng.normal(size=(6,))
    lr = 0.01
    fn = learner.fn("adam_step")
    call = fn.describe(w, grad, np.zeros(6), np.zeros(6), 1, lr=lr)
    result = expect_tuple(fn(w, grad, np.zeros(6), np.zeros(6), 1, lr=lr), ADAM.outputs, call)
    new_w = expect_array(result[0], "w", (6,), call)
    moved = np.abs(new_w - w)
    # exactly lr·|g|/(|g| + eps): about lr, unless |g| is small enough for eps to show
    # (seed 178 drew |g| ≈ 1e-4, where a tolerance around lr itself failed the solution)
    if not np.allclose(moved, lr * np.abs(grad) / (np.abs(grad) + 1e-8), rtol=1e-8, atol=0):
        raise KataFailure(
            f"wrong first step\n  called   {call}\n"
            f"  |w_new − w| = {np.array2string(moved, precision=4)}\n"
            f"  expected about lr = {lr} for every weight: at t = 1 the corrected moments are "
            "m_hat = g and v_hat = g², so the step is lr·g/|g|. Without bias correction it "
            f"would be lr·(1 − beta1)/sqrt(1 − beta2) ≈ {lr * 0.1 / np.sqrt(0.001):.3g}."
        )
    return "Adam's first step has size ≈ lr whatever the gradient's scale: that is bias correction."


@check(ADAM_KEY, "non-contiguous w, grad, m and v", regimes=("layout",))
def adam_layout(learner, rng):
    ADAM.grade_layout(learner, rng, {"lr": 0.05}, ADAM_MISTAKES)


@check(ADAM_KEY, "gradients from 1e-150 to 1e150 in one array, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def adam_extremes(learner, rng):
    ADAM.grade_extremes(learner, rng, {"lr": 0.05}, ADAM_MISTAKES)


# ---------------------------------------------------------------- adamw


def _adamw(
    w,
    grad,
    m,
    v,
    t,
    lr=1e-3,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    weight_decay=1e-2,
    *,
    decay="decoupled",
    **switches,
):
    """Diagnostics only: 'decoupled' (AdamW), 'gradient' (Adam + L2), 'unscaled' (w −= λw),
    'after' (the decay applied to the w the Adam step gives); switches go to _adam."""
    if decay == "gradient":
        grad = grad + weight_decay * w
    elif decay == "unscaled":
        w = w - weight_decay * w
    elif decay == "decoupled":
        w = w * (1 - lr * weight_decay)
    new_w, *state = _adam(w, grad, m, v, t, lr, beta1, beta2, eps, **switches)
    if decay == "after":
        new_w = new_w * (1 - lr * weight_decay)
    return (new_w, *state)


def _adamw_variant(decay, **switches):
    def step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        return _adamw(w, grad, m, v, t, lr, beta1, beta2, eps, weight_decay, decay=decay,
                      **switches)  # fmt: skip

    return step


ADAMW_DEFAULTS = {**ADAM_DEFAULTS, "weight_decay": 1e-2}
ADAMW = StepKata("adamw_step", ("m", "v"), "AdamW", ADAMW_DEFAULTS, takes_t=True)
ADAM_L2 = StepKata(
    "adam_l2_step",
    ("m", "v"),
    "Adam",
    ADAMW_DEFAULTS,
    takes_t=True,
    oracle="torch.optim.Adam with weight_decay",
)


def _shared_mistakes(decay):
    """The mistakes of the Adam step inside either function."""
    return [
        (CORRECTED_STATE, _adamw_variant(decay, corrected_state=True)),
        (BETAS_SWAPPED, _adamw_variant(decay, swapped=True)),
        (
            "this is Adam without bias correction: divide m by 1 − beta1**t and v by "
            "1 − beta2**t before the step.",
            _adamw_variant(decay, correct=False),
        ),
        (EPS_FLOOR, _adamw_variant(decay, eps_floor=True)),
        (CLIPPED, _clipped(_adamw_variant(decay))),
        falsy_mistake(_adamw_variant(decay), ADAMW_DEFAULTS),
    ]


ADAMW_MISTAKES = [
    (
        "decay added to the gradient: that is Adam with L2 (adam_l2_step). AdamW shrinks w "
        "directly: w = w − lr·weight_decay·w, then the Adam step with the raw gradient.",
        _adamw_variant("gradient"),
    ),
    (
        "decay not scaled by lr: PyTorch's AdamW shrinks w by lr·weight_decay·w, not by "
        "weight_decay·w.",
        _adamw_variant("unscaled"),
    ),
    (
        "decay applied after the Adam step: PyTorch's AdamW shrinks the w it was given, "
        "w·(1 − lr·weight_decay), and then takes the Adam step from there.",
        _adamw_variant("after"),
    ),
    *_shared_mistakes("decoupled"),
]
ADAM_L2_MISTAKES = [
    (
        "this is AdamW's decoupled decay: adam_l2_step adds weight_decay·w to the gradient "
        "before the moments, as torch.optim.Adam(weight_decay=...) does.",
        _adamw_variant("decoupled"),
    ),
    *_shared_mistakes("gradient"),
]


@check(ADAMW_KEY, "adamw_step matches torch.optim.AdamW over 5 steps",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adamw_default(learner, rng):
    ADAMW.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAMW_MISTAKES,
    )


@check(ADAMW_KEY, "adamw_step matches torch with weight_decay=0.3, betas (0.8, 0.95)",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adamw_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3}
    ADAMW.grade(learner, rng, steps=6, hyper=hyper, mistakes=ADAMW_MISTAKES, shape=(2, 3, 4))


@check(ADAMW_KEY, "adamw_step decays and moves w where the gradient is exactly zero",
       regimes=("exact values", "aliasing"))  # fmt: skip
def adamw_zero_gradient(learner, rng):
    still = (
        "w still shrinks by lr·weight_decay·w, and m and v still decay and keep moving w, "
        "when the gradient is 0."
    )
    grade_on_sparse_gradients(
        ADAMW,
        learner,
        rng,
        {},
        [*zero_gradient_mistakes(_adamw_variant("decoupled"), 2, still), *ADAMW_MISTAKES],
    )


@check(ADAMW_KEY, "adam_l2_step matches torch.optim.Adam(weight_decay=0.01)",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adam_l2_default(learner, rng):
    ADAM_L2.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAM_L2_MISTAKES,
    )


@check(ADAMW_KEY, "adam_l2_step matches torch with weight_decay=0.3, betas (0.8, 0.95)",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def adam_l2_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3}
    ADAM_L2.grade(learner, rng, steps=6, hyper=hyper, mistakes=ADAM_L2_MISTAKES, shape=(2, 3, 4))


@check(ADAMW_KEY, "weight_decay = 0 (plain Adam), lr·weight_decay = 1, lr = 0, beta1 = 0",
       regimes=("hyperparameters", "aliasing"))  # fmt: skip
def adamw_boundaries(learner, rng):
    for hyper in ({"lr": 0.05, "weight_decay": 0.0}, {"lr": 0.1, "weight_decay": 10.0},
                  {"lr": 0.0, "weight_decay": 0.5}, {"lr": 0.05, "beta1": 0.0}):  # fmt: skip
        ADAMW.grade(learner, rng, steps=3, hyper=hyper, mistakes=ADAMW_MISTAKES)
    for hyper in ({"lr": 0.05, "weight_decay": 0.0}, {"lr": 0.0, "weight_decay": 0.5}):
        ADAM_L2.grade(learner, rng, steps=3, hyper=hyper, mistakes=ADAM_L2_MISTAKES)


@check(ADAMW_KEY, "both at t = 1000, m and v from earlier steps", regimes=("hyperparameters",))
def adamw_mid_training(learner, rng):
    for kata, mistakes in ((ADAMW, ADAMW_MISTAKES), (ADAM_L2, ADAM_L2_MISTAKES)):
        shape = random_shape(rng)
        kata.grade(learner, rng, steps=3, hyper={"lr": 0.01, "weight_decay": 0.1},
                   mistakes=mistakes, shape=shape, state0=_mid_training_state(rng, shape),
                   t0=999)  # fmt: skip


@check(ADAMW_KEY, "both on non-contiguous w, grad, m and v", regimes=("layout",))
def adamw_layout(learner, rng):
    ADAMW.grade_layout(learner, rng, {"lr": 0.05, "weight_decay": 0.1}, ADAMW_MISTAKES)
    ADAM_L2.grade_layout(learner, rng, {"lr": 0.05, "weight_decay": 0.1}, ADAM_L2_MISTAKES)


@check(ADAMW_KEY, "both on gradients from 1e-150 to 1e150, weights offset by 1e6",
       regimes=("extremes",))  # fmt: skip
def adamw_extremes(learner, rng):
    ADAMW.grade_extremes(learner, rng, {"lr": 0.05, "weight_decay": 0.1}, ADAMW_MISTAKES)
    # Adam + L2 on weights near 1e6: the penalty's gradient, 0.1·w, joins the gradient
    ADAM_L2.grade_extremes(learner, rng, {"lr": 0.05, "weight_decay": 0.1}, ADAM_L2_MISTAKES)


@check(ADAMW_KEY, "AdamW decays every weight; Adam + L2 spares large gradients",
       regimes=("hyperparameters",))  # fmt: skip
def adamw_versus_l2(learner, rng):
    """The point of Q32, measured on the learner's own two functions."""
    w = rng.uniform(1.0, 2.0, size=2)
    grad = np.array([100.0, 1e-3])  # one weight with a large gradient, one with a tiny one
    hyper = {"lr": 0.01, "weight_decay": 0.1}
    decay = {}
    for name in ("adamw_step", "adam_l2_step"):
        fn = learner.fn(name)
        zeros = (np.zeros(2), np.zeros(2))
        call = fn.describe(w, grad, *zeros, 1, **hyper)
        with_decay = expect_tuple(fn(w, grad, *zeros, 1, **hyper), ADAMW.outputs, call)[0]
        without = expect_tuple(
            fn(w, grad, *zeros, 1, **{**hyper, "weight_decay": 0.0}), ADAMW.outputs, call
        )[0]
        # how much further toward zero the decay moved each weight
        decay[name] = expect_array(without, "w", (2,), call) - expect_array(
            with_decay, "w", (2,), call
        )
    expected_adamw = hyper["lr"] * hyper["weight_decay"] * w
    assert_matches(
        {"AdamW's decay of each weight": decay["adamw_step"]},
        {"AdamW's decay of each weight": expected_adamw},
        call="adamw_step(w, grad=[100, 0.001], zeros, zeros, t=1, lr=0.01, "
        "weight_decay=0.1) minus the same with weight_decay=0",
        oracle="lr·weight_decay·w, whatever the gradient",
    )
    spared = abs(decay["adam_l2_step"][0])
    if not spared < 0.01 * expected_adamw[0]:
        raise KataFailure(
            "adam_l2_step decayed the large-gradient weight by "
            f"{spared:.3g}, expected far less than AdamW's {expected_adamw[0]:.3g}: in Adam + L2 "
            "the penalty's gradient is divided by sqrt(v_hat), which is large for that weight."
        )
    return (
        f"with grad = [100, 0.001], AdamW decayed the weights by "
        f"{np.array2string(decay['adamw_step'], precision=3)}, Adam + L2 by "
        f"{np.array2string(decay['adam_l2_step'], precision=3)}: L2 barely touches "
        "weights with large gradients."
    )


# ---------------------------------------------------------------- newton


def _logistic_problem(rng, n, d, logit_scale=1.0):
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d) * logit_scale
    y = (rng.uniform(size=n) < 0.5).astype(float)
    return X, y, w


def _logistic_variant(kind):
    """Diagnostics only: classic slips in the gradient or Hessian of the logistic loss."""

    def compute(X, y, w):
        z = X @ w
        p = 1 / (1 + np.exp(-z))
        n = len(y)
        loss = np.mean(np.logaddexp(0, z) - y * z)
        grad = X.T @ (p - y) / n
        H = (X * (p * (1 - p))[:, None]).T @ X / n
        if kind == "sum":
            return {"loss": loss * n, "grad": grad * n, "H": H * n}
        if kind == "no weights":
            return {"loss": loss, "grad": grad, "H": X.T @ X / n}
        if kind == "sign":
            return {"loss": loss, "grad": -grad, "H": H}
        raise ValueError(kind)

    return compute


LOGISTIC_MISTAKES = [
    (
        "summed over the batch instead of averaged: divide the loss, gradient and Hessian by N.",
        "sum",
    ),
    ("Hessian without the p(1 − p) weights: H = Xᵀ diag(p(1 − p)) X / N.", "no weights"),
    ("gradient sign flipped: the gradient of the loss is Xᵀ(p − y)/N.", "sign"),
]


def _grade_logistic(learner, X, y, w, note="", compare=("loss", "grad", "H")):
    fn = learner.fn("logistic_loss_grad_hessian")
    call = fn.describe(X, y, w) + note
    loss, grad, H = expect_tuple(fn(X, y, w), ("loss", "grad", "H"), call)
    got = {
        "loss": expect_float(loss, "loss", call),
        "grad": expect_array(grad, "grad", w.shape, call),
        "H": expect_array(H, "H", (len(w), len(w)), call),
    }
    copies = (np.array(a) for a in (X, y, w))  # torch takes no negative strides
    expected = dict(zip(("loss", "grad", "H"), reference.logistic_loss_grad_hessian(*copies)))

    def only(outputs):
        return {k: outputs[k] for k in compare}

    mistakes = [
        Mistake(says, lambda kind=kind: only(_logistic_variant(kind)(X, y, w)))
        for says, kind in LOGISTIC_MISTAKES
    ]
    assert_matches(
        only(got),
        only(expected),
        call=call,
        oracle="F.binary_cross_entropy_with_logits, autograd and torch.autograd.functional.hessian",
        mistakes=mistakes,
    )


@check(NEWTON_KEY, "loss, gradient and Hessian match torch autograd", regimes=("shapes",))
def logistic_matches(learner, rng):
    n, d = int(rng.integers(10, 30)), int(rng.integers(2, 6))
    _grade_logistic(learner, *_logistic_problem(rng, n, d))


@check(NEWTON_KEY, "loss, gradient and Hessian for a single sample (N = 1)", regimes=("shapes",))
def logistic_single(learner, rng):
    _grade_logistic(learner, *_logistic_problem(rng, 1, 3))


@check(NEWTON_KEY, "one feature (D = 1), and a square X (N = D)", regimes=("shapes",))
def logistic_small_shapes(learner, rng):
    _grade_logistic(learner, *_logistic_problem(rng, 7, 1))
    _grade_logistic(learner, *_logistic_problem(rng, 4, 4))


@check(NEWTON_KEY, "at w = 0 (every p = 1/2), with a row of zeros and all labels 1",
       regimes=("exact values",))  # fmt: skip
def logistic_at_zero(learner, rng):
    X = rng.normal(size=(6, 3))
    X[int(rng.integers(6))] = 0.0  # a sample whose logit is 0 whatever w is
    _grade_logistic(learner, X, np.ones(6), np.zeros(3), note="  (w = 0: every logit is 0)")


@check(NEWTON_KEY, "loss and gradient stay finite and exact for logits up to ±1000",
       regimes=("extremes",))  # fmt: skip
def logistic_large_logits(learner, rng):
    X, y, w = _logistic_problem(rng, 12, 3)
    w = w / np.linalg.norm(w)
    X = X * (1000.0 / np.abs(X @ w).max())
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # H is left out here: at |z| > 30 even autograd's p(1 − p) loses most digits.
        _grade_logistic(
            learner,
            X,
            y,
            w,
            note="  (|X @ w| up to 1000: compute log(1 + exp(z)) without overflow, "
            "e.g. with np.logaddexp)",
            compare=("loss", "grad"),
        )


@check(NEWTON_KEY, "loss, gradient, Hessian and step on non-contiguous X, y, w, grad and H",
       regimes=("layout",))  # fmt: skip
def newton_layout(learner, rng):
    n, d = int(rng.integers(6, 12)), int(rng.integers(2, 5))
    X, y, w = _logistic_problem(rng, n, d)
    note = "  (X a transposed view, y and w strided and reversed views)"
    _grade_logistic(learner, laid_out(X, "transposed"), laid_out(y, "strided"),
                    laid_out(w, "reversed"), note=note)  # fmt: skip
    grad, H = rng.normal(size=d), _spd(rng, d)
    _grade_newton_step(learner, laid_out(w, "strided"), laid_out(grad, "reversed"),
                       laid_out(H, "transposed"), 0.1,
                       note="  (w strided, grad reversed, H a transposed view)")  # fmt: skip


def _newton(w, grad, H, damping=0.0, *, sign=-1, use_damping=True, normal_equations=False):
    """Diagnostics only (the oracle is torch): the damped Newton step and its mistakes."""
    A = H + (damping if use_damping else 0.0) * np.eye(len(w))
    d = np.linalg.solve(A.T @ A, A.T @ grad) if normal_equations else np.linalg.solve(A, grad)
    return w + sign * d


NEWTON_MISTAKES = [
    (
        "step sign flipped: the Newton step is w − d with (H + damping·I) d = grad.",
        lambda w, grad, H, damping=0.0: _newton(w, grad, H, damping, sign=1),
    ),
    (
        "damping ignored: solve (H + damping·I) d = grad.",
        lambda w, grad, H, damping=0.0: _newton(w, grad, H, damping, use_damping=False),
    ),
    (
        "solved the normal equations (AᵀA) d = Aᵀ grad, A = H + damping·I: that squares the "
        "condition number; solve A d = grad directly.",
        lambda w, grad, H, damping=0.0: _newton(w, grad, H, damping, normal_equations=True),
    ),
]


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.1 * np.eye(d)


def _ill_conditioned(rng, d, condition):
    """A symmetric positive definite H with eigenvalues from 1/condition to 1."""
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    H = (Q * np.logspace(-np.log10(condition), 0, d)) @ Q.T
    return (H + H.T) / 2


def _grade_newton_step(learner, w, grad, H, damping, note="", rtol=1e-8, atol=1e-12):
    fn = learner.fn("newton_step")
    call = fn.describe(w, grad, H, damping=damping) + note
    got = expect_array(fn(w, grad, H, damping=damping), "w", (len(w),), call)
    mistakes = [Mistake(says, lambda m=m: {"w": m(w, grad, H, damping)})
                for says, m in NEWTON_MISTAKES]  # fmt: skip
    assert_matches(
        {"w": got},
        {"w": reference.damped_newton_step(*(np.array(a) for a in (w, grad, H)), damping)},
        call=call,
        oracle="w − torch.linalg.solve(H + damping·I, grad)",
        mistakes=mistakes,
        rtol=rtol,
        atol=atol,
    )


@check(NEWTON_KEY, "newton_step matches torch.linalg.solve, damping 0 and 0.5",
       regimes=("hyperparameters", "shapes"))  # fmt: skip
def newton_step_matches(learner, rng):
    for damping in (0.0, 0.5):
        d = int(rng.integers(2, 6))
        w, grad, H = rng.normal(size=d), rng.normal(size=d), _spd(rng, d)
        _grade_newton_step(learner, w, grad, H, damping)


@check(NEWTON_KEY, "newton_step with damping 1e6 (a short gradient step), D = 1, a zero gradient",
       regimes=("hyperparameters", "shapes", "exact values", "aliasing"))  # fmt: skip
def newton_step_boundaries(learner, rng):
    d = int(rng.integers(2, 6))
    w, grad, H = rng.normal(size=d), rng.normal(size=d), _spd(rng, d)
    _grade_newton_step(learner, w, grad, H, 1e6, note="  (d ≈ grad / 1e6)")
    _grade_newton_step(learner, rng.normal(size=1), rng.normal(size=1), _spd(rng, 1), 0.0)
    # at a minimum there is nothing to do: w − 0, still a new array
    _grade_newton_step(learner, w, np.zeros(d), H, 0.0, note="  (a zero gradient)")


@check(NEWTON_KEY, "newton_step on an ill-conditioned H (condition number 1e7)",
       regimes=("extremes", "hyperparameters"))  # fmt: skip
def newton_step_ill_conditioned(learner, rng):
    # The tolerance is 1e-8 of the step's scale. Over 2000 seeds, LU (np.linalg.solve),
    # Cholesky and lstsq stay within 0.07 of it; the normal equations, which square the
    # condition number to 1e14, miss by at least 47 times it at damping 0 (1.5 times at
    # damping 1e-6, where the damped H is better conditioned: damping 0 comes first).
    d = 5
    for damping in (0.0, 1e-6):
        w, grad, H = rng.normal(size=d), rng.normal(size=d), _ill_conditioned(rng, d, 1e7)
        scale = float(np.abs(reference.damped_newton_step(w, grad, H, damping)).max())
        _grade_newton_step(learner, w, grad, H, damping, atol=1e-8 * scale,
                           note="  (H's eigenvalues from 1e-7 to 1)")  # fmt: skip


@check(NEWTON_KEY, "newton_step solves the system instead of inverting H",
       regimes=("hyperparameters",))  # fmt: skip
def newton_step_no_inverse(learner, rng):
    fn = learner.fn("newton_step")
    d = 4
    w, grad, H = rng.normal(size=d), rng.normal(size=d), _spd(rng, d)
    inverted = learner.drive(
        "graders.drivers.optimizers:inverses_called", w, grad, H, what=fn.describe(w, grad, H)
    )
    if isinstance(inverted, list) and inverted:
        raise KataFailure(
            f"newton_step called np.linalg.{inverted[0]!s:.20}\n  called   {fn.describe(w, grad, H)}\n"
            "  Forming the inverse costs more and loses accuracy on ill-conditioned H: solve "
            "(H + damping·I) d = grad with np.linalg.solve instead."
        )


@check(NEWTON_KEY, "Newton converges on logistic regression in a few steps",
       regimes=("hyperparameters",))  # fmt: skip
def newton_converges(learner, rng):
    # labels drawn from a mild logistic model: never separable, so the minimum exists
    X = np.column_stack([rng.normal(size=(200, 3)), np.ones(200)])
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-0.5 * (X @ rng.normal(size=4))))).astype(float)
    loss_fn, step_fn = learner.fn("logistic_loss_grad_hessian"), learner.fn("newton_step")
    w, norms = np.zeros(4), []
    for _ in range(8):
        call = loss_fn.describe(X, y, w)
        _, grad, H = expect_tuple(loss_fn(X, y, w), ("loss", "grad", "H"), call)
        grad, H = expect_array(grad, "grad", (4,), call), expect_array(H, "H", (4, 4), call)
        norms.append(float(np.linalg.norm(grad)))
        call = step_fn.describe(w, grad, H, damping=1e-8)
        w = expect_array(step_fn(w, grad, H, damping=1e-8), "w", (4,), call)
    _, exp_grad, _ = reference.logistic_loss_grad_hessian(X, y, w)
    if not np.linalg.norm(exp_grad) < 1e-8:
        raise KataFailure(
            "8 Newton steps from w = 0 on a 200-sample logistic regression did not reach the "
            f"minimum: |grad| (by autograd) is {np.linalg.norm(exp_grad):.3g}, expected < 1e-8.\n"
            f"  |grad| before each step: {', '.join(f'{g:.2g}' for g in norms)}"
        )
    return (
        "Newton's |grad| before each step: "
        + ", ".join(f"{g:.1e}" for g in norms[:6])
        + ": the error roughly squares each step near the minimum (quadratic convergence)."
    )
