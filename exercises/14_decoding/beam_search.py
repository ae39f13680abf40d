"""Greedy decoding and beam search with a length penalty (Q67), as Hugging Face's generate does
beam search (num_beams, length_penalty, early_stopping=True).

The model is a function: step_log_probs(prefixes) takes an int array (B, t) of B prefixes
of one length t, each starting with the prompt, and returns a float64 array (B, V): row b is
log P(next token | prefixes[b]) over the V tokens (log-probabilities: each row's exp sums
to 1; impossible tokens are -inf). Call it only on live hypotheses, never on one that has
emitted eos.

The prompt (`bos`) is one token, an int, or a list (or 1-D int array) of tokens every
hypothesis starts with; it is never changed. A hypothesis is the prompt plus the tokens
generated after it. It is finished once it emits eos (eos is its last token); max_len is
the most tokens generated after the prompt, eos included. A hypothesis's score is

    score = (sum of the log-probabilities of its generated tokens) / len ** length_penalty

where len is the number of tokens generated after the prompt, eos included (Hugging Face
counts the same way). length_penalty = 0 is the plain sum; > 0 favours longer hypotheses
(sums are negative), < 0 shorter ones. Ties between different hypotheses are broken in
any order (the graders avoid them).
"""

import numpy as np


def greedy_decode(step_log_probs, bos, eos, max_len):
    """Append the most probable next token until eos or max_len generated tokens.

    Args:
        step_log_probs: the model (see above), called with one prefix at a time, (1, t).
        bos: the prompt: an int, or a list or 1-D int array of ints (left unchanged).
        eos: the end token, an int.
        max_len: an int >= 1, the most tokens generated after the prompt.

    Returns:
        (tokens, score): tokens a new list of ints, the prompt then the generated tokens
        (eos last if it was emitted); score a float, the sum of their log-probabilities.
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def beam_search(step_log_probs, bos, eos, beam_width, max_len, length_penalty=0.0):
    """The best hypothesis beam search finds, keeping beam_width live hypotheses.

    Start with one live hypothesis, the prompt (sum 0). At each step, extend every live
    hypothesis by every token (its sum plus that token's log-probability) and go through
    the 2·beam_width candidates with the largest sums, best first (all of them if there
    are fewer): a candidate ending in eos is finished, and kept only if it is among the
    first beam_width of them; any other candidate becomes a live hypothesis of the next
    step, until there are beam_width of them. Stop as soon as beam_width hypotheses have
    finished (early stopping: the live ones are dropped), or after max_len steps (the live
    ones then compete too, unfinished). Return the one with the best score, length
    penalty applied.

    With beam_width = 1 this is greedy decoding; with a beam as wide as the number of
    hypotheses there can be, it is an exhaustive search over every hypothesis.

    Args:
        step_log_probs: the model (see above), called with the live hypotheses (B, t).
        bos: the prompt: an int, or a list or 1-D int array of ints (left unchanged).
        eos: the end token, an int.
        beam_width: an int >= 1.
        max_len: an int >= 1, the most tokens generated after the prompt.
        length_penalty: a float; score = sum / len ** length_penalty.

    Returns:
        (tokens, score): tokens a new list of ints, the prompt then the generated tokens
        of the best hypothesis; score a float, its score.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
