"""Optimizer races on a test surface: run several optimizers, animate them, print their frames.

Three calls draw a race in any chapter::

    results = race(gdlib.beale, {"Adam": gdlib.Adam(eta=0.1), "GD": gdlib.GD(eta=1e-3)},
                   theta0=[1.0, 1.5], steps=300)
    display(HTML(to_html(animate_race(gdlib.beale, results))))   # play/pause and a slider
    frame_grid(gdlib.beale, results, n_frames=6)                  # the same race on paper

The animation is written with :meth:`matplotlib.animation.Animation.to_jshtml`:
every frame is an embedded PNG and a few lines of JavaScript give the controls,
so it plays in a static web page and needs no ffmpeg. Its size grows with the
number of frames and pixels; keep ``frames`` ≤ 60 and a small ``figsize``/``dpi``
(:func:`html_size` measures the result).
"""
from __future__ import annotations

import numpy as np

from .driver import run
from .plotting import _MARKERS, _ORDER, color_for, contour

__all__ = ["race", "frame_steps", "animate_race", "frame_grid", "to_html", "html_size", "style_for"]

_LINESTYLES = ["-", "--", ":", "-."]


def race(surface, optimizers, theta0, steps=100, tol=None):
    """Run every optimizer of ``optimizers`` (a mapping label → Optimizer) from ``theta0``.

    ``theta0`` is one start point for all, or a mapping label → start point.
    Returns a dict label → :class:`gdlib.Result`, in the order of ``optimizers``.
    Each optimizer is reset before its run (see :func:`gdlib.run`).
    """
    if not optimizers:
        raise ValueError("optimizers must contain at least one optimizer")
    starts = theta0 if isinstance(theta0, dict) else {label: theta0 for label in optimizers}
    missing = set(optimizers) - set(starts)
    if missing:
        raise ValueError(f"theta0 has no start point for {sorted(missing)}")
    return {label: run(opt, surface, starts[label], steps=steps, tol=tol) for label, opt in optimizers.items()}


def style_for(label, result, index):
    """Colour, marker and line style of one racer: the optimizer's book colour where it has one."""
    name = type(getattr(result, "optimizer", None)).__name__
    color = color_for(name if name in _ORDER else index)
    # Colours repeat after 8 optimizers, so the marker and the line style tell them apart too.
    return dict(color=color, marker=_MARKERS[index % len(_MARKERS)],
                linestyle=_LINESTYLES[(index // len(_MARKERS)) % len(_LINESTYLES)])


def frame_steps(results, frames):
    """The step shown in each frame: ``frames`` steps spread evenly from 0 to the longest run."""
    if not isinstance(frames, (int, np.integer)) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}")
    last = max(len(r.thetas) - 1 for r in results.values())
    return np.unique(np.round(np.linspace(0, last, frames)).astype(int))


def _finite(thetas):
    """The iterates up to (not including) the first non-finite one: a diverged run ends there."""
    bad = ~np.all(np.isfinite(thetas), axis=1)
    return thetas[: int(np.argmax(bad))] if bad.any() else thetas


def _draw(surface, results, ax, xlim, ylim, levels):
    """Contours and one (empty) line + position marker per racer; returns the artists."""
    contour(surface, ax=ax, xlim=xlim, ylim=ylim, levels=levels, n=150)
    artists = []
    for i, (label, res) in enumerate(results.items()):
        st = style_for(label, res, i)
        line, = ax.plot([], [], color=st["color"], linestyle=st["linestyle"], linewidth=1.4)
        head, = ax.plot([], [], color=st["color"], marker=st["marker"], markersize=7,
                        markeredgecolor="black", markeredgewidth=0.6, linestyle="none")
        # The legend shows line and marker together, as the racer looks on the plot.
        ax.plot([], [], color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                markeredgecolor="black", markeredgewidth=0.6, label=label)
        artists.append((_finite(res.thetas), line, head))
    return artists


def _update(artists, k):
    for thetas, line, head in artists:
        j = min(k, len(thetas) - 1)
        line.set_data(thetas[: j + 1, 0], thetas[: j + 1, 1])
        head.set_data(thetas[j : j + 1, 0], thetas[j : j + 1, 1])


def animate_race(surface, results, frames=50, figsize=(5, 4), dpi=70, interval=120, title=None,
                 xlim=None, ylim=None, levels=25, legend_loc="best", legend_cols=1):
    """A :class:`matplotlib.animation.FuncAnimation` of the race in ``results``.

    One frame per step in :func:`frame_steps` (at most ``frames``): each racer's
    path so far and a marker at its current position, over the log-scaled
    contours of ``surface`` with its minimum marked by a black star. A run that
    stopped early (converged or diverged) stays at its last finite point.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    steps = frame_steps(results, frames)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    artists = _draw(surface, results, ax, xlim, ylim, levels)
    ax.legend(loc=legend_loc, fontsize=7, ncol=legend_cols, framealpha=0.85)
    label = ax.set_title("")

    def update(k):
        _update(artists, k)
        label.set_text(f"{title + ': ' if title else ''}step {k}")
        return [a for _, line, head in artists for a in (line, head)] + [label]

    fig.tight_layout()
    return FuncAnimation(fig, update, frames=list(steps), interval=interval, blit=False, repeat=False)


def frame_grid(surface, results, n_frames=6, ncols=3, panel_size=(3.0, 2.6), title=None,
               xlim=None, ylim=None, levels=20, steps=None):
    """A static grid of ``n_frames`` snapshots of the race: the animation on paper.

    The panels show the steps of :func:`frame_steps` (or the given ``steps``);
    one legend serves the whole figure. Returns the :class:`matplotlib.figure.Figure`,
    which has exactly ``n_frames`` axes.
    """
    import matplotlib.pyplot as plt

    shown = frame_steps(results, n_frames) if steps is None else np.asarray(steps, dtype=int)
    n = len(shown)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.5),
                             squeeze=False, sharex=True, sharey=True)
    for ax in axes.flat[n:]:
        fig.delaxes(ax)
    for ax, k in zip(axes.flat, shown):
        artists = _draw(surface, results, ax, xlim, ylim, levels)
        _update(artists, k)
        ax.set_title(f"step {k}", fontsize=9)
        ax.label_outer()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 8), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06 + 0.04 * (len(labels) > 8), 1, 1))
    return fig


def to_html(anim, close=True):
    """The animation as a self-contained HTML string with play/pause buttons and a frame slider.

    Uses ``anim.to_jshtml(default_mode='once', embed_frames=True)``, which needs no
    ffmpeg (``to_html5_video`` does). Show it with ``IPython.display.HTML``. The
    figure is closed afterwards (``close=True``), so it is not drawn a second time
    as a static image.
    """
    import matplotlib.pyplot as plt

    html = anim.to_jshtml(default_mode="once", embed_frames=True)
    if close:
        plt.close(anim._fig)
    return html


def html_size(html):
    """The size of an HTML string in bytes (UTF-8), as a web page would carry it."""
    return len(html.encode("utf-8"))
