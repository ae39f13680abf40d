"""Attention masks: which keys each query may look at (Q63).

A mask is a boolean array in the convention of PyTorch's
torch.nn.functional.scaled_dot_product_attention (its attn_mask): True = this query may
attend to this key, False = it may not (its score becomes −inf before the softmax). It
broadcasts against the scores, of shape (N, heads, T_q, T_k): its last axis indexes the
keys, the one before it the queries.

Beware of the other conventions around: nn.MultiheadAttention's boolean attn_mask and
key_padding_mask, and nn.Transformer.generate_square_subsequent_mask (a float mask of
0 and −inf), mark with True (or −inf) the positions that may NOT be attended. A float mask
given to scaled_dot_product_attention is added to the scores, so a mask of 0s and 1s must
be boolean, not float.
"""

import numpy as np


def causal_mask(T):
    """The causal (autoregressive) mask of a decoder: query i may attend to keys 0..i.

    Args:
        T: the sequence length, an int >= 1.

    Returns:
        a new bool array (T, T): mask[i, j] is True exactly when j <= i (the diagonal
        included: a token sees itself). This is the mask scaled_dot_product_attention's
        is_causal=True applies.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def padding_mask(lengths, T):
    """The key padding mask of a batch of sequences padded to length T.

    Args:
        lengths: integer array (N,), the true length of each sequence, each in 0..T
            (0: a sequence of padding only; T: no padding). It may be a view, of any
            integer dtype.
        T: the padded length, an int >= 1.

    Returns:
        a new bool array (N, 1, 1, T): mask[n, 0, 0, j] is True exactly when j <
        lengths[n], so that key j of sequence n is hidden from every head and every
        query when it is padding. The two axes of size 1 broadcast over heads and queries.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def combine_masks(a, b):
    """Both masks at once: a query may attend to a key when both a and b allow it.

    Args:
        a, b: bool arrays that broadcast against each other (a causal (T, T) and a padding
            (N, 1, 1, T) mask, say), or None for "no mask" (every key allowed).

    Returns:
        a new bool array of the broadcast shape of a and b (here (N, 1, T, T)); if one of
        them is None, a new array equal to the other; None if both are.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
