"""NumPy twins of torch.optim: the same class names, arguments, defaults and update rules, so that the same model,
weights, data and hyperparameters follow the same trajectory as torch.optim (to float64 precision).

Each rule also exists as a pure function on arrays (``sgd_step``, ``adagrad_step``, ``rmsprop_step``,
``adam_step``) that the classes call and the chapter builds up in the open.
"""

from dlcourse.optim import lr_scheduler
from dlcourse.optim.adagrad import Adagrad, adagrad_step
from dlcourse.optim.adam import Adam, AdamW, adam_step
from dlcourse.optim.optimizer import Optimizer
from dlcourse.optim.rmsprop import RMSprop, rmsprop_step
from dlcourse.optim.sgd import SGD, sgd_step

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler",
           "sgd_step", "adagrad_step", "rmsprop_step", "adam_step"]
