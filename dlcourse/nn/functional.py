"""The pure functions behind the layers, in one namespace: ``<op>_forward(...) -> (out, cache)`` and
``<op>_backward(dout, cache) -> gradients`` in the order of forward's array arguments."""

from dlcourse.nn.linear import linear_backward, linear_forward  # noqa: F401
