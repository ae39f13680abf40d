"""RMSNorm (Q65): layer norm without the mean, as torch.nn.functional.rms_norm.

Each row (each position, for (N, T, D) input) is divided by its root mean square over the
last axis, then scaled element-wise by a learned weight:

    rms = sqrt(mean(x², axis=-1) + eps),   out = weight · x / rms

Nothing is subtracted and there is no bias: only the scale of the row is normalised, not
its centre (LLaMA, T5 and most recent LLMs use it, with eps of 1e-6 or 1e-5). This is
F.rms_norm(x, (D,), weight, eps) and nn.RMSNorm(D, eps). eps sits inside the square root.
"""

import numpy as np


def rmsnorm_forward(x, weight, eps=1e-6):
    """RMS-normalise x over its last axis and scale it.

    Args:
        x: float64 array (N, D) or (N, T, D), any memory layout; values may be as large as
            1e150 or as small as 1e-150 (no row is normalised with a shortcut).
        weight: the learned scale, (D,).
        eps: added to the mean square inside the square root, >= 0 (0 is allowed while no
            row is all zeros). A row of zeros gives out = 0.

    Returns:
        (out, cache): out, a new array shaped like x; cache holds whatever
        rmsnorm_backward needs (your choice: the grader passes your own cache back).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def rmsnorm_backward(dout, cache):
    """Gradients through rmsnorm_forward.

    Args:
        dout: ∂loss/∂out, shaped like x, any memory layout.
        cache: what your rmsnorm_forward returned.

    Returns:
        (dx, dweight): dx shaped like x; dweight (D,), summed over every leading axis.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
