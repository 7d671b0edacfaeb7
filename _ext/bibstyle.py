"""Author-year bibliography for sphinxcontrib-bibtex 2.7 (loaded from _config.yml).

* `bibtex_default_style: authoryear` -- pybtex's `plain` formatting, sorted by author,
  year, title, with every entry labelled as it is cited: "Kingma and Ba, 2015",
  "Dauphin et al., 2014" (a, b, ... appended when two entries would share a label).
  Pairs with `bibtex_reference_style: author_year`, so {cite:p}`kingma2015adam` reads
  [Kingma and Ba, 2015] and points at the entry labelled [Kingma and Ba, 2015].
* `$...$` inside a BibTeX field (e.g. a title "... Rate of Convergence {$O(1/k^2)$}") is
  rendered as inline math (MathJax) in the bibliography, and without the dollars in
  the citations' hover tooltips. (MathJax must then be on the bibliography page too:
  _ext/offline.py sets the html assets policy to "always".)

_config.yml:
    sphinx:
      local_extensions:
        bibstyle: _ext
      config:
        bibtex_reference_style: author_year
        bibtex_default_style: authoryear
"""

from __future__ import annotations

import re
from collections import Counter
from string import ascii_lowercase

import docutils.nodes
import pybtex_docutils
from pybtex.backends.plaintext import Backend as PlaintextBackend
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.template import field, join


def _last_names(person) -> str:
    return Text.from_latex(
        " ".join(person.prelast_names + person.last_names)
    ).render_as("text")


def _author_year(entry) -> str:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_last_names(p) for p in persons]
    if not names:
        who = entry.fields.get("key") or entry.fields.get("organization") or entry.key
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the author_year citations read them, made unique with a, b, ..."""

    def format_labels(self, sorted_entries):
        sorted_entries = list(sorted_entries)
        labels = [_author_year(e) for e in sorted_entries]
        count, seen = Counter(labels), Counter()
        for label in labels:
            if count[label] > 1:
                yield label + ascii_lowercase[seen[label]]
                seen[label] += 1
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """pybtex's plain style, author-year labels, and DOIs and URLs as text, not links:
    the site links out only to its repository and its launch services."""

    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"

    def format_doi(self, e):
        return join["doi:", field("doi", raw=True)]

    def format_url(self, e):
        return join["URL: ", field("url", raw=True)]

    def format_eprint(self, e):
        return join["arXiv:", field("eprint", raw=True)]


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)

# --- $...$ in BibTeX fields becomes inline math --------------------------------------
_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
_format_str = pybtex_docutils.Backend.format_str


def _format_str_with_math(self, str_: str):
    if "$" not in str_:
        return _format_str(self, str_)
    out, pos = [], 0
    for m in _MATH.finditer(str_):
        if m.start() > pos:
            out.append(docutils.nodes.Text(str_[pos : m.start()]))
        out.append(docutils.nodes.math(m.group(1), m.group(1)))
        pos = m.end()
    if pos < len(str_):
        out.append(docutils.nodes.Text(str_[pos:]))
    return out


pybtex_docutils.Backend.format_str = _format_str_with_math

# Hover tooltips of citations are plain text (pybtex's plaintext backend): drop the
# dollars there, "... Rate of Convergence O(1/k^2)".
_plain_format_str = PlaintextBackend.format_str
PlaintextBackend.format_str = lambda self, str_: _plain_format_str(
    self, _MATH.sub(r"\1", str_)
)


def setup(app):
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
