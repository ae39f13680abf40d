"""Token-level cross-entropy with padding ignored, and perplexity (Q69), as
F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=...) computes it.

A language model scores every position of a batch of sequences: logits (N, T, V), and
targets (N, T) hold the token each position should have predicted. Positions whose target
is ignore_index (padding, or a prompt not to be trained on) take no part: the loss is the
mean of −log softmax(logits)[target] over the other positions, every token of the batch
weighing the same (not each sequence). Perplexity is exp of that mean: the number of
equally likely tokens the model is, on average, choosing among.

Any leading axes work the same way ((N, V) with targets (N,) too). Logits may be as large
as ±1e3 or carry a large common offset: the log-softmax must be the stable one (no
overflow, no log(0)).
"""

import numpy as np


def token_cross_entropy(logits, targets, ignore_index=-100):
    """The mean cross-entropy over the positions whose target is not ignore_index, and its
    gradient.

    Args:
        logits: float64 array (N, T, V) (or any (..., V)).
        targets: int array (N, T) (logits.shape[:-1]): each a token in [0, V), or
            ignore_index, which may be any int (-100 by default, or a real token such as
            a padding id 0: that token is then never a target).
        ignore_index: an int.

    Returns:
        (loss, dlogits): loss a float; dlogits a new float64 array shaped like logits, the
        gradient of loss: (softmax − one_hot(target)) / (number of counted positions) at
        counted positions, 0 at ignored ones. When every position is ignored there is
        nothing to average: loss is nan, as in torch, and dlogits is all zeros (without
        a 0/0 on the way: graded with numpy raising on invalid values).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def perplexity(logits, targets, ignore_index=-100):
    """exp(token_cross_entropy(...)'s loss), a float: nan when every position is ignored."""
    # YOUR CODE HERE
    raise NotImplementedError()
