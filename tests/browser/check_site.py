"""Browser checks of the built book (_build/html), with Debian's chromium via Playwright.

    python tests/browser/check_site.py [_build/html] [--only book/adam.html ...] [--json out.json]

Serves the site on 127.0.0.1 (a threaded http.server in this process), opens every page
and checks, per page:
  mathjax   MathJax 3 loaded from this site, its startup promise resolved, no <mjx-merror>
  raw-tex   no TeX left in the text outside code/outputs: \\( \\) \\[ \\] $$ $...$ \\macro
  images    every <img> complete with naturalWidth > 0
  console   no console error, no uncaught exception, no HTTP status >= 400
  offsite   no request to any host but 127.0.0.1 (such requests are aborted, and listed)
  weight    bytes the page loads (document + every resource) <= 5 MB
  narrow    at 400 px wide, document.documentElement.scrollWidth <= 400
  links     links out go only to the repository and the launch services
  figures   every figure of a chapter has real alt text and a caption
and two interactions:
  play      on book/visualization.html, pressing an animation's play button advances its
            frame slider
  search    on search.html?q=adam, the results link to the Adam chapter
Exit status 0 when every page passes; prints one line per failure.

Needs: pip install playwright (no browser download: `playwright install` is NOT needed),
apt-get install chromium  (uses /usr/bin/chromium, or $CHROMIUM).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--headless",
]
MAX_BYTES = 5 * 1024 * 1024
NARROW = 400

# Text of the page outside code, outputs and rendered math, as a reader sees it.
JS_PROSE_TEXT = r"""() => {
  const skip = 'pre, code, kbd, samp, script, style, noscript, textarea, .highlight,'
    + ' .cell_output, .output, mjx-container, mjx-assistive-mml, .MathJax, svg, math,'
    + ' .bd-search, .search-button, #searchbox';
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement || n.parentElement.closest(skip)) continue;
    out.push(n.textContent);
  }
  return out.join(' ');
}"""

JS_MATHJAX = r"""async () => {
  const mj = window.MathJax;
  if (!mj || !mj.startup) return {present: false};
  let error = null;
  try { await mj.startup.promise; } catch (e) { error = String(e); }
  const src = [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s));
  return {present: true, error, version: mj.version || null, src,
          merror: [...document.querySelectorAll('mjx-merror')].map(e =>
            e.getAttribute('data-mjx-error') || e.textContent).slice(0, 5)};
}"""

JS_IMAGES = r"""async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
  return imgs.filter(i => !(i.complete && i.naturalWidth > 0))
             .map(i => i.currentSrc || i.src).slice(0, 10);
}"""

# Hosts a page may link to: the repository and the launch services. Nothing else.
LINK_HOSTS = {"github.com", "mybinder.org", "colab.research.google.com"}

JS_LINKS = r"""() => [...document.querySelectorAll('a[href]')]
  .map(a => a.href).filter(h => /^https?:/.test(h))"""

# Figures of the chapters: each <img> of a cell output needs real alt text (not a file name)
# and must sit in a <figure> with a caption.
JS_FIGURES = r"""() => [...document.querySelectorAll('.cell_output img')].map(i => ({
  src: (i.getAttribute('src') || '').split('/').pop().slice(0, 20),
  alt: i.getAttribute('alt') || '',
  caption: !!(i.closest('figure') && i.closest('figure').querySelector('figcaption'))
}))"""

JS_WEIGHT = r"""() => {
  const nav = performance.getEntriesByType('navigation')[0];
  let total = nav ? (nav.encodedBodySize || nav.transferSize || 0) : 0;
  const big = [];
  for (const r of performance.getEntriesByType('resource')) {
    const b = r.encodedBodySize || r.transferSize || 0;
    total += b;
    big.push([b, r.name]);
  }
  big.sort((a, b) => b[0] - a[0]);
  return {total, largest: big.slice(0, 5)};
}"""

JS_OVERFLOW = r"""(width) => {
  const sw = document.documentElement.scrollWidth;
  const culprits = [];
  if (sw > width) {
    const clipped = e => {  // inside a box that scrolls or clips: does not widen the page
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox !== 'visible') return true;
      }
      return false;
    };
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.right <= width + 1 || r.width === 0 || clipped(e)) continue;
      if (getComputedStyle(e).position === 'fixed' || e.closest('.bd-sidebar-secondary, .bd-sidebar-primary')) continue;
      const p = e.parentElement;
      if (p && p !== document.body && p.getBoundingClientRect().right > width + 1 && !clipped(p)) continue;
      const id = e.id ? '#' + e.id : '';
      culprits.push(`${e.tagName.toLowerCase()}${id}.${[...e.classList].slice(0, 3).join('.')} right=${Math.round(r.right)} "${e.textContent.trim().slice(0, 40)}"`);
      if (culprits.length >= 5) break;
    }
  }
  return {scrollWidth: sw, culprits};
}"""

RAW_TEX = [
    ("\\( or \\)", re.compile(r"\\[()]")),
    ("\\[ or \\]", re.compile(r"\\[\[\]]")),
    ("$$", re.compile(r"\$\$")),
    ("$...$", re.compile(r"(?<![\\\w])\$[^$\s][^$]{0,200}?(?<![\s\\])\$(?!\w)")),
    (
        "\\macro",
        re.compile(
            r"\\(?:frac|sqrt|hat|eta|beta|gamma|epsilon|theta|nabla|mathbb|sum|left|right|cdot|odot|mathrm|text)\b"
        ),
    ),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # aborted by the browser
            super().handle_error(request, client_address)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def pages_of(root: Path) -> list[str]:
    skip = {
        "_static",
        "_sources",
        "_images",
        "_downloads",
        "jupyter_execute",
        "mathjax",
    }
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if not skip & set(p.relative_to(root).parts)
        # the root index.html of a Jupyter Book is only a <meta http-equiv="refresh">
        and 'http-equiv="refresh"' not in p.read_text(errors="replace")[:2000].lower()
    )


def goto(page, url: str) -> None:
    page.goto(url, wait_until="load")


def evaluate(page, js: str, arg=None, tries: int = 4):
    """page.evaluate, retried while the page is still navigating (search.html does)."""
    for attempt in range(tries):
        try:
            return page.evaluate(js, arg)
        except Exception as exc:  # playwright Error
            transient = "context was destroyed" in str(exc) or "of null" in str(exc)
            if not transient or attempt == tries - 1:
                raise
            page.wait_for_load_state("load")
            page.wait_for_timeout(500)


def check_page(context, base: str, rel: str) -> tuple[list[str], dict]:
    failures: list[str] = []
    offsite: list[str] = []
    console: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            console.append(f"console.{m.type}: {m.text[:200]}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: console.append(f"uncaught: {str(e)[:200]}"))
    page.on(
        "response",
        lambda r: (
            console.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
        ),
    )

    def route(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    goto(page, base + rel)
    mj = evaluate(page, JS_MATHJAX)
    evaluate(page, "document.fonts.ready.then(() => true)")
    broken = evaluate(page, JS_IMAGES)
    page.wait_for_load_state("networkidle")
    text = evaluate(page, JS_PROSE_TEXT)
    weight = evaluate(page, JS_WEIGHT)
    links = evaluate(page, JS_LINKS)
    figures = evaluate(page, JS_FIGURES) if "/book/" in "/" + rel else []
    page.close()

    out = sorted(
        {u for u in links if urlparse(u).hostname not in LINK_HOSTS | {"127.0.0.1"}}
    )
    if out:
        failures.append(f"links: {len(out)} link(s) to other hosts, e.g. {out[:3]}")
    no_alt = [
        f["src"]
        for f in figures
        if not f["alt"] or re.fullmatch(r"[0-9a-f]{16,}.*", f["alt"])
    ]
    if no_alt:
        failures.append(
            f"figures: {len(no_alt)} image(s) without real alt text, e.g. {no_alt[:3]}"
        )
    no_caption = [f["src"] for f in figures if not f["caption"]]
    if no_caption:
        failures.append(
            f"figures: {len(no_caption)} image(s) without a caption, e.g. {no_caption[:3]}"
        )

    if mj.get("present"):
        if mj["error"]:
            failures.append(f"mathjax: startup failed: {mj['error']}")
        if mj["merror"]:
            failures.append(
                f"mathjax: {len(mj['merror'])}+ TeX errors, e.g. {mj['merror'][:3]}"
            )
    for name, pat in RAW_TEX:
        found = [
            text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
            for m in pat.finditer(text)
        ]
        if found:
            failures.append(f"raw-tex: {len(found)} x {name}, e.g. …{found[0]}…")
    if broken:
        failures.append(f"images: {len(broken)} not loaded, e.g. {broken[:3]}")
    for c in dict.fromkeys(console):
        if offsite and "net::ERR_FAILED" in c:
            continue  # the offsite requests this script aborted, reported below
        failures.append(f"console: {c}")
    for u in dict.fromkeys(offsite):
        failures.append(f"offsite: {u}")
    if weight["total"] > MAX_BYTES:
        failures.append(
            f"weight: {weight['total'] / 2**20:.1f} MiB > {MAX_BYTES / 2**20:.0f} MiB; largest "
            + ", ".join(
                f"{b / 2**20:.2f} MiB {u.rsplit('/', 1)[-1][:40]}"
                for b, u in weight["largest"][:3]
            )
        )
    return failures, {"bytes": weight["total"], "mathjax": mj}


def check_narrow(context, base: str, rel: str) -> list[str]:
    page = context.new_page()
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if urlparse(r.request.url).hostname in (None, "127.0.0.1")
            else r.abort()
        ),
    )
    goto(page, base + rel)
    evaluate(
        page,
        "window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => 1) : 1",
    )
    res = evaluate(page, JS_OVERFLOW, NARROW)
    page.close()
    if res["scrollWidth"] > NARROW:
        return [
            f"narrow: scrollWidth {res['scrollWidth']} > {NARROW} at {NARROW} px; "
            + "; ".join(res["culprits"])
        ]
    return []


def _local_only(page):
    page.route(
        "**/*",
        lambda r: (
            r.continue_()
            if urlparse(r.request.url).hostname in (None, "127.0.0.1")
            else r.abort()
        ),
    )


def check_play(context, base: str, rel: str = "book/visualization.html") -> list[str]:
    """Pressing play on the first animation moves its frame slider forward."""
    page = context.new_page()
    _local_only(page)
    goto(page, base + rel)
    sliders = page.locator("input[type=range]")
    if sliders.count() == 0:
        page.close()
        return [f"play: {rel} has no animation slider"]
    slider = sliders.first
    slider.scroll_into_view_if_needed()
    before = int(slider.input_value())
    page.locator("button[title='Play']").first.click()
    advanced = False
    for _ in range(40):  # up to 4 s for the player to tick
        page.wait_for_timeout(100)
        if int(slider.input_value()) != before:
            advanced = True
            break
    page.close()
    return (
        [] if advanced else [f"play: pressing play did not advance the frame on {rel}"]
    )


def check_search(
    context, base: str, query: str = "adam", expect: str = "book/adam.html"
):
    """The site's search finds the expected chapter."""
    page = context.new_page()
    _local_only(page)
    goto(page, f"{base}search.html?q={query}")
    try:
        page.wait_for_selector(
            f"ul.search a[href*='{expect.rsplit('/', 1)[-1]}']", timeout=15000
        )
    except Exception:  # playwright TimeoutError
        page.close()
        return [f"search: a query for {query!r} did not find {expect}"]
    page.close()
    return []


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="_build/html")
    ap.add_argument("--only", nargs="*", help="pages relative to root")
    ap.add_argument("--json", help="write per-page results here")
    args = ap.parse_args(argv)
    root = Path(args.root).resolve()
    pages = args.only or pages_of(root)
    httpd, base = serve(root)
    results, n_fail = {}, 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            wide = browser.new_context(viewport={"width": 1280, "height": 900})
            narrow = browser.new_context(
                viewport={"width": NARROW, "height": 800}, device_scale_factor=1
            )
            for rel in pages:
                failures, info = check_page(wide, base, rel)
                failures += check_narrow(narrow, base, rel)
                if rel == "book/visualization.html":
                    failures += check_play(wide, base, rel)
                if rel == "search.html":
                    failures += check_search(wide, base)
                results[rel] = {"failures": failures, **info}
                n_fail += bool(failures)
                status = "ok  " if not failures else "FAIL"
                print(f"{status} {rel}  ({info['bytes'] / 2**20:.2f} MiB)", flush=True)
                for f in failures:
                    print(f"       {f}", flush=True)
            browser.close()
    finally:
        httpd.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    print(f"{len(pages) - n_fail} passed, {n_fail} failed")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
