"""List every external URL a built site LOADS (scripts, stylesheets, fonts, images, iframes,
CSS @import/url(), JS-injected CDN strings), per kind, with the number of pages.
Usage: python tools/external_urls.py _build/html"""

import re
import sys
from collections import defaultdict
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
hits = defaultdict(set)
TAG = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(src|href|data)=[\"'](https?:)?//([^\"']+)[\"']",
    re.I,
)
CSS = re.compile(
    r"(?:@import\s+(?:url\()?|url\()\s*[\"']?(https?:)?//([^\"')\s]+)", re.I
)
JS = re.compile(
    r"[\"'`](https?://[^\"'`\s]+\.(?:js|css|woff2?|ttf|json)(?:\?[^\"'`\s]*)?)[\"'`]"
)
A = re.compile(r"<a\b[^>]*href=[\"'](https?://[^\"']+)", re.I)
links = defaultdict(set)
for f in root.rglob("*"):
    if f.suffix not in {".html", ".css", ".js"} or "mathjax" in f.parts:
        continue
    s = f.read_text(errors="replace")
    rel = str(f.relative_to(root))
    if f.suffix == ".html":
        for m in TAG.finditer(s):
            link = m.group(0)
            if m.group(1).lower() == "link" and not re.search(
                r'rel=["\'](stylesheet|preload|icon|modulepreload|prefetch|dns-prefetch|preconnect)',
                link,
            ):
                continue
            hits[f"<{m.group(1).lower()}> //{m.group(4)}"].add(rel)
        for m in A.finditer(s):
            links[re.sub(r"^(https?://[^/]+).*", r"\1", m.group(1))].add(rel)
        for m in re.finditer(r"<style.*?</style>", s, re.S):
            for c in CSS.finditer(m.group(0)):
                hits[f"inline-css //{c.group(2)}"].add(rel)
    if f.suffix in {".css"}:
        for c in CSS.finditer(s):
            hits[f"css //{c.group(2)}"].add(rel)
    if f.suffix in {".js", ".html"}:
        for m in JS.finditer(s):
            hits[f"js-string {m.group(1)}"].add(rel)
print("== loaded resources (would be fetched by a browser or by scripts)")
for k in sorted(hits):
    print(f"{len(hits[k]):4d} files  {k}   e.g. {sorted(hits[k])[0]}")
print("== plain <a href> links, by host (navigation only, not fetched)")
for k in sorted(links, key=lambda k: -len(links[k])):
    print(f"{len(links[k]):4d} pages  {k}")
