"""Data that needs no download: generated 2-D sets and images, scikit-learn's digits, readers for MNIST and CIFAR-10
files on disk, splitting and scaling, augmentation, padding, mini-batches, a text corpus with a character vocabulary.
The modules hold the documentation."""

from dlcourse.data.augment import add_noise, random_flip, random_shift, shift_images
from dlcourse.data.decisions import DecisionData, make_decisions
from dlcourse.data.digits import load_digits
from dlcourse.data.images import load_digit_images, resize_images
from dlcourse.data.loader import ArrayDataset, DataLoader
from dlcourse.data.mixtures import (
    grid_centers,
    make_grid_of_gaussians,
    make_ring_of_gaussians,
    ring_centers,
    sample_mixture,
)
from dlcourse.data.preprocessing import Standardizer, one_hot, standardize, train_val_test_split
from dlcourse.data.readers import load_cifar10, load_mnist, read_idx
from dlcourse.data.sequences import (
    make_adding_problem,
    make_copy_task,
    make_delayed_recall,
    make_sine_waves,
    make_variable_length,
    pad_sequences,
    padding_mask,
)
from dlcourse.data.shapes import SHAPE_NAMES, make_shapes
from dlcourse.data.text import CORPORA, Vocabulary, load_corpus, sample_windows, split_ids, window_batches
from dlcourse.data.toy2d import make_blobs, make_circles, make_moons, make_regression_curve, make_spirals, make_xor
