"""Plotting helpers shared by the chapters: contours, trajectories and a colour-blind-safe palette."""

from __future__ import annotations

import numpy as np

from .base import check_int, check_real

__all__ = [
    "book_style",
    "legend_outside",
    "show_compact",
    "PALETTE",
    "STYLES",
    "color_for",
    "linestyle_for",
    "styles_for",
    "MARKERS",
    "contour",
    "plot_path",
    "plot_paths",
    "loss_curves",
]

#: Okabe & Ito's colour-blind-safe palette, yellow last (thin yellow lines are hard to see
#: on white) and black left out (it marks minima).
PALETTE = [
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#F0E442",
]

#: A fixed colour and line style per optimizer, so a method looks the same in every chapter.
#: The seven methods of the overview's figures get seven distinct solid colours; each later
#: variant is dashed in the colour of a relative.
STYLES = {
    "GD": ("#999999", "-"),
    "Momentum": ("#56B4E9", "-"),
    "NAG": ("#0072B2", "-"),
    "Adagrad": ("#009E73", "-"),
    "Adadelta": ("#CC79A7", "-"),
    "RMSprop": ("#E69F00", "-"),
    "Adam": ("#D55E00", "-"),
    "AdaMax": ("#E69F00", "--"),
    "Nadam": ("#D55E00", "--"),
    "AMSGrad": ("#0072B2", "--"),
    "AdamW": ("#009E73", "--"),
    "QHM": ("#56B4E9", "--"),
    "QHAdam": ("#CC79A7", "--"),
    "AggMo": ("#999999", "--"),
}
_ORDER = list(STYLES)
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def book_style(dpi=80, retina=True, colors=256):
    """Set up matplotlib the same way in every chapter.

    ``dpi`` is the size of a figure on the page (``figsize`` inches × ``dpi`` CSS pixels).
    With ``retina=True`` every figure a cell shows is drawn at twice that resolution and the
    page is told its size, so figures stay sharp on high-resolution screens; the PNG is then
    re-encoded with a palette of ``colors`` colours (at most 256; ``None`` keeps all), which
    keeps a chapter's pages small at no visible cost. Call it once, in a chapter's first
    code cell. Outside IPython only ``dpi`` applies.
    """
    import matplotlib.pyplot as plt

    plt.rcParams["figure.dpi"] = check_real("dpi", dpi, 0.0, low_open=True)
    plt.rcParams["legend.frameon"] = False
    _check_bool("retina", retina)
    colors = _check_colors(colors)
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python, no inline backend
        return
    set_matplotlib_formats("png")
    shell = get_ipython()
    if retina and shell is not None:
        formatter = shell.display_formatter.formatters["image/png"]
        formatter.for_type(Figure, lambda fig: _compact_png(fig, colors, 2.0))


def _check_colors(colors):
    if colors is None:
        return None
    colors = check_int("colors", colors, 2)
    if colors > 256:
        raise ValueError(
            f"colors must be None or an integer in [2, 256], got {colors!r}"
        )
    return colors


def _compact_png(fig, colors, pixel_ratio):
    """(PNG bytes, {"width", "height"}) of ``fig`` at ``pixel_ratio`` × its pixels."""
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi * pixel_ratio, bbox_inches="tight")
    image = PILImage.open(io.BytesIO(buffer.getvalue()))
    if colors is not None:
        buffer = io.BytesIO()
        image.convert("RGB").quantize(
            colors=colors, method=PILImage.Quantize.FASTOCTREE
        ).save(buffer, format="PNG", optimize=True)
    width, height = (round(n / pixel_ratio) for n in image.size)
    return buffer.getvalue(), {"width": width, "height": height}


def legend_outside(ax_or_fig, where="right", **kwargs):
    """A legend beside the plot (``where='right'``) or under it (``'below'``), never on the data."""
    if where not in ("right", "below"):
        raise ValueError(f"where must be 'right' or 'below', got {where!r}")
    if where == "right":
        kwargs.setdefault("loc", "center left")
        kwargs.setdefault("bbox_to_anchor", (1.01, 0.5))
    else:
        kwargs.setdefault("loc", "upper center")
        kwargs.setdefault("bbox_to_anchor", (0.5, -0.2))
        kwargs.setdefault("ncols", 4)
    return ax_or_fig.legend(**kwargs)


def show_compact(fig=None, colors=64, pixel_ratio=2):
    """Show a figure in the notebook as a small PNG: sharp, with a palette of ``colors`` colours.

    Like the inline backend with :func:`book_style`, the figure is drawn with ``pixel_ratio``
    times its pixels per inch and shown at its own size (``figsize`` × ``dpi``), cropped
    to what is drawn. The PNG is then re-encoded with a palette of ``colors`` colours
    (``None``: keep all colours): contour plots of a few greys and the book's palette lose
    nothing visible and get 4–6 times smaller, which matters in a chapter with many of
    them. ``fig`` defaults to the current figure, which is then closed so that it is not
    shown twice.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    colors = _check_colors(colors)
    pixel_ratio = check_real("pixel_ratio", pixel_ratio, 1.0)
    fig = plt.gcf() if fig is None else fig
    data, size = _compact_png(fig, colors, pixel_ratio)
    plt.close(fig)
    display(Image(data=data, format="png", **size))


# --- checks of the public arguments ------------------------------------------------------------


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_results(results, name="results"):
    """``results``: a non-empty mapping label → run, else a ValueError naming it."""
    if not hasattr(results, "items") or len(results) == 0:
        raise ValueError(
            f"{name} must be a non-empty mapping label -> Result, got {results!r}"
        )
    return results


def _check_path(name, thetas):
    """A trajectory as a float array of shape (k, 2), k ≥ 1 (NaN allowed: a diverged run)."""
    try:
        arr = np.asarray(thetas, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of shape (steps + 1, 2), got {thetas!r}"
        ) from None
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(
            f"{name} must be an array of shape (steps + 1, 2), got shape {arr.shape}"
        )
    return arr


def _check_levels(levels, log):
    """Contour levels: an integer ≥ 2 for log spacing, else an integer ≥ 1 or increasing finite values."""
    if log or isinstance(levels, (bool, int, np.integer)):
        return check_int("levels", levels, 2 if log else 1)
    arr = np.asarray(levels, dtype=float) if np.ndim(levels) == 1 else None
    if (
        arr is None
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or np.any(np.diff(arr) <= 0)
    ):
        raise ValueError(
            f"levels must be an integer >= 1 or increasing finite values, got {levels!r}"
        )
    return arr


def color_for(name_or_index):
    """The colour of an optimizer (by class name), or the i-th palette colour (any integer i)."""
    if isinstance(name_or_index, bool) or not isinstance(
        name_or_index, (str, int, np.integer)
    ):
        raise ValueError(
            f"name_or_index must be an optimizer name or an integer, got {name_or_index!r}"
        )
    if isinstance(name_or_index, str):
        if name_or_index in STYLES:
            return STYLES[name_or_index][0]
        name_or_index = sum(map(ord, name_or_index))
    return PALETTE[int(name_or_index) % len(PALETTE)]


def linestyle_for(name):
    """The line style of an optimizer: solid for the classic methods, dashed for variants."""
    if not isinstance(name, str):
        raise ValueError(f"name must be an optimizer name (a string), got {name!r}")
    return STYLES.get(name, ("", "-"))[1]


def styles_for(results):
    """(colour, line style) per run: each optimizer's own colour when the runs are of distinct
    optimizers (named by the Result or by its label), else the palette in order."""
    if not hasattr(results, "items"):
        raise ValueError(f"results must be a mapping label -> Result, got {results!r}")
    keys = []
    for label, res in results.items():
        name = type(getattr(res, "optimizer", None)).__name__
        keys.append(name if name in _ORDER else (label if label in _ORDER else None))
    if None in keys or len(set(keys)) < len(keys):
        keys = list(range(len(keys)))
    return [
        (color_for(k), linestyle_for(k) if isinstance(k, str) else "-") for k in keys
    ]


def contour(
    surface,
    ax=None,
    n=300,
    levels=30,
    log=True,
    xlim=None,
    ylim=None,
    mark_minimum=True,
):
    """Draw ``surface``'s contours, log-spaced by default, and mark its minimum with a black star.

    ``n`` (≥ 2) points per axis on the window ``xlim`` × ``ylim`` (default: the
    surface's); ``levels`` is the number of contour lines (≥ 2 when ``log``) or, with
    ``log=False``, also their increasing values. The surface must be finite on the window.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    if not hasattr(surface, "grid"):
        raise ValueError(
            f"surface must be a gdlib Surface (it has no grid()), got {surface!r}"
        )
    log, mark_minimum = (
        _check_bool("log", log),
        _check_bool("mark_minimum", mark_minimum),
    )
    levels = _check_levels(levels, log)
    X, Y, Z = surface.grid(n, xlim, ylim)
    if not np.all(np.isfinite(Z)):
        raise ValueError(
            f"the surface {getattr(surface, 'name', surface)!r} is not finite everywhere on "
            f"the window xlim={xlim or surface.xlim}, ylim={ylim or surface.ylim}: choose a smaller one"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    if log:
        shift = Z.min()
        Zp = (
            Z - shift + 1e-3 * (Z.max() - shift + 1e-12)
        )  # strictly positive for the log scale
        lv = np.logspace(np.log10(Zp.min()), np.log10(Zp.max()), levels)
        ax.contour(
            X,
            Y,
            Zp,
            levels=lv,
            norm=LogNorm(),
            cmap="Greys_r",
            linewidths=0.6,
            alpha=0.8,
        )
    else:
        ax.contour(X, Y, Z, levels=levels, cmap="Greys_r", linewidths=0.6, alpha=0.8)
    if mark_minimum and surface.minimum is not None:
        ax.plot(
            *surface.minimum,
            marker="*",
            color="black",
            markersize=14,
            linestyle="none",
            label="minimum",
        )
    ax.set_xlim(*(xlim or surface.xlim))
    ax.set_ylim(*(ylim or surface.ylim))
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    return ax


def plot_path(ax, thetas, label=None, color=None, marker=None, every=1, **kw):
    """Draw one trajectory (an array of shape (steps + 1, 2)) with its start marked.

    ``every`` (an integer ≥ 1) thins the drawn points; NaN points (a diverged run) are gaps.
    """
    thetas = _check_path("thetas", thetas)
    every = check_int("every", every, 1)
    kw.setdefault("linewidth", 1.5)
    kw.setdefault("markersize", 3)
    (line,) = ax.plot(
        thetas[::every, 0],
        thetas[::every, 1],
        color=color,
        marker=marker,
        label=label,
        **kw,
    )
    ax.plot(
        *thetas[0],
        marker="o",
        color=line.get_color(),
        markersize=6,
        markeredgecolor="black",
    )
    return line


def plot_paths(surface, results, ax=None, title=None, **contour_kw):
    """Contours of ``surface`` with several trajectories: ``results`` maps a label to a Result."""
    _check_results(results)
    for label, res in results.items():
        _check_path(f"results[{label!r}].thetas", getattr(res, "thetas", None))
    ax = contour(surface, ax=ax, **contour_kw)
    for i, ((label, res), (color, ls)) in enumerate(
        zip(results.items(), styles_for(results))
    ):
        plot_path(
            ax,
            res.thetas,
            label=label,
            color=color,
            linestyle=ls,
            marker=MARKERS[i % len(MARKERS)],
            every=max(1, len(res.thetas) // 40),
        )
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def loss_curves(results, ax=None, f_min=0.0, logy=True, xlabel="step", title=None):
    """Loss minus ``f_min`` against steps for several runs (a mapping label → Result or array).

    Values of a diverged run beyond 1e200 are left out so that the log axis still scales.
    ``f_min`` must be a finite number; every run's losses a 1-D sequence.
    """
    import matplotlib.pyplot as plt

    _check_results(results)
    f_min = check_real("f_min", f_min)
    logy = _check_bool("logy", logy)
    curves = {}
    for label, res in results.items():
        losses = getattr(
            res, "losses", getattr(res, "epoch_losses", res)
        )  # Result, TrainResult or array
        try:
            losses = np.asarray(losses, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"results[{label!r}] must be a Result, a TrainResult or a 1-D array of losses, "
                f"got {res!r}"
            ) from None
        if losses.ndim != 1:
            raise ValueError(
                f"results[{label!r}] must hold a 1-D sequence of losses, got shape {losses.shape}"
            )
        curves[label] = losses
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for (label, losses), (color, ls) in zip(curves.items(), styles_for(results)):
        losses = losses - f_min
        losses = np.where(
            np.isfinite(losses) & (np.abs(losses) < 1e200), losses, np.nan
        )  # diverged runs
        ax.plot(losses, label=label, color=color, linestyle=ls)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss" if f_min == 0 else "loss − minimum")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax
