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
with the number of frames and pixels; :func:`html_size` measures it. The frames
are drawn at twice the displayed resolution (sharp on high-resolution screens);
the contours, ticks and legend, which never change, are embedded once as the
image's background, and every frame holds only the moving paths on a
transparent ground, re-encoded with a 64-colour palette. With the defaults (50
frames of 5 by 4 inches at 70 dpi) an animation takes about 0.2–0.5 MB.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from html import escape
from pathlib import Path

import numpy as np

from .base import Optimizer, check_int, check_real
from .driver import run
from .plotting import (
    MARKERS,
    _check_bool,
    _check_path,
    _check_results,
    contour,
    styles_for,
)

__all__ = [
    "race",
    "frame_steps",
    "styles",
    "animate_race",
    "frame_grid",
    "to_html",
    "html_size",
]


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
        raise ValueError(
            f"surface must be a gdlib Surface (a function with a .grad), got {surface!r}"
        )
    if not hasattr(optimizers, "items") or len(optimizers) == 0:
        raise ValueError(
            f"optimizers must be a non-empty mapping label -> Optimizer, got {optimizers!r}"
        )
    for label, opt in optimizers.items():
        if not isinstance(opt, Optimizer):
            raise ValueError(
                f"optimizers[{label!r}] must be a gdlib Optimizer, got {opt!r}"
            )
    if isinstance(theta0, dict):
        missing, extra = set(optimizers) - set(theta0), set(theta0) - set(optimizers)
        if missing:
            raise ValueError(
                f"theta0 has no start point for {sorted(missing, key=str)}"
            )
        if extra:
            raise ValueError(
                f"theta0 has start points for {sorted(extra, key=str)}, which are not racers"
            )
        starts = {label: (f"theta0[{label!r}]", theta0[label]) for label in optimizers}
    else:
        starts = {label: ("theta0", theta0) for label in optimizers}
    dim = getattr(surface, "dim", None)
    for name, start in starts.values():
        try:
            arr = np.asarray(start, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a point (an array of real numbers), got {start!r}"
            ) from None
        if arr.ndim != 1 or (dim is not None and arr.shape != (dim,)):
            raise ValueError(
                f"{name} must be a point of shape ({dim},), got shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite, got {start!r}")
    check_int("steps", steps, 0)
    if tol is not None:
        check_real("tol", tol, 0.0)
    return {
        label: run(opt, surface, starts[label][1], steps=steps, tol=tol)
        for label, opt in optimizers.items()
    }


def styles(results):
    """Colour, line style and marker of every racer, in the order of ``results``.

    Each optimizer keeps its book colour and line style (:data:`gdlib.plotting.STYLES`);
    racers that share an optimizer class get palette colours in order instead. The
    marker tells racers apart where colours repeat.
    """
    return [
        dict(color=color, linestyle=linestyle, marker=MARKERS[i % len(MARKERS)])
        for i, (color, linestyle) in enumerate(styles_for(results))
    ]


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
        return check_real(name, w, 0.0, low_open=True), check_real(
            name, h, 0.0, low_open=True
        )
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (width, height) of finite numbers > 0, got {value!r}"
        ) from None


def _check_marks(marks):
    """``marks``: None or a mapping label → finite point (x, y)."""
    if marks is None:
        return None
    if not hasattr(marks, "items"):
        raise ValueError(
            f"marks must be None or a mapping label -> point (x, y), got {marks!r}"
        )
    for label, point in marks.items():
        arr = np.asarray(point, dtype=float) if np.ndim(point) == 1 else None
        if arr is None or arr.shape != (2,) or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"marks[{label!r}] must be a finite point (x, y), got {point!r}"
            )
    return marks


def _finite(thetas):
    """The iterates before the first non-finite one: a diverged run ends at its last finite point."""
    bad = ~np.all(np.isfinite(thetas), axis=1)
    return thetas[: int(np.argmax(bad))] if bad.any() else thetas


def _background(surface, ax, xlim, ylim, levels, log, marks):
    """Contours (log-spaced unless ``log=False``), the minimum, and any extra marked points."""
    contour(surface, ax=ax, xlim=xlim, ylim=ylim, levels=levels, n=150, log=log)
    for label, point in (marks or {}).items():
        ax.plot(
            *point,
            marker="P",
            color="black",
            markersize=10,
            linestyle="none",
            label=label,
        )


def _legend_entries(results, ax):
    """One legend entry per racer: its line and marker together, as it looks on the plot."""
    for label, st in zip(results, styles(results)):
        ax.plot(
            [],
            [],
            color=st["color"],
            linestyle=st["linestyle"],
            marker=st["marker"],
            markeredgecolor="black",
            markeredgewidth=0.6,
            label=label,
        )


def _racers(results, ax):
    """An empty path line and position marker per racer on ``ax``: [(iterates, line, marker)]."""
    racers = []
    for res, st in zip(results.values(), styles(results)):
        (line,) = ax.plot(
            [], [], color=st["color"], linestyle=st["linestyle"], linewidth=1.4
        )
        (head,) = ax.plot(
            [],
            [],
            color=st["color"],
            marker=st["marker"],
            markersize=7,
            markeredgecolor="black",
            markeredgewidth=0.6,
            linestyle="none",
        )
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
    would have landed on ``ax``. ``fig`` is closed. The image and its artist
    are kept as ``figure._gdlib_background = (artist, rgba)``, so that
    :func:`to_html` can embed the background once instead of in every frame.
    """
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    image = np.asarray(
        fig.canvas.buffer_rgba()
    ).copy()  # RGBA bytes: drawn without conversion
    position, xlim, ylim = ax.get_position(), ax.get_xlim(), ax.get_ylim()
    size, dpi = fig.get_size_inches(), fig.dpi
    plt.close(fig)
    frozen = plt.figure(figsize=size, dpi=dpi)  # no layout engine: one draw per frame
    artist = frozen.figimage(image, xo=0, yo=0, origin="upper")  # pixel for pixel
    frozen._gdlib_background = (artist, image)
    overlay = frozen.add_axes(position)
    overlay.set_xlim(*xlim)
    overlay.set_ylim(*ylim)
    overlay.set_axis_off()
    overlay.patch.set_alpha(0.0)
    overlay.set_zorder(1)  # drawn above the image
    return frozen, overlay


_OUTSIDE = {
    "outside": dict(loc="center left", bbox_to_anchor=(1.02, 0.5)),
    "outside below": dict(loc="upper center", bbox_to_anchor=(0.5, -0.14)),
}


def animate_race(
    surface,
    results,
    frames=50,
    figsize=(5, 4),
    dpi=70,
    interval=120,
    title=None,
    xlim=None,
    ylim=None,
    levels=25,
    log=True,
    marks=None,
    legend_loc="outside",
    legend_cols=1,
    pixel_ratio=2,
):
    """A :class:`matplotlib.animation.FuncAnimation` of the race in ``results``.

    One frame per step of :func:`frame_steps` (at most ``frames``): every racer's
    path so far and a marker at its current position, over the log-scaled
    contours of ``surface`` (:func:`gdlib.plotting.contour`) with its minimum
    marked by a black star, and a legend entry per racer. A run that stopped
    early (converged or diverged) stays at its last finite point. ``log=False``
    spaces the contours linearly (for a surface without a minimum, such as the
    saddle); ``marks`` maps a label to a point to mark with a black plus sign.

    The legend sits beside the axes (``legend_loc="outside"``, the default) or
    under them (``"outside below"``), so it never covers the paths; any other
    value is a matplotlib ``loc`` inside the axes. The figure is ``figsize``
    inches at ``dpi`` pixels per inch on the page, and every frame is drawn with
    ``pixel_ratio`` times as many pixels per inch (2: sharp on high-resolution
    screens; :func:`to_html` shows it at the page size).
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    steps = frame_steps(results, frames)
    figsize = _check_size("figsize", figsize)
    dpi = check_real("dpi", dpi, 0.0, low_open=True)
    interval = check_real("interval", interval, 0.0, low_open=True)
    legend_cols = check_int("legend_cols", legend_cols, 1)
    pixel_ratio = check_real("pixel_ratio", pixel_ratio, 1.0)
    marks = _check_marks(marks)
    if title is not None and not isinstance(title, str):
        raise ValueError(f"title must be a string or None, got {title!r}")
    if not isinstance(legend_loc, (str, int, tuple)) or isinstance(legend_loc, bool):
        raise ValueError(
            f"legend_loc must be 'outside', 'outside below' or a matplotlib loc, got {legend_loc!r}"
        )
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi * pixel_ratio)
    _background(surface, ax, xlim, ylim, levels, log, marks)
    _legend_entries(results, ax)
    placement = _OUTSIDE.get(legend_loc, dict(loc=legend_loc, framealpha=0.85))
    ax.legend(fontsize=7, ncol=legend_cols, **placement)
    ax.set_title(" ")  # room for the step counter
    fig.tight_layout()
    position = ax.get_position()
    fig, overlay = _freeze_background(fig, ax)
    racers = _racers(results, overlay)
    heading = fig.text(
        (position.x0 + position.x1) / 2,
        position.y1 + 0.01,
        "",
        ha="center",
        va="bottom",
        fontsize=10,
    )
    prefix = f"{title}: " if title else ""

    def update(k):
        _show_step(racers, k)
        heading.set_text(f"{prefix}step {k}")
        return [a for _, line, head in racers for a in (line, head)] + [heading]

    update(0)
    anim = FuncAnimation(
        fig,
        update,
        frames=[int(k) for k in steps],
        interval=interval,
        blit=False,
        repeat=False,
    )
    anim._gdlib_css_size = (
        round(figsize[0] * dpi),
        round(figsize[1] * dpi),
    )  # on the page
    surface_name = getattr(surface, "name", None) or "the surface"
    anim._gdlib_alt = (
        f"Animation of {', '.join(map(str, results))} racing over the contours of "
        f"{surface_name}, from step 0 to step {int(steps[-1])}"
    )
    return anim


def frame_grid(
    surface,
    results,
    n_frames=6,
    ncols=3,
    panel_size=(3.0, 2.6),
    title=None,
    xlim=None,
    ylim=None,
    levels=20,
    log=True,
    marks=None,
    steps=None,
):
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
        if (
            isinstance(steps, (str, bytes))
            or np.ndim(steps) != 1
            or len(steps) == 0
            or not all(
                isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 0
                for k in steps
            )
        ):
            raise ValueError(
                f"steps must be a non-empty list of integers >= 0, got {steps!r}"
            )
        shown = np.asarray(steps, dtype=int)
    ncols = check_int("ncols", ncols, 1)
    panel_size = _check_size("panel_size", panel_size)
    marks = _check_marks(marks)
    n = len(shown)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.6),
        squeeze=False,
        sharex=True,
        sharey=True,
    )
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
    fig.legend(
        handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False
    )
    if title:
        fig.suptitle(title, fontsize=10)
    rows_of_legend = -(-len(labels) // ncol)
    fig.tight_layout(rect=(0, 0.05 * rows_of_legend / nrows**0.5, 1, 1))
    return fig


_FRAME = re.compile(r'"data:image/png;base64,([^"]*)"')
_IMG = re.compile(r'<img id="(_anim_img\w+)">')
#: matplotlib's template loads Font Awesome 4 from a CDN; the book's theme brings its own.
_EXTERNAL_CSS = re.compile(
    r'<link\s+rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*"\s*/?>\s*'
)


def _png(image, colors):
    """An image (a PIL image) as base64 PNG, with a palette of ``colors`` colours unless None."""
    out = io.BytesIO()
    if colors is not None:
        from PIL import Image

        image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    image.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _palette_png(b64, colors):
    """A base64 PNG frame re-encoded with a palette of ``colors`` colours (transparency kept)."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(b64)))  # skips the "\" line breaks
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    return _png(image, colors)


def _jshtml(anim, transparent):
    """The animation's HTML from matplotlib's ``HTMLWriter`` (as ``anim.to_jshtml`` makes it).

    With ``transparent``, the frozen background is hidden and the frames are
    drawn on a transparent ground (``HTMLWriter`` itself would paint them white).
    """
    from tempfile import TemporaryDirectory

    from matplotlib.animation import HTMLWriter

    if not transparent:
        return anim.to_jshtml(default_mode="once", embed_frames=True)

    class TransparentHTMLWriter(HTMLWriter):
        def _supports_transparency(self):
            return True

    fig = anim._fig
    artist, _ = fig._gdlib_background
    face = fig.patch.get_facecolor()
    artist.set_visible(False)
    fig.patch.set_facecolor((1.0, 1.0, 1.0, 0.0))
    try:
        with TemporaryDirectory() as tmpdir:
            path = Path(tmpdir, "animation.html")
            writer = TransparentHTMLWriter(
                fps=1000 / anim._interval, embed_frames=True, default_mode="once"
            )
            anim.save(str(path), writer=writer)
            return path.read_text()
    finally:
        artist.set_visible(True)
        fig.patch.set_facecolor(face)


def _see_through(html):
    """Whether the first embedded frame of ``html`` has transparent pixels."""
    from PIL import Image

    match = _FRAME.search(html)
    if match is None:
        return False
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    return "A" in image.getbands() and image.getchannel("A").getextrema()[0] == 0


def _stable_ids(html):
    """``html`` with matplotlib's random element id (a uuid4) replaced by a hash of the content.

    The same animation then gives the same HTML in every run, so two builds of the book give
    the same page; a counter keeps two identical animations on one page apart.
    """
    global _ANIMATIONS_MADE
    match = re.search(r'id="_anim_img([0-9a-f]{32})"', html)
    if match is None:
        return html
    _ANIMATIONS_MADE += 1
    content = html.replace(match.group(1), "") + str(_ANIMATIONS_MADE)
    return html.replace(
        match.group(1), hashlib.sha1(content.encode("utf-8")).hexdigest()[:32]
    )


_ANIMATIONS_MADE = 0


def to_html(anim, colors=64, close=True, alt=None, caption=None):
    """The animation as a self-contained HTML string with play/pause buttons and a frame slider.

    Calls ``anim.to_jshtml(default_mode='once', embed_frames=True)``, which needs
    no ffmpeg (``to_html5_video`` does); show the result with
    ``IPython.display.HTML``. With ``colors`` (default 64) every embedded PNG
    frame is re-encoded with a palette of that many colours: the plots use a
    handful of colours, so nothing visible is lost and the page is 5–6 times
    smaller. ``colors=None`` keeps matplotlib's frames. The figure is closed
    afterwards (``close=True``), so it is not shown a second time as a still.

    For an animation of :func:`animate_race`, the background that never changes
    (contours, ticks, legend) is embedded once, as the CSS background of the
    image, and the frames hold only what moves, on a transparent ground; the
    image is shown at the page size given by ``animate_race``'s ``figsize`` and
    ``dpi``, whatever its ``pixel_ratio``. matplotlib's link to Font Awesome on
    a CDN is removed: the page requests nothing from another host (the book's
    theme has its own Font Awesome for the buttons' icons). matplotlib's random
    element ids are replaced by a hash of the content, so the same animation
    gives the same HTML in every run.

    ``alt`` is the image's text for readers who cannot see it (default: for an
    animation of :func:`animate_race`, its racers and surface); with a
    ``caption`` (plain text), the animation and its caption are wrapped in a
    ``<figure>``.
    """
    import matplotlib.pyplot as plt
    from PIL import Image

    if not callable(getattr(anim, "to_jshtml", None)):
        raise ValueError(
            f"anim must be a matplotlib Animation (see animate_race), got {anim!r}"
        )
    if colors is not None:
        colors = check_int("colors", colors, 2)
        if colors > 256:
            raise ValueError(
                f"colors must be None or an integer in [2, 256] (a PNG palette), got {colors!r}"
            )
    close = _check_bool("close", close)
    for name, text in (("alt", alt), ("caption", caption)):
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise ValueError(f"{name} must be None or a non-empty string, got {text!r}")
    alt = alt if alt is not None else getattr(anim, "_gdlib_alt", None)
    fig = getattr(anim, "_fig", None)
    layered = hasattr(fig, "_gdlib_background") and hasattr(anim, "_interval")
    html = _jshtml(anim, layered)
    if layered and not (_IMG.search(html) and _see_through(html)):
        html, layered = _jshtml(anim, False), False  # another matplotlib: whole frames
    if colors is not None:
        html = _FRAME.sub(
            lambda m: f'"data:image/png;base64,{_palette_png(m.group(1), colors)}"',
            html,
        )
    style = []
    if hasattr(anim, "_gdlib_css_size"):
        width, height = anim._gdlib_css_size
        style.append(
            f"width:{width}px;max-width:100%;height:auto;aspect-ratio:{width}/{height}"
        )
    if layered:
        background = _png(
            Image.fromarray(fig._gdlib_background[1]).convert("RGB"), colors
        )
        style.append(
            f"background:#fff url(data:image/png;base64,{background}) 0 0/100% 100% no-repeat"
        )
    attributes = f' alt="{escape(alt)}"' if alt else ""
    attributes += f' style="{";".join(style)}"' if style else ""
    html = _IMG.sub(lambda m: f'<img id="{m.group(1)}"{attributes}>', html, count=1)
    if caption is not None:
        html = (
            f'<figure class="align-default">{html}<figcaption><p><span class="caption-text">'
            f"{escape(caption)}</span></p></figcaption></figure>"
        )
    html = _EXTERNAL_CSS.sub("", html)
    html = _stable_ids(html)
    if close:
        plt.close(anim._fig)
    return html


def html_size(html):
    """The size of an HTML string in bytes (UTF-8), as the web page carries it."""
    if not isinstance(html, str):
        raise ValueError(f"html must be a string, got {type(html).__name__}")
    return len(html.encode("utf-8"))
