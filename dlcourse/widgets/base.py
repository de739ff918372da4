"""The shape every slider demo shares: controls, one matplotlib figure, and a redraw on every change.

An explorer works without a browser: set ``explorer.controls["lr"].value = 0.1`` and ``explorer.figure`` holds the
new picture (tests do exactly that). In Jupyter, displaying the explorer shows the sliders above the figure.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import display


def in_notebook() -> bool:
    """Whether a Jupyter kernel is running us (outside one, there is no page to draw on)."""
    return get_ipython() is not None and hasattr(get_ipython(), "kernel")


class Explorer:
    """Base class: subclasses fill ``self.controls`` and ``self.figure`` in ``__init__``, then call ``self._start()``,
    and implement ``redraw(**values)`` which updates the figure's artists from the controls' values."""

    controls: dict[str, widgets.Widget]
    figure: plt.Figure

    def _start(self) -> None:
        plt.close(self.figure)  # keep the inline backend from showing a second, static copy
        self.output = widgets.Output()
        # whether the figure is in self.output already: the kernel cannot tell from self.output.outputs, which
        # only the browser fills, so a control moved before the box is shown would otherwise show two figures
        self._figure_shown = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw(**self.values)

    @property
    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, _change=None) -> None:
        self.redraw(**self.values)
        self.figure.canvas.draw_idle()
        if in_notebook():
            self.output.clear_output(wait=True)
            with self.output:
                display(self.figure)
            self._figure_shown = True

    def redraw(self, **values: Any) -> None:
        raise NotImplementedError

    @property
    def widget(self) -> widgets.Widget:
        """The sliders above the figure, as one ipywidgets box."""
        if not self._figure_shown:
            with self.output:
                display(self.figure)
            self._figure_shown = True
        return widgets.VBox([widgets.HBox(list(self.controls.values()), layout={"flex_flow": "row wrap"}),
                             self.output])

    def _ipython_display_(self) -> None:
        display(self.widget)
