"""NumPy twins of torch.nn: the same class names, arguments, parameter names and state_dict keys."""

from dlcourse.nn import init
from dlcourse.nn.linear import Linear
from dlcourse.nn.module import Flatten, Module, Parameter, Sequential
