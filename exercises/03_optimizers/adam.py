"""Adam (Q31), exactly as torch.optim.Adam (no weight decay, no amsgrad).

Momentum on the gradient (first moment m) plus RMSprop's scaling (second
moment v), both corrected for starting at zero.
"""

import numpy as np


def adam_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step, as torch.optim.Adam computes it.

    m and v are exponential moving averages of grad and of grad² (weights beta1
    and beta2 on the old value). Both start at zero, so the step uses them
    bias-corrected: divided by 1 − beta1**t and 1 − beta2**t, with t = 1 on the
    first step. The step is lr · corrected m / (sqrt(corrected v) + eps): eps
    outside the square root.

    Args:
        w: parameters, float64 array of any shape.
        grad: gradient at w, same shape.
        m, v: first and second moment estimates (zeros before the first step).
        t: the step number, 1 on the first step; any t >= 1 (the correction is
            applied at every t, also where 1 − beta1**t is close to 1).
        lr, beta1, beta2, eps: PyTorch's names and defaults. lr >= 0 (lr = 0 leaves
            w, while m and v still update); beta1 and beta2 in [0, 1) (beta1 = 0:
            m = grad, no momentum; beta2 = 0: v = grad²); eps >= 0.

    The gradient is used as given, however large or small (no clipping).

    Returns:
        (w, m, v): new arrays on every path, m and v as stored (not bias-corrected);
        the arguments are not modified.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
