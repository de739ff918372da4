"""The learning-rate explorer: pick a loss surface and an optimizer, slide the learning rate (on a log scale), the
momentum and the batch size, and watch the path over the contours and the loss fall, stall or blow up.

Every path is a real run of a dlcourse.optim optimizer on one Parameter of shape (2,) (``dlcourse.plots.surfaces``).
A run that leaves the surface stops there: the path heads off the plot, a red cross marks where it left the box,
the title says at which step, and no overflow warning is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

import dlcourse.optim as optim
from dlcourse.plots.surfaces import (
    NUM_EXAMPLES,
    SURFACE_NAMES,
    Trajectory,
    clip_to_box,
    make_surface,
    plot_contours,
    run_optimizer,
)
from dlcourse.widgets.base import Explorer

OPTIMIZERS = ("SGD", "Nesterov", "RMSprop", "Adam")
GAP_FLOOR = 1e-12  # the loss panel is logarithmic: gaps below this are drawn at the floor


def make_optimizer(name: str, lr: float, momentum: float) -> Callable[[list], optim.Optimizer]:
    """A callable ``params -> Optimizer`` for ``name`` in OPTIMIZERS; ``momentum`` is Adam's beta1.

    Nesterov needs momentum > 0, so at momentum 0 it is plain SGD (which it then equals).

    Args:
        name: one of OPTIMIZERS.
        lr: the learning rate.
        momentum: SGD's and RMSprop's momentum, Adam's beta1.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"make_optimizer: expected one of {list(OPTIMIZERS)}, got {name!r}")
    if name == "Adam":
        return lambda params: optim.Adam(params, lr=lr, betas=(momentum, 0.999))
    if name == "RMSprop":
        return lambda params: optim.RMSprop(params, lr=lr, momentum=momentum)
    nesterov = name == "Nesterov" and momentum > 0
    return lambda params: optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov)


class LearningRateExplorer(Explorer):
    """Two panels: the path over the surface's contours, and f - f_min per step on a log scale.

    Controls: ``surface`` and ``optimizer`` (Dropdowns), ``lr`` (a log slider, 1e-4 to 3), ``momentum`` (SGD and
    RMSprop momentum, Adam's beta1), ``batch_size`` (examples per step out of N = 64; 64 is the exact gradient),
    ``num_steps``.

    Args:
        seed: seeds the examples of each surface and the mini-batch draws, identically on every redraw, so moving a
            slider changes only what that slider controls.
    Attributes after each redraw: ``surface`` and ``trajectory`` (a Trajectory).
    """

    def __init__(self, *, seed: int = 0):
        self.seed = seed
        self._surfaces = {name: make_surface(name, seed=seed) for name in SURFACE_NAMES}
        self._drawn_surface: str | None = None
        self.controls = self._make_controls()
        self.figure, (self.ax_path, self.ax_loss) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
        self._make_loss_panel()
        self._start()

    @staticmethod
    def _make_controls() -> dict[str, widgets.Widget]:
        slider = {"continuous_update": False, "style": {"description_width": "initial"}, "layout": {"width": "500px"}}
        return {
            "surface": widgets.Dropdown(options=list(SURFACE_NAMES), value="bowl", description="surface"),
            "optimizer": widgets.Dropdown(options=list(OPTIMIZERS), value="SGD", description="optimizer"),
            "lr": widgets.FloatLogSlider(value=0.03, base=10, min=-4, max=0.5, step=0.05, description="learning rate",
                                         readout_format=".2g", **slider),
            "momentum": widgets.FloatSlider(value=0.0, min=0.0, max=0.99, step=0.01, description="momentum",
                                            **slider),
            "batch_size": widgets.IntSlider(value=NUM_EXAMPLES, min=1, max=NUM_EXAMPLES, description="batch size",
                                            **slider),
            "num_steps": widgets.IntSlider(value=100, min=10, max=300, step=10, description="steps", **slider),
        }

    def _make_loss_panel(self) -> None:
        (self.loss_line,) = self.ax_loss.plot([], [], color="C1", lw=2)
        self.diverged_line = self.ax_loss.axvline(0, color="red", ls="--", visible=False)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("f(w) - f_min")

    def _draw_surface(self, name: str) -> None:
        """Contours change only with the surface; the path's artists are made fresh on top of them."""
        self.ax_path.clear()
        plot_contours(self.surface, self.ax_path, resolution=120)
        (self.path_line,) = self.ax_path.plot([], [], "-o", color="C1", markersize=2.5, lw=1.5)
        self.ax_path.plot(*self.surface.start, "o", color="white", markeredgecolor="black", markersize=8)
        (self.cross,) = self.ax_path.plot([], [], "X", color="red", markersize=14, markeredgecolor="white",
                                          clip_on=False, zorder=5)  # on the box edge: keep it whole
        self._drawn_surface = name

    def redraw(self, surface: str, optimizer: str, lr: float, momentum: float, batch_size: int, num_steps: int) -> None:
        self.surface = self._surfaces[surface]
        if surface != self._drawn_surface:
            self._draw_surface(surface)
        self.trajectory = run_optimizer(self.surface, make_optimizer(optimizer, lr, momentum), num_steps=num_steps,
                                        batch_size=batch_size, rng=np.random.default_rng(self.seed))
        self._draw_path(self.trajectory, optimizer, lr)
        self._draw_loss(self.trajectory, num_steps)

    def _draw_path(self, path: Trajectory, optimizer: str, lr: float) -> None:
        self.path_line.set_data(path.points[:, 0], path.points[:, 1])  # the axes clip whatever leaves the box
        if path.diverged_at is not None:
            self.cross.set_data(*([value] for value in clip_to_box(self.surface, path.points[-1])))
            self.ax_path.set_title(f"{optimizer}, lr = {lr:.2g}: DIVERGED at step {path.diverged_at}",
                                   color="red", fontweight="bold")
        else:
            self.cross.set_data([], [])
            self.ax_path.set_title(f"{optimizer}, lr = {lr:.2g}", color="black", fontweight="normal")

    def _draw_loss(self, path: Trajectory, num_steps: int) -> None:
        gap = np.maximum(path.losses - self.surface.f_min, GAP_FLOOR)
        self.loss_line.set_data(np.arange(len(gap)), gap)
        self.ax_loss.set_xlim(0, num_steps)
        self.ax_loss.set_ylim(GAP_FLOOR * 0.5 if gap.min() <= GAP_FLOOR else gap.min() / 3, max(gap.max() * 3, 1.0))
        diverged = path.diverged_at is not None
        self.diverged_line.set_visible(diverged)
        if diverged:
            self.diverged_line.set_xdata([path.diverged_at, path.diverged_at])
            self.ax_loss.set_title("the loss blew up: lower the learning rate", color="red")
        else:
            self.ax_loss.set_title(f"after {len(gap) - 1} steps: f - f_min = {gap[-1]:.2g}", color="black")


def learning_rate_explorer(**kwargs: Any) -> LearningRateExplorer:
    """Sliders for the learning rate, momentum and batch size of an optimizer running on a 2-D loss surface.

    Keyword arguments go to LearningRateExplorer (``seed``). In Jupyter, leave it as the last expression of a cell;
    without a browser, set ``explorer.controls[name].value`` and read ``explorer.trajectory`` and
    ``explorer.figure``.
    """
    return LearningRateExplorer(**kwargs)
