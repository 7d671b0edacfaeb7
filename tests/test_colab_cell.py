"""Every chapter runs on Colab: its first code cell installs gdlib where it is missing.

The cell's text comes from tools/colab_cell.py and the repository address from _config.yml,
so the address is set in one place. The cell's logic is run here with a fake ``find_spec``
and a fake ``subprocess.run``: nothing is installed when gdlib is importable, and exactly
one ``pip install`` of the repository happens when it is not.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import colab_cell  # noqa: E402

URL, BRANCH = colab_cell.repository()
SOURCE = colab_cell.cell_source(URL, BRANCH)
CHAPTERS = colab_cell.chapters()


def test_the_address_comes_from_config():
    assert URL.startswith("https://github.com/") and "<" not in URL
    assert f"git+{URL}@{BRANCH}" in SOURCE


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_starts_with_the_setup_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source == SOURCE, (
        f"run: python tools/colab_cell.py ({path.name} is stale)"
    )
    assert "remove-cell" in first.metadata.get("tags", []), "hidden in the web book"


def run_cell(monkeypatch, installed):
    calls = []
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        if name == "gdlib":
            return real_find_spec("gdlib") if installed else None
        return real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    exec(compile(SOURCE, "setup-cell", "exec"), {})
    return calls


def test_the_cell_installs_nothing_where_gdlib_is_installed(monkeypatch):
    assert run_cell(monkeypatch, installed=True) == []


def test_the_cell_installs_gdlib_from_the_repository_where_it_is_missing(monkeypatch):
    calls = run_cell(monkeypatch, installed=False)
    assert len(calls) == 1
    (cmd,), kwargs = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert cmd[-1] == f"gdlib @ git+{URL}@{BRANCH}"
    assert kwargs == {"check": True}


def test_the_preface_gives_the_real_repository_address():
    preface = (ROOT / "book" / "preface.md").read_text()
    assert f"git clone {URL}" in preface
    assert "<the repository" not in preface


def test_binder_uses_the_python_the_book_is_tested_with():
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"
