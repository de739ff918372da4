import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")  # no display needed: the explorer is driven by setting control values

from dlcourse.widgets import sampling_explorer  # noqa: E402
from dlcourse.widgets.sampling import entropy  # noqa: E402

SYMBOLS = list("abcdefghij")


@pytest.fixture
def explorer():
    logits = np.log(np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.015, 0.005]))
    calls = []

    def sample_fn(temperature, top_k):
        calls.append((temperature, top_k))
        return f"T={temperature:.2f} k={top_k}"

    ex = sampling_explorer(logits, SYMBOLS, context="the ", sample_fn=sample_fn, shown=6)
    ex.calls = calls
    return ex


def heights(explorer):
    return np.array([bar.get_height() for bar in explorer.bars])


def test_bars_show_the_model_distribution_at_temperature_one(explorer):
    np.testing.assert_allclose(heights(explorer), [0.3, 0.2, 0.15, 0.1, 0.08, 0.07])
    assert [t.get_text() for t in explorer.ax_bars.get_xticklabels()] == list("abcdef")


def test_lower_temperature_sharpens_and_higher_flattens(explorer):
    base = entropy(explorer.probs)
    explorer.controls["temperature"].value = 0.3
    cold = heights(explorer)
    assert cold[0] > 0.6 and entropy(explorer.probs) < base
    explorer.controls["temperature"].value = 4.0
    assert heights(explorer)[0] < 0.3 and entropy(explorer.probs) > base
    assert "temperature 4.00" in explorer.ax_bars.get_title()


def test_top_k_removes_the_tail_and_renormalises(explorer):
    explorer.controls["top_k"].value = 2
    np.testing.assert_allclose(heights(explorer)[:3], [0.6, 0.4, 0.0])
    assert "2 characters possible" in explorer.ax_bars.get_title()
    explorer.controls["top_k"].value = 1
    assert heights(explorer)[0] == pytest.approx(1.0) and entropy(explorer.probs) == 0


def test_sample_is_regenerated_with_the_sliders_settings(explorer):
    explorer.controls["top_k"].value = 3
    assert explorer.calls[-1] == (1.0, 3)
    assert explorer.text_artist.get_text() == "T=1.00 k=3"


def test_rejects_mismatched_symbols():
    with pytest.raises(ValueError, match=r"logits of shape \(V,\) and V symbols, got logits \(3,\) and 2"):
        sampling_explorer(np.zeros(3), ["a", "b"])
