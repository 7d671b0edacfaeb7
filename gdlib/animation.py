"""Optimizer races on a test surface: run several optimizers, animate them, print their frames.

Three calls draw a race in any chapter::

    from IPython.display import HTML
    from gdlib.animation import race, animate_race, frame_grid, to_html

    results = race(gdlib.beale, {"Adam": gdlib.Adam(eta=0.1), "GD": gdlib.GD(eta=0.01)},
                   theta0=[1.5, 0.75], steps=300)
    HTML(to_html(animate_race(gdlib.beale, results)))   # play/pause buttons and a frame slider
    frame_grid(gdlib.beale, results, n_frames=6)         # the same race on paper

:func:`to_html` uses :meth:`matplotlib.animation.Animation.to_jshtml`: every
frame is an embedded PNG and a few lines of JavaScript provide the controls, so
the animation plays in a static web page and needs no ffmpeg. The page grows
with the number of frames and pixels; :func:`html_size` measures it. With the
defaults (50 frames of 5 × 4 inches at 70 dpi, 64-colour frames) an animation
takes about 0.5–1 MB.
"""
from __future__ import annotations

import base64
import io
import re

import numpy as np

from .driver import run
from .plotting import MARKERS, contour, styles_for

__all__ = ["race", "frame_steps", "styles", "animate_race", "frame_grid", "to_html", "html_size"]


def race(surface, optimizers, theta0, steps=100, tol=None):
    """Run every optimizer of ``optimizers`` (a mapping label → Optimizer) on ``surface``.

    ``theta0`` is one start point for all racers, or a mapping label → start
    point. Each optimizer is reset before its run (see :func:`gdlib.run`).
    Returns a dict label → :class:`gdlib.Result`, in the order of ``optimizers``.
    """
    if not optimizers:
        raise ValueError("optimizers must contain at least one optimizer")
    starts = theta0 if isinstance(theta0, dict) else {label: theta0 for label in optimizers}
    missing = set(optimizers) - set(starts)
    if missing:
        raise ValueError(f"theta0 has no start point for {sorted(missing)}")
    return {label: run(opt, surface, starts[label], steps=steps, tol=tol) for label, opt in optimizers.items()}


def styles(results):
    """Colour, line style and marker of every racer, in the order of ``results``.

    Each optimizer keeps its book colour and line style (:data:`gdlib.plotting.STYLES`);
    racers that share an optimizer class get palette colours in order instead. The
    marker tells racers apart where colours repeat.
    """
    return [dict(color=color, linestyle=linestyle, marker=MARKERS[i % len(MARKERS)])
            for i, (color, linestyle) in enumerate(styles_for(results))]


def frame_steps(results, frames):
    """The steps shown: at most ``frames`` steps spread evenly from 0 to the end of the longest run."""
    if not isinstance(frames, (int, np.integer)) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}")
    last = max(len(r.thetas) - 1 for r in results.values())
    return np.unique(np.round(np.linspace(0, last, frames)).astype(int))


def _finite(thetas):
    """The iterates before the first non-finite one: a diverged run ends at its last finite point."""
    bad = ~np.all(np.isfinite(thetas), axis=1)
    return thetas[: int(np.argmax(bad))] if bad.any() else thetas


def _background(surface, ax, xlim, ylim, levels, log, marks):
    """Contours (log-spaced unless ``log=False``), the minimum, and any extra marked points."""
    contour(surface, ax=ax, xlim=xlim, ylim=ylim, levels=levels, n=150, log=log)
    for label, point in (marks or {}).items():
        ax.plot(*point, marker="P", color="black", markersize=10, linestyle="none", label=label)


def _legend_entries(results, ax):
    """One legend entry per racer: its line and marker together, as it looks on the plot."""
    for label, st in zip(results, styles(results)):
        ax.plot([], [], color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                markeredgecolor="black", markeredgewidth=0.6, label=label)


def _racers(results, ax):
    """An empty path line and position marker per racer on ``ax``: [(iterates, line, marker)]."""
    racers = []
    for res, st in zip(results.values(), styles(results)):
        line, = ax.plot([], [], color=st["color"], linestyle=st["linestyle"], linewidth=1.4)
        head, = ax.plot([], [], color=st["color"], marker=st["marker"], markersize=7,
                        markeredgecolor="black", markeredgewidth=0.6, linestyle="none")
        racers.append((_finite(res.thetas), line, head))
    return racers


def _show_step(racers, k):
    """Show every racer's path up to step k (or its last finite point) and its position there."""
    for thetas, line, head in racers:
        j = min(k, len(thetas) - 1)
        line.set_data(thetas[: j + 1, 0], thetas[: j + 1, 1])
        head.set_data(thetas[j : j + 1, 0], thetas[j : j + 1, 1])


def _freeze_background(fig, ax):
    """Turn the finished static figure into one image on a new figure; return ``(figure, overlay)``.

    Redrawing the contours, ticks and legend for every frame is what makes an
    animation slow. The new figure shows one image of the same pixels, which
    costs almost nothing to draw, and has a transparent ``overlay`` axes with
    ``ax``'s position and limits, so the paths drawn on it land where they
    would have landed on ``ax``. ``fig`` is closed.
    """
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba()).copy()     # RGBA bytes: drawn without conversion
    position, xlim, ylim = ax.get_position(), ax.get_xlim(), ax.get_ylim()
    size, dpi = fig.get_size_inches(), fig.dpi
    plt.close(fig)
    frozen = plt.figure(figsize=size, dpi=dpi)          # no layout engine: one draw per frame
    frozen.figimage(image, xo=0, yo=0, origin="upper")  # pixel for pixel
    overlay = frozen.add_axes(position)
    overlay.set_xlim(*xlim)
    overlay.set_ylim(*ylim)
    overlay.set_axis_off()
    overlay.patch.set_alpha(0.0)
    overlay.set_zorder(1)                               # drawn above the image
    return frozen, overlay


def animate_race(surface, results, frames=50, figsize=(5, 4), dpi=70, interval=120, title=None,
                 xlim=None, ylim=None, levels=25, log=True, marks=None, legend_loc="upper right",
                 legend_cols=1):
    """A :class:`matplotlib.animation.FuncAnimation` of the race in ``results``.

    One frame per step of :func:`frame_steps` (at most ``frames``): every racer's
    path so far and a marker at its current position, over the log-scaled
    contours of ``surface`` (:func:`gdlib.plotting.contour`) with its minimum
    marked by a black star, and a legend entry per racer. A run that stopped
    early (converged or diverged) stays at its last finite point. ``log=False``
    spaces the contours linearly (for a surface without a minimum, such as the
    saddle); ``marks`` maps a label to a point to mark with a black plus sign.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    steps = frame_steps(results, frames)
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    _background(surface, ax, xlim, ylim, levels, log, marks)
    _legend_entries(results, ax)
    ax.legend(loc=legend_loc, fontsize=7, ncol=legend_cols, framealpha=0.85)
    ax.set_title(" ")                                   # room for the step counter
    fig.tight_layout()
    position = ax.get_position()
    fig, overlay = _freeze_background(fig, ax)
    racers = _racers(results, overlay)
    heading = fig.text((position.x0 + position.x1) / 2, position.y1 + 0.01, "", ha="center",
                       va="bottom", fontsize=10)
    prefix = f"{title}: " if title else ""

    def update(k):
        _show_step(racers, k)
        heading.set_text(f"{prefix}step {k}")
        return [a for _, line, head in racers for a in (line, head)] + [heading]

    update(0)
    return FuncAnimation(fig, update, frames=[int(k) for k in steps], interval=interval, blit=False,
                         repeat=False)


def frame_grid(surface, results, n_frames=6, ncols=3, panel_size=(3.0, 2.6), title=None,
               xlim=None, ylim=None, levels=20, log=True, marks=None, steps=None):
    """A static grid of snapshots of the race: the animation on paper.

    The panels show the steps of :func:`frame_steps` with ``n_frames`` frames, or
    the given ``steps``; one legend below serves the whole figure. Returns the
    :class:`matplotlib.figure.Figure`, which has exactly one axes per panel.
    ``log`` and ``marks`` are as in :func:`animate_race`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    shown = frame_steps(results, n_frames) if steps is None else np.asarray(steps, dtype=int)
    n = len(shown)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.6),
                             squeeze=False, sharex=True, sharey=True)
    for ax in axes.flat[n:]:
        fig.delaxes(ax)
    for ax, k in zip(axes.flat, shown):
        _background(surface, ax, xlim, ylim, levels, log, marks)
        _show_step(_racers(results, ax), int(k))
        ax.set_title(f"step {k}", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.label_outer()
    _legend_entries(results, axes.flat[0])
    handles, labels = axes.flat[0].get_legend_handles_labels()
    ncol = min(len(labels), 8)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    rows_of_legend = -(-len(labels) // ncol)
    fig.tight_layout(rect=(0, 0.05 * rows_of_legend / nrows ** 0.5, 1, 1))
    return fig


_FRAME = re.compile(r'"data:image/png;base64,([^"]*)"')


def _palette_png(b64, colors):
    """A base64 PNG frame re-encoded with a palette of ``colors`` colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGB")   # skips the "\" line breaks
    out = io.BytesIO()
    image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode("ascii")


def to_html(anim, colors=64, close=True):
    """The animation as a self-contained HTML string with play/pause buttons and a frame slider.

    Calls ``anim.to_jshtml(default_mode='once', embed_frames=True)``, which needs
    no ffmpeg (``to_html5_video`` does); show the result with
    ``IPython.display.HTML``. With ``colors`` (default 64) every embedded PNG
    frame is re-encoded with a palette of that many colours: the plots use a
    handful of colours, so nothing visible is lost and the page is 5–6 times
    smaller. ``colors=None`` keeps matplotlib's frames. The figure is closed
    afterwards (``close=True``), so it is not shown a second time as a still.
    """
    import matplotlib.pyplot as plt

    html = anim.to_jshtml(default_mode="once", embed_frames=True)
    if colors is not None:
        html = _FRAME.sub(lambda m: f'"data:image/png;base64,{_palette_png(m.group(1), colors)}"', html)
    if close:
        plt.close(anim._fig)
    return html


def html_size(html):
    """The size of an HTML string in bytes (UTF-8), as the web page carries it."""
    return len(html.encode("utf-8"))
