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

from .base import Optimizer, check_int, check_real
from .driver import run
from .plotting import MARKERS, _check_bool, _check_path, _check_results, contour, styles_for

__all__ = ["race", "frame_steps", "styles", "animate_race", "frame_grid", "to_html", "html_size"]


def race(surface, optimizers, theta0, steps=100, tol=None):
    """Run every optimizer of ``optimizers`` (a mapping label → Optimizer) on ``surface``.

    ``theta0`` is one start point for all racers, or a mapping label → start
    point. Each optimizer is reset before its run (see :func:`gdlib.run`).
    Returns a dict label → :class:`gdlib.Result`, in the order of ``optimizers``.

    Everything is checked before the first run: ``surface`` has a gradient,
    ``optimizers`` is a non-empty mapping of :class:`gdlib.Optimizer`
    objects, every start point is finite with the surface's dimension, a mapping
    ``theta0`` has exactly the racers' labels, ``steps`` is an integer ≥ 0 and
    ``tol`` None or a number ≥ 0.
    """
    if not callable(surface) or not callable(getattr(surface, "grad", None)):
        raise ValueError(f"surface must be a gdlib Surface (a function with a .grad), got {surface!r}")
    if not hasattr(optimizers, "items") or len(optimizers) == 0:
        raise ValueError(f"optimizers must be a non-empty mapping label -> Optimizer, got {optimizers!r}")
    for label, opt in optimizers.items():
        if not isinstance(opt, Optimizer):
            raise ValueError(f"optimizers[{label!r}] must be a gdlib Optimizer, got {opt!r}")
    if isinstance(theta0, dict):
        missing, extra = set(optimizers) - set(theta0), set(theta0) - set(optimizers)
        if missing:
            raise ValueError(f"theta0 has no start point for {sorted(missing, key=str)}")
        if extra:
            raise ValueError(f"theta0 has start points for {sorted(extra, key=str)}, which are not racers")
        starts = {label: (f"theta0[{label!r}]", theta0[label]) for label in optimizers}
    else:
        starts = {label: ("theta0", theta0) for label in optimizers}
    dim = getattr(surface, "dim", None)
    for name, start in starts.values():
        try:
            arr = np.asarray(start, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a point (an array of real numbers), got {start!r}") from None
        if arr.ndim != 1 or (dim is not None and arr.shape != (dim,)):
            raise ValueError(f"{name} must be a point of shape ({dim},), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite, got {start!r}")
    check_int("steps", steps, 0)
    if tol is not None:
        check_real("tol", tol, 0.0)
    return {label: run(opt, surface, starts[label][1], steps=steps, tol=tol) for label, opt in optimizers.items()}


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
    frames = check_int("frames", frames, 1)
    _check_race(results)
    last = max(len(r.thetas) - 1 for r in results.values())
    return np.unique(np.round(np.linspace(0, last, frames)).astype(int))


def _check_race(results):
    """``results`` as :func:`race` returns them: a non-empty mapping label → Result with 2-D paths."""
    _check_results(results)
    for label, res in results.items():
        _check_path(f"results[{label!r}].thetas", getattr(res, "thetas", None))
    return results


def _check_size(name, value):
    """A (width, height) pair of finite numbers > 0, as a tuple of floats."""
    try:
        w, h = value
        return check_real(name, w, 0.0, low_open=True), check_real(name, h, 0.0, low_open=True)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (width, height) of finite numbers > 0, got {value!r}") from None


def _check_marks(marks):
    """``marks``: None or a mapping label → finite point (x, y)."""
    if marks is None:
        return None
    if not hasattr(marks, "items"):
        raise ValueError(f"marks must be None or a mapping label -> point (x, y), got {marks!r}")
    for label, point in marks.items():
        arr = np.asarray(point, dtype=float) if np.ndim(point) == 1 else None
        if arr is None or arr.shape != (2,) or not np.all(np.isfinite(arr)):
            raise ValueError(f"marks[{label!r}] must be a finite point (x, y), got {point!r}")
    return marks


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
    figsize = _check_size("figsize", figsize)
    dpi = check_real("dpi", dpi, 0.0, low_open=True)
    interval = check_real("interval", interval, 0.0, low_open=True)
    legend_cols = check_int("legend_cols", legend_cols, 1)
    marks = _check_marks(marks)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {title!r}")
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

    n_frames = check_int("n_frames", n_frames, 1)
    if steps is None:
        shown = frame_steps(results, n_frames)
    else:
        _check_race(results)
        if isinstance(steps, (str, bytes)) or np.ndim(steps) != 1 or len(steps) == 0 or not all(
                isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0 for k in steps):
            raise ValueError(f"steps must be a non-empty list of integers >= 0, got {steps!r}")
        shown = np.asarray(steps, dtype=int)
    ncols = check_int("ncols", ncols, 1)
    panel_size = _check_size("panel_size", panel_size)
    marks = _check_marks(marks)
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

    if not callable(getattr(anim, "to_jshtml", None)):
        raise ValueError(f"anim must be a matplotlib Animation (see animate_race), got {anim!r}")
    if colors is not None:
        colors = check_int("colors", colors, 2)
        if colors > 256:
            raise ValueError(f"colors must be None or an integer in [2, 256] (a PNG palette), got {colors!r}")
    close = _check_bool("close", close)
    html = anim.to_jshtml(default_mode="once", embed_frames=True)
    if colors is not None:
        html = _FRAME.sub(lambda m: f'"data:image/png;base64,{_palette_png(m.group(1), colors)}"', html)
    if close:
        plt.close(anim._fig)
    return html


def html_size(html):
    """The size of an HTML string in bytes (UTF-8), as the web page carries it."""
    if not isinstance(html, str):
        raise ValueError(f"html must be a string, got {type(html).__name__}")
    return len(html.encode("utf-8"))
