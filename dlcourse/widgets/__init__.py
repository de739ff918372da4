"""Slider demos for the lecture hall; each also works, and is tested, without a browser."""
from dlcourse.widgets.activations import activation_explorer  # noqa: F401
from dlcourse.widgets.learning_rate import learning_rate_explorer  # noqa: F401
from dlcourse.widgets.convolution import convolution_explorer  # noqa: F401
