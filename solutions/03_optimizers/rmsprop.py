"""RMSprop (Q29, Q30), exactly as torch.optim.RMSprop (not centered, no momentum).

AdaGrad's sum becomes an exponential moving average, so old gradients are
forgotten and the effective learning rate stops shrinking for good.
"""

import numpy as np


def rmsprop_step(w, grad, square_avg, lr=1e-2, alpha=0.99, eps=1e-8):
    """One RMSprop step.

        square_avg = alpha · square_avg + (1 − alpha) · grad²
        w          = w − lr · grad / (sqrt(square_avg) + eps)

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        square_avg: moving average of squared gradients (zeros before the first step).
        lr: learning rate (PyTorch default 1e-2), >= 0; 0 leaves w but still
            updates square_avg.
        alpha: smoothing constant, the weight of the old average (PyTorch 0.99;
            Hinton's lecture and Keras use 0.9), in [0, 1). alpha = 0 keeps only the
            latest grad²: square_avg = grad², a step of lr·grad / (|grad| + eps).
        eps: added outside the square root (PyTorch default 1e-8), >= 0.

    The gradient is used as given, however large or small (no clipping).

    Returns:
        (w, square_avg): new arrays, on every path; the arguments are not modified.
    """
    ### BEGIN SOLUTION
    square_avg = alpha * square_avg + (1 - alpha) * grad**2
    return w - lr * grad / (np.sqrt(square_avg) + eps), square_avg
    ### END SOLUTION
