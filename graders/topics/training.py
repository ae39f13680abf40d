"""Graders of 09_training: mini-batches, gradient noise, the learning-rate schedule and a
full training loop on a spiral data set the grader generates.

These are procedures, so the checks look at every step they define: each batch of a
pass (its size, its examples, their order), every step of the schedule, and every SGD
step and epoch loss of the training loop (graders/drivers/training.py watches the calls
train_classifier makes to the learner's own two_layer_net and minibatches). The order of
a shuffled pass is graded as a distribution (8000 passes in one request, chi-square
bounds with their false-failure probability stated beside them).
"""

from __future__ import annotations

import functools
import itertools
import math
import time

import numpy as np
import torch

from graders.engine.checks import ATOL, RTOL, Mistake, assert_matches, expect_float
from graders.engine.describe import describe_value, first_difference
from graders.engine.learner import KataFailure, LearnerRaised, NotStarted
from graders.engine.reference import tensor, torch_two_layer_net
from graders.engine.registry import check, not_applicable

DRIVER = "graders.drivers.training"

BATCHING, NOISE = "09_training/batching", "09_training/gradient_noise"
SCHEDULE, LOOP = "09_training/lr_schedule", "09_training/train_loop"

not_applicable(
    BATCHING,
    extremes="minibatches only indexes: it does no arithmetic on the values of X or y "
    "(nothing exponentiates, divides or takes an eps), and every pass check verifies "
    "that each batch holds the examples' values bit for bit",
)
not_applicable(
    NOISE,
    randomness="deterministic: a closed-form expectation, no rng (the simulation check's "
    "batches are drawn by the grader)",
    process="one closed-form formula: no loop, schedule or stopping rule",
    aliasing="the result is one float made by reductions (np.mean, np.sum) of the "
    "gradients: an array result, the only thing that could share the argument's memory, "
    "fails the float type check on every path first (N = 1, b = N and b = 1 included)",
)
not_applicable(
    SCHEDULE,
    randomness="deterministic: no rng",
    shapes="numbers in, one float out: there is no array shape (the schedule's smallest "
    "sizes, total_steps = 1 and warmup_steps = total_steps - 1, are hyperparameter "
    "boundaries, visited there)",
    layout="numbers in (0-d arrays at most, visited in the aliasing check): nothing has "
    "a memory layout to get wrong",
)
not_applicable(
    LOOP,
    exact_values="the loop's own arithmetic is params - lr * grads and a mean of batch "
    "losses: kinks, ties and thresholds are two_layer_net's (graded in 05_backprop) and "
    "the batch-size thresholds are hyperparameter boundaries, visited there",
    extremes="the loop neither exponentiates nor divides by data: overflow, eps and "
    "cancellation live in two_layer_net's softmax (graded in 05_backprop with extreme "
    "scores); the steps here are checked exactly against torch.optim.SGD's update",
    aliasing="nothing returned can come from an argument's memory: params start from rng "
    "draws and zeros and change by SGD steps, history is built from losses; X and y are "
    "only read (the return types, a dict of arrays and a list of floats, are checked in "
    "every training check)",
)


# ---------------------------------------------------------------- shared


LAYOUT_ADVICE = (
    "  A view (X.T, X[::2], X[::-1], a column of a matrix) is an ordinary array: index it "
    "and compute with numpy operations on the array itself. np.frombuffer, .data, "
    "tobytes() and as_strided see its memory, which a view does not fill in order."
)


def layout_failure(failure, label, retry):
    """The failure to report for a non-contiguous input: a dependence on the memory layout
    when retry() (the same check on contiguous copies) passes, else the failure itself."""
    try:
        retry()
    except (KataFailure, LearnerRaised, NotStarted):
        return failure  # wrong whatever the layout: the other checks say how
    if isinstance(failure, LearnerRaised):
        text = (
            f"your code raised {type(failure.error).__name__}: {failure.error}\n"
            f"  called   {failure.call}"
        )
    else:
        text = str(failure)
    return KataFailure(
        f"wrong on non-contiguous inputs ({label}), right on contiguous copies of the same "
        "values: the result depends on the memory layout\n"
        + "\n".join("  " + line for line in text.splitlines())
        + "\n"
        + LAYOUT_ADVICE
    )


def on_layouts(cases, grade):
    """grade(*args) for each (label, args) of non-contiguous inputs; a failure that
    contiguous copies of the same arguments do not have is told as a layout dependence."""
    for label, args in cases:
        try:
            grade(*args)
        except (KataFailure, LearnerRaised) as failure:
            copies = tuple(np.ascontiguousarray(a) if isinstance(a, np.ndarray) else a
                           for a in args)  # fmt: skip
            raise layout_failure(failure, label, lambda c=copies: grade(*c)) from None


def strict_float(value, name: str, call: str) -> float:
    """The contract's return type: a float (Python float or numpy float64), not an int,
    a 0-d array or a float32."""
    if isinstance(value, float) and not isinstance(value, np.ndarray):
        return float(value)
    expect_float(value, name, call)  # the general message for what is not a number
    raise KataFailure(
        f"wrong {name} type\n  called   {call}\n  expected a float (a Python float or a "
        f"numpy float64), got {describe_value(value)} of type {type(value).__name__}: "
        "return float(...) of the result"
    )


@functools.cache
def chi2_threshold(df: int, probability: float) -> float:
    """x with P(chi²(df) > x) = probability (torch's regularised incomplete gamma)."""
    low, high = 0.0, 50.0 * df + 100.0
    for _ in range(200):
        mid = (low + high) / 2
        tail = float(torch.special.gammaincc(torch.tensor(df / 2), torch.tensor(mid / 2)))
        low, high = (mid, high) if tail > probability else (low, mid)
    return high


def chi2_statistic(counts: np.ndarray) -> float:
    """Pearson's statistic of counts against equal cell probabilities."""
    expected = counts.sum() / counts.size
    return float(((counts - expected) ** 2 / expected).sum())


# ---------------------------------------------------------------- batching


SHUFFLED_IN_PLACE = (
    "shuffled in place: shuffle through an index (X[order] is a new array), never "
    "X[:] = X[order] or rng.shuffle(X): the caller's data set must stay as it was."
)


def ids_of(yb: np.ndarray) -> np.ndarray:
    """The example ids the graders put in y: y itself, or its first column for a 2-D y."""
    return yb if yb.ndim == 1 else yb[:, 0]


def collect_batches(learner, X, y, batch_size, rng=None, shuffle=None):
    """The learner's pass as a list of (Xb, yb), each pair checked for its types, shapes
    and dtypes; and the call, described."""
    fn = learner.fn("minibatches", mutation_hint=SHUFFLED_IN_PLACE)
    kwargs = {} if shuffle is None else {"shuffle": shuffle}
    call = fn.describe(X, y, batch_size, rng, **kwargs)
    batches = fn.consume(X, y, batch_size, rng, **kwargs)
    if not batches:
        raise KataFailure(
            f"no batches\n  called   {call}\n  it yielded nothing: every example must come "
            "out in some batch (yield each pair Xb, yb)."
        )
    for i, pair in enumerate(batches):
        problem = ""
        if not (isinstance(pair, tuple) and len(pair) == 2):
            problem = f"is {describe_value(pair)}, not a pair (Xb, yb)"
        elif not all(isinstance(a, np.ndarray) for a in pair):
            problem = f"is ({describe_value(pair[0])}, {describe_value(pair[1])}), not two arrays"
        elif pair[0].shape[1:] != X.shape[1:] or pair[1].shape[1:] != y.shape[1:]:
            problem = (
                f"has Xb {pair[0].shape} and yb {pair[1].shape}: expected (k, "
                f"{', '.join(map(str, X.shape[1:]))}) and (k, "
                f"{', '.join(map(str, y.shape[1:]))}) with the batch axis first"
            ).replace(", )", ")")
        elif len(pair[0]) != len(pair[1]):
            problem = f"has {len(pair[0])} rows of X but {len(pair[1])} of y"
        elif pair[0].dtype != X.dtype or pair[1].dtype != y.dtype:
            problem = (
                f"has dtypes {pair[0].dtype} and {pair[1].dtype}, expected X's and y's "
                f"({X.dtype} and {y.dtype}): index the arrays, do not convert them"
            )
        if problem:
            looks = ""
            if (
                isinstance(pair, tuple)
                and len(pair) == 2
                and np.shape(pair[0]) == X.shape[1:]
                and np.shape(pair[1]) == y.shape[1:]
            ):
                looks = (
                    "\n  looks like: single examples (X[i], y[i]) instead of batches of one "
                    "(X[i:i+1], y[i:i+1]): with batch_size=1 each batch keeps the batch axis."
                )
            raise KataFailure(f"wrong batch\n  called   {call}\n  batch {i} {problem}{looks}")
    return batches, call


def expected_sizes(n: int, batch_size: int) -> list[int]:
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


def check_one_pass(learner, X, y, batch_size, rng=None, shuffle=None):
    """One pass: the batch sizes, every example exactly once, Xb and yb in step. Returns
    the order: the position (in X) of each example, in the order the pass yields them."""
    batches, call = collect_batches(learner, X, y, batch_size, rng, shuffle)
    n = len(X)
    sizes = [len(yb) for _, yb in batches]
    want_sizes = expected_sizes(n, batch_size)
    if sizes != want_sizes:
        looks = ""
        if sizes == [batch_size] * (n // batch_size):
            looks = "\n  looks like: last partial batch dropped: yield the short remainder too."
        elif sizes == [*want_sizes, 0]:
            looks = (
                "\n  looks like: an empty last batch: N is a multiple of batch_size here, and "
                "N // batch_size + 1 batches leave the last one empty (use ceil(N / batch_size))."
            )
        elif sizes == want_sizes[::-1]:
            looks = "\n  looks like: the short batch first: it is the last one."
        elif len(sizes) == len(want_sizes) and sum(sizes) == n and max(sizes) - min(sizes) <= 1:
            looks = (
                "\n  looks like: near-equal batches (np.array_split into ceil(N / batch_size) "
                "parts): every batch has batch_size examples but the last."
            )
        raise KataFailure(
            f"wrong batch sizes\n  called   {call}\n  got      {sizes}\n"
            f"  expected {want_sizes} (ceil(N / batch_size) batches of batch_size, the last "
            f"one short when N is not a multiple; N = {n}){looks}"
        )
    position = np.full(int(ids_of(y).max()) + 1, -1)
    position[ids_of(y)] = np.arange(n)
    got_ids = np.concatenate([ids_of(yb) for _, yb in batches])
    order = position[got_ids] if got_ids.min() >= 0 and got_ids.max() < len(position) else None
    if order is None or sorted(order.tolist()) != list(range(n)):
        repeated = len(got_ids) - len(set(got_ids.tolist()))
        raise KataFailure(
            f"wrong pass\n  called   {call}\n  {repeated} examples appear twice and others "
            "never: every example exactly once per pass.\n  looks like: sampling with "
            "replacement: shuffle once with rng.permutation(N), then slice."
        )
    Xs = np.concatenate([xb for xb, _ in batches])
    ys = np.concatenate([yb for _, yb in batches])
    if not np.array_equal(ys, y[order]):
        raise KataFailure(
            f"wrong yb\n  called   {call}\n  the rows of yb are not rows of y: yield y[index]."
        )
    if not np.array_equal(Xs, X[order]):
        raise KataFailure(
            f"X and y out of step\n  called   {call}\n  each Xb row must belong "
            "with its yb entry: index X and y with the same indices."
        )
    return order


def indexed_data(rng, n, trailing=(3,)):
    """X (n, *trailing) of random values, y = 0..n-1: each example's id."""
    return rng.normal(size=(n, *trailing)), np.arange(n)


def fresh_rng(rng):
    return np.random.default_rng(int(rng.integers(1 << 62)))


def same_state(a: dict, b: dict) -> bool:
    return repr(a) == repr(b)


@check(
    BATCHING,
    "every example once per pass, each batch's size and rows; 1-D, 2-D, 3-D X, 2-D y",
    regimes=("shapes", "process"),
)
def batching_pass(learner, rng):
    cases = [(23, 5, (3,)), (20, 4, (2, 3)), (7, 3, ()), (6, 4, (9,))]
    for n, batch_size, trailing in cases:
        X, y = indexed_data(rng, n, trailing)
        check_one_pass(learner, X, y, batch_size, fresh_rng(rng))
    # a 2-D y (one-hot targets with the id in column 0) and a square X (11, 11)
    n = 11
    X = rng.normal(size=(n, n))
    y = np.column_stack([np.arange(n), rng.integers(0, 3, n)])
    check_one_pass(learner, X, y, 4, fresh_rng(rng))


@check(
    BATCHING,
    "batch_size = 1 (SGD), N - 1, N and above (batch GD, shuffled); N = 1",
    regimes=("hyperparameters", "shapes", "exact values"),
)
def batching_edges(learner, rng):
    X, y = indexed_data(rng, 9)
    check_one_pass(learner, X, y, 1, fresh_rng(rng))  # SGD: nine batches of one
    check_one_pass(learner, X, y, 8, fresh_rng(rng))  # N - 1: a last batch of one
    check_one_pass(learner, X, y, 3, fresh_rng(rng))  # N a multiple: no short batch
    check_one_pass(learner, X, y, 9, fresh_rng(rng))  # batch_size = N: one batch
    X1, y1 = indexed_data(rng, 1)
    for batch_size in (1, 4):
        check_one_pass(learner, X1, y1, batch_size, fresh_rng(rng))
        check_one_pass(learner, X1, y1, batch_size, shuffle=False)
    # batch GD with shuffle=True is still one shuffled pass: 12 examples come out in the
    # original order with probability 1/12! < 3e-9 under a correct shuffle
    X, y = indexed_data(rng, 12)
    for batch_size in (12, 50):
        generator = fresh_rng(rng)
        before = generator.bit_generator.state
        order = check_one_pass(learner, X, y, batch_size, generator)
        call = learner.fn("minibatches").describe(X, y, batch_size, generator)
        if np.array_equal(order, np.arange(12)):
            raise KataFailure(
                f"not shuffled\n  called   {call}\n  with batch_size >= N the one batch still "
                "holds the examples in a shuffled order, drawn from rng; it came back in the "
                "original order. shuffle alone decides the order, whatever batch_size is (is "
                "batch_size >= N special-cased, or are whole batches shuffled as blocks?)"
            )
        if same_state(before, generator.bit_generator.state):
            raise KataFailure(
                f"rng not used\n  called   {call}\n  the batch came back shuffled, but the rng "
                "you were given was not advanced: the order must be drawn from it (not from "
                "np.random's globals or a copy of rng)."
            )


@check(
    BATCHING,
    "shuffle=False: original order in every batch, rng unused; same seed, same order",
    regimes=("hyperparameters", "randomness", "process"),
)
def batching_order(learner, rng):
    X, y = indexed_data(rng, 17)
    for seed in (None, 7):  # shuffle=False keeps the order even when an rng is given
        generator = None if seed is None else np.random.default_rng(seed)
        before = None if generator is None else generator.bit_generator.state
        batches, call = collect_batches(learner, X, y, 4, generator, shuffle=False)
        ids = [ids_of(yb).tolist() for _, yb in batches]
        want = [list(range(s, min(s + 4, 17))) for s in range(0, 17, 4)]
        if ids != want:
            looks = ""
            if seed is not None:
                looks = (
                    "\n  looks like: shuffled because an rng was given: shuffle alone decides; "
                    "shuffle=False keeps the order whatever rng is."
                )
            raise KataFailure(
                f"order changed\n  called   {call}\n  got      batches of ids {ids}\n"
                f"  expected {want}: shuffle=False keeps the original order.{looks}"
            )
        check_one_pass(learner, X, y, 4, generator, shuffle=False)
        if generator is not None and not same_state(before, generator.bit_generator.state):
            raise KataFailure(
                f"rng used without shuffling\n  called   {call}\n  shuffle=False needs no "
                "randomness: leave the caller's rng untouched (draw nothing from it)."
            )
    runs, unused = {}, False
    for label, seed in (("first", 5), ("again", 5), ("other", 6)):
        generator = np.random.default_rng(seed)
        before = generator.bit_generator.state
        runs[label] = check_one_pass(learner, X, y, 4, generator)
        unused |= same_state(before, generator.bit_generator.state)
    if not np.array_equal(runs["first"], runs["again"]):
        raise KataFailure(
            "not reproducible: the same seed gave two different orders. Shuffle "
            "with the rng you are given, not np.random's globals."
        )
    # two correct shuffles of 17 agree, or leave the order as it was, with probability
    # 1/17! < 3e-15
    if np.array_equal(runs["first"], runs["other"]) or np.array_equal(runs["first"], y):
        raise KataFailure(
            "not shuffled by rng: seeds 5 and 6 (or no shuffle) gave the same "
            "order. Use rng.permutation(N)."
        )
    if unused:
        raise KataFailure(
            "rng not advanced: a shuffled pass came back with the caller's rng unused, so "
            "the next epoch would repeat this order. Draw the permutation from rng itself "
            "(rng.permutation(N)), not from a copy of it."
        )


@check(
    BATCHING,
    "the order is uniform over all N! orders and fresh on every call (6000 passes)",
    regimes=("randomness",),
)
def batching_distribution(learner, rng):
    n, batch_size, passes = 5, 3, 6000
    generator = fresh_rng(rng)
    what = f"{passes} passes of minibatches(X (5, 1), y = 0..4, 3, rng) on one rng"
    result = learner.drive(f"{DRIVER}:shuffle_orders", n, batch_size, generator, passes,
                           what=what)  # fmt: skip
    if not isinstance(result, dict) or "orders" not in result:
        result = result if isinstance(result, dict) else {}
        raise KataFailure(
            f"wrong pass\n  called   {what}\n  pass {result.get('bad_pass')} yielded the "
            f"ids {result.get('ids')}: every example exactly once per pass (see the other "
            "checks)"
        )
    orders = np.asarray(result["orders"])
    # each order as its rank among the 5! = 120 permutations
    codes = orders @ (n ** np.arange(n))
    valid = np.sort(
        [sum(v * n**i for i, v in enumerate(p)) for p in itertools.permutations(range(n))]
    )
    codes = np.searchsorted(valid, codes)
    counts = np.bincount(codes, minlength=math.factorial(n))
    # Pearson's chi-square over the 120 orders, 50 expected in each: a correct shuffle
    # exceeds the chi²(119) quantile of 1 - 1e-7 with probability 1e-7 (the chi-square
    # approximation is close at 50 per cell)
    statistic, limit = chi2_statistic(counts), chi2_threshold(119, 1e-7)
    # independence across calls: the first example of passes 2k and 2k+1, 3000 pairs
    # in 25 cells; the same bound, chi²(24) at 1 - 1e-7. Both: below 2e-7 in all.
    pairs = orders[0::2, 0] * n + orders[1::2, 0]
    pair_statistic = chi2_statistic(np.bincount(pairs, minlength=n * n))
    pair_limit = chi2_threshold(n * n - 1, 1e-7)
    if statistic > limit:
        common = counts.argmax()
        never = int((counts == 0).sum())
        if never >= 60:
            looks = (
                f"only {120 - never} of the 120 orders ever came out: the examples are not "
                "shuffled one by one (the batches shuffled as blocks? the same order on "
                "every call? a rotation?)"
            )
        else:
            looks = (
                "the orders come out, but not equally often (a hand-written shuffle that "
                "swaps position i with any position, not only with 0..i, is biased this way): "
                "use rng.permutation(N)"
            )
        raise KataFailure(
            f"the order is not uniformly random\n  called   {what}\n  the 120 possible "
            f"orders came out between {counts.min()} and {counts.max()} times (expected "
            f"50 each; the most frequent, #{common}, {counts[common]} times): chi-square "
            f"{statistic:.1f} > {limit:.1f}\n  {looks}\n  (the bound fails a correct shuffle "
            "with probability below 1e-7)"
        )
    if pair_statistic > pair_limit:
        raise KataFailure(
            f"consecutive passes are not independent\n  called   {what}\n  the first "
            f"examples of passes 2k and 2k+1 are related: chi-square {pair_statistic:.1f} "
            f"> {pair_limit:.1f} over the 25 pairs (the bound fails a correct shuffle with "
            "probability below 1e-7). Draw each pass's order afresh from rng."
        )
    return "6000 shuffled passes of 5 examples: all 120 orders equally likely, passes independent."


@check(
    BATCHING,
    "draws only from the given rng: numpy's and Python's global generators untouched",
    regimes=("randomness",),
)
def batching_global_randomness(learner, rng):
    for shuffle in (True, False):
        what = f"minibatches(X (8, 1), y, 3, rng, shuffle={shuffle})"
        touched = learner.drive(
            f"{DRIVER}:global_randomness", 8, 3, fresh_rng(rng), shuffle, what=what
        )
        names = [name for name, changed in touched.items() if changed]
        if names:
            which = " and ".join(
                {"numpy": "np.random's global generator", "python": "Python's random module"}[n]
                for n in names
            )
            raise KataFailure(
                f"randomness from outside the given rng\n  called   {what}\n  it changed the "
                f"state of {which}: draw everything from rng (rng.permutation(N)); never "
                "seed or draw from the global generators, which the caller's other code uses."
            )


def batching_views(rng, n, d):
    """(label, (X, y)) pairs of non-contiguous views; y holds unique example ids."""
    ids = rng.permutation(n)
    X = rng.normal(size=(n, d))
    wide = np.column_stack([np.zeros(n, dtype=np.int64), ids])
    yield (
        "X transposed (X.T of a (D, N) array), y a column of a matrix",
        (
            np.ascontiguousarray(X.T).T,
            wide[:, 1],
        ),
    )
    tall = np.repeat(X, 2, axis=0)
    yield "X[::2] and y[::2] of arrays twice as long", (tall[::2], np.repeat(ids, 2)[::2])
    yield "X[::-1] and y[::-1] (reversed views)", (X[::-1].copy()[::-1], ids[::-1].copy()[::-1])
    cols = np.column_stack([X, X])
    yield "X[:, ::2], a strided column slice", (cols[:, ::2], ids.copy())


@check(
    BATCHING,
    "X and y as non-contiguous views (transposed, strided, reversed, a column)",
    regimes=("layout",),
)
def batching_layout(learner, rng):
    def grade(X, y, shuffle):
        if shuffle:
            check_one_pass(learner, X, y, 4, fresh_rng(rng))
        else:
            order = check_one_pass(learner, X, y, 4, shuffle=False)
            if not np.array_equal(order, np.arange(len(X))):
                raise KataFailure("shuffle=False changed the order of a view")

    for shuffle in (True, False):
        on_layouts(
            ((label + f", shuffle={shuffle}", (*args, shuffle))
             for label, args in batching_views(rng, 10, 3)),
            grade,
        )  # fmt: skip


@check(
    BATCHING,
    "every batch is a new array: shuffle=False, batch_size >= N, N = 1",
    regimes=("aliasing",),
)
def batching_alias(learner, rng):
    # the paths with nothing to shuffle or split: a yielded slice or X itself would share
    # the caller's memory (the automatic alias check fails the check at its end)
    X, y = indexed_data(rng, 10)
    for batch_size in (3, 10, 25):
        check_one_pass(learner, X, y, batch_size, shuffle=False)
        check_one_pass(learner, X, y, batch_size, fresh_rng(rng), shuffle=False)
    X1, y1 = indexed_data(rng, 1)
    check_one_pass(learner, X1, y1, 1, shuffle=False)
    check_one_pass(learner, X1, y1, 1, fresh_rng(rng))
    check_one_pass(learner, X, y, 10, fresh_rng(rng))


# ---------------------------------------------------------------- gradient noise


def torch_noise(grads, b):
    g = tensor(grads)
    n = g.shape[0]
    if n == 1:  # one example: the batch is the data set, no noise
        return 0.0
    spread = ((g - g.mean(0)) ** 2).sum(1).mean()
    return float((n - b) / (b * (n - 1)) * spread)


def torch_spread(grads) -> float:
    g = tensor(grads)
    return float(((g - g.mean(0)) ** 2).sum(1).mean())


def simulate_noise(grads, b, rng, draws=20000):
    """Monte Carlo E‖g_B − g‖² with batches drawn without replacement, and its standard error."""
    n = len(grads)
    full = grads.mean(0)
    keys = rng.random((draws, n))
    batches = np.argsort(keys, axis=1)[:, :b]  # uniform b-subsets
    errors = ((grads[batches].mean(1) - full) ** 2).sum(1)
    return float(errors.mean()), float(errors.std() / math.sqrt(draws))


def _spread(G):
    return np.mean(((G - G.mean(0)) ** 2).sum(1))


NOISE_MISTAKES = [
    (
        "sampling with replacement (no finite-population correction): without replacement the "
        "error carries (N − b)/(N − 1), which is 0 at b = N.",
        lambda G, b: float(_spread(G) / b),
    ),
    (
        "the correction (N − b)/N instead of (N − b)/(N − 1).",
        lambda G, b: float((len(G) - b) / (b * len(G)) * _spread(G)),
    ),
    (
        "N read from the wrong axis: per_example_grads is (N, P), so N = shape[0] (the two "
        "only agree when N = P).",
        lambda G, b: float((G.shape[1] - b) / (b * (G.shape[1] - 1)) * _spread(G)),
    ),
    (
        "the spread as mean ‖g_i‖² − ‖g‖² (E[x²] − E[x]²): it cancels catastrophically when "
        "the gradients share a large common part; subtract the mean gradient first.",
        lambda G, b: float(
            (len(G) - b) / (b * (len(G) - 1)) * (np.mean((G**2).sum(1)) - (G.mean(0) ** 2).sum())
        ),
    ),
    (
        "the sample variance (ddof=1, dividing by N − 1) at b = 1: at b = 1 the expected "
        "error is the mean ‖g_i − g‖² itself (dividing by N).",
        lambda G, b: float(_spread(G) * len(G) / (len(G) - 1)) if b == 1 else math.nan,
    ),
    (
        "a tiny spread rounded to 0.0 (a 'numerical zero' guard): the formula holds at every "
        "scale; a small variance is still a variance.",
        lambda G, b: 0.0 if torch_spread(G) < 1e-12 else math.nan,
    ),
]


def grade_noise(learner, G, b, *, atol=ATOL, note=""):
    """Call minibatch_gradient_variance(G, b): a float, within rtol 1e-8 (and atol) of the
    formula computed in torch; the listed mistakes named."""
    fn = learner.fn("minibatch_gradient_variance")
    call = fn.describe(G, b) + note
    got = strict_float(fn(G, b), "variance", call)
    expected = torch_noise(G, b)
    # a mistake is named only when it gives this value within this check's own tolerance
    # (the engine's matching floor, atol 1e-12, would name anything at a 1e-18 scale)
    known = []
    for says, mistake in NOISE_MISTAKES:
        try:
            with np.errstate(all="ignore"):
                value = float(mistake(G, b))
        except (ArithmeticError, ValueError):
            continue
        if math.isclose(got, value, rel_tol=1e-8, abs_tol=atol) and not math.isclose(
            expected, value, rel_tol=RTOL, abs_tol=atol
        ):
            known.append(Mistake(says, lambda v=value: {"variance": v}))
    assert_matches(
        {"variance": got},
        {"variance": expected},
        call=call,
        oracle="(N − b)/(b·(N − 1)) · mean ‖g_i − g‖², in torch",
        mistakes=known,
        atol=atol,
    )
    return got


@check(
    NOISE,
    "matches the exact formula: b = 1, 4, N - 2, N; N = 1; one coordinate (P = 1)",
    regimes=("hyperparameters", "shapes"),
)
def noise_formula(learner, rng):
    n, p = 20, 6
    grads = rng.normal(size=(n, p)) + rng.normal(size=p)
    for b in (1, 4, 18, 20):
        grade_noise(learner, grads, b)
    grade_noise(learner, grads[:1], 1)  # N = 1: the batch is the data set
    grade_noise(learner, rng.normal(size=(1, 4)), 1)
    column = rng.normal(size=(7, 1)) * 3
    for b in (1, 3, 7):
        grade_noise(learner, column, b)
    square = rng.normal(size=(5, 5))  # N = P: still N = shape[0]
    grade_noise(learner, square, 2)


@check(NOISE, "agrees with a simulation of 20000 random batches")
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


@check(
    NOISE,
    "zero variance gives 0.0: identical gradients, all zeros, b = N; one coordinate varies",
    regimes=("exact values",),
)
def noise_exact(learner, rng):
    row = rng.normal(size=5) * 3
    same = np.tile(row, (8, 1))
    for b in (1, 3, 8):
        grade_noise(learner, same, b, note="  (every row the same gradient)")
    grade_noise(learner, np.zeros((6, 3)), 2, note="  (all zeros)")
    # only coordinate 2 varies, by exactly ±1 around the mean: mean ‖g_i − g‖² = 1
    one = np.tile(row, (6, 1))
    one[:, 2] += np.array([1.0, -1.0] * 3)
    grade_noise(learner, one, 1, note="  (only coordinate 2 varies, by ±1)")


@check(
    NOISE,
    "large common offset (1e8), overflow scale (1e150), tiny scale (1e-9), mixed scales",
    regimes=("extremes",),
)
def noise_extremes(learner, rng):
    n, p = 16, 4
    spread_part = rng.normal(size=(n, p))
    cases = [
        (
            "every gradient shares a common offset of 1e8",
            spread_part + 1e8 * rng.choice([-1, 1], p),
        ),
        ("deviations of size 1e150 (squares near 1e300)", spread_part * 1e150),
        ("deviations of size 1e-9 (a variance near 1e-18)", spread_part * 1e-9 + 1e-3),
        ("coordinates at scales 1e-6, 1, 1e3, 1e6", spread_part * np.array([1e-6, 1.0, 1e3, 1e6])),
    ]
    for label, G in cases:
        scale = torch_spread(G)  # the tolerance follows the scale of the answer
        for b in (1, 5, n - 1):
            grade_noise(learner, G, b, atol=ATOL * scale, note=f"  ({label})")


def noise_views(rng, n, p):
    G = rng.normal(size=(n, p)) + rng.normal(size=p)
    yield "per_example_grads transposed (G.T of a (P, N) array)", np.ascontiguousarray(G.T).T
    yield "per_example_grads[::2] of an array twice as long", np.repeat(G, 2, axis=0)[::2]
    yield "per_example_grads[::-1] (reversed rows)", G[::-1]
    yield "per_example_grads[:, ::2], a strided column slice", np.repeat(G, 2, axis=1)[:, ::2]


@check(
    NOISE,
    "per_example_grads as non-contiguous views (transposed, strided, reversed)",
    regimes=("layout",),
)
def noise_layout(learner, rng):
    on_layouts(
        ((label, (view, b)) for label, view in noise_views(rng, 9, 4) for b in (2, 7)),
        lambda G, b: grade_noise(learner, G, b),
    )


# ---------------------------------------------------------------- lr schedule


def reference_lr(step, total, warmup, base, floor):
    """The schedule, in a form that neither overflows nor cancels: base · (step / W) in
    warm-up, min + (base − min) · cos²(π·progress/2) in the decay."""
    if step < warmup:
        return base * (step / warmup)
    if step > total:
        return floor
    return cosine_part(step, total, warmup, base, floor)


def cosine_part(step, total, warmup, base, floor):
    progress = (step - warmup) / (total - warmup)
    return floor + (base - floor) * math.cos(math.pi * progress / 2) ** 2


def lr_close(got, want, base) -> bool:
    """Within rel 1e-9, or 1e-12 of base_lr (the cosine's 1 + cos(π·p) loses digits near the
    end of the decay, relative to the lr, not to base_lr)."""
    if math.isinf(got) or math.isnan(got):
        return got == want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12 * max(abs(base), 1e-300))


def lr_looks_like(got, step, total, warmup, base, floor) -> str:
    """A "looks like" line naming the schedule mistake that gives `got`, or ""."""

    def near(value):
        return lr_close(got, value, base)

    if step > total and near(cosine_part(step, total, warmup, base, floor)):
        return (
            "\n  looks like: no floor after total_steps: past total_steps the lr stays at "
            "min_lr (the cosine would rise again)."
        )
    if floor and step >= warmup and near(reference_lr(step, total, warmup, base, 0.0)):
        return "\n  looks like: min_lr ignored: the cosine decays from base_lr to min_lr, not to 0."
    if math.isinf(got) and step < warmup and math.isinf(base * step):
        return (
            "\n  looks like: base_lr · step overflowed before the division by warmup_steps: "
            "divide first, base_lr · (step / warmup_steps)."
        )
    if warmup == 0 and step <= total and near(reference_lr(step, total, 1, base, floor)):
        return (
            "\n  looks like: warmup_steps = 0 treated as 1 (a guard like max(warmup_steps, 1)): "
            "without warm-up the schedule starts at base_lr at step 0."
        )
    if warmup >= 2 and step == warmup - 1 and near(cosine_part(step, total, warmup, base, floor)):
        return (
            "\n  looks like: warm-up ends a step early: step warmup_steps − 1 is the last "
            "warm-up step, base_lr · (W − 1) / W."
        )
    if step < warmup and near(base * (step + 1) / warmup):
        return "\n  looks like: warm-up from (step + 1) / warmup_steps: lr(0) is 0."
    return ""


def lr_value(fn, step, total, warmup, base, floor=None, note=""):
    """The learner's lr at one step (a float), and the call, described."""
    kwargs = {} if floor is None else {"min_lr": floor}
    call = fn.describe(step, total, warmup, base, **kwargs) + note
    return strict_float(fn(step, total, warmup, base, **kwargs), "lr", call), call


def check_schedule(fn, total, warmup, base, floor=None, steps=None, note=""):
    """The lr at each of `steps` (default every step 0..total+2) against the formula."""
    floor_value = 0.0 if floor is None else float(floor)
    base_value = float(base)
    for step in range(total + 3) if steps is None else steps:
        got, call = lr_value(fn, step, total, warmup, base, floor, note)
        want = reference_lr(step, total, warmup, base_value, floor_value)
        if not lr_close(got, want, base_value):
            raise KataFailure(
                f"wrong lr at step {step}\n  called   {call}\n  got      {got:.10g}\n"
                f"  expected {want:.10g}  (the formula in the docstring, computed in the grader)"
                + lr_looks_like(got, step, total, warmup, base_value, floor_value)
            )


@check(
    SCHEDULE,
    "pinned points: step 0, 3, W - 1, W, the middle, T - 1, T, after T",
    regimes=("exact values",),
)
def lr_points(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    base, floor = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.001, 0.05))
    total, warmup = 100, 10
    steps = [0, 3, warmup - 1, warmup, 55, total - 1, total, total + 1, total + 7]
    check_schedule(fn, total, warmup, base, floor, steps)


@check(
    SCHEDULE,
    "every step 0..T+2 (rises in warm-up, then falls); default min_lr",
    regimes=("process",),
)
def lr_curve(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    base = float(rng.uniform(0.1, 1.0))
    for total, warmup, floor in ((50, 8, None), (50, 8, 0.01), (37, 13, 0.05)):
        check_schedule(fn, total, warmup, base, floor)


@check(
    SCHEDULE,
    "boundaries: W = 0, W = 1, W = T - 1, T = 1, min_lr = base_lr, base_lr = 0",
    regimes=("hyperparameters",),
)
def lr_boundaries(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    base = float(rng.uniform(0.1, 1.0))
    floor = float(rng.uniform(0.0, 0.05))
    for total, warmup, base_lr, min_lr in (
        (30, 0, base, floor),  # no warm-up: base_lr at step 0
        (30, 0, base, None),
        (20, 1, base, floor),  # one warm-up step
        (12, 11, base, floor),  # the decay lasts one step
        (1, 0, base, floor),  # the shortest schedule
        (25, 5, base, base),  # min_lr = base_lr: flat after warm-up
        (25, 5, 0.0, 0.0),  # base_lr = 0: nothing moves
        (25, 5, 0.0, None),
    ):
        check_schedule(fn, total, warmup, base_lr, min_lr)


@check(
    SCHEDULE,
    "base_lr and min_lr as 0-d arrays: a new float on every path, arguments untouched",
    regimes=("aliasing",),
)
def lr_array_hyperparameters(learner, rng):
    # torch.optim accepts a tensor lr; here a 0-d numpy array. The call wrapper checks that
    # the arrays are unchanged afterwards (`base_lr *= ...` on an array changes the caller's)
    # and that no result is one of them (the paths that hand back base_lr or min_lr as they
    # are: step W, min_lr = base_lr, past total_steps, no warm-up at step 0).
    fn = learner.fn("warmup_cosine_lr")
    base, floor = float(rng.uniform(0.1, 1.0)), float(rng.uniform(0.001, 0.05))
    for total, warmup, low, steps in (
        (40, 6, floor, (0, 2, 6, 23, 40, 44)),
        (40, 0, floor, (0, 1, 40, 41)),
        (40, 6, base, (6, 20, 40, 41)),
    ):
        for step in steps:
            note = f"  (base_lr = np.array({base:.6g}), min_lr = np.array({low:.6g}))"
            check_schedule(fn, total, warmup, np.array(base), np.array(low), [step], note)


@check(
    SCHEDULE,
    "extremes: 10^12 steps, base_lr = 1e300 and 1e-300",
    regimes=("extremes",),
)
def lr_extremes(learner, rng):
    fn = learner.fn("warmup_cosine_lr")
    total, warmup = 3 * 10**12, 10**12
    steps = [0, 10**10, warmup - 1, warmup, 2 * 10**12 + 12345, total - 1, total, 2 * total]
    for base in (1e300, 1e-300, float(rng.uniform(0.1, 1.0))):
        check_schedule(fn, total, warmup, base, base / 10, steps)
        check_schedule(fn, total, warmup, base, None, steps)


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
PARAM_KEYS = ("W1", "b1", "W2", "b2")


def check_returned(result, X, y, hidden_dim, epochs, call):
    """(params, history) of the right types and shapes, or a KataFailure."""
    if not isinstance(result, tuple) or len(result) != 2 or not isinstance(result[0], dict):
        raise KataFailure(
            f"wrong return type\n  called   {call}\n  expected (params, history), a tuple of a "
            f"dict and a list; got {describe_value(result)}"
        )
    params, history = result
    if set(params) != set(PARAM_KEYS):
        raise KataFailure(f"wrong params\n  called   {call}\n  expected keys W1, b1, W2, b2")
    d, h, c = X.shape[1], hidden_dim, int(y.max()) + 1
    shapes = {
        "W1": ((d, h), "(D, hidden_dim)"),
        "b1": ((h,), "(hidden_dim,)"),
        "W2": ((h, c), "(hidden_dim, C)"),
        "b2": ((c,), "(C,)"),
    }
    for key, (shape, formula) in shapes.items():
        got = np.shape(params[key])
        if got != shape or not isinstance(params[key], np.ndarray):
            raise KataFailure(
                f"wrong params\n  called   {call}\n  {key} is {describe_value(params[key])}, "
                f"expected an array of shape {shape} = {formula} with hidden_dim={h}, D={d}, "
                f"C={c}: build the network from the arguments, not from fixed numbers."
            )
    if not isinstance(history, list):
        raise KataFailure(
            f"wrong history\n  called   {call}\n  expected a list (one mean loss per epoch), "
            f"got {describe_value(history)}"
        )
    if len(history) != epochs:
        raise KataFailure(
            f"wrong history\n  called   {call}\n  expected one mean loss per "
            f"epoch ({epochs}), got {len(history)}"
        )
    for e, value in enumerate(history):
        if not isinstance(value, float):
            raise KataFailure(
                f"wrong history\n  called   {call}\n  history[{e}] is {describe_value(value)} of "
                f"type {type(value).__name__}: expected a float (float(np.mean(losses)))"
            )
    return params, [float(v) for v in history]


def train(learner, X, y, seed, **overrides):
    fn = learner.fn("train_classifier")
    s = {**TRAINING, **overrides}
    args = (X, y, s["hidden_dim"], s["epochs"], s["lr"], s["batch_size"])
    call = fn.describe(*args, np.random.default_rng(seed))
    result = fn(*args, np.random.default_rng(seed))
    params, history = check_returned(result, X, y, s["hidden_dim"], s["epochs"], call)
    return params, history, call


@check(LOOP, "spiral: held-out accuracy >= 0.9, loss falls, under 20 s", timeout=60)
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


@check(
    LOOP,
    "same seed, same result; other seed, other result and other initial weights",
    timeout=30,
    regimes=("randomness",),
)
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
    # epochs = 0: the parameters returned are the initial ones, which come from rng too
    inits = [train(learner, X, y, seed, epochs=0) for seed in (21, 21, 22)]
    (i1, _, call), (i2, _, _), (i3, _, _) = inits
    if not all(np.array_equal(i1[k], i2[k]) for k in i1):
        raise KataFailure(
            f"not reproducible\n  called   {call} twice\n  the same seed gave different "
            "initial parameters (epochs = 0): draw them from rng only."
        )
    if all(np.array_equal(i1[k], i3[k]) for k in ("W1", "W2")):
        raise KataFailure(
            f"initial weights ignore the seed\n  called   {call} with seeds 21 and 22\n  both "
            "gave the same W1 and W2 (epochs = 0 returns the initial parameters): draw them "
            "from the rng you are given, not from a generator of your own with a fixed seed."
        )


@check(LOOP, "batch GD (batch_size > N): one step per epoch, the loss falls")
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


def torch_sgd(params: dict, grads: dict, lr: float) -> dict:
    """One plain SGD step (no momentum, no weight decay) from params, as torch.optim.SGD
    takes it: param.add_(grad, alpha=-lr). (The optimizer object itself is not built
    here: its first step imports torch's compiler stack, seconds per grading session.)"""
    return {
        k: torch.tensor(np.asarray(params[k], dtype=np.float64))
        .add_(torch.tensor(np.asarray(grads[k], dtype=np.float64)), alpha=-lr)
        .numpy()
        for k in PARAM_KEYS
    }


def step_looks_like(before, after, grads, lr, previous_grads) -> str:
    """Which classic change to the SGD step gives `after`, or ""."""
    step = {k: np.asarray(before[k]) - np.asarray(after[k]) for k in PARAM_KEYS}
    flat_step = np.concatenate([step[k].ravel() for k in PARAM_KEYS])
    flat_grad = np.concatenate([np.asarray(grads[k], dtype=float).ravel() for k in PARAM_KEYS])
    if not np.any(flat_step):
        return "the parameters did not change: params − lr · grads for every key, each batch."
    if np.allclose(flat_step, -lr * flat_grad, rtol=1e-9, atol=1e-15):
        return "gradient ascent: the step goes along +grads; SGD steps params − lr · grads."
    if previous_grads is not None:
        flat_prev = np.concatenate(
            [np.asarray(previous_grads[k], dtype=float).ravel() for k in PARAM_KEYS]
        )
        if np.allclose(flat_step, lr * flat_prev, rtol=1e-9, atol=1e-15):
            return "the previous batch's gradients: step with the grads of this batch."
    norm = float(flat_grad @ flat_grad)
    if norm > 0:
        ratio = float(flat_step @ flat_grad) / norm
        if np.allclose(flat_step, ratio * flat_grad, rtol=1e-9, atol=1e-15) and ratio > 0:
            return (
                f"a learning rate of {ratio:.6g} here, not lr = {lr:g}: the learning rate "
                "stays lr on every step (no decay or schedule inside train_classifier)."
            )
    return (
        "not plain SGD: momentum, weight decay, clipping or a changing learning rate? "
        "The step is params − lr · grads with the grads two_layer_net returned."
    )


def history_looks_like(got, losses, sizes) -> str:
    candidates = [
        (losses[-1], "the last batch's loss: history holds the mean of the epoch's batch losses."),
        (
            float(np.dot(losses, sizes) / np.sum(sizes)),
            "the batch losses weighted by batch size: each batch counts once here, the short "
            "last one too (the mean of the epoch's batch losses).",
        ),
        (float(np.sum(losses)), "the sum of the epoch's batch losses, not their mean."),
        (losses[0], "the first batch's loss: history holds the mean of the epoch's batch losses."),
    ]
    for value, says in candidates:
        if math.isclose(got, value, rel_tol=1e-10, abs_tol=1e-14):
            return f"\n  looks like: {says}"
    return ""


def check_net_step(params, Xb, yb, reg, loss, grads, where, what):
    """The loss and grads two_layer_net gave train_classifier at one step are the net's."""
    want_loss, want_grads = torch_two_layer_net(Xb, yb, params, reg)
    assert_matches(
        {"loss": loss, **{f"d{k}": grads[k] for k in PARAM_KEYS}},
        {"loss": want_loss, **{f"d{k}": want_grads[k] for k in PARAM_KEYS}},
        call=f"{what}  (two_layer_net at {where}, reg={reg!r})",
        oracle="the two-layer net in torch, autograd",
    )


def verify_training(result, X, y, hidden_dim, epochs, lr, batch_size, what):
    """Every step of one watched train_classifier run (graders/drivers/training.py)."""
    params, history = check_returned(result["returned"], X, y, hidden_dim, epochs, what)
    # which file two_layer_net and minibatches come from is not judged (a notebook puts
    # the cells of the katas it builds on into the same file): what they return is
    if result["global_numpy"] or result["global_python"]:
        raise KataFailure(
            f"randomness from outside the given rng\n  called   {what}\n  train_classifier "
            "changed the state of np.random's global generator or of Python's random "
            "module: draw the initial weights and the shuffles from rng only."
        )
    events = result["events"]
    passes = [e[1] for e in events if e[0] == "minibatches"]
    batches = [e for e in events if e[0] == "batch"]
    nets = [e for e in events if e[0] == "net"]
    if len(passes) != epochs:
        raise KataFailure(
            f"wrong number of passes\n  called   {what}\n  minibatches was called "
            f"{len(passes)} times for {epochs} epochs: one pass (one call of minibatches) per "
            "epoch."
        )
    for e, call in enumerate(passes):
        problems = []
        if not (call["X_equal"] and call["y_equal"]):
            problems.append("it was not given X and y as they were passed in")
        if call["batch_size"] != batch_size:
            problems.append(f"batch_size was {call['batch_size']!r}, not {batch_size}")
        if call["rng"] != "given":
            problems.append(
                "rng was None" if call["rng"] == "none" else "rng was not the rng you were "
                "given (a copy or a new generator repeats or detaches the shuffles)"
            )  # fmt: skip
        if not call["shuffle"]:
            problems.append("shuffle was False: every epoch shuffles")
        if problems:
            raise KataFailure(
                f"wrong pass in epoch {e}\n  called   {what}\n  in epoch {e}, "
                f"minibatches(X, y, batch_size, rng): {'; '.join(problems)}"
            )
    # which pass each yielded batch belongs to
    epoch_of, e = [], -1
    for event in events:
        if event[0] == "minibatches":
            e += 1
        elif event[0] == "batch":
            epoch_of.append(e)
    if len(nets) != len(batches):
        raise KataFailure(
            f"wrong number of steps\n  called   {what}\n  minibatches yielded {len(batches)} "
            f"batches over {epochs} epochs, two_layer_net was called {len(nets)} times: one "
            "call (and one SGD step) per batch."
        )
    current = None
    for k, (net, batch) in enumerate(zip(nets, batches)):
        _, Xb, yb, step_params, reg, loss, grads = net
        where = f"step {k} (epoch {epoch_of[k]})"
        if not (np.array_equal(Xb, batch[1]) and np.array_equal(yb, batch[2])):
            raise KataFailure(
                f"wrong batch at {where}\n  called   {what}\n  two_layer_net was not given the "
                f"batch minibatches yielded for it ({describe_value(batch[1])}): one step per "
                "batch, in the order they come."
            )
        if reg != nets[0][4]:
            raise KataFailure(
                f"reg changed at {where}\n  called   {what}\n  reg was {nets[0][4]!r} at step 0 "
                f"and {reg!r} here: one fixed reg for the whole run."
            )
        if not isinstance(step_params, dict) or set(step_params) != set(PARAM_KEYS):
            raise KataFailure(f"wrong params at {where}\n  called   {what}\n  expected a dict "
                              "W1, b1, W2, b2 given to two_layer_net")  # fmt: skip
        if current is None:
            check_returned((step_params, [0.0] * epochs), X, y, hidden_dim, epochs,
                           what + "  (the initial parameters)")  # fmt: skip
        else:
            compare_params(step_params, current, where, what, nets, k, lr)
        if not isinstance(grads, dict) or set(grads) != set(PARAM_KEYS):
            raise KataFailure(f"two_layer_net returned no grads dict at {where}")
        check_net_step(step_params, Xb, yb, reg, loss, grads, where, what)
        current = torch_sgd(step_params, grads, lr)
    if current is not None:
        compare_params(params, current, "the end (the returned params)", what, nets, len(nets), lr)
    for e in range(epochs):
        losses = [float(n[5]) for n, ep in zip(nets, epoch_of) if ep == e]
        sizes = [len(n[2]) for n, ep in zip(nets, epoch_of) if ep == e]
        want = float(np.mean(losses))
        if not math.isclose(history[e], want, rel_tol=1e-10, abs_tol=1e-14):
            raise KataFailure(
                f"wrong history[{e}]\n  called   {what}\n  got      {history[e]:.10g}\n"
                f"  expected {want:.10g}  (the mean of epoch {e}'s {len(losses)} batch losses, "
                "as your two_layer_net returned them)"
                + history_looks_like(history[e], losses, sizes)
            )
    orders = [
        np.concatenate([b[1] for b, ep in zip(batches, epoch_of) if ep == e]) for e in range(epochs)
    ]
    for e in range(1, epochs):
        # two correct shuffles of N >= 10 distinct rows agree with probability 1/10! < 3e-7
        if len(X) >= 10 and any(np.array_equal(orders[e], orders[f]) for f in range(e)):
            raise KataFailure(
                f"the same order in two epochs\n  called   {what}\n  epoch {e} saw the examples "
                "in the order of an earlier epoch: each pass draws a new shuffle from rng."
            )
    return params, history


def compare_params(got, expected, where, what, nets, k, lr):
    for key in PARAM_KEYS:
        g, e = np.asarray(got[key], dtype=float), expected[key]
        if g.shape != e.shape or not np.allclose(g, e, rtol=1e-10, atol=1e-13):
            before = nets[k - 1][3]
            grads = nets[k - 1][6]
            previous = nets[k - 2][6] if k >= 2 else None
            lines = [
                f"wrong parameters at {where}",
                f"  called   {what}",
                f"  {key} {first_difference(g, e, 1e-10, 1e-13) if g.shape == e.shape else g.shape}",
                "  expected one SGD step from the parameters and grads of the step before "
                "(torch.optim.SGD's update, param.add_(grad, alpha=-lr))",
                "  looks like: " + step_looks_like(before, got, grads, lr, previous),
            ]
            raise KataFailure("\n".join(lines))


def watch(learner, X, y, hidden_dim, epochs, lr, batch_size, seed, label=""):
    rng = np.random.default_rng(seed)
    what = (
        f"train_classifier(X {X.shape}, y, hidden_dim={hidden_dim}, epochs={epochs}, "
        f"lr={lr:g}, batch_size={batch_size}, rng){label}"
    )
    result = learner.drive(
        f"{DRIVER}:watch_training", X, y, hidden_dim, epochs, lr, batch_size, rng, what=what
    )
    return verify_training(result, X, y, hidden_dim, epochs, lr, batch_size, what)


def labelled_data(rng, n, d, classes):
    X = rng.normal(size=(n, d))
    y = np.concatenate([np.arange(classes), rng.integers(0, classes, n - classes)])
    return X, rng.permutation(y) if n > 1 else y


@check(
    LOOP,
    "each step: a pass per epoch with your rng, one SGD step per batch, the epoch's mean loss",
    timeout=30,
    regimes=("process", "randomness", "layout"),
)
def train_steps(learner, rng):
    n, d, classes = 23, 3, 3
    X, y = labelled_data(rng, n, d, classes)
    settings = (5, 3, 0.3, 5)  # hidden_dim, epochs, lr, batch_size (a short last batch)
    seed = int(rng.integers(1 << 30))
    views = [
        ("X transposed (X.T of a (D, N) array), y[::2] of a longer array",
         (np.ascontiguousarray(X.T).T, np.repeat(y, 2)[::2])),
        ("X[::-1] and y[::-1] (reversed views)", (X[::-1].copy()[::-1], y[::-1].copy()[::-1])),
    ]  # fmt: skip
    on_layouts(
        [(label, args) for label, args in views],
        lambda Xv, yv: watch(learner, Xv, yv, *settings, seed, "  (X, y as views)"),
    )


@check(
    LOOP,
    "boundaries: epochs = 0 and 1, lr = 0, batch_size = 1 and = N, N = 1, hidden_dim = 1",
    timeout=30,
    regimes=("hyperparameters", "shapes", "process"),
)
def train_boundaries(learner, rng):
    def seed():
        return int(rng.integers(1 << 30))

    X, y = labelled_data(rng, 12, 3, 3)
    params, history = watch(learner, X, y, 4, 0, 0.1, 5, seed())  # epochs = 0
    if history:
        raise KataFailure("epochs = 0 gives an empty history")
    watch(learner, X, y, 4, 1, 0.2, 5, seed())  # one epoch
    watch(learner, X, y, 4, 2, 0.0, 5, seed())  # lr = 0: the parameters never move
    watch(learner, X, y, 4, 2, 0.1, 1, seed())  # SGD
    watch(learner, X, y, 4, 2, 0.1, 12, seed())  # batch GD, batch_size = N
    X1, y1 = labelled_data(rng, 1, 2, 1)
    y1 = np.array([1])  # one example of class 1: C = 2
    watch(learner, X1, y1, 3, 2, 0.1, 4, seed())  # N = 1
    X2, y2 = labelled_data(rng, 7, 1, 2)
    watch(learner, X2, y2, 1, 2, 0.1, 3, seed())  # D = 1, hidden_dim = 1
