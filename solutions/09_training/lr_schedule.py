"""Linear warm-up, then cosine decay (Q26): the schedule most Transformers train with.

step counts from 0. With W = warmup_steps and T = total_steps (0 <= W < T):

    step < W:        lr = base_lr · step / W                      (0 at step 0)
    W <= step <= T:  lr = min_lr + (base_lr − min_lr) · (1 + cos(π · (step − W) / (T − W))) / 2
    step > T:        lr = min_lr

So lr(0) = 0 when W > 0 (base_lr when W = 0), lr(W) = base_lr, lr(T) = min_lr;
it rises linearly, then falls monotonically. (The same shape as Hugging Face's
get_cosine_schedule_with_warmup, with a floor min_lr.)
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    """The learning rate at `step`, as a float (formula in the module docstring)."""
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * step / warmup_steps
    if step > total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
    ### END SOLUTION
