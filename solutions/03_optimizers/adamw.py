"""AdamW versus Adam with an L2 penalty (Q32).

Both shrink the weights, but differently:
- adam_l2_step (torch.optim.Adam(weight_decay=...)): the penalty's gradient
  weight_decay · w is added to grad, so it is then divided by sqrt(v_hat) like
  everything else: weights with large gradients are barely decayed.
- adamw_step (torch.optim.AdamW): decay is decoupled; w shrinks by the factor
  (1 − lr · weight_decay) first, then the Adam step uses the raw gradient.

weight_decay is PyTorch's λ: the L2 penalty it stands for is (λ/2)·‖w‖², gradient λ·w
(03 Q32). 08_regularization's weight_penalties.py writes the penalty as λ·Σw² instead
(gradient 2λ·w), so its λ is half of this weight_decay.
"""

import numpy as np


def adamw_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """One AdamW step (torch.optim.AdamW).

    First shrink w by lr · weight_decay · w (decoupled decay: the w given, before
    the step, scaled by lr), then take the Adam step of adam.py from that w, with
    the raw grad. weight_decay >= 0; 0 gives adam_step exactly.

    Args and returns as in adam_step: (w, m, v) as new arrays, t is 1 on the first step.
    """
    ### BEGIN SOLUTION
    w = w * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


def adam_l2_step(w, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    """One step of Adam with an L2 penalty (torch.optim.Adam with weight_decay).

    Add the L2 penalty's gradient, weight_decay · w, to grad; then take the
    Adam step of adam.py with that gradient. weight_decay >= 0; 0 gives adam_step
    exactly.

    Args and returns as in adam_step: (w, m, v) as new arrays, t is 1 on the first step.
    """
    ### BEGIN SOLUTION
    grad = grad + weight_decay * w
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION
