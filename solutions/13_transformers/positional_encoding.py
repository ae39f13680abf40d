"""Positional information for attention, which by itself ignores the order of its inputs
(Q64): the sinusoidal encodings of the original Transformer, and rotary position
embeddings (RoPE).

sinusoidal_encoding (Vaswani et al. 2017, §3.5) is added to the token embeddings. Column
j of position t holds, with i = ⌊j/2⌋ (the pair j belongs to),

    PE[t, 2i] = sin(t · base^(−2i/d)),   PE[t, 2i+1] = cos(t · base^(−2i/d)),   t = 0..T−1

sines at even columns, cosines at odd ones, both of a pair at the same frequency. An odd d
is allowed: the last column is then a sine whose cosine partner would be column d (the
same formula, with 2i/d and the true d). This is not the layout of tensor2tensor or
fairseq, which put all the sines first and all the cosines after.

rope (Su et al., RoFormer, 2021) rotates each pair of features (x[2i], x[2i+1]) of a query
or key at position p by the angle p·θ_i, θ_i = base^(−2i/d), i = 0..d/2 − 1:

    out[2i]   = x[2i] cos(p θ_i) − x[2i+1] sin(p θ_i)
    out[2i+1] = x[2i] sin(p θ_i) + x[2i+1] cos(p θ_i)

that is, the complex number x[2i] + i·x[2i+1] times e^(i p θ_i): Meta's reference LLaMA
code (precompute_freqs_cis, torch.polar, view_as_complex), the graders' oracle. Rotating
the two halves instead, (x[i], x[i + d/2]) (GPT-NeoX, Hugging Face's rotate_half), is
another layout of the same idea; this kata rotates adjacent pairs. Because rotations
compose, the score of a query at p and a key at p' depends only on p − p':
rope(q, p)·rope(k, p') = rope(q, p − p')·k.
"""

import numpy as np


def sinusoidal_encoding(T, d, base=10000.0):
    """The (T, d) table of sinusoidal position encodings, positions 0..T−1.

    Args:
        T: the number of positions, an int >= 1.
        d: the model width, an int >= 1 (odd allowed, see above).
        base: the wavelength scale, a float > 1 (10000 in the paper): the frequencies
            run from 1 (columns 0 and 1) down to about 1/base.

    Returns:
        a new float64 array (T, d): row t is the encoding of position t.
    """
    ### BEGIN SOLUTION
    t = np.arange(T, dtype=np.float64)[:, None]
    pair = np.arange(d) // 2  # i for columns 2i and 2i + 1
    angles = t * base ** (-2.0 * pair / d)
    return np.where(np.arange(d) % 2 == 0, np.sin(angles), np.cos(angles))
    ### END SOLUTION


def rope(x, positions, base=10000.0):
    """Rotary position embedding of queries or keys: each pair (2i, 2i+1) of the last axis
    rotated by positions·θ_i.

    Args:
        x: float64 (..., T, d) with d even: (T, d), (N, T, d) or (N, heads, T, d) (it may
            be a view).
        positions: integer array broadcastable to x.shape[:-1] (the position of each
            row): (T,) for the same positions in every sequence, (N, 1, T) for positions
            per sequence with heads. Any integers: not only arange(T), but offsets (a
            decoder's next tokens at 1000, 1001, ...), repeats, any order, negatives.
        base: a float > 1 (10000 in RoFormer and LLaMA; larger for long contexts).

    Returns:
        a new float64 array of x's shape. At position 0 it equals x; every pair keeps its
        length.
    """
    ### BEGIN SOLUTION
    d = x.shape[-1]
    theta = base ** (-np.arange(0, d, 2) / d)  # (d/2,)
    angles = np.asarray(positions)[..., None] * theta  # (..., T, d/2)
    cos, sin = np.cos(angles), np.sin(angles)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty(np.broadcast_shapes(x.shape, cos.shape[:-1] + (d,)))
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out
    ### END SOLUTION
