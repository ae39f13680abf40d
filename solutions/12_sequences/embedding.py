"""An embedding layer: a lookup table trained by backpropagation (Q60).

W holds one row of D numbers for each of the V ids in the vocabulary. Looking ids up is
the same as multiplying their one-hot vectors by W, so the gradient reaches only the
rows that were looked up, and an id that occurs several times adds up its gradients
(torch.nn.functional.embedding and its autograd).
"""

import numpy as np


def embedding_forward(ids, W, padding_idx=None):
    """The rows of W for each id: out[..., :] = W[ids[...]].

    Args:
        ids: integer array of any shape, usually (N, T) or (T,), each in [0, V); ids may
            repeat and come in any order.
        W: the table, float64 (V, D).
        padding_idx: None, or the id of the padding row, in [-V, V) (a negative value
            counts from the end, as in torch: -1 is row V - 1). The forward looks that row
            up like any other (it holds whatever W holds there); only the backward treats
            it differently.

    Returns:
        (out, cache): out, a new float64 array of shape ids.shape + (D,); cache holds
        whatever embedding_backward needs (your choice: the grader passes your own cache
        back to your backward).
    """
    ### BEGIN SOLUTION
    ids = np.asarray(ids)
    return W[ids], (ids, W.shape, padding_idx)
    ### END SOLUTION


def embedding_backward(dout, cache):
    """The gradient of the loss with respect to the table.

    Args:
        dout: ∂loss/∂out, float64 array of shape ids.shape + (D,).
        cache: what embedding_forward returned.

    Returns:
        dW: a new float64 array (V, D). Row v is the sum of dout over every position whose
        id is v (an id seen k times adds k gradients; rows never looked up stay 0). The
        padding row, when padding_idx is not None, is 0 whatever dout says.
    """
    ### BEGIN SOLUTION
    ids, (V, D), padding_idx = cache
    dW = np.zeros((V, D))
    np.add.at(dW, ids.reshape(-1), dout.reshape(-1, D))  # repeated ids add up
    if padding_idx is not None:
        dW[padding_idx] = 0.0
    return dW
    ### END SOLUTION
