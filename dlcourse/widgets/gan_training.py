"""The GAN training explorer: slide through training and watch the generated distribution move over the real one.

Nothing is trained when a slider moves: the chapter trains once, keeping the generator's samples of a fixed batch of
noise every few steps (the *snapshots*), and the explorer draws them. For every snapshot the title scores the
samples with ``dlcourse.gan.mode_coverage``, and the loss panel marks the step on both players' loss curves.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from dlcourse.gan.coverage import mode_coverage
from dlcourse.widgets.base import Explorer


class GanTrainingExplorer(Explorer):
    """Two panels: real samples (grey), generated samples at the chosen step (orange) and the mode centres (black
    crosses); the losses of the discriminator and the generator per step, with a line at the chosen step.

    Controls: ``run`` (a Dropdown over the runs given) and ``step`` (a SelectionSlider over the snapshot steps).

    Args:
        snapshots: {run name: (S, N, 2) generated samples at each of the S snapshot steps}.
        steps: (S,) the training step of each snapshot, increasing (the same for every run).
        real: (N_real, 2) real samples to draw behind. centers: (K, 2) the modes' centres. std: the modes' std.
        losses: {run name: (loss_D, loss_G)}, each (num_steps,) per training step, or None for no loss panel data.
    Attributes after each redraw: ``coverage`` (the ModeCoverage of the shown samples) and ``shown`` ((N, 2)).
    """

    def __init__(self, snapshots: Mapping[str, np.ndarray], steps: np.ndarray, *, real: np.ndarray,
                 centers: np.ndarray, std: float, losses: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None):
        self.snapshots = {name: np.asarray(s, dtype=np.float64) for name, s in snapshots.items()}
        self.steps = [int(s) for s in np.asarray(steps)]
        if not self.snapshots:
            raise ValueError("GanTrainingExplorer: expected at least one run in snapshots, got none")
        for name, s in self.snapshots.items():
            if s.ndim != 3 or s.shape[2] != 2 or len(s) != len(self.steps):
                raise ValueError(f"GanTrainingExplorer: expected snapshots[{name!r}] of shape (S={len(self.steps)}, "
                                 f"N, 2), got shape {s.shape}")
        if any(b <= a for a, b in zip(self.steps[:-1], self.steps[1:], strict=True)):
            raise ValueError(f"GanTrainingExplorer: expected increasing steps, got {self.steps}")
        self.real, self.centers, self.std = np.asarray(real), np.asarray(centers), std
        self.losses = dict(losses or {})
        self.controls = self._make_controls()
        self.figure, (self.ax_samples, self.ax_loss) = plt.subplots(
            1, 2, figsize=(11, 4.8), layout="constrained", gridspec_kw={"width_ratios": [1, 1.25]})
        self._make_panels()
        self._start()

    def _make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        return {
            "run": widgets.Dropdown(options=list(self.snapshots), description="run", style=style),
            "step": widgets.SelectionSlider(options=self.steps, value=self.steps[-1], description="training step",
                                            continuous_update=True, layout=widgets.Layout(width="500px"),
                                            style=style),
        }

    def _make_panels(self) -> None:
        ax = self.ax_samples
        ax.scatter(self.real[:, 0], self.real[:, 1], s=3, color="0.75", label="real")
        self.points = ax.scatter([], [], s=3, color="C1", label="generated")
        ax.plot(self.centers[:, 0], self.centers[:, 1], "kx", markersize=8, label="mode centres")
        reach = 1.6 * np.abs(self.centers).max() + 3 * self.std
        ax.set_xlim(-reach, reach)
        ax.set_ylim(-reach, reach)
        ax.set_aspect("equal")
        ax.legend(loc="upper right", fontsize=8, markerscale=3)
        (self.d_line,) = self.ax_loss.plot([], [], color="C0", lw=1, label="discriminator loss")
        (self.g_line,) = self.ax_loss.plot([], [], color="C1", lw=1, label="generator loss")
        self.step_line = self.ax_loss.axvline(0, color="black", ls="--", lw=1)
        self.ax_loss.set_xlabel("training step")
        self.ax_loss.set_ylabel("loss (mean over the batch)")
        self.ax_loss.legend(loc="upper right", fontsize=8)

    def redraw(self, run: str, step: int) -> None:
        self.shown = self.snapshots[run][self.steps.index(step)]
        self.points.set_offsets(self.shown)
        # points far off the plot would only squash it: they are clipped by the axes, and counted below
        self.coverage = mode_coverage(self.shown, self.centers, std=self.std)
        self.ax_samples.set_title(f"{run}, step {step}: {self.coverage.covered} of {len(self.centers)} modes, "
                                  f"{self.coverage.high_quality:.0%} high quality")
        if run in self.losses:
            loss_D, loss_G = (np.asarray(v) for v in self.losses[run])
            x = np.arange(len(loss_D))
            self.d_line.set_data(x, loss_D)
            self.g_line.set_data(x, loss_G)
            self.ax_loss.set_xlim(0, max(len(loss_D) - 1, self.steps[-1], 1))
            both = np.concatenate([loss_D, loss_G])
            self.ax_loss.set_ylim(0, np.percentile(both, 99) * 1.1 + 1e-9)
        self.step_line.set_xdata([step, step])


def gan_training_explorer(snapshots, steps, **kwargs) -> GanTrainingExplorer:
    """A slider over training steps that shows the generated distribution on the real one, scored per snapshot.

    Arguments as GanTrainingExplorer. In Jupyter, leave it as the last expression of a cell; without a browser,
    set ``explorer.controls["step"].value`` and read ``explorer.shown``, ``explorer.coverage`` and the figure.
    """
    return GanTrainingExplorer(snapshots, steps, **kwargs)
