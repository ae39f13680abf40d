"""Statistical honesty: every check whose verdict rests on random draws (its threshold's
false-failure probability is stated beside it, below 1e-6) passes the correct solution
on 200 different seeds in a row."""

import zlib

import pytest
from numpy.random import default_rng

from graders.catalog import find_kata
from graders.engine.learner import Learner
from graders.engine.registry import checks_for
from tests.conftest import available_katas

# Every check tagged with the randomness regime, and these, whose verdicts also rest on
# random draws though they grade no rng of the learner's.
ALSO_STATISTICAL = {
    "08_regularization/dropout": [
        "overflow-scale and tiny x: dropped exactly 0, kept x/(1 − p) (inf where it overflows)",
        "non-contiguous x and dout (transposed, strided, reversed): forward, backward, eval",
        "backward uses the forward's mask, kept zeros of x included",
    ],
    "09_training/batching": [
        "batch_size = 1 (SGD), N - 1, N and above (batch GD, shuffled); N = 1",
    ],
    "09_training/gradient_noise": ["agrees with a simulation of 20000 random batches"],
    "09_training/train_loop": [
        # not a bound on a probability: full-batch gradient descent from a random start
        "batch GD (batch_size > N): one step per epoch, the loss falls",
        "boundaries: epochs = 0 and 1, lr = 0, batch_size = 1 and = N, N = 1, hidden_dim = 1",
    ],
}


def statistical_checks() -> dict[str, list[str]]:
    """kata key -> names of its checks whose verdict rests on random draws."""
    found = {}
    for kata in available_katas():  # loads every topic's graders
        names = [c.name for c in checks_for(kata.key) if "randomness" in c.regimes]
        names += [n for n in ALSO_STATISTICAL.get(kata.key, []) if n not in names]
        if names:
            found[kata.key] = names
    return found


STATISTICAL = statistical_checks()
SEEDS = range(200)


@pytest.mark.parametrize("key", STATISTICAL)
def test_statistical_checks_hold_on_200_seeds(key):
    available_katas()  # loads every topic's graders
    kata = find_kata(*key.split("/"))
    learner = Learner(kata.path("solutions"))
    checks = {c.name: c for c in checks_for(key)}
    try:
        for name in STATISTICAL[key]:
            check = checks[name]
            for seed in SEEDS:
                rng = default_rng([seed, zlib.crc32(f"{key}::{name}".encode())])
                learner.begin_check(60)
                check.run(learner, rng)  # a KataFailure here would be a false failure
                learner.end_check()
    finally:
        learner.close()
