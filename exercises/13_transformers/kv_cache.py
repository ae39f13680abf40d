"""Decoding with a KV cache (Q66), and what the cache costs in memory.

A decoder generates one position at a time. Causal self-attention lets position t attend
to positions 0..t only, so the keys and values of the positions before t never change:
they are kept (the KV cache) instead of being recomputed from the whole prefix at every
step. decode_step computes one new position of causal multi-head attention without
biases, from its input x_t and the cache of the earlier positions:

    q = x_t @ Wq,  k = x_t @ Wk,  v = x_t @ Wv      (N, D) each, split along D into
                                                    n_heads heads of hd = D / n_heads
    K = [cached keys; k],  V = [cached values; v]   the new position's own key included
    out_t = concat_heads(softmax(q Kᵀ / √hd) V) @ Wo

Position by position this equals the full causal forward over the whole sequence: its
output at t is what decode_step returns at step t.

The cache is a dict with exactly two keys, "k" and "v": float64 arrays (N, n_heads, t,
hd), the keys and the values of positions 0..t−1 per head, in order (the layout of torch's
scaled_dot_product_attention and of Hugging Face's caches). The empty cache, before the
first position, is {}. decode_step returns a new dict holding t + 1 positions; it never
modifies the cache it is given (a caller may keep it, to branch or to retry a step).

kv_cache_bytes counts what such a cache holds for a model: keys and values, for every
layer, every key-value head, every position and every sequence of the batch.
"""

import math

import numpy as np


def decode_step(x_t, cache, params, n_heads):
    """One decoding step of causal multi-head self-attention.

    Args:
        x_t: float64 array (N, D): the new position's input for each of N sequences.
        cache: {} for the first position, else {"k": (N, n_heads, t, hd), "v": (N, n_heads,
            t, hd)} for the t positions before (as returned by the previous step). Not
            modified.
        params: {"Wq", "Wk", "Wv", "Wo"}, each float64 (D, D), x @ W convention.
        n_heads: the number of heads, dividing D (1 and D included).

    Returns:
        (out_t, cache): out_t, a new array (N, D); cache, a new dict {"k", "v"} of arrays
        (N, n_heads, t + 1, hd) with the new position appended last.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def kv_cache_bytes(n_layers, n_kv_heads, head_dim, seq_len, batch, bytes_per_value=2):
    """The size in bytes of a KV cache: keys and values of every layer, key-value head,
    position and sequence.

    Args:
        n_layers, n_kv_heads, head_dim, seq_len, batch: ints >= 0 (n_kv_heads is the number
            of key-value heads: n_heads for multi-head attention, fewer for grouped-query
            attention, 1 for multi-query attention).
        bytes_per_value: an int, the bytes of one stored number (2 for fp16 and bf16, 4 for
            fp32, 1 for int8/fp8).

    Returns:
        A Python int, exact for any size (no float on the way, no numpy integer that
        overflows past 2**63).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
