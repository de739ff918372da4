"""NumPy twins of torch.nn: the same class names, arguments, parameter names and state_dict keys.

Each concept lives in a file named after it (linear.py, conv.py, normalization.py, ...), with its pure
``<op>_forward`` / ``<op>_backward`` functions beside the Module class that calls them.
"""

from dlcourse.nn import functional, init, utils
from dlcourse.nn.activations import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from dlcourse.nn.attention import MultiheadAttention
from dlcourse.nn.clip_grad import clip_grad_norm_, clip_grad_value_
from dlcourse.nn.conv import Conv2d
from dlcourse.nn.conv_transpose import ConvTranspose2d
from dlcourse.nn.dropout import Dropout
from dlcourse.nn.embedding import Embedding
from dlcourse.nn.gpt import GPT, GPTConfig
from dlcourse.nn.gru import GRU, GRUCell
from dlcourse.nn.linear import Linear
from dlcourse.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from dlcourse.nn.lstm import LSTM, LSTMCell
from dlcourse.nn.module import Flatten, Module, Parameter, Sequential
from dlcourse.nn.normalization import BatchNorm1d, BatchNorm2d, LayerNorm
from dlcourse.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from dlcourse.nn.regularization import l1_penalty, l2_penalty
from dlcourse.nn.rnn import RNN, RNNCell
from dlcourse.nn.transformer import LearnedPositionalEncoding, SinusoidalPositionalEncoding, TransformerEncoderLayer
