"""Benchmark tables: CSV (full precision) and Markdown (three significant digits)."""

from __future__ import annotations

import csv
import math

from .core import COLUMNS

__all__ = ["markdown_table", "write_table", "read_table", "write_csv", "read_csv"]


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def _fmt(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.3g}"
    return str(value)


def _check_rows(rows, columns):
    """``rows`` as a list of mappings that all have ``columns``, else a ValueError naming rows."""
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
        raise ValueError(
            f"rows must be a list of dicts (as benchmark() returns), got {rows!r}"
        )
    rows = list(rows)
    for i, r in enumerate(rows):
        if not hasattr(r, "keys"):
            raise ValueError(f"rows[{i}] must be a dict, got {r!r}")
        missing = [c for c in columns if c not in r]
        if missing:
            raise ValueError(f"rows[{i}] lacks the columns {missing}")
    return rows


def markdown_table(rows, columns=None):
    """The rows as a Markdown table (numbers to three significant digits)."""
    columns = COLUMNS if columns is None else list(columns)
    if not columns or not all(isinstance(c, str) for c in columns):
        raise ValueError(
            f"columns must be a non-empty list of column names, got {columns!r}"
        )
    rows = _check_rows(rows, columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_table(rows, path_stem, header=""):
    """Write ``rows`` to ``<path_stem>.csv`` (full precision) and ``<path_stem>.md`` (readable)."""
    from pathlib import Path

    rows = _check_rows(rows, COLUMNS)
    if not isinstance(header, str):
        raise ValueError(f"header must be a string, got {header!r}")
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with open(stem.with_suffix(".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r[c] for c in COLUMNS})
    stem.with_suffix(".md").write_text(
        (header + "\n\n" if header else "") + markdown_table(rows)
    )
    return stem.with_suffix(".csv"), stem.with_suffix(".md")


def read_table(path):
    """Read a CSV written by :func:`write_table`; numeric columns come back as floats."""
    text_columns = {"problem", "method", "reached", "criterion"}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            if k not in text_columns:
                r[k] = float(v) if v not in ("", "None") else math.nan
    return rows


def write_csv(rows, path, columns=None):
    """Write a list of dicts as CSV (floats in full precision, ``repr``); returns the path."""
    from pathlib import Path

    rows = list(rows)
    columns = list(columns) if columns is not None else list(rows[0]) if rows else []
    rows = _check_rows(rows, columns)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow(
                {c: repr(r[c]) if isinstance(r[c], float) else r[c] for c in columns}
            )
    return path


def read_csv(path, text_columns=()):
    """Read a CSV written by :func:`write_csv`: every column not in ``text_columns``
    that parses as a number comes back as a float ("inf" and "nan" included)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k, v in r.items():
            if k in text_columns:
                continue
            try:
                r[k] = float(v) if v not in ("", "None") else math.nan
            except ValueError:
                pass
    return rows
