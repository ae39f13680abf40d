"""Temperature, top-k and top-p (nucleus) sampling (Q67, Q68), as Hugging Face's generate does it.

A language model gives logits over V tokens for the next position. Sampling draws the
next token from softmax(logits); three knobs reshape that distribution first, applied in
this order (Hugging Face's TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper):

    temperature T    logits / T: T < 1 sharpens, T > 1 flattens (T > 0; T -> 0 is greedy)
    top-k            only the k largest logits stay; ties with the k-th largest stay too
    top-p (nucleus)  only the smallest set of most probable tokens whose probability
                     reaches p stays (computed on what top-k left)

A removed token's logit becomes -inf: softmax gives it probability exactly 0 and spreads
its mass over the tokens that stay (renormalisation). Every function works along the last
axis: logits (V,) for one position, (N, V) for a batch, any leading axes the same way.
Logits may hold -inf (tokens already ruled out), but every row has a finite one; they may
be as large as ±1e3, and divided by a small temperature larger still: nothing may
overflow or produce nan (exp only ever sees logit − max ≤ 0).
"""

import numpy as np


def apply_temperature(logits, temperature):
    """logits / temperature, as a new array (temperature = 1 included).

    Args:
        logits: float64 array (..., V).
        temperature: a float > 0.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def top_k_filter(logits, k):
    """Keep, in each row, the logits at least as large as the row's k-th largest value;
    set the others to -inf (Hugging Face's TopKLogitsWarper).

    Ties with the k-th largest value are all kept, so a row may keep more than k tokens.
    k >= V keeps everything. Returns a new float64 array shaped like logits.

    Args:
        logits: float64 array (..., V).
        k: an int >= 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def top_p_filter(logits, p):
    """Keep, in each row, the smallest set of most probable tokens whose probability
    reaches p; set the others to -inf (Hugging Face's TopPLogitsWarper).

    Go down the tokens from the most probable: a token is kept while the tokens before it
    hold less than p of the probability (of softmax(logits) of that row). So the token
    that crosses p is kept, and a token that comes after the kept ones reach exactly p is
    not. The most probable token is always kept, however small p is. Which of several
    tied tokens is kept where the cut falls among them is free (graded either way).
    p = 1 keeps every token whose probability is above 0. Returns a new float64 array.

    Args:
        logits: float64 array (..., V).
        p: a float, 0 < p <= 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def sample(logits, rng, temperature=1.0, top_k=None, top_p=None):
    """Draw one token id per row of logits: temperature, then top-k, then top-p, then a
    draw from the softmax of what is left (renormalised over the kept tokens).

    Args:
        logits: float64 array (V,) or (N, V) (any leading axes).
        rng: a numpy.random.Generator, the only source of randomness: the same state gives
            the same ids; every row is drawn independently, and successive calls with one
            rng (it advances) give fresh draws.
        temperature: a float > 0 (1 leaves the logits as they are).
        top_k: None (no top-k) or an int >= 1.
        top_p: None (no top-p) or a float in (0, 1].

    Returns:
        For (V,) logits one id, an int; otherwise an int array of shape logits.shape[:-1]
        (N,) for (N, V). Each id is i with probability softmax(filtered logits)[i]; a
        removed token is never drawn.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
