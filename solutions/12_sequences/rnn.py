"""A vanilla (Elman) recurrent layer with tanh, and backpropagation through time (Q56, Q57).

Batch first: x is (N, T, D), a hidden state is (N, H). The weights follow the repository's
x @ W convention:

    h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b),   Wx (D, H), Wh (H, H), b (H,)

This is torch.nn.RNN(D, H, batch_first=True) (nonlinearity "tanh") with weight_ih_l0 =
Wx.T, weight_hh_l0 = Wh.T, bias_ih_l0 = b and bias_hh_l0 = 0; the graders copy the
weights in that way and use autograd for the gradients.
"""

import numpy as np


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One time step: h = tanh(x @ Wx + h_prev @ Wh + b).

    Args:
        x: the inputs of this step, float64 (N, D).
        h_prev: the previous hidden state, (N, H).
        Wx (D, H), Wh (H, H), b (H,): the weights (any of them may be a view, such as
            torch's weight transposed).

    Returns:
        (h, cache): h (N, H), a new array; cache for rnn_step_backward (your choice). tanh
        must stay finite for pre-activations of any size (±1e3 included): np.tanh does.
    """
    ### BEGIN SOLUTION
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h)
    ### END SOLUTION


def rnn_step_backward(dh, cache):
    """Gradients through one step, given dh = ∂loss/∂h (N, H).

    Returns:
        (dx, dh_prev, dWx, dWh, db): new arrays shaped like x (N, D), h_prev (N, H),
        Wx (D, H), Wh (H, H) and b (H,). With da = dh·(1 − h²) (tanh' through the output):
        dx = da @ Wxᵀ, dh_prev = da @ Whᵀ, dWx = xᵀ @ da, dWh = h_prevᵀ @ da, db = Σ_n da.
    """
    ### BEGIN SOLUTION
    x, h_prev, Wx, Wh, h = cache
    da = dh * (1.0 - h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)
    ### END SOLUTION


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the layer over a whole sequence, from the initial state h0.

    Args:
        x: float64 (N, T, D), T >= 1; it may be a view (a time-major array transposed).
        h0: the initial hidden state, (N, H) (not necessarily zeros).
        Wx (D, H), Wh (H, H), b (H,): shared by every time step.

    Returns:
        (h, cache): h (N, T, H), the hidden state after every step (h[:, t] is h_{t+1}
        in the notation above, h0 excluded); cache for rnn_backward (your choice).
        Vectorised over the batch (a loop over time is fine; a loop over the samples is
        not): speed, at most 25x slower than a vectorised reference on a large batch.
    """
    ### BEGIN SOLUTION
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches, h_prev = [], h0
    for t in range(T):
        h_prev, step = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
        caches.append(step)
    return h, caches
    ### END SOLUTION


def rnn_backward(dh, cache):
    """Backpropagation through time.

    Args:
        dh: the upstream gradient of every hidden state, ∂loss/∂h, float64 (N, T, H): the
            loss may depend on each step's output, not only on the last one.
        cache: what rnn_forward returned.

    Returns:
        (dx, dh0, dWx, dWh, db): new arrays shaped like x (N, T, D), h0 (N, H), Wx, Wh and
        b. Going back from the last step, the gradient that reaches h_t is dh[:, t] plus
        what flows back from step t + 1; the weights are shared, so their gradients are
        summed over every step.
    """
    ### BEGIN SOLUTION
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.empty((N, T, D))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dh_next, dWx, dWh, db
    ### END SOLUTION
