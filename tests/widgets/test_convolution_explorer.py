import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import convolution_explorer  # noqa: E402
from dlcourse.widgets.convolution import KERNELS, size_arithmetic  # noqa: E402


@pytest.fixture
def explorer():
    return convolution_explorer()


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_output_map_is_torch_conv2d_for_every_kernel(explorer, kernel):
    explorer.controls["kernel"].value = kernel
    explorer.controls["stride"].value = 2
    explorer.controls["padding"].value = 1
    explorer.controls["dilation"].value = 2
    expected = torch.nn.functional.conv2d(torch.tensor(explorer.image)[None, None],
                                          torch.tensor(KERNELS[kernel], dtype=torch.float64)[None, None],
                                          stride=2, padding=1, dilation=2)[0, 0].numpy()
    np.testing.assert_allclose(explorer.output_map, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(explorer.output_artist.get_array(), explorer.output_map)


@pytest.mark.parametrize("stride, padding, dilation", [(1, 0, 1), (1, 1, 1), (2, 0, 1), (3, 2, 3), (4, 4, 2)])
def test_output_size_and_printed_arithmetic(explorer, stride, padding, dilation):
    for name, value in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        explorer.controls[name].value = value
    expected = (32 + 2 * padding - dilation * 2 - 1) // stride + 1
    assert explorer.output_map.shape == (expected, expected)
    assert explorer.arithmetic.endswith(f"= {expected}; W_out = {expected}")
    assert f"floor((32 + 2*{padding} - {dilation}*(3-1) - 1) / {stride})" in explorer.arithmetic
    assert explorer.figure._suptitle.get_text() == explorer.arithmetic


def test_identity_kernel_returns_the_input(explorer):
    explorer.controls["kernel"].value = "identity"
    explorer.controls["padding"].value = 1
    np.testing.assert_allclose(explorer.output_map, explorer.image)


def test_padding_and_dilation_move_the_taps(explorer):
    explorer.controls["padding"].value = 2
    explorer.controls["dilation"].value = 3
    taps = explorer.taps.get_offsets()
    assert sorted({x for x, _ in taps}) == [-2, 1, 4]  # 3 taps, 3 apart, starting in the padding
    assert explorer.input_artist.get_array().shape == (36, 36)  # the padded input is shown


def test_kernel_panel_shows_the_numbers(explorer):
    explorer.controls["kernel"].value = "sharpen"
    assert [[t.get_text() for t in row] for row in explorer.kernel_text] == [["0", "-1", "0"], ["-1", "5", "-1"],
                                                                            ["0", "-1", "0"]]


def test_non_square_image_and_bad_image(rng):
    explorer = convolution_explorer(image=rng.random((12, 20)))
    assert explorer.output_map.shape == (10, 18) and explorer.arithmetic.endswith("= 10; W_out = 18")
    with pytest.raises(ValueError, match=r"expected a grey image \(H, W\) with H, W >= 8, got shape \(3, 8, 8\)"):
        convolution_explorer(image=np.zeros((3, 8, 8)))


def test_size_arithmetic_text():
    assert size_arithmetic(28, 28, 5, 1, 2, 1) == ("H_out = floor((H + 2p - d(k-1) - 1) / s) + 1 = "
                                                   "floor((28 + 2*2 - 1*(5-1) - 1) / 1) + 1 = 28; W_out = 28")


def test_widget_box_holds_the_live_controls_above_the_figure(explorer):
    """The box a notebook displays: the explorer's own controls (so moving them redraws) above its figure."""
    controls_row, figure_output = explorer.widget.children
    assert list(controls_row.children) == list(explorer.controls.values())
    assert figure_output is explorer.output
    assert set(explorer.values) == {"kernel", "stride", "padding", "dilation"}
    before = explorer.output_artist.get_array().shape
    stride = dict(zip(explorer.controls, controls_row.children, strict=True))["stride"]
    stride.value = 2  # as a learner dragging the slider in the box
    after = explorer.output_artist.get_array().shape
    assert before == (30, 30) and after == (15, 15)  # (32 - 3) // s + 1
