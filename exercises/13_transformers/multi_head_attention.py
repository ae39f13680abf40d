"""Multi-head self-attention, forward and backward (Q61, Q62, Q63).

x is (N, T, D): N sequences of T positions of D features. The four weights follow the
repository's x @ W convention, each (D, D), without biases. With H = n_heads heads of
d_k = D / H features each:

    Q = x @ Wq,  K = x @ Wk,  V = x @ Wv                          (N, T, D)
    split: (N, T, D) -> (N, T, H, d_k) -> (N, H, T, d_k)          head h has features h·d_k..(h+1)·d_k − 1
    scores = Q Kᵀ / √d_k                                           (N, H, T, T), √d_k not √D
    weights = softmax(scores) over the keys (the last axis)
    heads = weights V                                              (N, H, T, d_k)
    merge: (N, H, T, d_k) -> (N, T, H, d_k) -> (N, T, D);   out = merged @ Wo

This is what the graders compute in torch: the projections with your weights, the heads
split as above, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), the merge and
Wo (nn.MultiheadAttention(D, H, bias=False, batch_first=True) with in_proj_weight =
[Wqᵀ; Wkᵀ; Wvᵀ] and out_proj.weight = Woᵀ, up to its mask convention), and autograd for
the gradients.

The mask is boolean, True = may attend (scaled_dot_product_attention's attn_mask; see
masks.py), and broadcasts against the scores (N, H, T, T): (T, T) causal, (N, 1, 1, T)
padding, (N, 1, T, T) both, or one per head. A masked score is −inf before the softmax. A
query whose keys are all masked (a row of False) gets weights 0 and a head output of 0,
as torch 2.13's scaled_dot_product_attention returns for such a row (torch before 2.5
returned nan); it contributes no gradient either.

Numerically stable: graded on scores of order ±1e3 with numpy raising on overflow, so the
softmax must subtract each row's max. Vectorised over the batch and the heads: graded at
most 10x slower than a vectorised reference on many small heads (a loop over the H heads
alone is fine; one over every (sequence, head) pair is not).
"""

import numpy as np


def mha_forward(x, Wq, Wk, Wv, Wo, n_heads, mask=None):
    """Multi-head self-attention of x.

    Args:
        x: float64 (N, T, D), T >= 1 (it may be a view).
        Wq, Wk, Wv, Wo: float64 (D, D) each (views allowed, such as torch's weights
            transposed).
        n_heads: H, an int >= 1 that divides D.
        mask: None (every key allowed), or a bool array broadcastable to (N, H, T, T),
            True = may attend.

    Returns:
        (out, cache): out, a new float64 array (N, T, D); cache for mha_backward (your
        choice: the grader passes your own cache back to your backward).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def mha_backward(dout, cache):
    """Gradients of mha_forward, given dout = ∂loss/∂out (N, T, D).

    Returns:
        (dx, dWq, dWk, dWv, dWo): new arrays shaped like x (N, T, D) and the four weights
        (D, D). x feeds the queries, the keys and the values, so dx is the sum of the three
        paths. The mask gets no gradient.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
