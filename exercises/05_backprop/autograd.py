"""A scalar autograd engine (Q17): the computation graph, and backprop over it.

Every operation on Values returns a new Value that remembers its inputs (the graph)
and how to pass a gradient back to them (the local derivative). backward() visits
the graph in reverse topological order, so a node sends its gradient on only after
every node that uses it has added its share. Where a node feeds several others,
their contributions add up (+=): the multivariate chain rule.

    x = Value(2.0); y = Value(-3.0)
    z = (x * y + x).tanh()
    z.backward()          # x.grad == dz/dx, y.grad == dz/dy

Semantics of backward(): it computes d(self)/d(node) for every node of the graph
from scratch, so it first sets every .grad in the graph to 0. Calling it twice
gives the same gradients. (PyTorch differs: a leaf's .grad accumulates across
backward calls, which is why training loops call optimizer.zero_grad().)

Every operation returns a new Value, even where its value equals an operand's (v + 0,
v * 1, v ** 1), and leaves its operands' .data and .grad as they were. sigmoid() and
tanh() are stable: at ±1000 they give 0 or 1 and ±1, never an OverflowError.
"""

import math


class Value:
    """One scalar in a computation graph: .data is its value, .grad is d(root)/d(this)."""

    def __init__(self, data, _children=(), _op=""):
        # YOUR CODE HERE
        raise NotImplementedError()

    def __add__(self, other):
        """self + other, other a Value or a number."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __mul__(self, other):
        """self * other, other a Value or a number."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def __pow__(self, exponent):
        """self ** exponent, for a number exponent (int or float).

        The derivative is exponent·self**(exponent − 1), also at self = 0 where that is
        defined (1 for exponent 1, 0 for exponent 2, 3, ...), and 0 for exponent 0 (a
        constant) wherever self is, 0 included, as in PyTorch.
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def exp(self):
        """e ** self."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def log(self):
        """The natural logarithm of self (self > 0)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def tanh(self):
        """tanh(self)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def relu(self):
        """max(self, 0); its derivative at 0 is 0, as in PyTorch."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def sigmoid(self):
        """1 / (1 + e ** −self)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def backward(self):
        """Fill .grad of every node of the graph with d(self)/d(node) (see the module docstring)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    # The reflected and derived operators, written with the ones above.
    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return Value(other) * self**-1

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
