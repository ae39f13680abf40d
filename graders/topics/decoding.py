"""Graders of 14_decoding: temperature, top-k and top-p sampling, greedy and beam search,
token cross-entropy and perplexity.

Filters are compared with Hugging Face's TopKLogitsWarper and TopPLogitsWarper, written
here in torch (transformers is not a dependency): ties with the k-th value kept; top-p
removing the tokens whose ascending cumulative probability is <= 1 − p, the most probable
always kept. Crafted rows put ties at the k-th value and a cut exactly at p (tied tokens
of probability exactly 1/4 each: the cumulative sums are exact in binary), where which of
the tied tokens stay is free, so those rows are compared up to a permutation of the ties.
Random rows keep p at least 1e-6 away from every cumulative sum, so that rounding never
decides.

`sample` is graded by the distribution of its draws: many rows of two interleaved
distributions in one call (rows independent) and many calls with one rng, every count
compared with its exact binomial bounds (see DRAW_ALPHA), and by the rng it is given
(same state, same ids; fresh ids on the next call; another seed, other ids).

Beam search is played against toy models: the log-probabilities of each prefix are drawn
from a generator seeded by the prefix itself, so every prefix has its own next-token
distribution whatever order it is asked in; eos is made likely at a chosen depth. The
oracle is an exhaustive search over every hypothesis (a beam as wide as every prefix is
exact), and, for narrow beams, a reference beam search in torch written from the
contract. step_log_probs is a function of the grader's that the learner's code calls:
every call is checked (prefixes start with the prompt, none has emitted eos) and
recorded, so that the steps (which hypotheses each step expanded, when the search
stopped) are graded, not only the result.

Token cross-entropy is compared with F.cross_entropy(ignore_index=...) and autograd.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from graders.drivers.losses import strided, transposed
from graders.engine.checks import (
    Mistake,
    assert_matches,
    call_strictly,
    check_outputs,
    expect_array,
    expect_float,
)
from graders.engine.describe import describe_value
from graders.engine.learner import KataFailure
from graders.engine.reference import tensor
from graders.engine.registry import check, not_applicable

INF = float("inf")
NO_RNG = "deterministic: takes no rng"
STABLE_SOFTMAX = (
    "softmax as exp(z − max(z)) / sum(exp(z − max(z))) along the last axis: exp only ever "
    "sees values <= 0, and exp(−inf) = 0 for a removed token"
)
STABLE_LOG_SOFTMAX = (
    "log_softmax(z) = (z − max z) − log(sum(exp(z − max z))) along the last axis, and the "
    "loss read from it, never log(softmax(z)) (log(0) for a token of probability e^-2000)"
)

not_applicable(
    "14_decoding/sampling",
    process="one draw per row per call, no steps: successive calls with one rng are graded "
    "under randomness",
)
not_applicable(
    "14_decoding/beam_search",
    layout="its inputs are a function and integers (the prompt, a list or 1-D array, is read "
    "whole into a list of ints); the arrays the model returns are the grader's",
    aliasing="max_len >= 1: the tokens returned always hold generated tokens, a new list, "
    "never the prompt as it was; a prompt extended in place is graded as an in-place change",
    randomness=NO_RNG,
)
not_applicable(
    "14_decoding/perplexity",
    aliasing="dlogits is computed afresh (softmax minus one-hot, over the count) on every "
    "path, and the all-ignored path returns new zeros; the engine checks the memory of "
    "every returned array on every call",
    randomness=NO_RNG,
    process="one loss and its gradient: no steps",
)


# ================================================================ sampling: the oracles


def torch_temperature(logits, temperature):
    return (tensor(logits) / temperature).numpy()


def torch_top_k(logits, k):
    """Hugging Face's TopKLogitsWarper: below the k-th largest value -> -inf (ties stay)."""
    t = tensor(logits)
    k = min(int(k), t.shape[-1])
    kth = torch.topk(t, k, dim=-1).values[..., -1:]
    return t.masked_fill(t < kth, -INF).numpy()


def torch_top_p(logits, p):
    """Hugging Face's TopPLogitsWarper: sort ascending, remove where the cumulative
    probability is <= 1 − p, the most probable always kept."""
    t = tensor(logits)
    ascending, order = torch.sort(t, dim=-1)
    tail = ascending.softmax(dim=-1).cumsum(dim=-1)
    remove = tail <= 1 - p
    remove[..., -1:] = False
    remove = remove.scatter(-1, order, remove)
    return t.masked_fill(remove, -INF).numpy()


def torch_pipeline(logits, temperature=1.0, top_k=None, top_p=None):
    """Hugging Face's order: temperature, top-k, top-p; then the probabilities."""
    z = torch_temperature(logits, temperature)
    if top_k is not None:
        z = torch_top_k(z, top_k)
    if top_p is not None:
        z = torch_top_p(z, top_p)
    return torch.softmax(tensor(z), dim=-1).numpy()


# ---------------------------------------------------------------- the listed mistakes


def np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def top_p_crossing_dropped(logits, p):
    """The token that crosses p dropped: kept while the cumulative *including* the token is
    <= p (the most probable still kept)."""
    order = np.argsort(-logits, axis=-1, kind="stable")
    probs = np.take_along_axis(np_softmax(logits), order, axis=-1)
    keep = np.cumsum(probs, axis=-1) <= p
    keep[..., 0] = True
    kept = np.empty_like(keep)
    np.put_along_axis(kept, order, keep, axis=-1)
    return np.where(kept, logits, -INF)


def top_k_by_index(logits, k):
    out = np.full(logits.shape, -INF)
    out[..., :k] = logits[..., :k]
    return out


def top_k_exactly_k(logits, k):
    """Exactly k kept by position (argsort): a tie at the k-th value loses some of its tokens."""
    if k >= logits.shape[-1]:
        return logits.copy()
    order = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    out = np.full(logits.shape, -INF)
    np.put_along_axis(out, order, np.take_along_axis(logits, order, axis=-1), axis=-1)
    return out


def top_p_mass_before_at_most_p(logits, p):
    """Kept while the tokens before hold at most p (<= instead of <): at an exact cut one
    token too many."""
    order = np.argsort(-logits, axis=-1, kind="stable")
    probs = np.take_along_axis(np_softmax(logits), order, axis=-1)
    before = np.cumsum(probs, axis=-1) - probs
    keep = before <= p
    kept = np.empty_like(keep)
    np.put_along_axis(kept, order, keep, axis=-1)
    return np.where(kept, logits, -INF)


def top_p_none_kept(logits, p):
    """Kept while the cumulative including the token is below p, with nothing forced: at a
    tiny p every token goes."""
    order = np.argsort(-logits, axis=-1, kind="stable")
    probs = np.take_along_axis(np_softmax(logits), order, axis=-1)
    keep = np.cumsum(probs, axis=-1) < p
    kept = np.empty_like(keep)
    np.put_along_axis(kept, order, keep, axis=-1)
    return np.where(kept, logits, -INF)


TEMPERATURE_MULTIPLIED = (
    "temperature multiplied instead of divided: the logits are divided by T, so T < 1 "
    "sharpens the distribution and T > 1 flattens it."
)
CROSSING_DROPPED = (
    "top-p that drops the token that crosses p: keep the smallest set whose probability "
    "*reaches* p, the token that takes the cumulative past p included (a token is kept "
    "while the tokens before it hold less than p)."
)
BY_INDEX = (
    "top-k by index instead of value: the first k positions of the vocabulary kept, not "
    "the k largest logits."
)
TIES_DROPPED = (
    "exactly k tokens kept by position (argsort or argpartition): ties with the k-th "
    "largest value are all kept, as Hugging Face's TopKLogitsWarper (compare with the k-th "
    "largest value, np.sort(z)[..., -k])."
)
AT_MOST_P = (
    "a token kept when the tokens before it hold exactly p: the cut is exact there, so the "
    "set already reaches p without it (keep while the mass before is < p, not <= p)."
)
NONE_KEPT = (
    "no token kept at a small p: the most probable token always stays, however small p is "
    "(Hugging Face's min_tokens_to_keep = 1)."
)
NOT_RENORMALISED = (
    "probabilities not renormalised: after the filters, the kept tokens' probabilities must "
    "sum to 1 again (the softmax of the filtered logits); the mass of the removed ones went "
    "elsewhere (here, to the last token)."
)
FILTERS_BEFORE_TEMPERATURE = (
    "the filters applied before the temperature: Hugging Face divides by T first, then "
    "applies top-k and top-p to the tempered distribution (the nucleus depends on T)."
)
TOP_P_ON_FULL = (
    "top-p computed on the full distribution: it is applied to what top-k left, "
    "renormalised (Hugging Face's order), so its nucleus is a share of the top-k mass."
)


def same_up_to_ties(got, expected, logits) -> bool:
    """Whether two filter outputs agree, allowing any choice among tied logits: every element
    is its logit or -inf in both, and in each row every distinct logit keeps as many
    tokens in both."""
    got, expected, logits = (np.asarray(a, dtype=float) for a in (got, expected, logits))
    if got.shape != expected.shape:
        return False
    if np.array_equal(got, expected):
        return True
    with np.errstate(all="ignore"):
        if not np.all((got == logits) | (got == -INF)):
            return False
    V = logits.shape[-1]
    for g, e, z in zip(got.reshape(-1, V), expected.reshape(-1, V), logits.reshape(-1, V)):
        for value in np.unique(z[np.isfinite(z)]):
            same = z == value
            if int((g[same] == value).sum()) != int((e[same] == value).sum()):
                return False
    return True


def grade_filter(learner, name, args, expected, logits, *, mistakes=(), note="", strict=True,
                 oracle=""):  # fmt: skip
    """Call a filter (under numpy raising on overflow and nan), compare with the oracle up to
    the order of ties; mistakes: (says, thunk -> output)."""
    fn = learner.fn(name)
    call = fn.describe(*args) + note
    if strict:
        result = call_strictly(fn, *args, stable_form=STABLE_SOFTMAX)
    else:
        result = fn(*args)
    got = expect_array(result, "out", np.shape(expected), call)
    if same_up_to_ties(got, expected, logits):
        return got
    known = []
    for says, thunk in mistakes:
        try:
            with np.errstate(all="ignore"):
                wrong = thunk()
        except Exception:  # noqa: BLE001 - a mistake that does not apply here
            continue
        if not same_up_to_ties(wrong, expected, logits) and same_up_to_ties(got, wrong, logits):
            known = [Mistake(says, lambda: {"out": got})]
            break
    assert_matches({"out": got}, {"out": expected}, call=call, oracle=oracle, mistakes=known)
    raise KataFailure(  # equal values but for -inf: assert_matches treats inf as equal
        f"wrong out\n  called   {call}\n  got      {describe_value(got)} with "
        f"{int(np.isinf(got).sum())} -inf\n  expected {int(np.isinf(expected).sum())} -inf "
        f"({oracle})"
    )


def random_logits(rng, shape, scale=2.0):
    return rng.normal(scale=scale, size=shape)


def cumulative_sums(logits):
    """Every row's descending cumulative probabilities (torch), for keeping p away from them."""
    probs = torch.softmax(tensor(logits), dim=-1)
    return torch.sort(probs, dim=-1, descending=True).values.cumsum(dim=-1).numpy()


def p_away_from_cuts(rng, logits, low=0.3, high=0.95, margin=1e-6):
    """A p in [low, high] at least `margin` from every cumulative sum of every row, so that
    no implementation's rounding decides the cut."""
    sums = cumulative_sums(logits).ravel()
    for _ in range(1000):
        p = float(rng.uniform(low, high))
        if np.abs(sums - p).min() > margin:
            return p
    raise AssertionError("no p away from the cumulative sums")


# ================================================================ sampling: filters


@check(
    "14_decoding/sampling",
    "apply_temperature: logits / T for T = 0.5, 2, 0.05 on (N, V), 1-D and 3-D; T = 1 a copy",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def temperature_values(learner, rng):
    cases = [
        (random_logits(rng, (int(rng.integers(2, 5)), int(rng.integers(4, 9)))), 0.5),
        (random_logits(rng, (int(rng.integers(4, 9)),)), 2.0),
        (random_logits(rng, (2, 3, 5)), 0.05),
        (random_logits(rng, (3, 6)), 1.0),  # nothing to do: still a new array
        (random_logits(rng, (1, 1)), 3.0),
    ]
    for logits, T in cases:
        check_outputs(
            learner,
            "apply_temperature",
            (logits, T),
            {"out": torch_temperature(logits, T)},
            oracle="logits / temperature in torch",
            mistakes=[(TEMPERATURE_MULTIPLIED, lambda z, t: z * t)],
        )


@check(
    "14_decoding/sampling",
    "apply_temperature keeps -inf and ±1e3 logits finite-or--inf, on views",
    regimes=("extremes", "layout", "exact values"),
)
def temperature_extremes(learner, rng):
    z = random_logits(rng, (4, 7)) * 500
    z[0, 1] = z[2, 3] = -INF
    for logits, T, note in (
        (transposed(z), 0.01, "  (a transposed view, ±1e3 and -inf entries)"),
        (strided(z), 3.0, "  (a strided view)"),
    ):
        check_outputs(learner, "apply_temperature", (logits, T),
                      {"out": torch_temperature(logits, T)}, oracle="logits / temperature",
                      mistakes=[(TEMPERATURE_MULTIPLIED, lambda a, t: a * t)],
                      stable_form=STABLE_SOFTMAX, note=note)  # fmt: skip


def top_k_mistakes(logits, k):
    return [
        (BY_INDEX, lambda: top_k_by_index(logits, k)),
        (TIES_DROPPED, lambda: top_k_exactly_k(logits, k)),
    ]


def grade_top_k(learner, logits, k, note=""):
    grade_filter(learner, "top_k_filter", (logits, k), torch_top_k(logits, k), logits,
                 mistakes=top_k_mistakes(logits, k), note=note,
                 oracle="Hugging Face's TopKLogitsWarper, in torch")  # fmt: skip


@check(
    "14_decoding/sampling",
    "top_k_filter matches TopKLogitsWarper: k = 1, 3, V − 1, V, V + 2 on (N, V), 1-D, 3-D",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def top_k_values(learner, rng):
    V = int(rng.integers(6, 10))
    z = random_logits(rng, (int(rng.integers(2, 5)), V))
    for k in (1, 3, V - 1, V, V + 2):  # k >= V: nothing to remove, still a new array
        grade_top_k(learner, z, k)
    grade_top_k(learner, random_logits(rng, (V,)), 2, "  (1-D logits)")
    grade_top_k(learner, random_logits(rng, (2, 3, V)), 4, "  (3-D logits)")
    grade_top_k(learner, random_logits(rng, (1, 1)), 1, "  (V = 1)")


@check(
    "14_decoding/sampling",
    "top_k_filter keeps every tie of the k-th value; -inf entries; views; ±1e3",
    regimes=("exact values", "layout", "extremes"),
)
def top_k_ties(learner, rng):
    shift = float(rng.normal())
    tied = np.array([[3.0, 1.0, 2.0, 2.0, 0.0, 2.0], [0.5, 0.5, 0.5, -1.0, 4.0, 0.5]]) + shift
    grade_top_k(learner, tied, 2, "  (row 0: the 2nd largest value is tied 3 times)")
    grade_top_k(learner, tied, 1, "  (k = 1, row 1: ties below the maximum)")
    grade_top_k(learner, tied[1:] * 0 + shift, 1, "  (every logit tied: all kept)")
    z = random_logits(rng, (5, 8))
    z[1, [0, 3, 5]] = -INF
    grade_top_k(learner, z, 6, "  (row 1 has 3 -inf: its 6th largest is -inf)")
    grade_top_k(learner, transposed(random_logits(rng, (4, 7))), 3, "  (a transposed view)")
    grade_top_k(learner, strided(random_logits(rng, (3, 9)) * 500), 4,
                "  (a strided view, logits ±1e3)")  # fmt: skip


def top_p_mistakes(logits, p):
    return [
        (CROSSING_DROPPED, lambda: top_p_crossing_dropped(logits, p)),
        (AT_MOST_P, lambda: top_p_mass_before_at_most_p(logits, p)),
        (NONE_KEPT, lambda: top_p_none_kept(logits, p)),
    ]


def grade_top_p(learner, logits, p, note=""):
    grade_filter(learner, "top_p_filter", (logits, p), torch_top_p(logits, p), logits,
                 mistakes=top_p_mistakes(logits, p), note=note,
                 oracle="Hugging Face's TopPLogitsWarper, in torch")  # fmt: skip


@check(
    "14_decoding/sampling",
    "top_p_filter matches TopPLogitsWarper: the token that crosses p kept (N, V), 1-D, 3-D",
    regimes=("hyperparameters", "shapes", "aliasing"),
)
def top_p_values(learner, rng):
    V = int(rng.integers(6, 11))
    z = random_logits(rng, (int(rng.integers(3, 6)), V))
    for low, high in ((0.3, 0.6), (0.6, 0.9), (0.9, 0.99)):
        grade_top_p(learner, z, p_away_from_cuts(rng, z, low, high))
    z1 = random_logits(rng, (V,))
    grade_top_p(learner, z1, p_away_from_cuts(rng, z1), "  (1-D logits)")
    z3 = random_logits(rng, (2, 3, V))
    grade_top_p(learner, z3, p_away_from_cuts(rng, z3), "  (3-D logits)")
    grade_top_p(learner, random_logits(rng, (3, V)) / 4, 1.0, "  (p = 1: every token kept)")
    grade_top_p(learner, random_logits(rng, (1, 1)), 0.5, "  (V = 1)")


@check(
    "14_decoding/sampling",
    "top_p_filter at an exact cut (tied tokens of probability 1/4), tiny p, -inf, ±1e3, views",
    regimes=("exact values", "hyperparameters", "layout", "extremes"),
)
def top_p_exact(learner, rng):
    c = float(rng.normal())
    quarter = np.array([[c, -INF, c, c, -INF, c, -INF]])  # four tokens of probability 1/4
    grade_top_p(learner, quarter, 0.5, "  (four tokens of 1/4 each, p = 0.5: the first two "
                "reach p exactly, so two stay; which two of the tied is free)")  # fmt: skip
    grade_top_p(learner, quarter, 0.75, "  (p = 0.75: three stay)")
    grade_top_p(learner, quarter, 0.6, "  (p = 0.6: the third crosses p and stays)")
    grade_top_p(learner, quarter, 1.0, "  (p = 1: all four stay, -inf stay -inf)")
    z = random_logits(rng, (3, 6))
    z[1, 2] = z[1, 0] + 0.0  # a tie at the top of row 1
    z[1, 0] = z[1].max() + 1.0
    z[1, 2] = z[1, 0]
    grade_top_p(learner, z, 1e-9, "  (p = 1e-9: one token stays, the most probable; row 1 has "
                "two tied maxima, either one)")  # fmt: skip
    big = random_logits(rng, (4, 8)) * 500
    big[2, [1, 4]] = -INF
    grade_top_p(learner, transposed(big), p_away_from_cuts(rng, big, 0.5, 0.99),
                "  (a transposed view of logits ±1e3, row 2 with -inf)")  # fmt: skip
    offset = strided(random_logits(rng, (3, 7)) + 1e4)
    grade_top_p(learner, offset, p_away_from_cuts(rng, offset),
                "  (a strided view of logits near 1e4)")  # fmt: skip


# ================================================================ sampling: draws

# Every count of a token's draws is Binomial(n, π) exactly (the multinomial's marginals).
# count_bounds gives each token an interval whose two exact binomial tails each hold at
# most DRAW_ALPHA / (2·K) (K tokens of probability > 0), so by the union bound a correct
# sampler leaves some interval with probability at most DRAW_ALPHA = 1e-8 per distribution
# tested. A token of probability 0 is never drawn (no false failure at all). The checks
# below test at most 14 distributions each: below 1.4e-7 per check.
DRAW_ALPHA = 1e-8


def count_bounds(n: int, probs, alpha: float = DRAW_ALPHA):
    """Per token [lo, hi]: P(count < lo) <= a and P(count > hi) <= a, a = alpha / (2·K)."""
    probs = np.asarray(probs, dtype=float)
    a = alpha / (2 * max(1, int((probs > 0).sum())))
    lo, hi = np.zeros(len(probs), dtype=int), np.zeros(len(probs), dtype=int)
    k = np.arange(n + 1)
    for i, pi in enumerate(probs):
        if pi <= 0 or pi >= 1:
            lo[i] = hi[i] = 0 if pi <= 0 else n
            continue
        ratio = np.log((n - k[:-1]) / (k[:-1] + 1)) + math.log(pi) - math.log1p(-pi)
        log_pmf = n * math.log1p(-pi) + np.concatenate(([0.0], np.cumsum(ratio)))
        pmf = np.exp(log_pmf)
        below = np.cumsum(pmf)  # P(count <= k)
        above = np.cumsum(pmf[::-1])[::-1]  # P(count >= k)
        lo[i] = int(np.argmax(below > a))  # P(count < lo) = below[lo − 1] <= a
        hi[i] = int(n - np.argmax(above[::-1] > a))  # P(count > hi) = above[hi + 1] <= a
    return lo, hi


def counts_fit(counts, probs) -> bool:
    n = int(counts.sum())
    lo, hi = count_bounds(n, probs)
    return bool(np.all((counts >= lo) & (counts <= hi)))


def describe_counts(counts, probs) -> str:
    n = int(counts.sum())
    lo, hi = count_bounds(n, probs)
    out = []
    for i, (c, pi) in enumerate(zip(counts, probs)):
        mark = "" if lo[i] <= c <= hi[i] else "   <-- outside"
        out.append(f"    token {i}: drawn {int(c)} times, expected {n * pi:.1f} "
                   f"(within [{lo[i]}, {hi[i]}]){mark}")  # fmt: skip
    return "\n".join(out)


def sample_mistakes(logits, temperature, top_k, top_p):
    """(says, probabilities) of the listed mistakes on one row of logits: those that can
    differ from the right distribution under these settings (a filter that removes
    nothing, k >= V or p = 1, or T = 1 make some of them the same)."""
    V = logits.shape[-1]
    z = logits / temperature
    active_k = top_k is not None and top_k < V
    active_p = top_p is not None and top_p < 1
    out = []
    if temperature != 1.0:
        out.append((TEMPERATURE_MULTIPLIED, torch_pipeline(logits * temperature**2, temperature,
                                                           top_k, top_p)))  # fmt: skip
    if active_p:
        zk = torch_top_k(z, top_k) if top_k is not None else z
        out.append((CROSSING_DROPPED, np_softmax(top_p_crossing_dropped(zk, top_p))))
        if active_k:
            both = np.where(np.isinf(torch_top_p(z, top_p)), -INF, torch_top_k(z, top_k))
            out.append((TOP_P_ON_FULL, np_softmax(both)))
    if active_k:
        zk = top_k_by_index(z, top_k)
        if top_p is not None:
            zk = torch_top_p(zk, top_p)
        out.append((BY_INDEX, np_softmax(zk)))
    if active_k or active_p:
        filtered = z
        if top_k is not None:
            filtered = torch_top_k(filtered, top_k)
        if top_p is not None:
            filtered = torch_top_p(filtered, top_p)
        kept = np.where(np.isinf(filtered), 0.0, np_softmax(z))
        kept[-1] += 1.0 - kept.sum()
        out.append((NOT_RENORMALISED, kept))
    if active_p and temperature != 1.0:  # top-k alone does not care about the scale
        early = torch_top_k(logits, top_k) if top_k is not None else logits
        early = torch_top_p(early, top_p)
        out.append((FILTERS_BEFORE_TEMPERATURE, np_softmax(early / temperature)))
    return out


def as_ids(result, shape, call) -> np.ndarray:
    """The learner's ids as an int array of `shape` (a Python int for 1-D logits)."""
    if shape == ():
        if isinstance(result, np.ndarray) and result.shape == ():
            result = result[()]
        if isinstance(result, (bool, np.bool_)) or not isinstance(result, (int, np.integer)):
            raise KataFailure(f"wrong return type\n  called   {call}\n  for 1-D logits the "
                              f"result is one id, an int; got {describe_value(result)}")  # fmt: skip
        return np.array(int(result))
    if not isinstance(result, np.ndarray) or result.dtype.kind not in "iu":
        raise KataFailure(f"wrong return type\n  called   {call}\n  expected an int array of "
                          f"shape {shape}; got {describe_value(result)}")  # fmt: skip
    if result.shape != shape:
        raise KataFailure(f"wrong shape\n  called   {call}\n  ids have shape {result.shape}, "
                          f"expected {shape} (logits.shape[:-1]: one id per row)")  # fmt: skip
    return result


def judge_draws(ids, probs, call, what, mistakes=()):
    """ids: draws of one distribution `probs` (V,). Fails with the counts when they leave
    their exact binomial bounds, naming a listed mistake whose distribution they fit."""
    V = len(probs)
    ids = np.asarray(ids).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        bad = ids[(ids < 0) | (ids >= V)][0]
        raise KataFailure(f"id out of range\n  called   {call}\n  {what}: drew {int(bad)}, "
                          f"not a token of the V = {V} (0 to {V - 1})")  # fmt: skip
    counts = np.bincount(ids, minlength=V)
    if counts_fit(counts, probs):
        return
    impossible = [i for i in range(V) if probs[i] == 0 and counts[i] > 0]
    problem = (
        f"drew token {impossible[0]} {int(counts[impossible[0]])} times, though the filters "
        "remove it (probability 0)"
        if impossible
        else "the counts of the draws leave their bounds"
    )
    looks = ""
    if len(ids) >= 100 and np.all(ids == ids[0]) and max(probs) < 0.99:
        looks = (
            "one random number shared by every row (or every call): each row is drawn on "
            "its own, e.g. u = rng.random(number of rows)."
        )
    for says, wrong in mistakes:
        if not np.allclose(wrong, probs, atol=1e-6) and counts_fit(counts, wrong):
            looks = says
            break
    raise KataFailure(
        f"wrong distribution of the draws\n  called   {call}\n  {what}: {problem}\n"
        f"{describe_counts(counts, probs)}\n  (expected: softmax of the filtered logits, "
        "Hugging Face's order; exact binomial bounds that fail a correct sampler with "
        "probability below 1e-8)" + (f"\n  looks like: {looks}" if looks else "")
    )


def far_apart(a, b) -> bool:
    """Total variation of at least 0.05: at n >= 1500 draws, 75 draws or more apart, far
    outside the bounds (about 5.7 standard deviations of a count of n/2 are 110 at most)."""
    return np.abs(a - b).sum() / 2 >= 0.05


def nameable(row, settings, expose=()):
    """The listed mistakes (says, probabilities) a count may be named by: those of `expose`
    first, then the others that are far from the right distribution and from every one
    already kept, so that the draws fit at most one of them."""
    right = torch_pipeline(row, *settings)
    mistakes = sample_mistakes(row, *settings)
    ordered = [m for m in mistakes if m[0] in expose] + [m for m in mistakes if m[0] not in expose]
    kept = []
    for says, wrong in ordered:
        if far_apart(wrong, right) and all(far_apart(wrong, w) for _, w in kept):
            kept.append((says, wrong))
    return kept


def two_rows(rng, V, settings, expose=()):
    """Two rows of logits A, B (V,) for which the settings' cut is well defined (p, if any,
    1e-3 from every cumulative sum of both rows' top-k'd, tempered distributions) and each
    mistake of `expose` is far from the right distribution and from the other exposed ones
    on row A, so that it fails and is named on every seed."""
    temperature, top_k, top_p = settings
    for _ in range(2000):
        rows = random_logits(rng, (2, V), scale=1.2)
        z = rows / temperature
        if top_k is not None:
            z = np.stack([torch_top_k(r, top_k) for r in z])
        if top_p is not None and top_p < 1 and np.abs(cumulative_sums(z) - top_p).min() <= 1e-3:
            continue
        shown = {says for says, _ in nameable(rows[0], settings, expose)}
        if set(expose) <= shown:
            return rows
    raise AssertionError("no rows for these settings")


# (temperature, top_k, top_p), and the mistakes each one's rows are drawn to expose
SAMPLE_SETTINGS = [
    ((1.0, None, None), ()),
    ((0.6, None, None), (TEMPERATURE_MULTIPLIED,)),
    ((1.7, 5, None), (TEMPERATURE_MULTIPLIED, BY_INDEX, NOT_RENORMALISED)),
    ((1.0, None, 0.7), (CROSSING_DROPPED, NOT_RENORMALISED)),
    ((0.8, 3, 0.7), (TOP_P_ON_FULL,)),
    ((0.5, None, 0.8), (FILTERS_BEFORE_TEMPERATURE,)),
]


def grade_batch(learner, rng, settings, *, expose=(), n=3000, V=None, view=None, note=""):
    """One call on 2n rows alternating between two distributions A and B."""
    temperature, top_k, top_p = settings
    V = V or int(rng.integers(7, 11))
    rows = two_rows(rng, V, settings, expose)
    logits = np.tile(rows, (n, 1))  # rows A, B, A, B, ...
    if view is not None:
        logits = view(logits)
    kwargs = {}
    if temperature != 1.0:
        kwargs["temperature"] = temperature
    if top_k is not None:
        kwargs["top_k"] = top_k
    if top_p is not None:
        kwargs["top_p"] = top_p
    fn = learner.fn("sample")
    generator = np.random.default_rng(int(rng.integers(1 << 30)))
    call = fn.describe(logits, generator, **kwargs) + note
    result = call_strictly(fn, logits, generator, stable_form=STABLE_SOFTMAX, **kwargs)
    ids = as_ids(result, (2 * n,), call)
    for which, row in zip("AB", rows):
        probs = torch_pipeline(row, temperature, top_k, top_p)
        judge_draws(ids[0 if which == "A" else 1 :: 2], probs, call,
                    f"the {n} rows equal to row {which} ({'even' if which == 'A' else 'odd'} "
                    "rows)", nameable(row, settings, expose))  # fmt: skip


@check(
    "14_decoding/sampling",
    "sample's draws follow softmax(filtered logits): T, top-k, top-p and both (6000 rows)",
    regimes=("randomness", "hyperparameters"),
)
def sample_distribution(learner, rng):
    for settings, expose in SAMPLE_SETTINGS:
        grade_batch(learner, rng, settings, expose=expose)


@check(
    "14_decoding/sampling",
    "sample on 1-D logits returns an int; 400 calls with one rng follow the distribution",
    regimes=("randomness", "shapes"),
)
def sample_one_row(learner, rng):
    V = 5
    row = np.array([1.0, -0.5, 0.3, 0.9, -1.2]) + rng.normal(scale=0.2, size=V)
    settings = (0.9, 4, None)
    fn = learner.fn("sample")
    generator = np.random.default_rng(int(rng.integers(1 << 30)))
    call = fn.describe(row, generator, temperature=0.9, top_k=4) + ", 400 times with the same rng"
    ids = np.array([as_ids(fn(row, generator, temperature=0.9, top_k=4), (), call)
                    for _ in range(400)])  # fmt: skip
    if len(set(ids.tolist())) == 1:
        raise KataFailure(
            f"the same id on every call\n  called   {call}\n  every call returned "
            f"{int(ids[0])}\n  looks like: the draws do not come from rng itself (a copy of "
            "it, or a fixed seed): rng advances with every draw, so successive calls differ."
        )
    judge_draws(ids, torch_pipeline(row, *settings), call, "the 400 draws",
                nameable(row, settings))  # fmt: skip


@check(
    "14_decoding/sampling",
    "sample: same rng state, same ids; the next call and another seed, other ids",
    regimes=("randomness",),
)
def sample_reproducible(learner, rng):
    V = 8
    logits = random_logits(rng, (300, V), scale=0.5)  # every probability below 1/2
    fn = learner.fn("sample")
    seed = int(rng.integers(1 << 30))
    call = fn.describe(logits, np.random.default_rng(seed), top_p=0.9)
    first = as_ids(fn(logits, np.random.default_rng(seed), top_p=0.9), (300,), call)
    again = as_ids(fn(logits, np.random.default_rng(seed), top_p=0.9), (300,), call)
    # 300 rows, each of its tokens with probability below 1/2: two independent draws agree
    # everywhere with probability below 2^-300
    if not np.array_equal(first, again):
        raise KataFailure(
            f"not reproducible\n  called   {call} twice, with generators in the same state\n"
            "  the ids differ: draw from `rng` only, never np.random's global state (or "
            "an unseeded generator of your own)."
        )
    generator = np.random.default_rng(seed)
    one = as_ids(fn(logits, generator, top_p=0.9), (300,), call)
    two = as_ids(fn(logits, generator, top_p=0.9), (300,), call)
    if np.array_equal(one, two):
        raise KataFailure(
            f"the same ids twice\n  called   {call}, then again with the same generator\n"
            "  the second call gave the same 300 ids: draw from rng itself, which advances "
            "(not a copy of it), so that the next call gets fresh draws."
        )
    other = as_ids(fn(logits, np.random.default_rng(seed + 1), top_p=0.9), (300,), call)
    if np.array_equal(first, other):
        raise KataFailure(
            f"seed ignored\n  called   {call} and with seed {seed + 1}\n  both gave the same "
            "ids: draw from the rng you are given."
        )


@check(
    "14_decoding/sampling",
    "sample on views, 3-D logits, V = 1; removed and -inf tokens never drawn",
    regimes=("layout", "shapes", "exact values", "randomness"),
)
def sample_layouts(learner, rng):
    grade_batch(learner, rng, (1.0, 3, None), n=1500, view=transposed,
                note="  (a transposed view)")  # fmt: skip
    grade_batch(learner, rng, (0.7, None, 0.8), n=1500, view=strided, note="  (a strided view)")
    fn = learner.fn("sample")
    z = random_logits(rng, (40, 30, 6))
    z[..., 2] = -INF
    generator = np.random.default_rng(int(rng.integers(1 << 30)))
    call = fn.describe(z, generator, top_k=3) + "  (3-D logits, token 2 at -inf everywhere)"
    ids = as_ids(call_strictly(fn, z, generator, stable_form=STABLE_SOFTMAX, top_k=3),
                 (40, 30), call)  # fmt: skip
    allowed = ~np.isinf(torch_top_k(z, 3))
    drawn_ok = np.take_along_axis(allowed, np.clip(ids, 0, 5)[..., None], axis=-1)[..., 0]
    if ids.min() < 0 or ids.max() > 5 or not drawn_ok.all():
        where = tuple(int(i) for i in np.argwhere(~drawn_ok | (ids < 0) | (ids > 5))[0])
        raise KataFailure(
            f"a removed token drawn\n  called   {call}\n  at {list(where)} drew {int(ids[where])}"
            ", which top-k (or -inf) removed: its probability is 0"
        )
    one = as_ids(fn(np.array([[0.3]] * 5), generator), (5,), fn.describe(np.array([[0.3]] * 5),
                 generator))  # fmt: skip
    if not np.all(one == 0):
        raise KataFailure(f"wrong id\n  called   sample on (5, 1) logits (V = 1)\n  got "
                          f"{one.tolist()}, expected all 0: the only token")  # fmt: skip


@check(
    "14_decoding/sampling",
    "sample on ±1e3 logits, T = 0.01 and -inf entries: no overflow, no nan, the certain token",
    regimes=("extremes", "exact values"),
)
def sample_extremes(learner, rng):
    fn = learner.fn("sample")
    N, V = 200, 7
    z = random_logits(rng, (N, V)) * 400
    best = rng.integers(0, V, size=N)
    z[z > 200] = 200.0  # the others at least 800 below: probability below e^-266 at T = 3
    z[np.arange(N), best] = 1000.0
    z[np.arange(0, N, 3), (best[::3] + 1) % V] = -INF
    generator = np.random.default_rng(int(rng.integers(1 << 30)))
    for kwargs, note in (
        ({}, "  (logits ±1e3: the token at 1000 is certain, the others 800 or more below)"),
        ({"temperature": 0.01}, "  (T = 0.01: logits / T near 1e5)"),
        ({"top_p": 0.5, "temperature": 3.0}, ""),
    ):
        call = fn.describe(z, generator, **kwargs) + note
        ids = as_ids(call_strictly(fn, z, generator, stable_form=STABLE_SOFTMAX, **kwargs),
                     (N,), call)  # fmt: skip
        if not np.array_equal(ids, best):
            row = int(np.argmax(ids != best))
            raise KataFailure(
                f"wrong id\n  called   {call}\n  row {row}: drew {int(ids[row])}, expected "
                f"{int(best[row])}, the token whose probability is 1 (to 1e-100)"
            )
    tiny = np.array([0.5, 0.2, -0.3, 0.1]) * 3
    call = fn.describe(tiny, generator, temperature=0.01)
    for _ in range(3):
        got = as_ids(call_strictly(fn, tiny, generator, stable_form=STABLE_SOFTMAX,
                                   temperature=0.01), (), call)  # fmt: skip
        if got != 0:
            raise KataFailure(f"wrong id\n  called   {call}\n  got {int(got)}, expected 0: at T "
                              "= 0.01 the largest logit is certain (greedy)")  # fmt: skip


@check(
    "14_decoding/sampling",
    "sample with top_k = 1 and a tiny top_p is greedy; top_k >= V and top_p = 1 change nothing",
    regimes=("hyperparameters", "exact values"),
)
def sample_boundaries(learner, rng):
    fn = learner.fn("sample")
    z = random_logits(rng, (500, 6))
    argmax = z.argmax(axis=1)
    generator = np.random.default_rng(int(rng.integers(1 << 30)))
    for kwargs in ({"top_k": 1}, {"top_p": 1e-9}, {"top_k": 1, "temperature": 5.0}):
        call = fn.describe(z, generator, **kwargs)
        ids = as_ids(fn(z, generator, **kwargs), (500,), call)
        if not np.array_equal(ids, argmax):
            row = int(np.argmax(ids != argmax))
            raise KataFailure(
                f"wrong id\n  called   {call}\n  row {row}: drew {int(ids[row])}, expected "
                f"{int(argmax[row])}, the only token left (the most probable)"
            )
    grade_batch(learner, rng, (1.0, 12, None), V=8, n=2000, note="  (top_k = 12 > V = 8)")
    grade_batch(learner, rng, (1.0, None, 1.0), n=2000, note="  (top_p = 1)")


# ================================================================ beam search


class ToyModel:
    """Next-token log-probabilities for any prefix, drawn from a generator seeded by the
    prefix itself (so the same prefix always gets the same distribution, whatever order
    prefixes come in). eos_logit: {depth: logit added to eos when generating token number
    `depth` after the prompt}; banned tokens are -inf; scale sets how peaked it is."""

    def __init__(self, seed, V, eos, prompt, *, scale=1.5, eos_logit=None, banned=()):
        self.seed, self.V, self.eos, self.prompt = seed, V, eos, tuple(prompt)
        self.scale, self.eos_logit, self.banned = scale, dict(eos_logit or {}), tuple(banned)
        self.cache = {}

    def log_probs(self, prefix) -> np.ndarray:
        prefix = tuple(int(t) for t in prefix)
        if prefix not in self.cache:
            depth = len(prefix) - len(self.prompt) + 1
            logits = np.random.default_rng([self.seed, *prefix]).normal(
                scale=self.scale, size=self.V
            )
            logits[self.eos] += self.eos_logit.get(depth, 0.0) * self.scale
            t = tensor(logits)
            if self.banned:
                t[list(self.banned)] = -INF
            self.cache[prefix] = torch.log_softmax(t, dim=0).numpy()
        return self.cache[prefix]

    def describe(self) -> str:
        return f"step_log_probs (a toy model: V = {self.V}, eos = {self.eos})"


def as_tokens(value, call, what="tokens") -> list:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return [int(t) for t in value]
    if isinstance(value, (list, tuple)) and all(
        isinstance(t, (int, np.integer)) and not isinstance(t, (bool, np.bool_)) for t in value
    ):
        return [int(t) for t in value]
    raise KataFailure(f"wrong {what}\n  called   {call}\n  expected a list of ints, got "
                      f"{describe_value(value)}")  # fmt: skip


def learner_model(model, prompt, max_len, calls):
    """The function handed to the learner: checks and records each call."""
    P = len(prompt)

    def step_log_probs(prefixes):
        try:
            a = np.asarray(prefixes)
        except ValueError:
            a = np.asarray([0.5])
        if a.ndim == 1 and a.dtype.kind in "iu":
            raise KataFailure(
                "step_log_probs called with a 1-D array of tokens: it takes a batch of "
                f"prefixes, an int array (B, t) (one prefix: [[...]])\n  got {a.tolist()[:12]}"
            )
        if a.ndim != 2 or a.dtype.kind not in "iu" or a.shape[0] == 0:
            raise KataFailure(
                "step_log_probs takes an int array (B, t) of B prefixes of one length t; got "
                f"{describe_value(prefixes)}"
            )
        rows = [tuple(int(t) for t in r) for r in a]
        for r in rows:
            if r[:P] != tuple(prompt) or any(not 0 <= t < model.V for t in r[P:]):
                raise KataFailure(
                    f"step_log_probs called with the prefix {list(r)}: every prefix starts "
                    f"with the prompt {list(prompt)}, then tokens in [0, {model.V})"
                )
            if model.eos in r[P:]:
                raise KataFailure(
                    f"step_log_probs called with the prefix {list(r)}, which has emitted eos = "
                    f"{model.eos}\n  looks like: finished hypotheses kept expanding: a "
                    "hypothesis that emits eos is done; it leaves the beam (its score is "
                    "final) and is never extended."
                )
            if len(r) - P >= max_len:
                raise KataFailure(
                    f"step_log_probs called with the prefix {list(r)}, which already has "
                    f"max_len = {max_len} generated tokens: the search stops after max_len "
                    "steps."
                )
        calls.append(rows)
        return np.stack([model.log_probs(r) for r in rows])

    step_log_probs.__name__ = model.describe()
    return step_log_probs


def penalised(total, length, length_penalty):
    with np.errstate(all="ignore"):
        return float(np.float64(total) / np.float64(length) ** length_penalty)


class Tie(Exception):
    """The reference met scores closer than 1e-9: the grader draws another model."""


def reference_beam(model, prompt, eos, beam_width, max_len, length_penalty, *,
                   expand_finished=False, raw_compare=False, eos_uncounted=False,
                   prompt_counted=False, candidates=2, eos_any_rank=False, stop_first=False,
                   live_dropped=False, ignore_penalty=False, guard=False):  # fmt: skip
    """Beam search as the contract has it, in torch, with switches for the mistakes.
    Returns (tokens, score, steps): steps is the list of the sets of prefixes expanded."""
    prompt = tuple(prompt)
    P = len(prompt)
    lp = 0.0 if ignore_penalty else length_penalty

    def length(tokens, finished):
        n = len(tokens) - P
        if finished and eos_uncounted:
            n = max(n - 1, 1)
        return n + (P if prompt_counted else 0)

    live = [(prompt, 0.0)]
    finished = []  # (score, raw sum, tokens)
    steps = []
    ran_out = True
    for _ in range(max_len):
        steps.append({tokens for tokens, _ in live})
        logp = torch.stack([tensor(model.log_probs(tokens)) for tokens, _ in live])
        sums = torch.tensor([total for _, total in live])[:, None] + logp
        flat = sums.flatten()
        order = torch.sort(-flat, stable=True).indices[: candidates * beam_width]
        if guard:
            top = flat[torch.sort(-flat, stable=True).indices[: candidates * beam_width + 1]]
            finite = top[torch.isfinite(top)]
            if len(finite) > 1 and float((finite[:-1] - finite[1:]).min()) < 1e-9:
                raise Tie
        next_live = []
        for rank, index in enumerate(order.tolist()):
            b, token = divmod(index, model.V)
            tokens, total = live[b][0] + (token,), float(flat[index])
            if token == eos and not expand_finished:
                if rank < beam_width or eos_any_rank:
                    finished.append((penalised(total, length(tokens, True), lp), total, tokens))
            else:
                if token == eos:
                    finished.append((penalised(total, length(tokens, True), lp), total, tokens))
                next_live.append((tokens, total))
                if len(next_live) == beam_width:
                    break
        live = next_live
        if (len(finished) >= beam_width or (stop_first and finished)) or not live:
            ran_out = False
            break
    if ran_out and not live_dropped:
        finished += [(penalised(t, length(k, False), lp), t, k) for k, t in live]
    if not finished:
        raise Tie  # nothing to return (a switch that drops everything): not a mistake here
    key = (lambda f: f[1]) if raw_compare else (lambda f: f[0])
    ranked = sorted(finished, key=key, reverse=True)
    if (
        guard
        and len(ranked) > 1
        and key(ranked[0]) - key(ranked[1]) < 1e-9 * max(1.0, abs(key(ranked[0])))
    ):
        raise Tie
    best = ranked[0]
    done = best[2][-1] == eos and len(best[2]) > P
    return list(best[2]), penalised(best[1], length(best[2], done), lp), steps


def exhaustive(model, prompt, eos, max_len, length_penalty):
    """The best hypothesis over every one there is: finished at any depth, or unfinished at
    max_len. Raises Tie when the best two are within 1e-9."""
    prompt = tuple(prompt)
    scored = []
    frontier = [(prompt, 0.0)]
    for depth in range(1, max_len + 1):
        grown = []
        for tokens, total in frontier:
            logp = model.log_probs(tokens)
            for token in range(model.V):
                item = (tokens + (token,), total + float(logp[token]))
                if token == eos:
                    scored.append((penalised(item[1], depth, length_penalty), item))
                else:
                    grown.append(item)
        frontier = grown
    scored += [(penalised(t, max_len, length_penalty), (k, t)) for k, t in frontier]
    scored.sort(key=lambda s: s[0], reverse=True)
    if len(scored) > 1 and scored[0][0] - scored[1][0] < 1e-9 * max(1.0, abs(scored[0][0])):
        raise Tie
    return list(scored[0][1][0]), scored[0][0]


BEAM_MISTAKES = {
    "expand_finished": "finished hypotheses kept expanding: a hypothesis that emits eos is "
    "done (its score is final) and leaves the beam.",
    "raw_compare": "scores compared before the length penalty: rank the hypotheses by "
    "sum / len ** length_penalty, not by their raw sums.",
    "ignore_penalty": "length_penalty ignored (in the ranking or in the score returned): the "
    "score is sum / len ** length_penalty.",
    "eos_uncounted": "eos not counted in the length: len is the number of tokens generated "
    "after the prompt, eos included (as Hugging Face counts it).",
    "prompt_counted": "the prompt counted in the length: len is the number of tokens "
    "generated after the prompt (the prompt is the same for every hypothesis).",
    "candidates": "only beam_width candidates considered per step: take the 2·beam_width "
    "best, so that beam_width live hypotheses remain when some of them end in eos.",
    "eos_any_rank": "an eos candidate ranked below the first beam_width kept as finished: "
    "only eos candidates among the first beam_width of the step finish (Hugging Face's rule).",
    "stop_first": "the search stopped at the first finished hypothesis: it stops when "
    "beam_width hypotheses have finished (or at max_len).",
    "live_dropped": "the live hypotheses left out at max_len: when the search runs out of "
    "steps, the unfinished hypotheses compete too (scored with len = max_len).",
}


def beam_mistake_outputs(model, prompt, eos, W, max_len, lp):
    out, late = [], []
    for switch, says in BEAM_MISTAKES.items():
        value = 1 if switch == "candidates" else True
        try:
            tokens, score, _ = reference_beam(model, prompt, eos, W, max_len, lp,
                                              **{switch: value})  # fmt: skip
        except Tie:
            continue
        out.append((says, tokens, score))
        if switch == "raw_compare":  # the raw sum reported as the score too: after
            raw = sum(float(model.log_probs(tokens[:i])[tokens[i]])  # length_penalty ignored
                      for i in range(len(prompt), len(tokens)))  # fmt: skip
            late.append((says, tokens, raw))
    return out + late


def judge_decode(got_tokens, got_score, expected, call, oracle, mistakes=()):
    tokens, score = expected
    if got_tokens == tokens and math.isclose(got_score, score, rel_tol=1e-9, abs_tol=1e-12):
        return
    looks = ""
    for says, m_tokens, m_score in mistakes:
        same_as_right = m_tokens == tokens and math.isclose(m_score, score, rel_tol=1e-9,
                                                            abs_tol=1e-12)  # fmt: skip
        if (
            not same_as_right
            and m_tokens == got_tokens
            and (
                math.isclose(m_score, got_score, rel_tol=1e-9, abs_tol=1e-12)
                or (math.isnan(m_score) and math.isnan(got_score))
            )
        ):
            looks = says
            break
    what = "tokens" if got_tokens != tokens else "score"
    raise KataFailure(
        f"wrong {what}\n  called   {call}\n  got      {got_tokens}, score {got_score:.10g}\n"
        f"  expected {tokens}, score {score:.10g}  ({oracle})"
        + (f"\n  looks like: {looks}" if looks else "")
    )


def call_decoder(learner, name, model, bos, args, *, strict=False, note=""):
    """Call greedy_decode or beam_search with the model and the prompt `bos` as the
    learner gets it (an int, a list, an array); (tokens, score, calls, call)."""
    calls = []
    max_len = args[0] if name == "greedy_decode" else args[1]
    f = learner_model(model, model.prompt, max_len, calls)
    fn = learner.fn(name)
    all_args = (f, bos, model.eos, *args)
    call = fn.describe(*all_args) + note
    if strict:
        result = call_strictly(fn, *all_args, stable_form="sums of log-probabilities, never "
                               "products of probabilities (they underflow to 0)")  # fmt: skip
    else:
        result = fn(*all_args)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise KataFailure(f"wrong return type\n  called   {call}\n  expected a tuple (tokens, "
                          f"score); got {describe_value(result)}")  # fmt: skip
    tokens = as_tokens(result[0], call)
    score = expect_float(result[1], "score", call)
    return tokens, score, calls, call


def make_model(rng, V, max_len, *, prompt=None, eos=None, depth=None, scale=1.5, banned=()):
    eos = int(rng.integers(0, V)) if eos is None else eos
    prompt = (int(rng.integers(0, V)),) if prompt is None else tuple(prompt)
    eos_logit = {}
    if depth is not None:  # eos likely at this depth, unlikely before it
        eos_logit = {d: (2.0 if d == depth else -1.0) for d in range(1, max_len + 1)}
    return ToyModel(int(rng.integers(1 << 30)), V, eos, prompt, scale=scale,
                    eos_logit=eos_logit, banned=banned)  # fmt: skip


def exposed(model, W, max_len, lp, switches, expected, process=False) -> bool:
    """Whether each of the mistakes `switches` (BEAM_MISTAKES keys) gives another result
    than `expected` (tokens, score, steps) on this model (or, with process, expands other
    prefixes)."""
    for switch in switches:
        try:
            got = reference_beam(model, model.prompt, model.eos, W, max_len, lp,
                                 **{switch: 1 if switch == "candidates" else True})  # fmt: skip
        except Tie:
            continue
        same = got[0] == expected[0] and math.isclose(got[1], expected[1], rel_tol=1e-9)
        if same and (got[2] == expected[2] or not process):
            return False
    return True


def grade_beam(learner, rng, V, W, max_len, lp, *, depth=None, exact=False, prompt=None,
               eos=None, scale=1.5, banned=(), strict=False, process=False, expose=(),
               note=""):  # fmt: skip
    """Draw a model without near-ties, grade beam_search on it against the reference (or the
    exhaustive search), naming the listed mistakes; with process, grade the steps too.
    expose: mistakes (BEAM_MISTAKES keys) the model is drawn again until they show on it
    (in the result, or in the steps for a process check), so that they fail on every seed."""
    for attempt in range(400):
        model = make_model(rng, V, max_len, prompt=prompt, eos=eos, depth=depth, scale=scale,
                           banned=banned)  # fmt: skip
        try:
            tokens, score, steps = reference_beam(model, model.prompt, model.eos, W, max_len, lp,
                                                  guard=True)  # fmt: skip
            if exact:  # the oracle: every hypothesis there is
                tokens, score = exhaustive(model, model.prompt, model.eos, max_len, lp)
            if attempt < 399 and not exposed(model, W, max_len, lp, expose,
                                             (tokens, score, steps), process):  # fmt: skip
                continue
            break
        except Tie:
            continue
    else:
        raise AssertionError("no model without near-ties")
    bos = list(model.prompt) if prompt is not None else model.prompt[0]
    args = (W, max_len) if lp == 0.0 else (W, max_len, lp)  # length_penalty at its default
    got_tokens, got_score, calls, call = call_decoder(
        learner, "beam_search", model, bos, args, strict=strict, note=note
    )
    oracle = ("exhaustive search over every hypothesis" if exact
              else "the reference beam search, in torch")  # fmt: skip
    judge_decode(got_tokens, got_score, (tokens, score), call, oracle,
                 beam_mistake_outputs(model, model.prompt, model.eos, W, max_len, lp))  # fmt: skip
    if process:
        judge_steps(calls, steps, call)


def judge_steps(calls, steps, call):
    """The prefixes the learner's search expanded, step by step, against the reference's."""
    asked = {}
    for rows in calls:
        for r in rows:
            asked.setdefault(len(r), set()).add(r)
    lengths = sorted(asked)
    expected_lengths = [len(next(iter(s))) for s in steps]
    if lengths != expected_lengths:
        extra = [n for n in lengths if n not in expected_lengths]
        missing = [n for n in expected_lengths if n not in lengths]
        why = (
            f"it went on to prefixes of length {extra[0]}: the search stops as soon as "
            "beam_width hypotheses have finished (or after max_len steps)"
            if extra
            else f"it never asked for prefixes of length {missing[0]}: it stopped too early"
        )
        raise KataFailure(
            f"wrong steps\n  called   {call}\n  your search asked step_log_probs about prefixes "
            f"of lengths {lengths}, the reference about {expected_lengths}: {why}"
        )
    for n, expected in zip(expected_lengths, steps):
        if asked[n] != expected:
            raise KataFailure(
                f"wrong steps\n  called   {call}\n  the live hypotheses expanded at length {n} "
                f"were {sorted(map(list, asked[n]))}, expected {sorted(map(list, expected))}\n"
                "  (each step keeps the beam_width best non-eos candidates among the "
                "2·beam_width best extensions)"
            )


@check(
    "14_decoding/beam_search",
    "a beam as wide as every hypothesis equals exhaustive search (eos likely at depth 1–4)",
    regimes=("hyperparameters", "exact values"),
)
def beam_exhaustive(learner, rng):
    for V, max_len, depth, lp in ((3, 4, 2, 0.0), (4, 3, 1, 1.0), (3, 4, 4, 2.0),
                                  (3, 4, None, -0.5), (2, 4, 3, 1.0)):  # fmt: skip
        W = V**max_len  # more than every prefix there can be
        grade_beam(learner, rng, V, W, max_len, lp, depth=depth, exact=True,
                   note=f"  (eos likely at depth {depth})" if depth else "")  # fmt: skip


@check(
    "14_decoding/beam_search",
    "narrow beams (2, 3) match the reference beam search, length penalties 0, 1, 2, −1",
    regimes=("hyperparameters", "shapes"),
)
def beam_narrow(learner, rng):
    for V, W, max_len, depth, lp, expose in (
        (6, 2, 5, 3, 1.0, ("raw_compare", "eos_uncounted", "ignore_penalty")),
        (5, 3, 5, 2, 0.0, ("stop_first",)),
        (7, 2, 6, 4, 2.0, ("prompt_counted", "raw_compare")),
        (5, 3, 4, None, -1.0, ("live_dropped", "ignore_penalty")),
        (4, 2, 5, 2, 1.5, ("stop_first", "eos_uncounted")),
    ):
        grade_beam(learner, rng, V, W, max_len, lp, depth=depth, expose=expose)


@check(
    "14_decoding/beam_search",
    "the steps: which hypotheses each step expands, none finished, stop at beam_width finished",
    regimes=("process",),
)
def beam_steps(learner, rng):
    for V, W, max_len, depth, lp, expose in (
        (6, 3, 6, 2, 1.0, ("candidates", "stop_first", "eos_any_rank")),
        (5, 2, 6, 3, 0.0, ("eos_any_rank", "expand_finished")),
        (6, 4, 5, 1, 0.5, ("live_dropped", "candidates")),
        (4, 2, 5, None, 1.0, ("stop_first", "candidates", "live_dropped")),
    ):
        grade_beam(learner, rng, V, W, max_len, lp, depth=depth, process=True, expose=expose)


@check(
    "14_decoding/beam_search",
    "a prompt (list, 1-D array) left unchanged, bos = eos (GPT-2), V = 2, max_len = 1, W = 1",
    regimes=("shapes", "exact values", "hyperparameters"),
)
def beam_prompts(learner, rng):
    V = 5
    grade_beam(learner, rng, V, 2, 4, 1.0, prompt=[1, 4, 0], depth=2,
               note="  (a prompt of three tokens)")  # fmt: skip
    grade_beam(learner, rng, V, 2, 4, 0.0, prompt=[3], eos=3, depth=3,
               note="  (bos = eos, as GPT-2's <|endoftext|>)")  # fmt: skip
    grade_beam(learner, rng, 2, 2, 4, 1.0, depth=3, exact=False, note="  (V = 2)")
    grade_beam(learner, rng, 6, 3, 1, 1.0, note="  (max_len = 1)")
    grade_beam(learner, rng, 6, 1, 5, 0.0, depth=3, note="  (beam_width = 1: greedy)")
    model = make_model(rng, 6, 4, prompt=(2, 0), depth=3)
    prompt_array = np.array([2, 0])
    calls = []
    fn = learner.fn("beam_search")
    f = learner_model(model, (2, 0), 4, calls)
    call = fn.describe(f, prompt_array, model.eos, 2, 4, 1.0) + "  (the prompt a 1-D int array)"
    result = fn(f, prompt_array, model.eos, 2, 4, 1.0)
    try:
        expected = reference_beam(model, (2, 0), model.eos, 2, 4, 1.0)[:2]
    except Tie:
        return
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise KataFailure(f"wrong return type\n  called   {call}\n  expected (tokens, score)")
    judge_decode(as_tokens(result[0], call), expect_float(result[1], "score", call), expected,
                 call, "the reference beam search, in torch")  # fmt: skip


@check(
    "14_decoding/beam_search",
    "log-probabilities near −500 a step and -inf tokens: sums, not products of probabilities",
    regimes=("extremes",),
)
def beam_extremes(learner, rng):
    grade_beam(learner, rng, 6, 2, 4, 1.0, depth=3, scale=300.0, strict=True,
               note="  (a peaked model: log-probabilities down to about −2000)")  # fmt: skip
    grade_beam(learner, rng, 9, 2, 4, 0.0, depth=2, banned=(0, 5), strict=True,
               note="  (tokens 0 and 5 always -inf)")  # fmt: skip
    grade_greedy(learner, rng, 6, 5, depth=3, scale=300.0, strict=True,
                 note="  (a peaked model)")  # fmt: skip


def reference_greedy(model, prompt, eos, max_len, *, guard=False, run_on=False):
    tokens, score = list(prompt), 0.0
    for _ in range(max_len):
        logp = model.log_probs(tokens)
        if guard:
            top2 = np.sort(logp)[-2:]
            if top2[1] - top2[0] < 1e-9:
                raise Tie
        token = int(np.argmax(logp))
        tokens.append(token)
        score += float(logp[token])
        if token == eos and not run_on:
            break
    return tokens, score


def grade_greedy(learner, rng, V, max_len, *, depth=None, prompt=None, eos=None, scale=1.5,
                 strict=False, note=""):  # fmt: skip
    for _ in range(50):
        model = make_model(rng, V, max_len, prompt=prompt, eos=eos, depth=depth, scale=scale)
        try:
            expected = reference_greedy(model, model.prompt, model.eos, max_len, guard=True)
            break
        except Tie:
            continue
    else:
        raise AssertionError("no model without near-ties")
    bos = list(model.prompt) if prompt is not None else model.prompt[0]
    tokens, score, calls, call = call_decoder(learner, "greedy_decode", model, bos, (max_len,),
                                              strict=strict, note=note)  # fmt: skip
    run_on = reference_greedy(model, model.prompt, model.eos, max_len, run_on=True)
    mistakes = [
        ("greedy decoding that runs on past eos: stop as soon as eos is emitted (it is the "
         "last token).", *run_on),
    ]  # fmt: skip
    judge_decode(tokens, score, expected, call, "the most probable token at each step",
                 mistakes)  # fmt: skip
    steps = [{tuple(expected[0][:n])} for n in range(len(model.prompt), len(expected[0]))]
    judge_steps(calls, steps, call)


@check(
    "14_decoding/beam_search",
    "greedy_decode: the most probable token each step, stopping at eos or max_len",
    regimes=("process", "shapes", "exact values"),
)
def greedy_values(learner, rng):
    grade_greedy(learner, rng, 5, 6, depth=3, note="  (eos likely at depth 3)")
    grade_greedy(learner, rng, 6, 4, note="  (eos at no particular depth)")
    grade_greedy(learner, rng, 4, 1, note="  (max_len = 1)")
    grade_greedy(learner, rng, 6, 5, depth=1, note="  (eos likely at once)")
    grade_greedy(learner, rng, 5, 5, prompt=[2, 2, 4], depth=4, note="  (a prompt of three)")
    grade_greedy(learner, rng, 5, 5, prompt=[1], eos=1, depth=2, note="  (bos = eos)")
    grade_greedy(learner, rng, 2, 5, depth=5, note="  (V = 2)")


# ================================================================ perplexity


def torch_cross_entropy(logits, targets, ignore_index):
    t = tensor(logits).requires_grad_(True)
    V = t.shape[-1]
    loss = F.cross_entropy(t.reshape(-1, V), torch.as_tensor(np.array(targets, dtype=np.int64))
                           .reshape(-1), ignore_index=ignore_index)  # fmt: skip
    (grad,) = torch.autograd.grad(loss, t)
    return float(loss.detach()), grad.numpy().copy()


def np_token_losses(logits, targets):
    """-log softmax(logits)[target] at every position (targets clipped into range)."""
    V = logits.shape[-1]
    z = logits.reshape(-1, V)
    shifted = z - z.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    t = np.clip(np.asarray(targets).reshape(-1), 0, V - 1)
    return -logp[np.arange(len(t)), t], np.exp(logp), t


def ce_variant(logits, targets, ignore_index, *, denominator="count", mask=True,
               zero_grad=True, per_sequence=False, scale_grad=True):  # fmt: skip
    """The loss and dlogits under the listed mistakes' switches."""
    losses, probs, t = np_token_losses(logits, targets)
    counted = (np.asarray(targets).reshape(-1) != ignore_index) if mask else np.ones(len(t), bool)
    count = max(int(counted.sum()), 1)
    grad = probs.copy()
    grad[np.arange(len(t)), t] -= 1.0
    if zero_grad:
        grad *= counted[:, None]
    if per_sequence:
        lead = np.asarray(targets).shape
        seq = counted.reshape(lead)
        per = (losses.reshape(lead) * seq).sum(-1) / np.maximum(seq.sum(-1), 1)
        loss = float(per[seq.sum(-1) > 0].mean())
        weights = (seq / np.maximum(seq.sum(-1, keepdims=True), 1)) / (seq.sum(-1) > 0).sum()
        return loss, grad.reshape(logits.shape) * weights[..., None]
    n = count if denominator == "count" else len(t)
    loss = float((losses * counted).sum() / n)
    return loss, grad.reshape(logits.shape) / (n if scale_grad else 1.0)


PADDING_INCLUDED = (
    "the mean taken over every position, padding included: divide by the number of "
    "positions whose target is not ignore_index, not by N·T."
)
PADDING_LOSS_INCLUDED = (
    "padding positions counted as tokens: a position whose target is ignore_index takes no "
    "part, neither in the sum nor in the count (mask with targets != ignore_index)."
)
PER_SEQUENCE = (
    "the mean of per-sequence means: every token weighs the same (the sum over all counted "
    "tokens over their number), not every sequence."
)
IGNORED_GRADIENT = (
    "the ignored positions got a gradient: they take no part in the loss, so their rows of "
    "dlogits are 0."
)
SUM_GRADIENT = (
    "dlogits not divided by the number of counted tokens: the loss is a mean, so its "
    "gradient is (softmax − one_hot) / count."
)


def ce_mistakes(ignore_index):
    return [
        (PADDING_INCLUDED, lambda z, t, *a: ce_variant(z, t, ignore_index, denominator="all")),
        (PADDING_LOSS_INCLUDED, lambda z, t, *a: ce_variant(z, t, ignore_index, mask=False)),
        (PER_SEQUENCE, lambda z, t, *a: ce_variant(z, t, ignore_index, per_sequence=True)),
        (
            PER_SEQUENCE,
            lambda z, t, *a: (
                ce_variant(z, t, ignore_index, per_sequence=True)[0],
                ce_variant(z, t, ignore_index)[1],
            ),
        ),  # loss only
        (IGNORED_GRADIENT, lambda z, t, *a: ce_variant(z, t, ignore_index, zero_grad=False)),
        (SUM_GRADIENT, lambda z, t, *a: ce_variant(z, t, ignore_index, scale_grad=False)),
    ]


PPL_MISTAKES = [
    ("perplexity as exp of the summed loss: it is exp of the mean per counted token.", "sum"),
    ("perplexity as the mean of per-token perplexities exp(−log p): it is exp of the mean "
     "cross-entropy (a geometric mean of 1/p), not an arithmetic mean.", "tokens"),
    ("perplexity averaged over sequences: it is exp of the mean over every counted token of "
     "the batch, each token weighing the same.", "sequences"),
    (PADDING_INCLUDED, "all"),
]  # fmt: skip


def ppl_variant(logits, targets, ignore_index, kind):
    losses, _, _ = np_token_losses(logits, targets)
    counted = np.asarray(targets).reshape(-1) != ignore_index
    if kind == "sum":
        return float(np.exp((losses * counted).sum()))
    if kind == "tokens":
        return float(np.exp(losses[counted]).mean())
    if kind == "all":
        return float(np.exp((losses * counted).sum() / len(losses)))
    lead = np.asarray(targets).shape
    seq = counted.reshape(lead)
    per = (losses.reshape(lead) * seq).sum(-1) / np.maximum(seq.sum(-1), 1)
    return float(np.exp(per[seq.sum(-1) > 0]).mean())


def grade_ce(learner, logits, targets, ignore_index=None, *, strict=False, note=""):
    """token_cross_entropy and perplexity against F.cross_entropy and autograd."""
    index = -100 if ignore_index is None else ignore_index
    args = (logits, targets) if ignore_index is None else (logits, targets, ignore_index)
    loss, grad = torch_cross_entropy(logits, targets, index)
    stable = STABLE_LOG_SOFTMAX if strict else None
    check_outputs(learner, "token_cross_entropy", args, {"loss": loss, "dlogits": grad},
                  oracle="F.cross_entropy(ignore_index=...) and autograd",
                  mistakes=ce_mistakes(index), stable_form=stable, note=note)  # fmt: skip
    if loss > 700:  # exp overflows: perplexity is graded where it is finite
        return
    check_outputs(learner, "perplexity", args, {"perplexity": float(np.exp(loss))},
                  oracle="exp of F.cross_entropy(ignore_index=...)",
                  mistakes=[(says, lambda z, t, *a, k=kind: ppl_variant(z, t, index, k))
                            for says, kind in PPL_MISTAKES],
                  stable_form=stable, note=note)  # fmt: skip


def padded_targets(rng, N, T, V, ignore_index=-100, lengths=None):
    """Targets (N, T) with sequences of unequal lengths, padded with ignore_index at the end;
    at least one sequence padded and one counted position in every batch."""
    lengths = rng.integers(1, T + 1, size=N) if lengths is None else np.asarray(lengths)
    if N > 1 and T > 1 and lengths.min() == T:
        lengths[0] = T - 1
    targets = rng.integers(0, V, size=(N, T))
    if 0 <= ignore_index < V:  # a real token as padding: it is never a target
        targets = np.where(targets == ignore_index, (ignore_index + 1) % V, targets)
    targets[np.arange(T)[None, :] >= lengths[:, None]] = ignore_index
    return targets


@check(
    "14_decoding/perplexity",
    "(N, T, V) with padded sequences of unequal lengths: matches F.cross_entropy(ignore_index)",
    regimes=("shapes", "hyperparameters"),
)
def ce_random(learner, rng):
    N, T, V = int(rng.integers(2, 5)), int(rng.integers(3, 7)), int(rng.integers(4, 9))
    logits = rng.normal(scale=2.0, size=(N, T, V))
    grade_ce(learner, logits, padded_targets(rng, N, T, V))
    lengths = np.array([T] + [1] * (N - 1))  # one long sequence, the others one token
    grade_ce(learner, logits, padded_targets(rng, N, T, V, lengths=lengths),
             note="  (one full sequence, the others of one token: per-token ≠ per-sequence)")  # fmt: skip


@check(
    "14_decoding/perplexity",
    "ignore_index = 0 (a padding id in the vocabulary), −1, V − 1, and the default",
    regimes=("hyperparameters", "exact values"),
)
def ce_ignore_index(learner, rng):
    N, T, V = 3, 5, 6
    logits = rng.normal(scale=2.0, size=(N, T, V))
    for index in (0, -1, V - 1):
        grade_ce(learner, logits, padded_targets(rng, N, T, V, index), index,
                 note=f"  (padding id {index})")  # fmt: skip
    targets = padded_targets(rng, N, T, V)
    targets[targets == -100] = 0  # no padding at all: every position counts
    grade_ce(learner, logits, targets, note="  (nothing ignored)")


@check(
    "14_decoding/perplexity",
    "N = 1, T = 1, one counted token, V = 1, 2-D (N, V), int32 targets; all ignored -> nan",
    regimes=("shapes", "exact values"),
)
def ce_edges(learner, rng):
    grade_ce(learner, rng.normal(size=(1, 4, 5)), padded_targets(rng, 1, 4, 5))
    grade_ce(learner, rng.normal(size=(3, 1, 5)), np.array([[2], [-100], [0]]))
    grade_ce(learner, rng.normal(size=(2, 3, 4)), np.array([[-100, 3, -100], [-100] * 3]),
             note="  (one counted token)")  # fmt: skip
    grade_ce(learner, rng.normal(size=(2, 3, 1)), np.array([[0, 0, -100], [0, -100, -100]]),
             note="  (V = 1: loss 0)")  # fmt: skip
    grade_ce(learner, rng.normal(size=(6, 5)), np.array([1, -100, 4, 0, -100, 2]),
             note="  (2-D logits (N, V))")  # fmt: skip
    grade_ce(learner, rng.normal(size=(2, 4, 6)),
             padded_targets(rng, 2, 4, 6).astype(np.int32), note="  (int32 targets)")  # fmt: skip
    V = 5
    grade_ce(learner, np.full((2, 3, V), 0.7), padded_targets(rng, 2, 3, V),
             note="  (uniform logits: loss log V, perplexity V)")  # fmt: skip
    grade_ce(learner, rng.normal(size=(2, 3, 4)), np.full((2, 3), -100), strict=True,
             note="  (every position ignored: nan, as torch, and zero gradients)")  # fmt: skip


@check(
    "14_decoding/perplexity",
    "logits ±1e3 and near 1e4 (numpy raising on overflow): the stable log-softmax",
    regimes=("extremes",),
)
def ce_extremes(learner, rng):
    N, T, V = 2, 4, 6
    big = rng.normal(size=(N, T, V)) * 1000
    grade_ce(learner, big, padded_targets(rng, N, T, V), strict=True,
             note="  (logits ±1e3)")  # fmt: skip
    targets = big.argmax(axis=-1)
    targets[1, 3] = -100
    targets[0, 1] = int(np.argmin(big[0, 1]))  # one token of probability e^-(several 1000)
    grade_ce(learner, big, targets, strict=True,
             note="  (mostly the argmax, one token far below it)")  # fmt: skip
    near = rng.normal(size=(N, T, V)) + 1e4
    grade_ce(learner, near, padded_targets(rng, N, T, V), strict=True,
             note="  (logits near 1e4: a common offset)")  # fmt: skip


@check(
    "14_decoding/perplexity",
    "views: logits a (N, T, V) view of torch's (N, V, T) layout, targets time-major, strided",
    regimes=("layout",),
)
def ce_layouts(learner, rng):
    N, T, V = 3, 4, 5
    logits = np.ascontiguousarray(rng.normal(size=(N, V, T))).transpose(0, 2, 1)
    targets = np.ascontiguousarray(padded_targets(rng, N, T, V).T).T
    grade_ce(learner, logits, targets,
             note="  (logits transposed from (N, V, T), targets from (T, N))")  # fmt: skip
    grade_ce(learner, strided(rng.normal(size=(N, T, V))), strided(padded_targets(rng, N, T, V)),
             note="  (strided views)")  # fmt: skip
