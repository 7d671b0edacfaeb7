"""Repository-level checks of the book: clean notebooks, the chapter template, the table of contents."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(
    p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
BIB_KEYS = set(
    re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), flags=re.M)
)


def cells(nb_path, kind=None):
    nb = json.loads(nb_path.read_text())
    return [c for c in nb["cells"] if kind is None or c["cell_type"] == kind]


def source(cell):
    return (
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    )


def toc_files():
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"file:\s*(\S+)", text) + re.findall(r"root:\s*(\S+)", text)


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(nb):
    for cell in cells(nb, "code"):
        assert cell.get("outputs", []) == [], (
            f"{nb.name}: a code cell has saved outputs; clear them"
        )
        assert cell.get("execution_count") is None, (
            f"{nb.name}: a code cell has an execution count"
        )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_table_of_contents(nb):
    assert str(nb.relative_to(ROOT).with_suffix("")) in toc_files()


def test_every_toc_entry_exists():
    for entry in toc_files():
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), (
            entry
        )


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_follows_the_template(nb):
    md = "\n".join(source(c) for c in cells(nb, "markdown"))
    code = "\n".join(source(c) for c in cells(nb, "code"))
    h1 = re.findall(r"^# \S", md, flags=re.M)
    assert len(h1) == 1 and source(cells(nb, "markdown")[0]).startswith("# "), (
        "exactly one title, first"
    )
    assert re.search(r"^import sympy|^from sympy|sympy as sp", code, flags=re.M), (
        "derives with SymPy"
    )
    assert re.search(r"^import gdlib|^from gdlib", code, flags=re.M), "imports gdlib"
    assert code.count("assert ") >= 5, "checks its claims with asserts"
    assert "{cite" in md, "cites its sources"
    exercises = re.findall(r"```\{exercise\}", md)
    starts = re.findall(r"```\{solution-start\}\s+(\S+)\s*\n:class: dropdown", md)
    ends = re.findall(r"```\{solution-end\}", md)
    assert len(exercises) >= 3, "ends with at least three exercises"
    assert len(starts) == len(ends) >= 3, (
        "every solution is a dropdown with a start and an end"
    )
    assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") >= 1


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_citations_exist_in_the_bibliography(nb):
    md = "\n".join(source(c) for c in cells(nb, "markdown"))
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", md):
        for key in group.split(","):
            assert key.strip() in BIB_KEYS, f"{nb.name} cites unknown key {key!r}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_python3_kernel(nb):
    meta = json.loads(nb.read_text())["metadata"]
    assert meta["kernelspec"]["name"] == "python3"


def test_bibliography_holds_the_reference_list_of_the_overview():
    overview = [
        "robbins1951stochastic",
        "darken1992learning",
        "dauphin2014identifying",
        "sutton1986two",
        "qian1999momentum",
        "nesterov1983method",
        "bengio2013advances",
        "sutskever2013training",
        "duchi2011adaptive",
        "dean2012large",
        "pennington2014glove",
        "zeiler2012adadelta",
        "kingma2015adam",
        "heusel2017gans",
        "dozat2016incorporating",
        "huang2017densely",
        "johnson2017google",
        "reddi2018convergence",
        "loshchilov2019decoupled",
        "ma2019quasi",
        "lucas2019aggregated",
        "niu2011hogwild",
        "mcmahan2014delay",
        "abadi2015tensorflow",
        "zhang2015deep",
        "lecun1998efficient",
        "bengio2009curriculum",
        "zaremba2014learning",
        "ioffe2015batch",
        "neelakantan2015adding",
        "ruder2016overview",
    ]
    assert len(overview) == 31
    assert set(overview) <= BIB_KEYS


def test_labels_are_unique_across_the_book():
    seen = {}
    for nb in NOTEBOOKS:
        md = "\n".join(source(c) for c in cells(nb, "markdown"))
        for label in re.findall(r"^:label:\s*(\S+)", md, flags=re.M):
            assert label not in seen, f"label {label} in {nb.name} and {seen[label]}"
            seen[label] = nb.name
