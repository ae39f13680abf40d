"""A pre-LN Transformer block (Q63, Q65), exactly as torch's TransformerEncoderLayer with
norm_first=True, activation="gelu", dropout=0.0 and batch_first=True.

x is (N, T, D). Each sublayer reads a layer-normalised copy of its input and adds its
result back onto it (the residual stream is never normalised):

    h   = x + MHA(LN1(x))
    out = h + gelu(LN2(h) @ W1 + b1) @ W2 + b2

LN is layer normalisation over the last axis with eps = 1e-5 (LN1 with ln1_gamma and
ln1_beta, LN2 with ln2_gamma and ln2_beta). gelu is the exact GELU, z·Φ(z) =
½·z·(1 + erf(z/√2)), not its tanh approximation (numpy has no erf: the standard library's
math.erf, applied element-wise, is exact). MHA is multi-head self-attention without
biases: q = y @ Wq, k = y @ Wk, v = y @ Wv, each split along D into n_heads heads of
D / n_heads, softmax(q kᵀ / √(D / n_heads)) v per head (masked where mask is False), the
heads concatenated back along D, then @ Wo.

params is a dict of float64 arrays, with F the feed-forward width:
    "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta"  (D,)
    "Wq", "Wk", "Wv", "Wo"                            (D, D)
    "W1" (D, F), "b1" (F,), "W2" (F, D), "b2" (D,)
In torch (weights are (out, in) there, transposes of these):
    layer = nn.TransformerEncoderLayer(D, n_heads, F, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True, bias=True)
    norm1.weight, norm1.bias = ln1_gamma, ln1_beta;  norm2 likewise with ln2_*
    self_attn.in_proj_weight = [Wqᵀ; Wkᵀ; Wvᵀ] (3D, D), self_attn.in_proj_bias = 0
    self_attn.out_proj.weight = Woᵀ, self_attn.out_proj.bias = 0
    linear1.weight, linear1.bias = W1ᵀ, b1;  linear2.weight, linear2.bias = W2ᵀ, b2
and out = layer(x, src_mask=~mask): torch's boolean src_mask marks where attention is
*not* allowed, the opposite of this kata's mask.
"""

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _gelu(z):
    return 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))


def _attention(y, Wq, Wk, Wv, Wo, n_heads, mask):
    N, T, D = y.shape
    d = D // n_heads

    def heads(a):  # (N, T, D) -> (N, heads, T, d)
        return a.reshape(N, T, n_heads, d).transpose(0, 2, 1, 3)

    q, k, v = heads(y @ Wq), heads(y @ Wk), heads(y @ Wv)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)  # (N, heads, T, T)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    context = (weights @ v).transpose(0, 2, 1, 3).reshape(N, T, D)
    return context @ Wo


def block_forward(x, params, n_heads, mask=None):
    """One pre-LN Transformer block over x.

    Args:
        x: float64 array (N, T, D), any memory layout.
        params: the dict above (arrays may be views, such as torch's weights transposed).
        n_heads: the number of heads, dividing D (1 and D included).
        mask: None (every position may attend to every other), or a boolean array that
            broadcasts to (N, n_heads, T, T): (T, T) such as a causal mask, (N, 1, 1, T) a
            padding mask, (N, 1, T, T) both. True where query t may attend to key s. Every
            query may attend to at least one key.

    Returns:
        out: a new array (N, T, D).
    """
    # YOUR CODE HERE
    raise NotImplementedError()
