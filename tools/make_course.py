"""Turn chapters of the book into an nbgrader course, and optionally a student web edition.

    python tools/make_course.py --chapters adam rmsprop      # or --all
    python tools/make_course.py --all --out course --student-book --launch-repo URL
    python tools/make_course.py --chapters adam --grade-check   # also autograde 3 submissions

It writes, under --out (default course/):

    nbgrader_config.py        course id, per-cell timeout, no exchange
    source/<chapter>/<chapter>.ipynb   the instructor notebook ({solution-*} directives removed)
    release/<chapter>/<chapter>.ipynb  made by `nbgrader generate_assignment <chapter>`
    gradebook.db
    cell_times.json           measured slowest cell of each chapter (cache, keyed by content)
    student_book/             with --student-book: the web book built from the released
                              notebooks (HTML in student_book/_build/html)

and then scans every released notebook (and the student web edition) for any line of any
solution, any hidden test and any sentence of any prose answer; a leak is an error.

The per-cell timeout is max(30 s, margin x the slowest cell of any chosen chapter), measured by
executing the instructor notebooks (cached in cell_times.json) unless --timeout is given.
Autograding runs the whole notebook, so the slowest cell of the chapter body counts, not only
the exercises.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercise_format as ef  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NBGRADER = [sys.executable, "-m", "nbgrader"]


def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_chapters() -> list[str]:
    """Chapter notebooks in reading order (stems)."""
    files = re.findall(r"file:\s*book/(\S+)", (ROOT / "_toc.yml").read_text())
    return [f for f in files if (BOOK / f"{f}.ipynb").exists()]


# --- source notebooks ---------------------------------------------------------------------


def source_notebook(chapter: str):
    """The instructor notebook as nbgrader's source: solution directives removed.

    The {solution-start}/{solution-end} directives only make the web book's dropdowns; in the
    released notebook they would be stray code fences around a stub, so they go. The text
    cells stay locked, and their checksums are computed after this change. Exercise code
    cells lose their figure metadata: the caption of a solution's plot describes the answer.
    """
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    if not ef.is_converted(nb):
        raise SystemExit(f"{chapter}: exercises not in the nbgrader format yet")
    cells = []
    for cell in nb.cells:
        if ef.kind_of(cell) and cell.cell_type == "code":
            # a figure caption or alt text of a solution's plot describes the answer
            cell.metadata.pop("mystnb", None)
        if cell.cell_type == "markdown" and "{solution-" in cell.source:
            cell.source = ef.strip_solution_directives(cell.source)
            if not cell.source.strip():
                continue  # an {solution-end} cell: nothing left
        cells.append(cell)
    nb.cells = cells
    return nb


# --- the per-cell timeout -----------------------------------------------------------------


def slowest_cell(chapter: str, cache: dict) -> float:
    """Wall time of the slowest code cell of the instructor notebook (seconds), cached."""
    path = BOOK / f"{chapter}.ipynb"
    key = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    if cache.get(chapter, {}).get("key") == key:
        return cache[chapter]["max_cell"]
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    )
    times = []
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                t = time.perf_counter()
                client.execute_cell(cell, i)
                times.append(time.perf_counter() - t)
    cache[chapter] = {"key": key, "max_cell": max(times), "total": sum(times)}
    return cache[chapter]["max_cell"]


def write_config(out: Path, course_id: str, timeout: int) -> None:
    (out / "nbgrader_config.py").write_text(
        f"""# Written by tools/make_course.py; edit the tool, not this file.
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}
# Autograding executes the whole chapter: the slowest cell of any chapter, with a margin.
c.Execute.timeout = {timeout}
c.ExecutePreprocessor.timeout = {timeout}
# No exchange: assignments are handed out and collected outside nbgrader (LMS, git).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
"""
    )


def nbgrader(out: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run([*NBGRADER, *args], cwd=out, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{r.stdout}\n{r.stderr}")
    return r


def generate(out: Path, chapters: list[str]) -> None:
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(out)).load_config()
    cfg.CourseDirectory.root = str(out)
    api = NbGraderAPI(config=cfg)
    for ch in chapters:
        r = api.generate_assignment(ch, force=True)
        if not r["success"]:
            raise SystemExit(
                f"nbgrader generate_assignment {ch} failed:\n{r['error']}\n{r['log']}"
            )


# --- leak scan ----------------------------------------------------------------------------


def secrets(chapter: str) -> tuple[set[str], set[str]]:
    """(solution and hidden-test lines, prose-answer shingles) of a chapter."""
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    shingles = set()
    for sentence in ef.prose_sentences(nb):
        words = normalize(_without_math(sentence)).split()
        if len(words) < 5:  # mostly math: too few words to tell a leak from chance
            continue
        n = min(8, len(words))
        shingles |= {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
    return ef.solution_lines(nb), shingles


def _without_math(text: str) -> str:
    """Text with its math removed: $...$ (notebooks) and \\(...\\) (built pages)."""
    # line by line, so that a lone "$" (in code, say) cannot pair with one far away
    return re.sub(r"\$[^$\n]*\$|\\\([^\n]*?\\\)", " ", text)


def normalize(text: str) -> str:
    return " ".join(re.sub(r"[^\w.]+", " ", text.lower()).split())


def strings(obj):
    """Every string in a JSON document: sources, outputs, metadata."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def scan_text(text: str, lines: set[str], shingles: set[str]) -> list[str]:
    present = {ln.strip() for ln in text.splitlines()}  # whole lines, not substrings
    found = [f"solution line: {ln!r}" for ln in lines if ln in present]
    # the prose shingles were made without math, so look for them in text without math too
    norm = normalize(text) + "\n" + normalize(_without_math(text))
    found += [f"prose answer: {s!r}" for s in shingles if s in norm]
    return found


def scan_notebook(path: Path, lines, shingles) -> list[str]:
    doc = json.loads(path.read_text())
    text = "\n".join(ln.strip() for s in strings(doc) for ln in s.splitlines())
    return [f"{path}: {f}" for f in scan_text(text, lines, shingles)]


def public_content(paths) -> tuple[set[str], str]:
    """(stripped lines, normalized text) of the files a student edition publishes."""
    texts = []
    for path in paths:
        if path.suffix == ".ipynb":
            texts += list(strings(json.loads(path.read_text())))
        else:
            texts.append(path.read_text())
    lines = {ln.strip() for t in texts for ln in t.splitlines()}
    joined = "\n".join(texts)
    return lines, normalize(joined) + "\n" + normalize(_without_math(joined))


def scan_site(site: Path, lines, shingles) -> list[str]:
    """Every file of a built site: pages (tags stripped), _sources, search index, scripts."""
    found = []
    for f in site.rglob("*"):
        if not f.is_file() or f.suffix in (
            ".png",
            ".svg",
            ".woff",
            ".woff2",
            ".ico",
            ".gif",
        ):
            continue
        raw = f.read_text(errors="replace")
        if f.suffix == ".ipynb":
            found += scan_notebook(f, lines, shingles)
            continue
        text = (
            html.unescape(re.sub(r"<[^>]+>", "", raw)) if f.suffix == ".html" else raw
        )
        text = "\n".join(ln.strip() for ln in text.splitlines())
        found += [f"{f}: {x}" for x in scan_text(text, lines, shingles)]
    return found


# --- the student web edition --------------------------------------------------------------


_XREF = re.compile(r"\{(doc|ref|numref)\}`([^`<]*?)\s*(?:<([^>`]+)>)?`")


def _unlink_missing(text: str, released: set[str]) -> str:
    """Cross-references to chapters left out of the student edition become plain text."""

    def chapter_of(role, target):
        if role == "doc":
            name = target.rsplit("/", 1)[-1]
            return None if (BOOK / f"{name}.md").exists() else name
        for name in sorted(toc_chapters(), key=len, reverse=True):
            for form in {name, name.replace("_", "-")}:
                if target.startswith((f"ex-{form}-", f"fig-{form}-")):
                    return name
        return None

    def sub(m):
        role, text_, target = m.group(1), m.group(2).strip(), m.group(3)
        target = (target or text_).strip()
        chapter = chapter_of(role, target)
        if chapter is None or chapter in released:
            return m.group(0)
        return text_ if m.group(3) else f"the chapter *{chapter.replace('_', ' ')}*"

    return _XREF.sub(sub, text)


def student_book(
    out: Path, chapters: list[str], launch_repo: str, execute: bool
) -> Path:
    """A Jupyter Book of the released notebooks: no solutions, launch buttons set or off."""
    sb = out / "student_book"
    if sb.exists():
        shutil.rmtree(sb)
    (sb / "book").mkdir(parents=True)
    for item in ("_ext", "_static"):
        shutil.copytree(ROOT / item, sb / item)
    shutil.copy(ROOT / "references.bib", sb)
    for md in BOOK.glob("*.md"):
        shutil.copy(md, sb / "book")
    for ch in chapters:
        nb = nbformat.read(out / "release" / ch / f"{ch}.ipynb", as_version=4)
        for cell in nb.cells:
            if ef.kind_of(cell) and cell.cell_type == "code":
                # the stubs raise NotImplementedError and the tests fail: show no tracebacks
                tags = cell.metadata.setdefault("tags", [])
                if "remove-output" not in tags:
                    tags.append("remove-output")
            cell.metadata.pop(
                "nbgrader", None
            )  # not needed by readers; checksums are noise
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = _unlink_missing(cell.source, set(chapters))
        nbformat.write(nb, sb / "book" / f"{ch}.ipynb")

    # table of contents: the chosen chapters only (other chapters still hold solutions)
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    keep = {f"book/{c}" for c in chapters}
    for part in toc["parts"]:
        part["chapters"] = [
            c
            for c in part["chapters"]
            if c["file"] in keep or (ROOT / f"{c['file']}.md").exists()
        ]
    toc["parts"] = [p for p in toc["parts"] if p["chapters"]]
    (sb / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))

    cfg = book_config()
    cfg["title"] = f"{cfg['title']} (student edition)"
    cfg["execute"]["execute_notebooks"] = "force" if execute else "off"
    cfg["execute"]["allow_errors"] = True  # the stubs raise; their output is removed
    cfg.pop("course", None)
    if launch_repo:
        cfg["repository"] = {"url": launch_repo, "path_to_book": "", "branch": "main"}
    else:  # no repository: no launch, repository, issue or edit buttons
        cfg.pop("repository", None)
        cfg["launch_buttons"] = {"notebook_interface": "jupyterlab"}
        for k in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
            cfg["html"][k] = False
    (sb / "_config.yml").write_text(
        yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    )

    r = subprocess.run(
        [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            str(sb),
            "-W",  # the student edition builds as cleanly as the book
            "-n",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit(
            f"student book build failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        )
    warnings = [ln for ln in r.stderr.splitlines() if "WARNING" in ln]
    print(f"student book: {sb / '_build/html'} ({len(warnings)} build warnings)")
    return sb / "_build" / "html"


# --- grading check ------------------------------------------------------------------------


def grade_check(out: Path, chapter: str) -> dict:
    """Autograde 3 submissions of a chapter; return {student: (code score, code max, manual)}.

    instructor: the source notebook            -> full marks on every autograded cell
    untouched:  the release                    -> 0
    pass:       the release, tests -> `pass`   -> 0 (nbgrader restores locked cells)
    """
    from nbgrader.api import Gradebook

    rel = nbformat.read(out / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    cheat = nbformat.from_dict(json.loads(json.dumps(rel)))
    for cell in cheat.cells:
        if ef.kind_of(cell) and ef.kind_of(cell)[1] == "tests":
            cell.source = "pass"
    subs = {
        "instructor": nbformat.read(out / "source" / chapter / f"{chapter}.ipynb", 4),
        "untouched": rel,
        "pass": cheat,
    }
    for student, nb in subs.items():
        d = out / "submitted" / student / chapter
        d.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, d / f"{chapter}.ipynb")
    nbgrader(out, "autograde", chapter, "--force", "--create")
    result = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for student in subs:
            sn = gb.find_submission_notebook(chapter, chapter, student)
            code_score = sum(g.score for g in sn.grades if g.cell.cell_type == "code")
            code_max = sum(g.max_score for g in sn.grades if g.cell.cell_type == "code")
            manual = [g.name for g in sn.grades if g.needs_manual_grade]
            result[student] = {
                "code_score": code_score,
                "code_max": code_max,
                "total": sn.score,
                "max": sn.max_score,
                "needs_manual": manual,
            }
    return result


# --- main ---------------------------------------------------------------------------------


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--chapters", nargs="+", metavar="CHAPTER", help="e.g. adam rmsprop"
    )
    which.add_argument("--all", action="store_true", help="every converted chapter")
    p.add_argument("--out", type=Path, default=ROOT / "course")
    p.add_argument(
        "--timeout", type=int, help="per-cell timeout (s); default: measured"
    )
    p.add_argument(
        "--margin", type=float, default=3.0, help="timeout = margin x slowest cell"
    )
    p.add_argument(
        "--student-book", action="store_true", help="also build the student edition"
    )
    p.add_argument(
        "--launch-repo",
        help="repository of the released notebooks for the launch buttons "
        "(default: course.student_repository in _config.yml; empty = buttons off)",
    )
    p.add_argument(
        "--execute", action="store_true", help="execute the student edition (figures)"
    )
    p.add_argument("--grade-check", action="store_true", help="autograde 3 submissions")
    a = p.parse_args(argv)

    course = book_config().get("course", {})
    if a.all:
        chapters = [
            c
            for c in toc_chapters()
            if ef.is_converted(nbformat.read(BOOK / f"{c}.ipynb", as_version=4))
        ]
    else:
        chapters = a.chapters
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    # 1. sources
    for ch in chapters:
        d = out / "source" / ch
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        nbformat.write(source_notebook(ch), d / f"{ch}.ipynb")

    # 2. config with the per-cell timeout
    if a.timeout:
        timeout = a.timeout
    else:
        cache_file = out / "cell_times.json"
        cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
        slowest = max(slowest_cell(ch, cache) for ch in chapters)
        cache_file.write_text(json.dumps(cache, indent=1))
        timeout = max(30, math.ceil(a.margin * slowest))
        print(f"slowest cell {slowest:.1f} s -> per-cell timeout {timeout} s")
    write_config(out, course.get("course_id", "gradient-descent-executed"), timeout)

    # 3. release: `nbgrader generate_assignment <chapter> --force`, in-process (0.1 s each
    # instead of ~2 s of start-up per chapter)
    generate(out, chapters)
    print(f"released {len(chapters)} chapter(s) in {time.perf_counter() - t0:.1f} s")

    # 4. leak scan of the released notebooks
    leaks = []
    for ch in chapters:
        lines, shingles = secrets(ch)
        for f in (out / "release" / ch).rglob("*.ipynb"):
            leaks += scan_notebook(f, lines, shingles)

    # 5. the student web edition
    if a.student_book:
        repo = (
            a.launch_repo
            if a.launch_repo is not None
            else course.get("student_repository")
        )
        site = student_book(out, chapters, repo or "", a.execute)
        all_lines, all_shingles = set(), set()
        for ch in toc_chapters():  # every chapter's secrets, also those not released
            nb = nbformat.read(BOOK / f"{ch}.ipynb", as_version=4)
            if ef.is_converted(nb):
                ln, sh = secrets(ch)
                all_lines |= ln
                all_shingles |= sh
        # What the released notebooks and the book's pages show is public: a line of one
        # chapter's solution that another chapter prints in its body is not a leak.
        public_lines, public_text = public_content(
            [out / "release" / ch / f"{ch}.ipynb" for ch in chapters]
            + sorted(BOOK.glob("*.md"))
        )
        all_lines -= public_lines
        all_shingles = {sh for sh in all_shingles if sh not in public_text}
        leaks += scan_site(site, all_lines, all_shingles)

    if leaks:
        print("LEAKS:\n" + "\n".join(leaks[:50]), file=sys.stderr)
        return 1
    print("leak scan: clean")

    # 6. optional: grading check
    if a.grade_check:
        bad = 0
        for ch in chapters:
            t = time.perf_counter()
            r = grade_check(out, ch)
            ok = (
                r["instructor"]["code_score"] == r["instructor"]["code_max"] > 0
                and r["untouched"]["total"] == 0
                and r["pass"]["total"] == 0
            )
            bad += not ok
            print(
                f"{ch}: {'ok' if ok else 'FAIL'} {json.dumps(r)} ({time.perf_counter() - t:.1f} s)"
            )
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
