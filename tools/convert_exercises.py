"""Convert a chapter's exercises to the nbgrader cell format (one-off, hand-guided).

    python tools/convert_exercises.py adam          # rewrites book/adam.ipynb in place
    python tools/convert_exercises.py adam --check  # only print what it would produce

The mechanical part is generic: the exercise region (from "## Exercises" to the end) is cut
into exercises; each becomes a locked text cell ({exercise} + {solution-start}), an answer
cell (given preamble + ### BEGIN/END SOLUTION), a locked test cell (the asserts that followed
### END SOLUTION), a manually graded markdown cell per prose answer, and a locked
{solution-end} cell, each with nbgrader metadata and grade_id/cell id "<label>-<kind>".

The judgment calls are per chapter, in SPECS below (one dict per exercise label):

    define   sentence appended inside the {exercise} directive, stating every name (and its
             type/shape) that the tests read and the student's code must define
    replace  [(old, new), ...] edits of the exercise text (e.g. state the start point)
    given    solution lines to move above ### BEGIN SOLUTION (names the tests read that the
             student should not have to invent: SymPy symbols, data)
    hidden   substrings: every test statement containing one goes between
             ### BEGIN HIDDEN TESTS / ### END HIDDEN TESTS (tests that give the answer away)
    extra_hidden  more hidden test code, appended to the hidden block
    points   points of the test cell (default: its number of assert statements)
    prose    a prose answer to add (when the solution had none); prose_points (default 2)
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exercise_format import (
    BEGIN,
    BEGIN_HIDDEN,
    END,
    END_HIDDEN,
    END_RE,
    START_RE,
    meta,
    src,
)

ROOT = Path(__file__).resolve().parents[1]

SPECS: dict[str, dict[str, dict]] = {
    "adam": {
        "ex-adam-1": {
            "given": [
                'g1 = sp.symbols("g_1", nonzero=True, real=True)',
                'bb1, bb2, ee = sp.symbols("beta_1 beta_2 eta", positive=True)',
            ],
            "define": (
                "Work with the given SymPy symbols `g1` ($g_1$), `bb1`, `bb2` ($\\beta_1$, "
                "$\\beta_2$) and `ee` ($\\eta$). Define `first_step` and `first_step_nobc`, "
                "the first step with and without bias correction as SymPy expressions in "
                "these symbols, and `ratio_defaults`, the factor "
                "$(1 - \\beta_1)/\\sqrt{1 - \\beta_2}$ for the defaults as a Python `float`."
            ),
            "hidden": ["ratio_defaults"],
        },
        "ex-adam-2": {
            "given": [
                'eta0, mh, vh, big = sp.symbols("eta_0 mhat vhat epsilon", positive=True)',
            ],
            "define": (
                "With the given positive symbols `eta0` ($\\eta_0$), `mh` ($\\hat m_t$), "
                "`vh` ($\\hat v_t$) and `big` ($\\epsilon$), define `limit_step`, the limit "
                "as a SymPy expression. Start both runs at $(1, 1.5)$ and define `theta_a`, "
                "the `gdlib.Adam` iterates, and `theta_b`, those of the momentum iteration, "
                "each a NumPy array of shape `(201, 2)` that includes the start."
            ),
        },
        "ex-adam-3": {
            "replace": [
                (
                    "for 50 steps on the ravine to $10^{-12}$.",
                    "for 50 steps on the ravine (`gdlib.ravine`) from\n"
                    "$(-8, 2)$ with $\\eta = 0.1$ to $10^{-12}$.",
                )
            ],
            "define": (
                "Define `adam_update` with that signature (`g`, `m` and `v` NumPy arrays, "
                "`t` an `int`, starting from `(0, np.zeros(2), np.zeros(2))`) and `path_f`, "
                "the 51 iterates including the start, as a list of arrays or an array of shape `(51, 2)`."
            ),
            "extra_hidden": (
                "theta_h, state_h = np.array([3.0, -1.0]), (0, np.zeros(2), np.zeros(2))\n"
                "for _ in range(20):\n"
                "    step_h, state_h = adam_update(\n"
                "        gdlib.ravine.grad(theta_h), state_h, eta=0.05, beta2=0.99\n"
                "    )\n"
                "    theta_h = theta_h - step_h\n"
                "ref_h = gdlib.run(\n"
                "    gdlib.Adam(eta=0.05, beta2=0.99), gdlib.ravine, [3.0, -1.0], 20\n"
                ").thetas[-1]\n"
                "assert np.max(np.abs(theta_h - ref_h)) < 1e-12\n"
            ),
        },
        "ex-adam-4": {
            "define": (
                "Define the four Python `float`s `peak_bc` and `final_bc` (with bias "
                "correction) and `peak_nobc` and `final_nobc` (without), and explain the "
                "difference in the answer cell below the tests."
            ),
            "hidden": ["peak_nobc > 2 * peak_bc"],
            "prose": (
                "Without bias correction the largest first-epoch mini-batch loss is about "
                "27, more than three times the 8 seen with it: the uncorrected first steps "
                "start at about $3.2$ times their corrected length and grow to more than "
                "$6.5$ times it, because $v_t$ starts much further below its mean than "
                "$m_t$; the weights overshoot and the loss spikes. The damage lasts: after 20 "
                "epochs the uncorrected run ends at a training loss of about 0.67, three "
                "times the 0.23 of Adam with the correction."
            ),
        },
    },
}


def new_cell(
    cell_type: str, source: str, kind: str, label: str, n: int = 1, points=None
):
    gid = f"{label}-{kind}" + (f"-{n}" if n > 1 else "")
    cell = {
        "cell_type": cell_type,
        "id": gid,
        "metadata": {},
        "source": source.strip("\n"),
    }
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    cell["metadata"]["nbgrader"] = meta(kind, gid, points)
    return cell


def statements(code: str) -> list[str]:
    """Top-level statements of code, each with the comment lines directly above it."""
    lines = code.strip("\n").splitlines()
    tree = ast.parse(code.strip("\n"))
    out, start = [], 0
    for node in tree.body:
        end = node.end_lineno
        out.append("\n".join(lines[start:end]))
        start = end
    if start < len(lines) and "\n".join(lines[start:]).strip():
        out[-1] += "\n" + "\n".join(lines[start:])
    return out


def n_asserts(code: str) -> int:
    return sum(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(code)))


def chunks(cells):
    """Flatten the exercise region into (kind, payload) tokens."""
    for cell in cells:
        s = src(cell)
        if cell["cell_type"] == "code":
            yield "code", cell
            continue
        pos = 0
        pattern = re.compile(
            r"(```\{exercise\}.*?\n```)|" + START_RE.pattern + "|" + END_RE.pattern,
            re.S,
        )
        for m in pattern.finditer(s):
            if s[pos : m.start()].strip():
                yield "md", s[pos : m.start()]
            tok = m.group(0)
            kind = (
                "exercise"
                if m.group(1)
                else ("start" if "solution-start" in tok else "end")
            )
            yield kind, tok.strip("\n")
            pos = m.end()
        if s[pos:].strip():
            yield "md", s[pos:]


def convert(nb: dict, spec: dict[str, dict]) -> dict:
    cells = nb["cells"]
    first = next(i for i, c in enumerate(cells) if "## Exercises" in src(c))
    out, lead, label, inside = cells[:first], [], None, False
    cur: dict = {}

    for kind, payload in chunks(cells[first:]):
        if kind == "md" and not inside:
            lead.append(
                payload.strip("\n")
            )  # e.g. "## Exercises": goes into the next text cell
        elif kind == "exercise":
            label = re.search(r":label:\s*(\S+)", payload).group(1)
            s = spec.get(label, {})
            text = payload
            for old, new in s.get("replace", []):
                assert old in text, (label, old)
                text = text.replace(old, new)
            if s.get("define"):
                body, fence = text.rsplit("```", 1)
                text = body.rstrip("\n") + "\n\n" + wrap(s["define"]) + "\n```" + fence
            cur = {
                "label": label,
                "text": "\n\n".join([*lead, text]),
                "answers": [],
                "prose": [],
            }
            lead = []
        elif kind == "start":
            cur["text"] += "\n\n" + payload
            inside = True
        elif kind == "code":
            assert inside, f"code cell outside a solution after {label}"
            cur["answers"].append(src(payload))
        elif kind == "md":
            cur["prose"].append(payload.strip("\n"))
        elif kind == "end":
            inside = False
            out += emit(cur, spec.get(cur["label"], {}), payload)
    assert not lead and not inside, "text after the last exercise"
    nb["cells"] = out
    return nb


def wrap(text: str, width: int = 95) -> str:
    """Wrap prose at `width` columns without breaking inside $...$ math."""
    words, lines, line = re.findall(r"(?:\$[^$]*\$|[^\s$])+", text), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return "\n".join([*lines, line])


def emit(cur, s, end_payload):
    label = cur["label"]
    cells = [new_cell("markdown", cur["text"], "text", label)]
    for n, code in enumerate(cur["answers"], 1):
        assert BEGIN in code and END in code, f"{label}: answer without markers"
        pre, rest = code.split(BEGIN, 1)
        sol, tests = rest.split(END, 1)
        given = s.get("given", [])
        for line in given:
            assert line in sol, (label, line)
            sol = sol.replace(line + "\n", "", 1)
        pre = (pre.rstrip("\n") + "\n" if pre.strip() else "") + "".join(
            line + "\n" for line in given
        )
        cells.append(
            new_cell(
                "code", f"{pre}{BEGIN}\n{sol.strip(chr(10))}\n{END}", "answer", label, n
            )
        )
        visible, hidden = [], []
        for stmt in statements(tests) if tests.strip() else []:
            (hidden if any(h in stmt for h in s.get("hidden", [])) else visible).append(
                stmt
            )
        hidden_code = "\n".join(hidden)
        if n == len(cur["answers"]) and s.get("extra_hidden"):
            hidden_code = (hidden_code + "\n" + s["extra_hidden"]).strip("\n")
        test_src = "\n".join(visible)
        if hidden_code:
            test_src += f"\n{BEGIN_HIDDEN}\n{hidden_code.strip(chr(10))}\n{END_HIDDEN}"
        if test_src.strip():
            pts = s.get("points") or n_asserts(test_src.replace("###", "#"))
            cells.append(new_cell("code", test_src, "tests", label, n, points=pts))
    prose = cur["prose"] or ([wrap(s["prose"])] if s.get("prose") else [])
    for n, text in enumerate(prose, 1):
        cells.append(
            new_cell("markdown", text, "prose", label, n, s.get("prose_points", 2))
        )
    cells.append(new_cell("markdown", end_payload, "end", label))
    return cells


def specs_for(chapter):
    """The chapter's judgment calls: SPECS above, or tools/exercise_specs/<chapter>.py
    (a module defining SPECS = {label: {...}}), so that chapters can be done in parallel."""
    if chapter in SPECS:
        return SPECS[chapter]
    path = ROOT / "tools" / "exercise_specs" / f"{chapter}.py"
    if not path.exists():
        return {}
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace["SPECS"]


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("chapter")
    p.add_argument(
        "--check", action="store_true", help="print the result, do not write"
    )
    a = p.parse_args(argv)
    path = ROOT / "book" / f"{a.chapter}.ipynb"
    nb = json.loads(path.read_text())
    nb = convert(nb, specs_for(a.chapter))
    nb = nbformat.from_dict(nb)
    if a.check:
        print(nbformat.writes(nb))
    else:
        nbformat.write(nb, path)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
