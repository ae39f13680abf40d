"""Graders of 03_optimizers: each step function against torch.optim over several steps.

The gradient at each step comes from a random quadratic with per-step noise and
depends on the current w, so an error compounds visibly over the steps.
Hyperparameters are moved away from their defaults in at least one check of
every kata, so an ignored argument fails.
"""

from __future__ import annotations

import numpy as np

from graders.engine import reference
from graders.engine.checks import Mistake, assert_matches, expect_array, expect_float, expect_tuple
from graders.engine.learner import KataFailure
from graders.engine.registry import check

ADAM_DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


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


# ---------------------------------------------------------------- one step function, many steps


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

    def trajectory(self, step_fn, w0, grad_fn, steps, hyper, validate_call=None) -> dict:
        """Labelled outputs of `steps` calls, feeding each call's state to the next."""
        w, state = w0, [np.zeros_like(w0) for _ in self.state]
        got = {}
        for t in range(1, steps + 1):
            args = (w, grad_fn(w, t), *state) + ((t,) if self.takes_t else ())
            result = step_fn(*args, **hyper)
            if len(self.outputs) == 1:
                result = (result,)
            elif validate_call:
                result = expect_tuple(result, self.outputs, validate_call)
            if validate_call:
                result = [
                    expect_array(r, name, w0.shape, validate_call)
                    for r, name in zip(result, self.outputs, strict=True)
                ]
            w, *state = result
            for name, value in zip(self.outputs, result, strict=True):
                got[f"{name} after step {t}"] = value
        return got

    def oracle_trajectory(self, w0, grad_fn, steps, hyper) -> dict:
        snapshots = reference.run_torch_optimizer(
            self.torch_kind, w0, grad_fn, steps, **{**self.defaults, **hyper}
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
    ):
        """Run the learner's step function and the oracle on the same problem; compare.

        gradient(rng, shape, steps, scale) -> grad_fn(w, step) makes the problem.
        """
        shape = shape or random_shape(rng)
        w0 = rng.normal(size=shape)
        grad_fn = gradient(rng, shape, steps, scale)
        fn = learner.fn(self.function)
        first_args = (w0, grad_fn(w0, 1), *[np.zeros(shape)] * len(self.state))
        call = fn.describe(*first_args, *((1,) if self.takes_t else ()), **hyper)
        if steps > 1:
            t_note = " with t = 2, 3, ..." if self.takes_t else ""
            call += f", then {steps - 1} more calls fed its own {', '.join(self.outputs)}{t_note}"
        call += note
        got = self.trajectory(fn, w0, grad_fn, steps, hyper, validate_call=call)
        expected = self.oracle_trajectory(w0, grad_fn, steps, hyper)
        known = [
            Mistake(says, lambda step=step: self.trajectory(step, w0, grad_fn, steps, hyper))
            for says, step in mistakes
        ]
        assert_matches(got, expected, call=call, oracle=self.oracle, mistakes=known)


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


def _gd_sign_flipped(w, grad, lr):
    return w + lr * grad


def _gd_lr_ignored(w, grad, lr):
    return w - grad


GD = StepKata("gd_step", (), "SGD", oracle="torch.optim.SGD (no momentum)")
GD_MISTAKES = [
    ("a step up the gradient (w + lr·grad): descent moves against it.", _gd_sign_flipped),
    ("lr ignored: the step must be lr · grad.", _gd_lr_ignored),
]


@check("03_optimizers/gradient_descent", "gd_step matches torch.optim.SGD")
def gd_step_matches(learner, rng):
    GD.grade(
        learner, rng, steps=1, hyper={"lr": float(rng.uniform(0.05, 0.5))}, mistakes=GD_MISTAKES
    )


@check("03_optimizers/gradient_descent", "gradient_descent matches torch.optim.SGD over 8 steps")
def gradient_descent_matches(learner, rng):
    _grade_gradient_descent(learner, rng, random_shape(rng), 8)


@check("03_optimizers/gradient_descent", "gradient_descent on a (3, 2) matrix of weights")
def gradient_descent_matrix(learner, rng):
    # w0 "of any shape": a weight matrix, not only the vector a quick test passes
    _grade_gradient_descent(learner, rng, (3, 2), 3)


def _grade_gradient_descent(learner, rng, shape, steps):
    lr = float(rng.uniform(0.05, 0.3))
    w0 = rng.normal(size=shape)
    grad_fn = quadratic_gradient(rng, shape, steps)
    calls = []

    def learner_grad_fn(w):
        calls.append(np.array(w, copy=True))
        return grad_fn(w, len(calls))

    fn = learner.fn("gradient_descent")
    call = fn.describe(learner_grad_fn, w0, lr, steps)
    w, history = expect_tuple(fn(learner_grad_fn, w0, lr, steps), ("w", "history"), call)
    expect_array(w, "w", shape, call)
    history = _expect_history(history, steps, shape, call)
    expected = reference.run_torch_optimizer("SGD", w0, grad_fn, steps, lr=lr)
    got = {f"history[{k}]": h for k, h in enumerate(history)}
    got["final w"] = w
    want = {"history[0]": w0, **{f"history[{k}]": s["w"] for k, s in enumerate(expected, 1)}}
    want["final w"] = expected[-1]["w"]
    assert_matches(got, want, call=call, oracle="torch.optim.SGD, lr as given")


def _expect_history(history, steps, shape, call):
    if not isinstance(history, (list, tuple, np.ndarray)) or len(history) != steps + 1:
        size = len(history) if hasattr(history, "__len__") else "no"
        raise KataFailure(
            f"wrong history\n  called   {call}\n"
            f"  expected steps + 1 = {steps + 1} entries (w0 first, then w after each step), "
            f"got {size}"
            + ("\n  looks like: w0 is missing from the history." if size == steps else "")
        )
    history = [
        expect_array(np.asarray(h), f"history[{k}]", shape, call) for k, h in enumerate(history)
    ]
    for k in range(1, len(history)):
        if np.shares_memory(history[k], history[k - 1]):
            raise KataFailure(
                f"wrong history\n  called   {call}\n"
                f"  history[{k - 1}] and history[{k}] are the same array in memory, so every "
                "entry shows the last w.\n  looks like: an in-place update (w -= ...) with the "
                "same array appended each step: append a copy, or write w = w - ..."
            )
    return history


@check("03_optimizers/gradient_descent", "gradient_descent with steps=0 returns w0 alone")
def gradient_descent_zero_steps(learner, rng):
    w0 = rng.normal(size=(3,))
    fn = learner.fn("gradient_descent")
    call = fn.describe(lambda w: w, w0, 0.1, 0)
    w, history = expect_tuple(fn(lambda w: w, w0, 0.1, 0), ("w", "history"), call)
    history = _expect_history(history, 0, (3,), call)
    assert_matches(
        {"w": expect_array(w, "w", (3,), call), "history[0]": history[0]},
        {"w": w0, "history[0]": w0},
        call=call,
        oracle="no step taken",
    )


@check("03_optimizers/gradient_descent", "gradient_descent reaches the least-squares solution")
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


def _momentum(w, grad, velocity, lr, momentum=0.9, nesterov=False):
    """Diagnostics only (the oracle is torch): the correct step, for zero_gradient_mistakes."""
    velocity = momentum * velocity + grad
    return w - lr * (grad + momentum * velocity if nesterov else velocity), velocity


MOMENTUM = StepKata("sgd_momentum_step", ("velocity",), "SGD", {"momentum": 0.9})
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
]
NESTEROV_MISTAKES = [
    (
        "Nesterov look-ahead missing: with nesterov=True, step along grad + momentum · v "
        "(the new v), not along v.",
        _momentum_no_lookahead,
    ),
]


@check("03_optimizers/momentum", "matches torch.optim.SGD(momentum=0.9) over 6 steps")
def momentum_default(learner, rng):
    MOMENTUM.grade(
        learner,
        rng,
        steps=6,
        hyper={"lr": 0.05},
        mistakes=MOMENTUM_MISTAKES,
    )


@check("03_optimizers/momentum", "matches torch.optim.SGD with momentum=0.5, lr=0.2")
def momentum_custom(learner, rng):
    hyper = {"lr": 0.2, "momentum": 0.5}
    MOMENTUM.grade(learner, rng, steps=6, hyper=hyper, mistakes=MOMENTUM_MISTAKES)


@check("03_optimizers/momentum", "matches torch.optim.SGD(nesterov=True) over 6 steps")
def momentum_nesterov(learner, rng):
    hyper = {"lr": 0.1, "momentum": 0.8, "nesterov": True}
    MOMENTUM.grade(learner, rng, steps=6, hyper=hyper, mistakes=NESTEROV_MISTAKES)


@check("03_optimizers/momentum", "keeps moving where the gradient is exactly zero")
def momentum_zero_gradient(learner, rng):
    still = (
        "v = μv + g still decays the velocity and w keeps moving by lr·μv where g = 0: "
        "momentum carries a parameter across a flat stretch."
    )
    grade_on_sparse_gradients(
        MOMENTUM, learner, rng, {"lr": 0.05}, zero_gradient_mistakes(_momentum, 1, still)
    )


@check("03_optimizers/momentum", "works for shapes (1,) and (2, 3, 4)")
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


# ---------------------------------------------------------------- adagrad


def _adagrad_eps_inside(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return w - lr * grad / np.sqrt(sum_sq + eps), sum_sq


def _adagrad_no_accumulation(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    sum_sq = grad**2
    return w - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


def _adagrad_no_sqrt(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return w - lr * grad / (sum_sq + eps), sum_sq


def _adagrad_no_eps(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return w - lr * grad / np.sqrt(sum_sq), sum_sq


def _adagrad_default_eps(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    sum_sq = sum_sq + grad**2
    return w - lr * grad / (np.sqrt(sum_sq) + 1e-10), sum_sq


ADAGRAD = StepKata("adagrad_step", ("sum_sq",), "Adagrad", {"lr": 1e-2, "eps": 1e-10})
ADAGRAD_MISTAKES = [
    ("eps inside the square root: PyTorch divides by sqrt(sum_sq) + eps.", _adagrad_eps_inside),
    (
        "sum_sq holds only the latest grad²: AdaGrad adds every step's grad² to the running sum.",
        _adagrad_no_accumulation,
    ),
    ("square root missing: divide by sqrt(sum_sq) + eps, not by sum_sq.", _adagrad_no_sqrt),
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
]


@check("03_optimizers/adagrad", "matches torch.optim.Adagrad over 6 steps")
def adagrad_default(learner, rng):
    ADAGRAD.grade(
        learner,
        rng,
        steps=6,
        hyper={},
        mistakes=ADAGRAD_MISTAKES,
    )


@check("03_optimizers/adagrad", "matches torch.optim.Adagrad with lr=0.3, eps=0.1")
def adagrad_custom(learner, rng):
    ADAGRAD.grade(
        learner,
        rng,
        steps=6,
        hyper={"lr": 0.3, "eps": 0.1},
        mistakes=ADAGRAD_MISTAKES,
        shape=(2, 3, 4),
    )


@check("03_optimizers/adagrad", "matches torch on tiny gradients, where eps matters")
def adagrad_tiny(learner, rng):
    hyper = {"lr": 0.1, "eps": 1e-6}
    ADAGRAD.grade(
        learner, rng, steps=4, hyper=hyper, mistakes=ADAGRAD_MISTAKES, scale=1e-6, shape=(1,)
    )


@check("03_optimizers/adagrad", "matches torch where the gradient is exactly zero")
def adagrad_zero_gradient(learner, rng):
    grade_on_sparse_gradients(ADAGRAD, learner, rng, {}, ADAGRAD_MISTAKES)


# ---------------------------------------------------------------- rmsprop


def _rmsprop_eps_inside(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return w - lr * grad / np.sqrt(square_avg + eps), square_avg


def _rmsprop_alpha_swapped(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    square_avg = (1 - alpha) * square_avg + alpha * grad**2
    return w - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def _rmsprop(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    """Diagnostics only (the oracle is torch): the correct step, for zero_gradient_mistakes."""
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return w - lr * grad / (np.sqrt(square_avg) + eps), square_avg


RMSPROP = StepKata(
    "rmsprop_step", ("square_avg",), "RMSprop", {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8}
)
RMSPROP_MISTAKES = [
    ("eps inside the square root: PyTorch divides by sqrt(square_avg) + eps.", _rmsprop_eps_inside),
    (
        "alpha and 1 − alpha swapped: alpha weighs the old average, 1 − alpha the new grad².",
        _rmsprop_alpha_swapped,
    ),
]


@check("03_optimizers/rmsprop", "matches torch.optim.RMSprop over 6 steps")
def rmsprop_default(learner, rng):
    RMSPROP.grade(
        learner,
        rng,
        steps=6,
        hyper={},
        mistakes=RMSPROP_MISTAKES,
    )


@check(
    "03_optimizers/rmsprop", "matches torch with alpha=0.9 (Hinton's and Keras's value), lr=0.05"
)
def rmsprop_alpha(learner, rng):
    hyper = {"lr": 0.05, "alpha": 0.9, "eps": 1e-3}
    RMSPROP.grade(learner, rng, steps=6, hyper=hyper, mistakes=RMSPROP_MISTAKES, shape=(2, 3, 4))


@check("03_optimizers/rmsprop", "matches torch on tiny gradients, where eps matters")
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


@check("03_optimizers/rmsprop", "matches torch where the gradient is exactly zero")
def rmsprop_zero_gradient(learner, rng):
    still = "square_avg still decays, to alpha·square_avg, on a step whose gradient is 0."
    grade_on_sparse_gradients(
        RMSPROP, learner, rng, {}, [*zero_gradient_mistakes(_rmsprop, 1, still), *RMSPROP_MISTAKES]
    )


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
):
    """Adam with switches for its classic mistakes (diagnostics only, never the oracle)."""
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * (np.abs(grad) if abs_grad else grad**2)
    if correct:
        m_hat, v_hat = m / (1 - beta1 ** (t + t_shift)), v / (1 - beta2 ** (t + t_shift))
    else:
        m_hat, v_hat = m, v
    denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / denominator, m, v


def _adam_variant(**switches):
    def step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return _adam(w, grad, m, v, t, lr, beta1, beta2, eps, **switches)

    return step


ADAM = StepKata("adam_step", ("m", "v"), "Adam", ADAM_DEFAULTS, takes_t=True)
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
]


@check("03_optimizers/adam", "matches torch.optim.Adam over 5 steps")
def adam_default(learner, rng):
    ADAM.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAM_MISTAKES,
    )


@check("03_optimizers/adam", "matches torch with beta1=0.8, beta2=0.95, eps=1e-3, lr=0.1")
def adam_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3}
    ADAM.grade(learner, rng, steps=8, hyper=hyper, mistakes=ADAM_MISTAKES, shape=(2, 3, 4))


@check("03_optimizers/adam", "matches torch on tiny gradients, where eps matters")
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


@check("03_optimizers/adam", "keeps moving where the gradient is exactly zero")
def adam_zero_gradient(learner, rng):
    still = (
        "m and v still decay, and w keeps moving by lr·m_hat / (sqrt(v_hat) + eps) while m is "
        "nonzero (torch.optim.Adam is dense; SparseAdam and LazyAdam are other optimizers)."
    )
    grade_on_sparse_gradients(
        ADAM, learner, rng, {}, [*zero_gradient_mistakes(_adam_variant(), 2, still), *ADAM_MISTAKES]
    )


@check("03_optimizers/adam", "first step moves every weight by about lr (bias correction)")
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
):
    """Diagnostics only: 'decoupled' (AdamW), 'gradient' (Adam + L2), 'unscaled' (w −= λw)."""
    if decay == "gradient":
        grad = grad + weight_decay * w
    elif decay == "unscaled":
        w = w - weight_decay * w
    else:
        w = w * (1 - lr * weight_decay)
    return _adam(w, grad, m, v, t, lr, beta1, beta2, eps)


def _adamw_variant(decay):
    def step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        return _adamw(w, grad, m, v, t, lr, beta1, beta2, eps, weight_decay, decay=decay)

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
]
ADAM_L2_MISTAKES = [
    (
        "this is AdamW's decoupled decay: adam_l2_step adds weight_decay·w to the gradient "
        "before the moments, as torch.optim.Adam(weight_decay=...) does.",
        _adamw_variant("decoupled"),
    ),
]


@check("03_optimizers/adamw", "adamw_step matches torch.optim.AdamW over 5 steps")
def adamw_default(learner, rng):
    ADAMW.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAMW_MISTAKES,
    )


@check("03_optimizers/adamw", "adamw_step matches torch with weight_decay=0.3, betas (0.8, 0.95)")
def adamw_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3}
    ADAMW.grade(learner, rng, steps=6, hyper=hyper, mistakes=ADAMW_MISTAKES, shape=(2, 3, 4))


@check("03_optimizers/adamw", "adamw_step decays and moves w where the gradient is exactly zero")
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


@check("03_optimizers/adamw", "adam_l2_step matches torch.optim.Adam(weight_decay=0.01)")
def adam_l2_default(learner, rng):
    ADAM_L2.grade(
        learner,
        rng,
        steps=5,
        hyper={"lr": 0.05},
        mistakes=ADAM_L2_MISTAKES,
    )


@check("03_optimizers/adamw", "adam_l2_step matches torch with weight_decay=0.3, betas (0.8, 0.95)")
def adam_l2_custom(learner, rng):
    hyper = {"lr": 0.1, "beta1": 0.8, "beta2": 0.95, "eps": 1e-3, "weight_decay": 0.3}
    ADAM_L2.grade(learner, rng, steps=6, hyper=hyper, mistakes=ADAM_L2_MISTAKES, shape=(2, 3, 4))


@check("03_optimizers/adamw", "AdamW decays every weight; Adam + L2 spares large gradients")
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
    expected = dict(zip(("loss", "grad", "H"), reference.logistic_loss_grad_hessian(X, y, w)))

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


@check("03_optimizers/newton", "loss, gradient and Hessian match torch autograd")
def logistic_matches(learner, rng):
    n, d = int(rng.integers(10, 30)), int(rng.integers(2, 6))
    _grade_logistic(learner, *_logistic_problem(rng, n, d))


@check("03_optimizers/newton", "loss, gradient and Hessian for a single sample (N = 1)")
def logistic_single(learner, rng):
    _grade_logistic(learner, *_logistic_problem(rng, 1, 3))


@check("03_optimizers/newton", "loss and gradient stay finite and exact for logits up to ±1000")
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


def _newton_sign(w, grad, H, damping=0.0):
    return w + np.linalg.solve(H + damping * np.eye(len(w)), grad)


def _newton_no_damping(w, grad, H, damping=0.0):
    return w - np.linalg.solve(H, grad)


NEWTON_MISTAKES = [
    ("step sign flipped: the Newton step is w − d with (H + damping·I) d = grad.", _newton_sign),
    ("damping ignored: solve (H + damping·I) d = grad.", _newton_no_damping),
]


def _spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T / d + 0.1 * np.eye(d)


@check("03_optimizers/newton", "newton_step matches torch.linalg.solve, damping 0 and 0.5")
def newton_step_matches(learner, rng):
    fn = learner.fn("newton_step")
    for damping in (0.0, 0.5):
        d = int(rng.integers(2, 6))
        w, grad, H = rng.normal(size=d), rng.normal(size=d), _spd(rng, d)
        call = fn.describe(w, grad, H, damping=damping)
        got = expect_array(fn(w, grad, H, damping=damping), "w", (d,), call)
        mistakes = [
            Mistake(
                says,
                lambda m=m, w=w, grad=grad, H=H, damping=damping: {"w": m(w, grad, H, damping)},
            )
            for says, m in NEWTON_MISTAKES
        ]
        assert_matches(
            {"w": got},
            {"w": reference.damped_newton_step(w, grad, H, damping)},
            call=call,
            oracle="w − torch.linalg.solve(H + damping·I, grad)",
            mistakes=mistakes,
        )


@check("03_optimizers/newton", "newton_step solves the system instead of inverting H")
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


@check("03_optimizers/newton", "Newton converges on logistic regression in a few steps")
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
