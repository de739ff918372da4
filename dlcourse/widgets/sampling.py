"""The sampling explorer: temperature and top-k against a language model's next-token distribution, and a sample.

The bars are ``dlcourse.nn.gpt.next_token_probs(logits, temperature, top_k)``, the distribution ``GPT.generate``
draws from; the title gives its entropy (in nats) and how many tokens can still be drawn. With ``sample_fn`` the
figure also shows a text generated with the same settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from ipywidgets import Layout

from dlcourse.nn.gpt import next_token_probs
from dlcourse.widgets.base import Explorer


def entropy(probs: np.ndarray) -> float:
    """-sum p log p in nats (0 log 0 = 0): 0 when one token is certain, log V when all V are equally likely."""
    p = probs[probs > 0]
    return float(-(p * np.log(p)).sum())


class SamplingExplorer(Explorer):
    """Bars of the next-token probabilities (the ``shown`` most likely tokens, labelled by character), updated
    by a temperature slider and a top-k slider; optionally a sampled text below.

    Controls: ``temperature`` (FloatLogSlider, 0.1 to 5), ``top_k`` (IntSlider, 1 to V).

    Args:
        logits: (V,) the model's next-token logits after some context.
        symbols: the V characters (a Vocabulary's ``itos``), used as bar labels.
        context: the text the logits follow, shown in the title.
        sample_fn: None, or a function (temperature, top_k) -> str that generates text with those settings.
        shown: how many bars (the most likely tokens at temperature 1).
    """

    def __init__(self, logits: np.ndarray, symbols: Sequence[str], *, context: str = "",
                 sample_fn: Callable[[float, int], str] | None = None, shown: int = 20):
        self.logits = np.asarray(logits, dtype=np.float64)
        if self.logits.ndim != 1 or len(symbols) != len(self.logits):
            raise ValueError(f"SamplingExplorer: expected logits of shape (V,) and V symbols, got logits "
                             f"{self.logits.shape} and {len(symbols)} symbols")
        self.symbols, self.context, self.sample_fn = list(symbols), context, sample_fn
        self.order = np.argsort(-self.logits)[: min(shown, len(self.logits))]  # the bars, most likely first
        slider = {"continuous_update": False, "style": {"description_width": "initial"},
                  "layout": Layout(width="500px")}
        V = len(self.logits)
        self.controls = {
            "temperature": widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=np.log10(5), step=0.05,
                                                  description="temperature", **slider),
            "top_k": widgets.IntSlider(value=V, min=1, max=V, description="top-k", **slider),
        }
        self.figure, (self.ax_bars, self.ax_text) = plt.subplots(
            2, 1, figsize=(12, 6), layout="constrained", gridspec_kw={"height_ratios": [3, 1]})
        labels = [repr(self.symbols[i])[1:-1] or " " for i in self.order]  # show "\n" and " " visibly
        self.bars = self.ax_bars.bar(np.arange(len(self.order)), np.zeros(len(self.order)), color="tab:blue")
        self.ax_bars.set_xticks(np.arange(len(self.order)), labels)
        self.ax_bars.set_ylim(0, 1)
        self.ax_bars.set_ylabel("probability of the next character")
        self.ax_text.axis("off")
        self.text_artist = self.ax_text.text(0, 1, "", va="top", ha="left", family="monospace", fontsize=10,
                                             wrap=True)
        self._start()

    def redraw(self, temperature: float, top_k: int) -> None:
        self.probs = next_token_probs(self.logits, temperature=temperature, top_k=top_k)  # (V,)
        for bar, index in zip(self.bars, self.order, strict=True):
            bar.set_height(self.probs[index])
        self.ax_bars.set_title(f"after {self.context[-40:]!r}: temperature {temperature:.2f}, top-k {top_k}; "
                               f"entropy {entropy(self.probs):.2f} nats, {int((self.probs > 0).sum())} characters "
                               f"possible", fontsize=10)
        self.sample = self.sample_fn(temperature, top_k) if self.sample_fn is not None else ""
        self.text_artist.set_text(self.sample)


def sampling_explorer(logits: np.ndarray, symbols: Sequence[str], **kwargs) -> SamplingExplorer:
    """Sliders for temperature and top-k over a next-character distribution (see SamplingExplorer).

    In Jupyter, leave it as the last expression of a cell; without a browser, set ``explorer.controls[name].value``
    and read ``explorer.probs``, ``explorer.sample`` and ``explorer.figure``.
    """
    return SamplingExplorer(logits, symbols, **kwargs)
