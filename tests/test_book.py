"""Repository-level checks of the book: clean notebooks, the chapter template, the table of contents."""

import json
import re
import sys
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


# --- what a reader of the web book sees ---------------------------------------------------

sys.path.insert(0, str(ROOT / "tools"))
import audit_inline_math  # noqa: E402

PAGES = NOTEBOOKS + sorted(BOOK.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_math_in_prose_is_typeset(page):
    """No Greek letter, subscript, hat or square root written as plain text in the prose."""
    found = []
    for cell, src in audit_inline_math.sources(page):
        for line in audit_inline_math.mask(src).splitlines():
            for kind, pattern in audit_inline_math.PATTERNS.items():
                found += [(cell, kind, m.group(0)) for m in pattern.finditer(line)]
    assert found == [], f"{page.name}: write these as $...$: {found[:5]}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_sums_up_before_its_exercises(nb):
    heads = [
        line
        for c in cells(nb, "markdown")
        for line in source(c).splitlines()
        if line.startswith("## ")
    ]
    assert "## Summary" in heads and "## Exercises" in heads
    assert heads.index("## Exercises") == heads.index("## Summary") + 1


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_have_captions_and_alt_text(nb):
    """A cell with figure metadata has a caption, a name and real alt text."""
    for cell in cells(nb, "code"):
        meta = cell.get("metadata", {}).get("mystnb", {})
        if "figure" in meta or "image" in meta:
            assert meta.get("figure", {}).get("caption"), f"{nb.name}: caption missing"
            assert meta["figure"].get("name", "").startswith("fig-"), nb.name
            alt = meta.get("image", {}).get("alt", "")
            assert len(alt) > 20 and "$" not in alt, f"{nb.name}: alt text {alt!r}"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_run_time_is_printed(nb):
    """Two builds of the same commit give the same page: no "ran in 34.1 s"."""
    for cell in cells(nb, "code"):
        if "remove-output" in cell.get("metadata", {}).get("tags", []):
            continue
        text = source(cell)
        assert not re.search(
            r"(ran|executed|computations)\b.*\{[^}]*:\.\d?f\} s", text
        ), nb.name


# -- one notation, and checks that earn their place (the theory issue) ---------------------

STALE_REFERENCE = re.compile(
    r"\b(previous|next|following|preceding|last|earlier) chapters?\b|"
    r"\bchapter (before|after) this\b",
    re.I,
)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_chapters_are_referred_to_by_link(nb):
    """ "The next chapter" goes stale when chapters move; a {doc} link is checked by the build."""
    stale = [
        m.group(0)
        for c in cells(nb, "markdown")
        for m in STALE_REFERENCE.finditer(source(c))
    ]
    assert stale == [], f"{nb.name}: use {{doc}} links instead of {stale}"


OLD_TIME_INDEX = re.compile(
    r"\\theta_\{t\s*\+\s*1\}\s*=\s*\\theta_t\b|g_t\s*=\s*\\nabla_?\\?\w*\s*J\(\\theta_t\)"
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_update_rules_use_the_books_time_index(page):
    """Step t reads θ_{t-1} and writes θ_t (notation page): no θ_{t+1} = θ_t − ... forms."""
    if page.suffix == ".md":
        texts = [page.read_text()]
    else:
        texts = [source(c) for c in cells(page)]
    found = [m.group(0) for text in texts for m in OLD_TIME_INDEX.finditer(text)]
    assert found == [], f"{page.name}: {found[:3]}"


def _asserts_that_cannot_fail(code):
    import ast

    lines = [ln for ln in code.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            names = [
                n
                for n in ast.walk(node.test)
                if isinstance(n, (ast.Name, ast.Attribute))
            ]
            if not names:
                found.append(ast.unparse(node.test))
    return found


def test_the_cannot_fail_detector_works():
    assert _asserts_that_cannot_fail("assert 0.9**22 < 0.1 < 0.9**21") == [
        "0.9 ** 22 < 0.1 < 0.9 ** 21"
    ]
    assert _asserts_that_cannot_fail("assert abs(x - 1) < 1e-9") == []


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_assert_compares_constants_only(nb):
    """An assert on literals alone checks nothing the notebook computed."""
    found = [a for c in cells(nb, "code") for a in _asserts_that_cannot_fail(source(c))]
    assert found == [], f"{nb.name}: {found}"
