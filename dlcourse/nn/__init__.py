"""NumPy twins of torch.nn: the same class names, arguments, parameter names and state_dict keys."""

from dlcourse.nn import init
from dlcourse.nn.activations import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh  # noqa: F401
from dlcourse.nn.linear import Linear
from dlcourse.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss  # noqa: F401
from dlcourse.nn.module import Flatten, Module, Parameter, Sequential
from dlcourse.nn.clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from dlcourse.nn.dropout import Dropout  # noqa: F401
from dlcourse.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from dlcourse.nn.regularization import l1_penalty, l2_penalty  # noqa: F401
from dlcourse.nn.conv import Conv2d  # noqa: F401
from dlcourse.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
