"""Early stopping (Q40): stop when the validation loss has stopped improving.

    An epoch improves when its loss < best − min_delta (best: the lowest loss that
    counted as an improvement so far; the first epoch always improves).
    stop_epoch: the first index at which `patience` epochs in a row have not
    improved; the last index if that never happens.
    best_epoch: the index of the lowest loss among epochs 0..stop_epoch (the
    earliest, on ties): the weights you would restore.
"""


def early_stopping(val_losses, patience, min_delta=0.0):
    """Where training stops, and which epoch was best.

    Args:
        val_losses: a non-empty sequence of floats, one per epoch (index 0 first).
        patience: how many epochs in a row without improvement stop training (>= 1).
        min_delta: how much lower than the best a loss must be to count as an improvement.

    Returns:
        (stop_epoch, best_epoch): two ints, indices into val_losses.
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
