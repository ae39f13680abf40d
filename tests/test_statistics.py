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

STATISTICAL = {
    "06_gradient_flow/initialization": [
        "xavier_uniform: bounds, mean, variance, KS vs torch",
        "xavier_uniform with gain 5/3 (tanh), fan_in < fan_out",
        "xavier_normal: mean, variance, KS vs torch, gain 5/3",
        "he_normal: mean, variance 2/fan_in, KS vs torch",
        "tiny layers (1×1, 2×1): finite, distributed as torch's",
    ],
    "08_regularization/dropout": [
        "kept values x/(1 − p), drop rate and mean, p = 0.5, 0.2, 0.9",
        "p = 0 keeps everything; p = 0.99 keeps about 1%",
        "dropout_forward_unscaled: no scaling in training, ×(1 − p) at test",
        "any shape: 1-D and 3-D inputs, p = 0.5 and 0.3",
    ],
    "09_training/gradient_noise": ["agrees with a simulation of 20000 random batches"],
    # not a bound on a probability: full-batch gradient descent from a random start
    "09_training/train_loop": ["batch GD (batch_size > N): one step per epoch, the loss falls"],
}
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
