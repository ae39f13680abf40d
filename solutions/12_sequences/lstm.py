"""A long short-term memory (LSTM) layer, forward and backward through time (Q58).

Batch first: x is (N, T, D), the hidden state h and the cell state c are (N, H). The four
gates are computed together from one pre-activation of width 4H, in PyTorch's order
i (input), f (forget), g (candidate cell), o (output):

    a = x_t @ Wx + h_{t-1} @ Wh + b          Wx (D, 4H), Wh (H, 4H), b (4H,)
    i = σ(a[:, 0:H])    f = σ(a[:, H:2H])    g = tanh(a[:, 2H:3H])    o = σ(a[:, 3H:4H])
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

This is torch.nn.LSTM(D, H, batch_first=True) with weight_ih_l0 = Wx.T, weight_hh_l0 =
Wh.T, bias_ih_l0 = b and bias_hh_l0 = 0 (torch.nn.LSTMCell for one step); the graders copy
the weights in that way and use autograd for the gradients. σ must be stable: gates are
graded at pre-activations of ±1e3 with numpy raising on overflow (1/(1 + exp(−a))
overflows for a = −1000).
"""

import numpy as np


def _sigmoid(z):
    """σ(z) without overflow: exp is only taken of −|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One time step.

    Args:
        x: float64 (N, D); h_prev, c_prev: the previous hidden and cell states (N, H).
        Wx (D, 4H), Wh (H, 4H), b (4H,): the weights, gate blocks in the order i, f, g, o
            (any of them may be a view, such as torch's weight transposed).

    Returns:
        (h, c, cache): the new hidden and cell states (N, H), new arrays; cache for
        lstm_step_backward (your choice).
    """
    ### BEGIN SOLUTION
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H]), _sigmoid(a[:, 3 * H :])
    g = np.tanh(a[:, 2 * H : 3 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)
    ### END SOLUTION


def lstm_step_backward(dh, dc, cache):
    """Gradients through one step, given dh = ∂loss/∂h and dc = ∂loss/∂c (both (N, H)).

    dc is the gradient that reaches this step's cell state from later ones (zeros at the
    last step of a sequence); the cell also gets dh·o·(1 − tanh²(c)) through h.

    Returns:
        (dx, dh_prev, dc_prev, dWx, dWh, db): new arrays shaped like x (N, D), h_prev,
        c_prev (N, H), Wx (D, 4H), Wh (H, 4H) and b (4H,).
    """
    ### BEGIN SOLUTION
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dc = dc + dh * o * (1.0 - tanh_c**2)
    da = np.concatenate(
        [
            dc * g * i * (1.0 - i),  # input gate
            dc * c_prev * f * (1.0 - f),  # forget gate
            dc * i * (1.0 - g**2),  # candidate
            dh * tanh_c * o * (1.0 - o),  # output gate
        ],
        axis=1,
    )
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION


def lstm_forward(x, h0, Wx, Wh, b):
    """Run the LSTM over a whole sequence from h0, with the cell state starting at zero.

    Args:
        x: float64 (N, T, D), T >= 1 (it may be a view); h0: (N, H); c0 = 0.
        Wx (D, 4H), Wh (H, 4H), b (4H,): shared by every step.

    Returns:
        (h, cache): h (N, T, H), the hidden state after every step; cache for
        lstm_backward (your choice).
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches, h_prev, c_prev = [], h0, np.zeros_like(h0, dtype=np.float64, order="C")
    for t in range(T):
        h_prev, c_prev, step = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        h[:, t] = h_prev
        caches.append(step)
    return h, caches
    ### END SOLUTION


def lstm_backward(dh, cache):
    """Backpropagation through time for lstm_forward.

    Args:
        dh: the upstream gradient of every hidden state, float64 (N, T, H).
        cache: what lstm_forward returned.

    Returns:
        (dx, dh0, dWx, dWh, db): new arrays shaped like x (N, T, D), h0 (N, H), Wx, Wh and
        b. Both states carry gradient back in time: h_t receives dh[:, t] plus what flows
        from step t + 1, and c_t what flows from c_{t+1} (through f); the weights' gradients
        are summed over the steps. (c0 is a constant zero: no gradient is returned for it.)
    """
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.empty((N, T, D))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dh_next, dc_next, cache[t]
        )
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh_next, dWx, dWh, db
    ### END SOLUTION
