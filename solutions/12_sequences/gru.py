"""A gated recurrent unit (GRU), exactly as PyTorch computes it (Q59).

Batch first: x is (N, T, D), the hidden state (N, H). The three blocks of width H are in
PyTorch's order r (reset), z (update), n (candidate), and the input and the hidden state
have a bias each:

    gx = x_t @ Wx + bx,   gh = h_{t-1} @ Wh + bh          Wx (D, 3H), Wh (H, 3H), bx, bh (3H,)
    r = σ(gx_r + gh_r)        z = σ(gx_z + gh_z)
    n = tanh(gx_n + r ⊙ gh_n)                              r multiplies h @ W_hn + b_hn
    h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}

This is torch.nn.GRU(D, H, batch_first=True) (torch.nn.GRUCell for one step) with
weight_ih_l0 = Wx.T, weight_hh_l0 = Wh.T, bias_ih_l0 = bx and bias_hh_l0 = bh. It is not
the variant of Cho et al. (2014), which resets h before the product:
n = tanh(gx_n + (r ⊙ h_{t-1}) @ W_hn + b_hn). σ must be stable: gates are graded at
pre-activations of ±1e3 with numpy raising on overflow.
"""

import numpy as np


def _sigmoid(z):
    """σ(z) without overflow: exp is only taken of −|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One time step.

    Args:
        x: float64 (N, D); h_prev: (N, H).
        Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,): blocks in the order r, z, n (any of
            them may be a view, such as torch's weight transposed).

    Returns:
        (h, cache): the new hidden state (N, H), a new array, and a cache (your choice:
        this kata has no backward, so it may hold anything, even None).
    """
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    gx = x @ Wx + bx
    gh = h_prev @ Wh + bh
    r = _sigmoid(gx[:, :H] + gh[:, :H])
    z = _sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    h = (1.0 - z) * n + z * h_prev
    return h, (r, z, n)
    ### END SOLUTION


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """Run the GRU over a whole sequence from h0.

    Args:
        x: float64 (N, T, D), T >= 1 (it may be a view); h0: (N, H).
        Wx, Wh, bx, bh: as in gru_step_forward, shared by every step.

    Returns:
        (h, cache): h (N, T, H), the hidden state after every step (h0 excluded), a new
        array; cache (your choice, as in gru_step_forward).
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches, h_prev = [], h0
    for t in range(T):
        h_prev, step = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)
        h[:, t] = h_prev
        caches.append(step)
    return h, caches
    ### END SOLUTION
