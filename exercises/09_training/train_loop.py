"""Train a classifier end to end (Q9, Q21, Q25) with your own earlier katas.

This file reuses your 05_backprop/two_layer_net.py (loss and gradients) and
09_training/batching.py (mini-batches) through `sibling`, which loads the file of
the same tree: finish those two katas first. (In solutions/ it loads the
reference ones.) Keep those two lines and call these two names: the grader watches
the calls train_classifier makes to them to check every step of the loop.
"""

import numpy as np

from graders.kata_files import sibling

two_layer_net = sibling(__file__, "05_backprop", "two_layer_net").two_layer_net
minibatches = sibling(__file__, "09_training", "batching").minibatches


def train_classifier(X, y, hidden_dim, epochs, lr, batch_size, rng):
    """Train affine → ReLU → affine → softmax cross-entropy with mini-batch SGD.

    Args:
        X: inputs, float64 array (N, D) (any memory layout); y: integer labels (N,),
            classes 0..C−1 with C = y.max() + 1.
        hidden_dim: H, the hidden width (>= 1).
        epochs: passes over the data (>= 0). Each pass is one call
            minibatches(X, y, batch_size, rng) (shuffled, with the rng you were given) and,
            for each (Xb, yb) it yields, in order, one call
            loss, grads = two_layer_net(Xb, yb, params, reg) followed by one plain SGD
            step of every parameter, params − lr · grads (no momentum, decay, clipping or
            schedule; one fixed reg >= 0 of your choice for the whole run).
        lr: learning rate (>= 0; lr = 0 leaves the initial parameters as they are).
        batch_size: examples per batch (>= 1; batch_size >= N is batch gradient descent).
        rng: numpy.random.Generator: the only randomness (initialisation and shuffling),
            so the same seed gives the same result and another seed other initial
            weights; numpy's and Python's global generators are never used.

    Returns:
        (params, history): params a dict of new arrays W1 (D, H), b1 (H,), W2 (H, C),
        b2 (C,) after the last step (the initial ones when epochs = 0); history a list of
        floats, one per epoch: the mean of that epoch's batch losses as two_layer_net
        returned them, each batch counted once (the short last one too), as PyTorch
        loops average loss.item() over the batches of an epoch. epochs = 0 gives [].
        The grader trains on a spiral data set: held-out accuracy >= 0.9 in under 20 s.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
