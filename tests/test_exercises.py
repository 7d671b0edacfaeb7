"""Exercises in the nbgrader format: cell format, stated names, release, leaks, grading.

Fast by default (no notebook is executed). The grading test executes chapters under
`nbgrader autograde` and runs only when GRADE_CHAPTERS is set:

    GRADE_CHAPTERS=adam pytest tests/test_exercises.py          # these chapters
    GRADE_CHAPTERS=all pytest tests/test_exercises.py           # every converted chapter
    GRADE_CHAPTERS=changed GRADE_BASE=origin/main pytest ...    # changed since GRADE_BASE,
                                                                # plus GRADE_SAMPLE (2) more,
                                                                # rotating by day
GRADE_TIMEOUT=N skips measuring the per-cell timeout (N seconds instead).
"""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import exercise_format as ef  # noqa: E402
import make_course  # noqa: E402

CHAPTERS = make_course.toc_chapters()
CONVERTED = [
    c
    for c in CHAPTERS
    if ef.is_converted(json.loads((ROOT / "book" / f"{c}.ipynb").read_text()))
]


def load(chapter):
    return nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)


def test_every_chapter_is_converted():
    """Every chapter's exercises are in the nbgrader format."""
    missing = sorted(set(CHAPTERS) - set(CONVERTED))
    assert not missing, f"not in the nbgrader format: {', '.join(missing)}"


@pytest.mark.parametrize("chapter", CONVERTED)
def test_exercise_cells_have_the_format(chapter):
    nb = load(chapter)
    ids = [ef.nbg(c)["grade_id"] for c in nb.cells if "grade_id" in ef.nbg(c)]
    assert len(ids) == len(set(ids)), "grade_ids are unique"
    labels = ef.LABEL_RE.findall(
        "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    )
    exs = ef.exercises(nb)
    assert list(exs) == labels, (
        "every exercise (and only those) has nbgrader cells, in order"
    )
    first = next(i for i, c in enumerate(nb.cells) if ef.kind_of(c))
    for i, cell in enumerate(nb.cells):
        s, k = cell.source, ef.kind_of(cell)
        if i >= first:
            assert k, f"cell {i} after the first exercise has no exercise grade_id"
        if not k:
            assert "nbgrader" not in cell.metadata, (
                f"cell {i}: nbgrader metadata, no grade_id"
            )
            assert ef.BEGIN not in s and ef.BEGIN_HIDDEN not in s, f"cell {i}: markers"
            continue
        label, kind, n = k
        gid = f"{label}-{kind}" + (f"-{n}" if n > 1 else "")
        want = ef.meta(kind, gid, ef.nbg(cell).get("points"))
        assert ef.nbg(cell) == want, f"{gid}: metadata"
        assert cell.get("id") == gid, f"{gid}: cell id = grade_id"
        assert cell.cell_type == (
            "code" if kind in ("answer", "tests") else "markdown"
        ), gid
        if kind in ("tests", "prose"):
            assert ef.nbg(cell)["points"] > 0, gid
        if kind == "answer":
            assert s.count(ef.BEGIN) == s.count(ef.END) == 1, (
                f"{gid}: one solution region"
            )
        else:
            assert ef.BEGIN not in s and ef.END not in s, f"{gid}: solution markers"
        if kind != "tests":
            assert ef.BEGIN_HIDDEN not in s, f"{gid}: hidden-test markers"
        else:
            assert s.count(ef.BEGIN_HIDDEN) == s.count(ef.END_HIDDEN) <= 1, gid
    for label, parts in exs.items():
        assert len(parts.get("text", [])) == 1 and len(parts.get("end", [])) == 1, label
        assert parts.get("answer") and parts.get("tests"), f"{label}: answer and tests"
        assert f":label: {label}" in parts["text"][0].source
        assert "{solution-start}" in parts["text"][0].source, label
        assert "{solution-end}" in parts["end"][0].source, label


@pytest.mark.parametrize("chapter", CONVERTED)
def test_tests_read_only_stated_or_given_names(chapter):
    """A name a test reads is given (defined outside every solution region, earlier) or, if
    a solution defines it, stated in backticks in the exercise text."""
    assert ef.name_problems(load(chapter)) == []


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """Every converted chapter released (no execution: fixed timeout), leak scan included."""
    out = tmp_path_factory.mktemp("course")
    assert make_course.main(["--all", "--out", str(out), "--timeout", "30"]) == 0
    return out


@pytest.mark.parametrize("chapter", CONVERTED)
def test_chapter_releases_without_leaks(course, chapter):
    release = course / "release" / chapter / f"{chapter}.ipynb"
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        assert ef.BEGIN not in cell.source and ef.BEGIN_HIDDEN not in cell.source
        assert "{solution-" not in cell.source
        assert cell.get("outputs", []) == []
    lines, shingles = make_course.secrets(chapter)
    assert make_course.scan_notebook(release, lines, shingles) == []


@pytest.mark.parametrize("chapter", CONVERTED)
def test_leak_scan_finds_planted_leaks(course, tmp_path, chapter):
    """The scan is not vacuous: a solution line hidden in an output and a prose sentence hidden
    in metadata are both found."""
    lines, shingles = make_course.secrets(chapter)
    assert lines, "the chapter has solution lines to look for"
    nb = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    planted = tmp_path / "planted.ipynb"
    for line in sorted(lines)[::7]:  # a spread of the solution lines, each on its own
        code.outputs = [nbformat.v4.new_output("stream", text=f"  {line}  \n")]
        nbformat.write(nb, planted)
        assert make_course.scan_notebook(planted, lines, shingles), line
    code.outputs = []
    for prose in sorted(ef.prose_sentences(load(chapter))):  # every written answer
        words = make_course.normalize(make_course._without_math(prose)).split()
        if len(words) < 5:  # mostly math: not shingled (see make_course.secrets)
            continue
        nb.metadata["note"] = prose.upper()
        nbformat.write(nb, planted)
        assert make_course.scan_notebook(planted, lines, shingles), prose


def chapters_to_grade():
    want = os.environ.get("GRADE_CHAPTERS", "").split()
    if want == ["all"]:
        return CONVERTED
    if want == ["changed"]:
        base = os.environ.get("GRADE_BASE", "origin/main")
        diff = subprocess.run(
            [
                "git",
                "diff",
                "--name-only",
                f"{base}...HEAD",
                "--",
                "book",
                "gdlib",
                "tools",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if any(not f.startswith("book/") for f in diff):  # gdlib or tools changed: all
            return CONVERTED
        changed = [c for c in CONVERTED if f"book/{c}.ipynb" in diff]
        rest = [c for c in CONVERTED if c not in changed]
        k, day = (
            int(os.environ.get("GRADE_SAMPLE", "2")),
            datetime.date.today().toordinal(),
        )
        sample = [rest[(day * k + i) % len(rest)] for i in range(min(k, len(rest)))]
        return changed + sorted(set(sample))
    return [c for c in want if c in CONVERTED]


@pytest.mark.skipif(not os.environ.get("GRADE_CHAPTERS"), reason="set GRADE_CHAPTERS")
@pytest.mark.parametrize("chapter", chapters_to_grade() or ["(none)"])
def test_autograding(tmp_path, chapter):
    """Instructor solution: full marks on every autograded cell; untouched release: 0; release
    with every test cell replaced by `pass`: 0. Scores come from the gradebook database."""
    if chapter == "(none)":
        pytest.skip("no chapter selected")
    args = ["--chapters", chapter, "--out", str(tmp_path)]
    if os.environ.get("GRADE_TIMEOUT"):
        args += ["--timeout", os.environ["GRADE_TIMEOUT"]]
    assert make_course.main(args) == 0
    r = make_course.grade_check(tmp_path, chapter)
    inst = r["instructor"]
    assert inst["code_score"] == inst["code_max"] > 0, r
    assert all("-prose" in g for g in inst["needs_manual"]), (
        r
    )  # prose waits for a human
    assert r["untouched"]["total"] == 0 and r["pass"]["total"] == 0, r
