"""Pages that load nothing from other hosts and log no console error (loaded from _config.yml).

* drops sphinx-thebe's inline `const THEBE_JS_URL = "https://unpkg.com/..."` and
  sphinx-thebe.js when thebe is not enabled (launch_buttons.thebe is false): the book has
  no "live code" button, and sphinx-thebe 0.3.1 as loaded by Jupyter Book 1 adds that
  inline script twice, which throws "Identifier 'THEBE_JS_URL' has already been declared";
* removes any other duplicate inline script;
* loads MathJax on every page (Sphinx only adds it to pages whose source has math, so the
  bibliography's $O(1/k^2)$, made math by _ext/bibstyle.py, would stay raw TeX).

_config.yml:
    sphinx:
      local_extensions:
        offline: _ext
"""

from __future__ import annotations


def _clean_scripts(app, pagename, templatename, context, doctree):
    thebe_on = bool(
        app.config.html_theme_options.get("launch_buttons", {}).get("thebe")
    )
    seen, kept = set(), []
    for js in context.get("script_files", []):
        body = getattr(js, "attributes", {}).get("body", "") or ""
        name = getattr(js, "filename", str(js)) or ""
        if not thebe_on and ("THEBE_JS_URL" in body or "sphinx-thebe" in name):
            continue
        key = (name, body)
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    context["script_files"] = kept
    if not thebe_on:
        context["css_files"] = [
            c
            for c in context.get("css_files", [])
            if "sphinx-thebe" not in str(getattr(c, "filename", c))
        ]


def setup(app):
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _clean_scripts, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
