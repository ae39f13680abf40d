"""Train a classifier end to end (Q9, Q21, Q25) with your own earlier katas.

This file reuses your 05_backprop/two_layer_net.py (loss and gradients) and
09_training/batching.py (mini-batches) through `sibling`, which loads the file of
the same tree: finish those two katas first. (In solutions/ it loads the
reference ones.) You may also write everything here instead.
"""

import numpy as np

from graders.kata_files import sibling

two_layer_net = sibling(__file__, "05_backprop", "two_layer_net").two_layer_net
minibatches = sibling(__file__, "09_training", "batching").minibatches


def train_classifier(X, y, hidden_dim, epochs, lr, batch_size, rng):
    """Train affine → ReLU → affine → softmax cross-entropy with mini-batch SGD.

    Args:
        X: inputs, float64 array (N, D); y: integer labels (N,), classes 0..C−1 with
            C = y.max() + 1.
        hidden_dim: H, the hidden width.
        epochs: passes over the data; each pass shuffles with `rng` and takes one SGD
            step (params −= lr · grads) per mini-batch of batch_size examples.
        lr: learning rate.
        rng: numpy.random.Generator: the only randomness (initialisation and shuffling),
            so the same seed gives the same result.

    Returns:
        (params, history): params a dict W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); history
        a list with the mean training loss of each epoch (epochs entries).
        The grader trains on a spiral data set: held-out accuracy >= 0.9 in under 20 s.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
