"""How much of a gradient survives the trip back through time: ‖∂h_T/∂h_0‖ for a vanilla
RNN and for an LSTM whose forget gate is open, computed with your own katas.

    python -m graders.demos.gradient_through_time [--tree exercises] [--hidden 32]

Loads 12_sequences/rnn.py and lstm.py from the tree (exercises/ by default) through the
same worker boundary the graders use, grades them with their checks, and then, for
T = 1, 2, 5, 10, 20, 50, runs your forward over one sequence of T inputs and your backward
with an upstream gradient on h_T only. With H copies of the sequence in the batch and
upstream e_k on copy k, dh0 of copy k is row k of the Jacobian ∂h_T/∂h_0, so one backward
gives the whole H × H matrix; the table shows its largest singular value. A kata that is
still a stub, or fails a check, is replaced by a torch reference (nn.RNN / nn.LSTM with the
same weights, autograd), labelled as such.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from graders.catalog import find_kata
from graders.engine.learner import KataFailure, Learner, LearnerRaised, LoadFailed, NotStarted
from graders.engine.registry import checks_for
from graders.topics.sequences import torch_recurrent

LENGTHS = (1, 2, 5, 10, 20, 50)
FORGET_BIASES = (0.0, 3.0)  # σ(0) = 0.5: half closed; σ(3) ≈ 0.95: nearly open


def problems(hidden: int, inputs: int = 4, seed: int = 0):
    """The weights of both layers, drawn as PyTorch initialises them (U(±1/√H)), and a
    sequence of 50 inputs N(0, 1); one LSTM per forget-gate bias in FORGET_BIASES (its
    bias block b[H:2H] set to that value, the rest shared)."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden)

    def uniform(*shape):
        return rng.uniform(-bound, bound, size=shape)

    x = rng.normal(size=(1, max(LENGTHS), inputs))
    rnn = (uniform(inputs, hidden), uniform(hidden, hidden), uniform(hidden))
    Wx, Wh, b = uniform(inputs, 4 * hidden), uniform(hidden, 4 * hidden), uniform(4 * hidden)
    lstms = []
    for forget_bias in FORGET_BIASES:
        b_open = b.copy()
        b_open[hidden : 2 * hidden] = forget_bias
        lstms.append((Wx, Wh, b_open))
    h0 = rng.uniform(-0.5, 0.5, size=(1, hidden))
    return x, h0, rnn, lstms


def batch(x, h0, T, hidden):
    """H copies of the first T inputs and of h0, and upstream e_k on h_T of copy k."""
    xs = np.repeat(x[:, :T], hidden, axis=0)
    h0s = np.repeat(h0, hidden, axis=0)
    dh = np.zeros((hidden, T, hidden))
    dh[:, -1] = np.eye(hidden)
    return xs, h0s, dh


def status(learner: Learner, kata_key: str) -> str:
    """'' when every check (speed aside) passes, else why the kata is not used."""
    for check in checks_for(kata_key):
        if check.name.startswith("speed"):
            continue
        learner.begin_check(60)
        try:
            check.run(learner, np.random.default_rng(1))
            learner.end_check()
        except NotStarted:
            return "not started yet"
        except (KataFailure, LearnerRaised) as failure:
            first = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
            return f"fails its check {check.name!r} ({first})"
    return ""


def norms_with_kata(learner: Learner, kind: str, x, h0, weights, hidden) -> list[float]:
    forward, backward = learner.fn(f"{kind}_forward"), learner.fn(f"{kind}_backward")
    norms = []
    for T in LENGTHS:
        xs, h0s, dh = batch(x, h0, T, hidden)
        learner.begin_check(60)
        _, cache = forward(xs, h0s, *weights)
        jacobian = np.asarray(backward(dh, cache)[1])  # dh0: row k is e_kᵀ ∂h_T/∂h_0
        norms.append(float(np.linalg.norm(jacobian, 2)))
    return norms


def norms_with_torch(kind: str, x, h0, weights, hidden) -> list[float]:
    norms = []
    for T in LENGTHS:
        xs, h0s, dh = batch(x, h0, T, hidden)
        _, grads = torch_recurrent(kind, xs, h0s, *weights, upstream=(dh,))
        norms.append(float(np.linalg.norm(grads[1], 2)))
    return norms


_TOLD: set[str] = set()


def column(kind: str, tree: str, x, h0, weights, hidden) -> tuple[str, list[float]]:
    kata = find_kata("12_sequences", kind)
    path = kata.path(tree)
    why = ""
    if not path.exists():
        why = f"{path} does not exist"
    else:
        try:
            learner = Learner(path)
        except LoadFailed as failed:
            why = f"{path.name} does not load ({failed.error})"
        else:
            try:
                why = status(learner, kata.key)
                if not why:
                    return f"your {kind}.py", norms_with_kata(learner, kind, x, h0, weights,
                                                              hidden)  # fmt: skip
            except (KataFailure, LearnerRaised, NotStarted) as failure:
                why = f"raised here ({str(failure).splitlines()[0]})"
            finally:
                learner.close()
    if kind not in _TOLD:
        print(f"  {kind}.py: {why}: using a torch reference instead")
        _TOLD.add(kind)
    return f"torch reference ({kind})", norms_with_torch(kind, x, h0, weights, hidden)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default="exercises", help="exercises (yours) or solutions")
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args(argv)
    hidden = args.hidden
    x, h0, rnn, lstms = problems(hidden)
    print(f"‖∂h_T/∂h_0‖₂ (largest singular value), H = {hidden}, D = {x.shape[2]}, weights "
          f"U(±1/√H) as PyTorch initialises them, inputs N(0, 1), upstream gradient on h_T "
          "only")  # fmt: skip
    columns = [("vanilla RNN", *column("rnn", args.tree, x, h0, rnn, hidden))]
    for forget_bias, weights in zip(FORGET_BIASES, lstms):
        columns.append((f"LSTM, f-bias {forget_bias:g}",
                        *column("lstm", args.tree, x, h0, weights, hidden)))  # fmt: skip
    print("computed with: " + "; ".join(f"{name}: {label}" for name, label, _ in columns))
    print("\n" + f"{'T':>4}" + "".join(f"  {name:>16}" for name, _, _ in columns))
    for row, T in enumerate(LENGTHS):
        print(f"{T:>4}" + "".join(f"  {norms[row]:>16.2e}" for _, _, norms in columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
