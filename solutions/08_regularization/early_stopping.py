"""Early stopping (Q40): stop when the validation loss has stopped improving.

    An epoch improves when its loss < best − min_delta (best: the lowest loss that
    counted as an improvement so far; the first epoch always improves).
    stop_epoch: the first index at which `patience` epochs in a row have not
    improved; the last index if that never happens.
    best_epoch: the index of the lowest loss among epochs 0..stop_epoch (the
    earliest, on ties): the weights you would restore.

The rule runs epoch by epoch, as training would (it never looks at later epochs):
after each epoch that does not improve, the count of such epochs in a row goes up by
one, and training stops there once the count is >= patience; an improvement resets
the count to 0. A loss equal to best − min_delta (or to best, with min_delta = 0) is
not an improvement. patience = 0 stops at the first epoch that does not improve, as
patience = 1 does (PyTorch Lightning's EarlyStopping, and Keras's, count the same way).
"""


def early_stopping(val_losses, patience, min_delta=0.0):
    """Where training stops, and which epoch was best.

    Args:
        val_losses: a non-empty list of finite floats, one per epoch (index 0 first), of
            any sign and size; it is not modified.
        patience: how many epochs in a row without improvement stop training (an int
            >= 0; 0 behaves as 1).
        min_delta: how much lower than the best a loss must be to count as an
            improvement (a finite float >= 0, absolute, not relative; default 0.0).

    Returns:
        (stop_epoch, best_epoch): a tuple of two ints, indices into val_losses.
    """
    ### BEGIN SOLUTION
    best = float("inf")
    waited = 0
    stop = len(val_losses) - 1
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
            if waited >= patience:
                stop = epoch
                break
    window = list(val_losses[: stop + 1])
    return stop, window.index(min(window))
    ### END SOLUTION
