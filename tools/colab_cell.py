"""The first code cell of every chapter: install gdlib where it is missing (Colab).

A chapter opened from the Colab button starts on a machine that has numpy, sympy and
matplotlib but not gdlib. Its first code cell therefore installs gdlib from the book's
repository, whose address is set once, in ``_config.yml`` (``repository.url`` and
``repository.branch``). Everywhere else (a local checkout, Binder, CI) gdlib is already
installed and the cell does nothing. The cell is tagged ``remove-cell``, so the web book
does not show it.

    python tools/colab_cell.py          # insert or update the cell in every chapter
    python tools/colab_cell.py --check  # exit 1 if any chapter's cell is missing or stale

``tests/test_colab_cell.py`` checks every chapter against :func:`cell_source` and runs the
cell's logic with and without gdlib installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "remove-cell"
MARKER = "# Colab (or any machine without gdlib): install the book's package first."


def repository(config_path=ROOT / "_config.yml"):
    """(url, branch) of the book's repository, read from ``_config.yml``."""
    text = Path(config_path).read_text()
    block = re.search(r"^repository:\n((?:[ \t]+.*\n?)+)", text, flags=re.M)
    if block is None:
        raise ValueError(f"{config_path} has no repository: section")
    fields = dict(re.findall(r"^[ \t]+(\w+):[ \t]*(\S+)", block.group(1), flags=re.M))
    if "url" not in fields:
        raise ValueError(f"{config_path}: repository.url is not set")
    return fields["url"].rstrip("/"), fields.get("branch", "main")


def requirement(url, branch):
    """The pip requirement that installs gdlib from the repository."""
    return f"gdlib @ git+{url}@{branch}"


def cell_source(url, branch):
    """The text of the setup cell."""
    return f"""{MARKER}
import importlib
import importlib.util
import subprocess
import sys

GDLIB = "{requirement(url, branch)}"
if importlib.util.find_spec("gdlib") is None:
    pip = [sys.executable, "-m", "pip", "install", "--quiet", GDLIB]
    subprocess.run(pip, check=True)
    importlib.invalidate_caches()"""


def chapters():
    toc = (ROOT / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc)
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def setup_cell_index(nb):
    """Index of the existing setup cell, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.source.startswith(MARKER):
            return i
    return None


def first_code_index(nb):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")


def update(path, source):
    """Make the setup cell the first code cell of ``path``, with ``source``."""
    nb = nbformat.read(path, as_version=4)
    i = setup_cell_index(nb)
    if i is None:
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": [TAG]})
    else:
        cell = nb.cells.pop(i)
        cell.source = source
        cell.metadata["tags"] = sorted(set(cell.metadata.get("tags", [])) | {TAG})
    nb.cells.insert(first_code_index(nb), cell)
    nbformat.write(nb, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="report, do not write")
    args = ap.parse_args(argv)
    source = cell_source(*repository())
    stale = []
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        i = setup_cell_index(nb)
        ok = (
            i is not None
            and i == first_code_index(nb)
            and nb.cells[i].source == source
            and TAG in nb.cells[i].metadata.get("tags", [])
        )
        if not ok:
            stale.append(path.name)
            if not args.check:
                update(path, source)
    verb = "stale" if args.check else "updated"
    print(f"{len(stale)} chapter(s) {verb}: {', '.join(stale) or '-'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
