"""Two-parameter loss surfaces for watching optimizers move: the functions, their gradients, a runner that drives any
dlcourse optimizer over one, and contour plots (and an animation) of the paths taken.

Each surface is an average over ``N`` examples, so a mini-batch gives a noisy gradient as in real training:

- ``"bowl"``: an ill-conditioned quadratic 0.5 p^T A p, curvatures 1 and 20 along axes turned by 30 degrees
  (turned, so that no per-coordinate step size can undo the bad conditioning);
- ``"saddle"``: 0.5 x^2 - 0.5 y^2 + 0.25 y^4, a saddle at the origin between minima at (0, +-1);
- ``"rosenbrock"``: (1 - x)^2 + 100 (y - x^2)^2, a curved narrow valley with its minimum at (1, 1);
- ``"least squares"``: 0.5 mean_i (x_i . w - y_i)^2 over N = 64 generated points, correlated features.

For the first three, example i adds a linear tilt t_i . p with the t_i summing to zero: the full batch sees the exact
function, a batch of B sees a gradient off by the mean of B tilts (noise that shrinks like 1 / sqrt(B)).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import LogNorm
from numpy.typing import ArrayLike

from dlcourse.nn.module import Parameter
from dlcourse.validate import check_positive_int, check_rng

NUM_EXAMPLES = 64
SURFACE_NAMES = ("bowl", "saddle", "rosenbrock", "least squares")


def _bowl_matrix(condition: float, angle: float) -> np.ndarray:
    """A = R diag(1, condition) R^T: curvature 1 and ``condition`` along axes turned by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return rotation @ np.diag([1.0, condition]) @ rotation.T


def bowl(p: np.ndarray, condition: float = 20.0, angle: float = np.pi / 6) -> np.ndarray:
    """0.5 p^T A p with A = R diag(1, condition) R^T (a turned ellipse).

    Args:
        p: (..., 2) points.
        condition: the ratio of the largest to the smallest curvature.
        angle: how far the ellipse is turned, in radians.
    Returns:
        (...) values.
    """
    return 0.5 * np.einsum("...i,ij,...j->...", p, _bowl_matrix(condition, angle), p)


def bowl_grad(p: np.ndarray, condition: float = 20.0, angle: float = np.pi / 6) -> np.ndarray:
    """A p, the gradient of ``bowl``.

    Args:
        p: (..., 2) points.
        condition: as bowl.
        angle: as bowl.
    Returns:
        (..., 2) gradients.
    """
    return p @ _bowl_matrix(condition, angle)  # A is symmetric, so p A = (A p)^T row by row


def saddle(p: np.ndarray) -> np.ndarray:
    """0.5 x^2 - 0.5 y^2 + 0.25 y^4. p: (..., 2) -> (...)."""
    x, y = p[..., 0], p[..., 1]
    return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4


def saddle_grad(p: np.ndarray) -> np.ndarray:
    """(x, y^3 - y). p: (..., 2) -> (..., 2)."""
    x, y = p[..., 0], p[..., 1]
    return np.stack([x, y**3 - y], axis=-1)


def rosenbrock(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """(a - x)^2 + b (y - x^2)^2, minimum 0 at (a, a^2). p: (..., 2) -> (...)."""
    x, y = p[..., 0], p[..., 1]
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_grad(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """(-2 (a - x) - 4 b x (y - x^2), 2 b (y - x^2)). p: (..., 2) -> (..., 2)."""
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)], axis=-1)


@dataclass
class Surface:
    """A loss over two parameters, as the mean over ``N`` examples.

    Attributes:
        name: one of SURFACE_NAMES. f: p (..., 2) -> loss (...). grad: p (..., 2) -> gradient (..., 2).
        example_grad: (p (2,), rows (B,) int) -> the mean gradient over those examples, (2,).
        start: (2,) where runs begin. minimum: (2,) the (a) global minimiser. xlim, ylim: the plotted box.
        log_scale: contour levels spaced in log(f - f_min) (for the steep valley of Rosenbrock).
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    example_grad: Callable[[np.ndarray, np.ndarray], np.ndarray]
    start: np.ndarray
    minimum: np.ndarray
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_scale: bool = False
    num_examples: int = NUM_EXAMPLES

    @property
    def f_min(self) -> float:
        return float(self.f(self.minimum))

    @property
    def radius(self) -> float:
        """Beyond this distance from the box's centre a run counts as diverged."""
        return 20.0 * max(self.xlim[1] - self.xlim[0], self.ylim[1] - self.ylim[0])


def _tilted(name, f, grad, rng, noise, **fields) -> Surface:
    tilts = rng.standard_normal((NUM_EXAMPLES, 2)) * noise  # (N, 2)
    tilts -= tilts.mean(axis=0)  # the full batch sees the exact function

    def example_grad(p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return grad(p) + tilts[rows].mean(axis=0)

    return Surface(name, f, grad, example_grad, **fields)


def _least_squares(rng: np.random.Generator) -> Surface:
    mixing = np.array([[1.0, 0.0], [0.8, 0.6]])  # correlated features make the bowl tilted and elongated
    X = rng.standard_normal((NUM_EXAMPLES, 2)) @ mixing  # (N, 2)
    w_true = np.array([1.5, -0.5])
    y = X @ w_true + 0.5 * rng.standard_normal(NUM_EXAMPLES)  # (N,)

    def f(p: np.ndarray) -> np.ndarray:
        residual = p @ X.T - y  # (..., 2) @ (2, N) -> (..., N)
        return 0.5 * np.mean(residual**2, axis=-1)

    def example_grad(p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return X[rows].T @ (X[rows] @ p - y[rows]) / len(rows)  # (2, B) @ (B,) -> (2,)

    def grad(p: np.ndarray) -> np.ndarray:
        return (p @ X.T - y) @ X / NUM_EXAMPLES  # (..., N) @ (N, 2) -> (..., 2)

    w_best = np.linalg.lstsq(X, y, rcond=None)[0]
    return Surface("least squares", f, grad, example_grad, start=np.array([-2.5, 2.0]), minimum=w_best,
                   xlim=(-3.5, 4.5), ylim=(-3.5, 4.0))


def make_surface(name: str, *, seed: int = 0) -> Surface:
    """The surface called ``name``: a fixed landscape, like a dataset, whose N examples are drawn once.

    Args:
        name: one of SURFACE_NAMES.
        seed: seeds the generator that draws the examples (np.random.default_rng(seed)), so the same name and
            seed always give the same surface, and every picture of it repeats.
    """
    if name not in SURFACE_NAMES:
        raise ValueError(f"make_surface: expected one of {list(SURFACE_NAMES)}, got {name!r}")
    rng = np.random.default_rng(check_positive_int(seed, "make_surface", "seed", minimum=0))
    if name == "bowl":
        return _tilted(name, bowl, bowl_grad, rng, noise=2.0, start=np.array([-4.0, 0.5]),
                       minimum=np.zeros(2), xlim=(-5.0, 5.0), ylim=(-3.0, 3.0))
    if name == "saddle":
        return _tilted(name, saddle, saddle_grad, rng, noise=0.5, start=np.array([-2.0, 0.01]),
                       minimum=np.array([0.0, 1.0]), xlim=(-2.5, 2.5), ylim=(-1.8, 1.8))
    if name == "rosenbrock":
        return _tilted(name, rosenbrock, rosenbrock_grad, rng, noise=5.0, start=np.array([-1.2, 1.0]),
                       minimum=np.ones(2), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), log_scale=True)
    return _least_squares(rng)


@dataclass
class Trajectory:
    """Where an optimizer went. points: (T + 1, 2) from the start; losses: (T + 1,) f at each point.
    diverged_at: the step at which the run left the surface (beyond ``surface.radius``, or non-finite), else None;
    points and losses then stop there (at its last finite point, which may lie far outside the plotted box)."""

    points: np.ndarray
    losses: np.ndarray
    diverged_at: int | None = None


def run_optimizer(surface: Surface, optimizer: Callable, *, num_steps: int = 100, start: ArrayLike | None = None,
                  batch_size: int | None = None, rng: np.random.Generator | None = None,
                  scheduler: Callable | None = None, **hyperparameters: Any) -> Trajectory:
    """Drive a dlcourse optimizer over a surface: one Parameter of shape (2,), one step per mini-batch.

    Args:
        surface: from make_surface.
        optimizer: an Optimizer class (``dlcourse.optim.Adam``), or any callable ``optimizer([param],
            **hyperparameters)`` that returns one.
        num_steps: T.
        start: (2,), default ``surface.start``.
        batch_size: examples per step (drawn without replacement); None or >= N uses the exact gradient.
        rng: draws the mini-batches (None: a fresh unseeded generator; pass a seeded one for a repeatable run).
        scheduler: None, or ``scheduler(optimizer)`` returning an lr scheduler, stepped after every step.
        hyperparameters: passed to the optimizer.
    Returns:
        A Trajectory; a diverging run stops early, without overflow warnings.
    """
    rng = check_rng(rng, "run_optimizer")
    param = Parameter(np.array(surface.start if start is None else start, dtype=np.float64))
    opt = optimizer([param], **hyperparameters)
    schedule = scheduler(opt) if scheduler is not None else None
    centre = np.array([np.mean(surface.xlim), np.mean(surface.ylim)])
    points, losses = [param.data.copy()], [float(surface.f(param.data))]
    full_batch = batch_size is None or batch_size >= surface.num_examples
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is an outcome to show, not to warn about
        for step in range(1, num_steps + 1):
            param.zero_grad()
            if full_batch:
                param.grad += surface.grad(param.data)
            else:
                param.grad += surface.example_grad(param.data, rng.choice(surface.num_examples, batch_size,
                                                                          replace=False))
            opt.step()
            if schedule is not None:
                schedule.step()
            loss = float(surface.f(param.data))
            finite = np.isfinite(loss) and np.isfinite(param.data).all()
            if finite:
                points.append(param.data.copy())
                losses.append(loss)
            if not (finite and np.linalg.norm(param.data - centre) <= surface.radius):
                return Trajectory(np.array(points), np.array(losses), diverged_at=step)
    return Trajectory(np.array(points), np.array(losses))


def plot_contours(surface: Surface, ax: plt.Axes | None = None, *, resolution: int = 160, levels: int = 25) -> plt.Axes:
    """Filled contours of ``surface`` over its box, the minimum starred.

    Args:
        surface: from make_surface.
        ax: the Axes to draw into, or None for a new figure.
        resolution: grid points per axis.
        levels: the number of contour levels.
    Returns:
        The Axes.
    """
    ax = plt.gca() if ax is None else ax
    xs = np.linspace(*surface.xlim, resolution)
    ys = np.linspace(*surface.ylim, resolution)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (resolution, resolution, 2)
    gap = surface.f(grid) - surface.f_min  # >= 0 away from rounding: the height above the minimum
    if surface.log_scale:
        gap = np.maximum(gap, 1e-3)
        ax.contourf(xs, ys, gap, levels=np.geomspace(1e-3, gap.max(), levels), norm=LogNorm(), cmap="viridis")
    else:
        ax.contourf(xs, ys, gap, levels=levels, cmap="viridis")
    ax.contour(xs, ys, gap, levels=8 if not surface.log_scale else np.geomspace(1e-2, gap.max(), 8),
               colors="white", linewidths=0.4, alpha=0.6)
    ax.plot(*surface.minimum, marker="*", color="gold", markersize=14, markeredgecolor="black", linestyle="none")
    ax.set_xlim(surface.xlim)
    ax.set_ylim(surface.ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.set_title(surface.name)
    return ax


def clip_to_box(surface: Surface, point: np.ndarray) -> np.ndarray:
    """The point moved onto the plotted box's edge when it lies outside (where a divergence gets marked).

    Args:
        surface: from make_surface (its xlim and ylim are the box).
        point: (2,).
    """
    return np.array([np.clip(point[0], *surface.xlim), np.clip(point[1], *surface.ylim)])


def plot_trajectories(surface: Surface, trajectories: dict[str, Trajectory], ax: plt.Axes | None = None) -> plt.Axes:
    """Contours with one path per optimizer; a diverged run ends in a red cross.

    Args:
        surface: from make_surface.
        trajectories: {label: Trajectory}, e.g. from run_optimizer.
        ax: the Axes to draw into, or None for a new figure.
    Returns:
        The Axes.
    """
    ax = plot_contours(surface, ax)
    for index, (label, path) in enumerate(trajectories.items()):
        color = f"C{index + 1}"
        suffix = f" (diverged at step {path.diverged_at})" if path.diverged_at is not None else ""
        ax.plot(path.points[:, 0], path.points[:, 1], "-o", color=color, markersize=2, lw=1.5, label=label + suffix)
        if path.diverged_at is not None:
            ax.plot(*clip_to_box(surface, path.points[-1]), "X", color="red", markersize=12, markeredgecolor="white",
                    clip_on=False, zorder=5)
    ax.plot(*surface.start, "o", color="white", markeredgecolor="black", markersize=8)
    ax.legend(loc="lower right", fontsize=8)
    return ax


# matplotlib's HTML player draws its buttons with an icon font fetched from a CDN; these characters need no network.
PLAYER_ICONS = {"fa-minus": "\u2212", "fa-fast-backward": "|\u25c0", "fa-step-backward": "\u25c2",
                "fa-play fa-flip-horizontal": "\u25c0", "fa-pause": "\u2016", "fa-play": "\u25b6",
                "fa-step-forward": "\u25b8", "fa-fast-forward": "\u25b6|", "fa-plus": "+"}


def offline_jshtml(html: str) -> str:
    """matplotlib's ``to_jshtml()`` page without its request to a CDN: the icon font's stylesheet link goes, and each
    button's icon becomes a plain character."""
    html = re.sub(r"<link[^>]*href=\"https?://[^>]*>", "", html)
    return re.sub(r'<i class="fa ([^"]*)"></i>', lambda m: PLAYER_ICONS.get(m.group(1), m.group(1)), html)


class OfflineAnimation(FuncAnimation):
    """A FuncAnimation whose ``to_jshtml()`` (and notebook display) asks no server for anything."""

    def to_jshtml(self, *args, **kwargs) -> str:
        return offline_jshtml(super().to_jshtml(*args, **kwargs))


def animate_trajectories(surface: Surface, trajectories: dict[str, Trajectory], *, num_frames: int = 25,
                         interval: int = 120, figsize: tuple[float, float] = (4.5, 3.6)) -> FuncAnimation:
    """A race: every path grows together over ``num_frames`` frames. Render with ``animation.to_jshtml()`` (which
    here fetches nothing from the network: see OfflineAnimation); each
    frame is a full image, so keep the frames few and small (JPEG frames, ``rcParams["animation.frame_format"]``,
    are about a third the size of PNG ones for shaded contours).

    Args:
        surface: from make_surface.
        trajectories: {label: Trajectory}.
        num_frames: the number of frames.
        interval: milliseconds between frames.
        figsize: (width, height) in inches.
    """
    figure, ax = plt.subplots(figsize=figsize, dpi=72, layout="constrained")
    plot_contours(surface, ax, resolution=100)
    lines = [ax.plot([], [], "-", color=f"C{i + 1}", lw=2, label=label)[0] for i, label in enumerate(trajectories)]
    heads = [ax.plot([], [], "o", color=f"C{i + 1}", markeredgecolor="black")[0] for i in range(len(trajectories))]
    ax.legend(loc="lower right", fontsize=8)
    longest = max(len(path.points) for path in trajectories.values())
    steps = np.unique(np.linspace(0, longest - 1, num_frames).round().astype(int))

    def draw(frame: int):
        for line, head, path in zip(lines, heads, trajectories.values(), strict=True):
            shown = path.points[: steps[frame] + 1]
            line.set_data(shown[:, 0], shown[:, 1])
            head.set_data([shown[-1, 0]], [shown[-1, 1]])
        ax.set_title(f"{surface.name}: step {steps[frame]}")
        return [*lines, *heads]

    animation = OfflineAnimation(figure, draw, frames=len(steps), interval=interval, blit=False)
    plt.close(figure)  # the notebook shows the animation's HTML, not a static copy of its last frame
    return animation
