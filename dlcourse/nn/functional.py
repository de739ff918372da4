"""The pure functions behind the layers, in one namespace: ``<op>_forward(...) -> (out, cache)`` and
``<op>_backward(dout, cache) -> gradients`` in the order of forward's array arguments."""

from dlcourse.nn.activations import (  # noqa: F401
    elu_backward,
    elu_forward,
    gelu_backward,
    gelu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax_backward,
    log_softmax_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    silu_backward,
    silu_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from dlcourse.nn.attention import (  # noqa: F401
    causal_mask,
    merge_heads,
    scaled_dot_product_attention_backward,
    scaled_dot_product_attention_forward,
    split_heads,
)
from dlcourse.nn.conv import (  # noqa: F401,E501
    col2im,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    im2col,
)
from dlcourse.nn.conv_transpose import conv_transpose2d_backward, conv_transpose2d_forward  # noqa: F401
from dlcourse.nn.dropout import dropout_backward, dropout_forward, dropout_mask  # noqa: F401
from dlcourse.nn.embedding import embedding_backward, embedding_forward  # noqa: F401
from dlcourse.nn.gru import (  # noqa: F401
    gru_backward,
    gru_cell_backward,
    gru_cell_forward,
    gru_forward,
    gru_step_backward,
    gru_step_forward,
)
from dlcourse.nn.linear import linear_backward, linear_forward  # noqa: F401
from dlcourse.nn.losses import (  # noqa: F401
    binary_cross_entropy_backward,
    binary_cross_entropy_forward,
    binary_cross_entropy_with_logits_backward,
    binary_cross_entropy_with_logits_forward,
    cross_entropy_backward,
    cross_entropy_forward,
    l1_loss_backward,
    l1_loss_forward,
    mse_loss_backward,
    mse_loss_forward,
)
from dlcourse.nn.lstm import (  # noqa: F401
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from dlcourse.nn.normalization import batch_norm_backward, batch_norm_forward, layer_norm_backward, layer_norm_forward  # noqa: F401,E501
from dlcourse.nn.pooling import (  # noqa: F401,E501
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_forward,
    max_pool2d_forward_naive,
)
from dlcourse.nn.rnn import (  # noqa: F401
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from dlcourse.nn.transformer import sinusoidal_positional_encoding  # noqa: F401
from dlcourse.nn.vae import (  # noqa: F401
    bernoulli_nll_backward,
    bernoulli_nll_forward,
    gaussian_kl_backward,
    gaussian_kl_forward,
    gaussian_nll_backward,
    gaussian_nll_forward,
    negative_elbo_backward,
    negative_elbo_forward,
    reparameterize_backward,
    reparameterize_forward,
)
