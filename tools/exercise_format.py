"""The nbgrader exercise format of the book: parse it, check it, transform it.

Shared by tools/convert_exercises.py, tools/make_course.py and tests/test_exercises.py.

One exercise with label ``ex-adam-3`` is this run of consecutive cells (see
/tmp/issue10_research.md for a full before/after example):

    ex-adam-3-text    markdown  locked     the {exercise} directive (its text states every
                                           name the tests read) + the {solution-start}
    ex-adam-3-answer  code      solution   given preamble, ### BEGIN SOLUTION ... ### END SOLUTION
    ex-adam-3-tests   code      grade      asserts; ### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS
    ex-adam-3-prose   markdown  solution + grade (manually graded), optional, no markers
    ex-adam-3-end     markdown  locked     the {solution-end}

A second code answer or test cell of the same exercise is ``-answer-2`` / ``-tests-2``.
"""

from __future__ import annotations

import ast
import builtins
import re

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
LABEL_RE = re.compile(r"```\{exercise\}[^\n]*\n:label:\s*(\S+)")
START_RE = re.compile(r"\n*```\{solution-start\}[^\n]*\n(?::[^\n]*\n)*```\n?")
END_RE = re.compile(r"\n*```\{solution-end\}[^\n]*\n(?::[^\n]*\n)*```\n?")
KIND_RE = re.compile(r"^(ex-[A-Za-z0-9_-]+?)-(text|answer|tests|prose|end)(?:-(\d+))?$")


def meta(kind: str, grade_id: str, points: float | None = None) -> dict:
    """The exact nbgrader metadata of a cell of the given kind."""
    base = {"grade_id": grade_id, "schema_version": 3}
    if kind in ("text", "end"):  # read-only given cell
        return {"grade": False, "locked": True, "solution": False, **base}
    if kind == "answer":  # autograded answer (code)
        return {"grade": False, "locked": False, "solution": True, **base}
    if kind == "tests":  # autograder tests
        return {
            "grade": True,
            "locked": True,
            "points": points,
            "solution": False,
            **base,
        }
    if kind == "prose":  # manually graded answer (markdown)
        return {
            "grade": True,
            "locked": False,
            "points": points,
            "solution": True,
            **base,
        }
    raise ValueError(kind)


def src(cell) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def kind_of(cell):
    """(label, kind, n) of an exercise cell, or None for a chapter cell."""
    m = KIND_RE.match(nbg(cell).get("grade_id", ""))
    return (m.group(1), m.group(2), int(m.group(3) or 1)) if m else None


def exercises(nb) -> dict[str, dict[str, list]]:
    """label -> {"text": [cell], "answer": [...], "tests": [...], "prose": [...], "end": [cell]}."""
    out: dict[str, dict[str, list]] = {}
    for cell in nb["cells"]:
        k = kind_of(cell)
        if k:
            out.setdefault(k[0], {}).setdefault(k[1], []).append(cell)
    return out


def is_converted(nb) -> bool:
    return any(kind_of(c) for c in nb["cells"])


def split_answer(code: str) -> tuple[str, str, str]:
    """(given preamble, solution, given code after the solution) of an answer cell."""
    if BEGIN not in code:
        return code, "", ""
    pre, rest = code.split(BEGIN, 1)
    sol, post = rest.split(END, 1)
    return pre, sol, post


def split_tests(code: str) -> tuple[str, str]:
    """(visible tests, hidden tests) of a test cell."""
    if BEGIN_HIDDEN not in code:
        return code, ""
    pre, rest = code.split(BEGIN_HIDDEN, 1)
    hid, post = rest.split(END_HIDDEN, 1)
    return pre + post, hid


# --- names --------------------------------------------------------------------------------

BUILTINS = set(dir(builtins))


def _strip_magics(code: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in code.splitlines()
    )


def assigned_names(code: str) -> set[str]:
    """Names a piece of code binds at top level (assignments, defs, imports, for targets)."""
    names: set[str] = set()
    tree = ast.parse(_strip_magics(code))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for a in node.names:
                names.add((a.asname or a.name).split(".")[0])
    return names


def free_names(code: str) -> set[str]:
    """Names a piece of code reads that it does not bind itself (a cell's inputs)."""
    tree = ast.parse(_strip_magics(code))
    local = assigned_names(code)
    # function arguments and comprehension variables are local too
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            local.add(node.arg)
    loads = {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return loads - local - BUILTINS


def stated_names(text: str) -> set[str]:
    """Identifiers the exercise text states in backticks: `x`, `f(a, b)`, `x.shape`."""
    out = set()
    text = re.sub(r"^\s*```.*$", "", text, flags=re.M)  # directive fences are not names
    for span in re.findall(r"`([^`]+)`", text):
        m = re.match(r"\s*([A-Za-z_]\w*)", span)
        if m:
            out.add(m.group(1))
    return out


def name_problems(nb) -> list[str]:
    """Test-cell names neither given earlier nor (if a solution defines them) stated."""
    given, from_solutions, text, problems = set(), set(), "", []
    for cell in nb["cells"]:
        k = kind_of(cell)
        if cell["cell_type"] != "code":
            if k and k[1] == "text":
                text = src(cell)
            continue
        if k and k[1] == "answer":
            pre, sol, post = split_answer(src(cell))
            given |= assigned_names(pre) | assigned_names(post)
            from_solutions |= assigned_names(sol)
        elif k and k[1] == "tests":
            stated = stated_names(text)
            for name in sorted(free_names(src(cell))):
                if name in from_solutions and name not in stated:
                    problems.append(
                        f"{k[0]}: tests read `{name}`, not stated in the text"
                    )
                elif name not in from_solutions and name not in given:
                    problems.append(
                        f"{k[0]}: tests read `{name}`, defined nowhere before"
                    )
            given |= assigned_names(split_tests(src(cell))[0])
        else:
            given |= assigned_names(src(cell))
    return problems


# --- transforms for the course and the student edition ------------------------------------


def strip_solution_directives(text: str) -> str:
    """Remove {solution-start}/{solution-end} blocks (the released notebook has no solution)."""
    return END_RE.sub("\n", START_RE.sub("\n", text)).strip("\n")


def solution_lines(nb) -> set[str]:
    """Lines of every solution region that appear nowhere else in the notebook.

    A line shared with given code (``)``, ``else:``, ``return th``...) is not evidence of a
    leak; everything else in a solution region or a hidden-test region is.
    """
    secret, given = set(), set()
    for cell in nb["cells"]:
        s, k = src(cell), kind_of(cell)
        if cell["cell_type"] != "code" or not k:
            given |= {ln.strip() for ln in s.splitlines()}
            continue
        if k[1] == "answer":
            pre, sol, post = split_answer(s)
            given |= {ln.strip() for ln in (pre + post).splitlines()}
            secret |= {ln.strip() for ln in sol.splitlines()}
        elif k[1] == "tests":
            vis, hid = split_tests(s)
            given |= {ln.strip() for ln in vis.splitlines()}
            secret |= {ln.strip() for ln in hid.splitlines()}
        else:
            given |= {ln.strip() for ln in s.splitlines()}
    return {ln for ln in secret - given if len(ln) >= 8 and not ln.startswith("###")}


def prose_sentences(nb) -> set[str]:
    """Sentences (normalized whitespace, >= 20 chars) of every manually graded answer."""
    out = set()
    for cell in nb["cells"]:
        k = kind_of(cell)
        if k and k[1] == "prose":
            text = " ".join(src(cell).split())
            out |= {
                s.strip()
                for s in re.split(r"(?<=[.!?])\s+", text)
                if len(s.strip()) >= 20
            }
    return out
