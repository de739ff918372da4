"""Data that needs no download: generated 2-D sets, scikit-learn's digits, splitting and scaling, mini-batches.

One import line per module; the modules hold the documentation.
"""

from dlcourse.data.digits import load_digits  # noqa: F401
from dlcourse.data.images import load_digit_images, resize_images  # noqa: F401
from dlcourse.data.loader import ArrayDataset, DataLoader  # noqa: F401
from dlcourse.data.preprocessing import Standardizer, one_hot, standardize, train_val_test_split  # noqa: F401
from dlcourse.data.readers import load_cifar10, load_mnist, read_idx  # noqa: F401
from dlcourse.data.shapes import SHAPE_NAMES, make_shapes  # noqa: F401
from dlcourse.data.toy2d import make_blobs, make_circles, make_moons, make_regression_curve, make_spirals, make_xor  # noqa: F401, E501
