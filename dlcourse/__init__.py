"""dlcourse: the NumPy reference package of the course (layers with forward and backward, losses, optimizers,
autograd, gradient checks, data, metrics, plots and widgets) and its PyTorch helpers."""

__version__ = "0.1.0"
