"""Linear warm-up, then cosine decay (Q26): the schedule most Transformers train with.

step counts from 0. With W = warmup_steps and T = total_steps (0 <= W < T):

    step < W:        lr = base_lr · step / W                      (0 at step 0)
    W <= step <= T:  lr = min_lr + (base_lr − min_lr) · (1 + cos(π · (step − W) / (T − W))) / 2
    step > T:        lr = min_lr

So lr(0) = 0 when W > 0 (base_lr when W = 0: no warm-up), lr(W − 1) = base_lr·(W − 1)/W
is the last warm-up step, lr(W) = base_lr, lr(T) = min_lr, and every step after T stays
at min_lr; it rises linearly, then falls monotonically. (The same shape as Hugging
Face's get_cosine_schedule_with_warmup, with a floor min_lr.)

The arguments: integers 0 <= W < T (W = T − 1 decays in one step; T = 1, W = 0 is the
shortest schedule), step any integer >= 0, and 0 <= min_lr <= base_lr (min_lr = base_lr
is flat after warm-up, base_lr = 0 is 0 everywhere). Any scale: steps beyond 10^12 and
base_lr from 1e-300 to 1e300 work, so nothing in between may overflow (divide step by W
before multiplying by base_lr). base_lr and min_lr may also be 0-d numpy arrays; the
result is a new float either way, never one of them.
"""

import math


def warmup_cosine_lr(step, total_steps, warmup_steps, base_lr, min_lr=0.0):
    """The learning rate at `step`, as a float (formula in the module docstring)."""
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return base_lr * (step / warmup_steps)
    if step > total_steps:
        return float(min_lr)
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
    ### END SOLUTION
