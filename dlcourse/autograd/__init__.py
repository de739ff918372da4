"""A small reverse-mode autograd: a scalar ``Value`` engine and an array ``Tensor`` engine, and graph drawings."""

from dlcourse.autograd.broadcast import expand_reduced, unbroadcast
from dlcourse.autograd.functional import cross_entropy, mse_loss
from dlcourse.autograd.grad_mode import no_grad
from dlcourse.autograd.graph import draw_graph, trace
from dlcourse.autograd.tensor import Tensor
from dlcourse.autograd.value import Value, topological_order, zero_grad

__all__ = ["Tensor", "Value", "cross_entropy", "draw_graph", "expand_reduced", "mse_loss", "no_grad",
           "topological_order", "trace", "unbroadcast", "zero_grad"]
