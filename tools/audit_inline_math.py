"""List prose in book/*.ipynb (markdown cells) and book/*.md with math written as plain text.

Masks $...$, $$...$$, ```code```, `inline code`, {math} roles, MyST directives'
option lines, HTML tags, and URLs, then looks for unicode math and ASCII subscripts.
Usage: python tools/audit_inline_math.py [--examples N]
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

UNICODE_MATH = (
    "αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΦΨΩ"
    "√∑∏∫∂∇∞≈≠≤≥±×÷·∈∉⊂⊆∪∩→←↦⇒⇔‖²³⁴⁻¹⁰ⁿ₀₁₂₃₄₅₆₇₈₉ₜₖᵢ"
    "̂̄"  # combining hat / bar (v̂, m̄)
    "ℝ𝔼"
)
PATTERNS = {
    # one hit per run of math-ish text: θ₁², √v̂, β2^{t−1}, 2(1 + γ)/L counts once per token
    "unicode": re.compile(
        r"[^\s,;:.!?]*[" + re.escape(UNICODE_MATH) + r"][^\s,;:.!?]*"
    ),
    # m_t, v_hat, g_{t,i}, theta_t, x_k ... (identifier with underscore subscript)
    "ascii_subscript": re.compile(
        r"(?<![\w/\\.-])[A-Za-z]{1,6}_(?:\{[^}]*\}|[A-Za-z0-9]{1,3})(?![\w(])"
    ),
    # beta1, beta2, eps, E[g^2], x^2 ...
    "ascii_greek_digit": re.compile(
        r"\b(?:alpha|beta|gamma|eta|epsilon|theta|lambda|rho|mu)\d\b"
    ),
    "bracket_expect": re.compile(r"\bE\[[^\]]+\]"),
    "caret_power": re.compile(r"(?<![\w`])[A-Za-z0-9)\]]\^[0-9A-Za-z{(]"),
}


def mask(text: str) -> str:
    # fenced blocks: drop code/math bodies, keep prose directives (exercise, note, figure captions)
    text = re.sub(
        r"```(?:\{(?:code-cell|code-block|code|math)\}|[a-z]*\n).*?```",
        " ",
        text,
        flags=re.DOTALL,
    )
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", " ", text, flags=re.DOTALL)
    text = re.sub(
        r"(?<!\\)\$(?:[^$\n]|\n(?!\s*\n))+?(?<!\\)\$", " ", text
    )  # may span one line break
    text = re.sub(r"\{math\}`[^`]*`", " ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)  # inline code
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\{(?:cite|cite:[a-z]+|ref|numref|eq|doc)\}`[^`]*`", " ", text)
    text = re.sub(
        r"^\s*:[\w-]+:.*$", " ", text, flags=re.MULTILINE
    )  # directive options (:label: eq_x)
    text = re.sub(r"\(([\w-]+)\)=", " ", text)  # (label)= targets
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(
        r"\[[^\]]*\]\((?:[^)]*)\)", lambda m: m.group(0).split("](")[0] + "]", text
    )  # link targets
    return text


def sources(path: Path):
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        for i, c in enumerate(nb["cells"]):
            if c["cell_type"] == "markdown":
                yield i, "".join(c["source"])
    else:
        yield 0, path.read_text()


def main():
    n_ex = (
        int(sys.argv[sys.argv.index("--examples") + 1])
        if "--examples" in sys.argv
        else 3
    )
    total = Counter()
    for path in sorted(Path("book").glob("*.ipynb")) + sorted(
        Path("book").glob("*.md")
    ):
        hits = []
        for cell, src in sources(path):
            masked = mask(src)
            for _lineno, line in enumerate(masked.splitlines(), 1):
                for kind, pat in PATTERNS.items():
                    for m in pat.finditer(line):
                        s, e = max(0, m.start() - 30), min(len(line), m.end() + 30)
                        hits.append((cell, kind, m.group(0), line[s:e].strip()))
        # count distinct (cell, line-token) occurrences
        kinds = Counter(h[1] for h in hits)
        total.update(kinds)
        ncells = len({h[0] for h in hits})
        print(
            f"{path}: {len(hits)} hits in {ncells} cells: "
            + " ".join(f"{k}={v}" for k, v in sorted(kinds.items()))
        )
        seen = set()
        for cell, kind, tok, ctx in hits:
            if (tok, kind) in seen:
                continue
            seen.add((tok, kind))
            if len(seen) > n_ex:
                break
            print(f"    cell {cell:>3} [{kind}] {tok!r}: …{ctx}…")
    print("TOTAL", sum(total.values()), dict(total))


if __name__ == "__main__":
    main()
