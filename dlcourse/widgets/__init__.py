"""Slider demos for the lecture hall; each also works, and is tested, without a browser."""

from dlcourse.widgets.activations import activation_explorer
from dlcourse.widgets.convolution import convolution_explorer
from dlcourse.widgets.gan_training import gan_training_explorer
from dlcourse.widgets.gradient_flow import gradient_flow_explorer
from dlcourse.widgets.latent import latent_explorer
from dlcourse.widgets.learning_rate import learning_rate_explorer
from dlcourse.widgets.sampling import sampling_explorer
from dlcourse.widgets.thresholds import threshold_explorer
from dlcourse.widgets.transfer import transfer_explorer
