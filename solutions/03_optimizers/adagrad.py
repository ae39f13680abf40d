"""AdaGrad (Q29), exactly as torch.optim.Adagrad (no lr_decay, no weight decay).

Every parameter gets its own learning rate, lr / (sqrt(sum of its squared
gradients so far) + eps): parameters with a large gradient history take
smaller steps, rarely-updated ones keep larger steps.
"""

import numpy as np


def adagrad_step(w, grad, sum_sq, lr=1e-2, eps=1e-10):
    """One AdaGrad step.

        sum_sq = sum_sq + grad²
        w      = w − lr · grad / (sqrt(sum_sq) + eps)

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        sum_sq: running sum of squared gradients (zeros before the first step).
        lr: learning rate (PyTorch default 1e-2), >= 0; 0 leaves w but still
            accumulates sum_sq.
        eps: added to the square root, not inside it (PyTorch default 1e-10), >= 0.
            With eps = 0 an entry whose sum_sq is still 0 gives 0 / 0 = nan, as in
            PyTorch.

    The gradient is used as given, however large or small (no clipping). A zero
    gradient changes nothing: w and sum_sq come back equal to the ones given.

    Returns:
        (w, sum_sq): new arrays, on every path; the arguments are not modified.
    """
    ### BEGIN SOLUTION
    sum_sq = sum_sq + grad * grad
    return w - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq
    ### END SOLUTION
