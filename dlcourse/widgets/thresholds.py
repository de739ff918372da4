"""The threshold explorer: one decision threshold per group, and what moving them does to fairness and accuracy.

A model gives every applicant a score in [0, 1]; an applicant is accepted when the score reaches their group's
threshold. The left panel shows, per group, the selection rate, the true positive rate and the false positive rate
(``dlcourse.fairness``); the title gives the accuracy, the demographic parity difference and the equalised odds
difference. Equal thresholds treat the scores alike; different ones are chapter 13's post-processing mitigation.
The right panel shows each group's score histogram with its threshold.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike

from dlcourse import fairness
from dlcourse.widgets.base import Explorer

BARS = ("selection_rate", "tpr", "fpr")


def default_scores(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores of a logistic regression trained on decision data with historical bias (chapter 13's first model).

    Args:
        seed: seeds the data.
    Returns:
        scores (N,), y_true (N,) and group (N,) of a held-out sample.
    """
    from sklearn.linear_model import LogisticRegression

    from dlcourse.data.decisions import make_decisions

    rng = np.random.default_rng(seed)
    train, test = (make_decisions(2000, historical_bias=0.4, rng=rng) for _ in range(2))
    model = LogisticRegression().fit(train.X, train.y)
    return model.predict_proba(test.X)[:, 1], test.y_true, test.group


class ThresholdExplorer(Explorer):
    """Two sliders (``threshold_0``, ``threshold_1``) over per-group bars and score histograms.

    Args:
        scores: (N,) scores in [0, 1]; None uses default_scores().
        y_true: (N,) 0/1 outcomes the rates are measured against.
        group: (N,) 0/1 group labels.
    Attributes after each redraw: ``table`` (fairness.group_table of the decisions), ``accuracy``,
    ``dp_difference``, ``eo_difference``.
    """

    def __init__(self, scores: ArrayLike | None = None, y_true: ArrayLike | None = None,
                 group: ArrayLike | None = None):
        if scores is None:
            scores, y_true, group = default_scores()
        self.scores, self.y_true, self.group = np.asarray(scores), np.asarray(y_true), np.asarray(group)
        slider = {"min": 0.0, "max": 1.0, "step": 0.01, "value": 0.5, "continuous_update": False,
                  "style": {"description_width": "initial"}, "layout": widgets.Layout(width="560px")}  # tracks > 300 px
        self.controls = {"threshold_0": widgets.FloatSlider(description="threshold, group 0", **slider),
                         "threshold_1": widgets.FloatSlider(description="threshold, group 1", **slider)}
        self.figure, (self.ax_bars, self.ax_hist) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
        self._make_panels()
        self._start()

    def _make_panels(self) -> None:
        positions = np.arange(len(BARS))
        self.bars = [self.ax_bars.bar(positions + (g - 0.5) * 0.38, np.zeros(len(BARS)), width=0.38,
                                      label=f"group {g}", color=f"C{g}") for g in (0, 1)]
        self.ax_bars.set_xticks(positions, ["selection rate", "true positive rate", "false positive rate"])
        self.ax_bars.set_ylim(0, 1)
        self.ax_bars.legend(loc="upper right")
        bins = np.linspace(0, 1, 26)
        self.lines = []
        for g in (0, 1):
            self.ax_hist.hist(self.scores[self.group == g], bins=bins, alpha=0.5, color=f"C{g}", label=f"group {g}")
            self.lines.append(self.ax_hist.axvline(0.5, color=f"C{g}", lw=2.5))
        self.ax_hist.set_xlabel("score")
        self.ax_hist.set_ylabel("applicants")
        self.ax_hist.legend(loc="upper right")

    def decisions(self, threshold_0: float, threshold_1: float) -> np.ndarray:
        """(N,) 0/1 decisions: accept when the score reaches the applicant's group's threshold.

        Args:
            threshold_0: group 0's threshold.
            threshold_1: group 1's threshold.
        """
        thresholds = np.where(self.group == 1, threshold_1, threshold_0)
        return (self.scores >= thresholds).astype(np.int64)

    def redraw(self, threshold_0: float, threshold_1: float, **_: Any) -> None:
        y_pred = self.decisions(threshold_0, threshold_1)
        self.table = fairness.group_table(self.y_true, y_pred, self.group)
        self.accuracy = fairness.accuracy(self.y_true, y_pred)
        self.dp_difference = fairness.demographic_parity_difference(self.y_true, y_pred, self.group)
        self.eo_difference = fairness.equalized_odds_difference(self.y_true, y_pred, self.group)
        for g, bars in enumerate(self.bars):
            for bar, name in zip(bars, BARS, strict=True):
                bar.set_height(self.table[name].get(g, 0.0))
        for line, threshold in zip(self.lines, (threshold_0, threshold_1), strict=True):
            line.set_xdata([threshold, threshold])
        self.ax_bars.set_title(f"accuracy {self.accuracy:.3f} · demographic parity diff {self.dp_difference:.3f} · "
                               f"equalised odds diff {self.eo_difference:.3f}", fontsize=10)


def threshold_explorer(scores: ArrayLike | None = None, y_true: ArrayLike | None = None,
                       group: ArrayLike | None = None) -> ThresholdExplorer:
    """A ThresholdExplorer; display it in a notebook to get the sliders.

    Args:
        scores: (N,) scores in [0, 1], or None for chapter 13's default model.
        y_true: (N,) 0/1 outcomes.
        group: (N,) 0/1 group labels.
    """
    return ThresholdExplorer(scores, y_true, group)
