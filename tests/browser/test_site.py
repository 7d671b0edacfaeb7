"""pytest entry for the browser checks: runs only when asked (BOOK_BROWSER_TESTS=1) and
when the book is built, so the everyday `pytest` needs neither chromium nor a build.

    BOOK_BROWSER_TESTS=1 python -m pytest tests/browser -p no:xdist -q
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(Path(__file__).parent))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("BOOK_BROWSER_TESTS") != "1", reason="set BOOK_BROWSER_TESTS=1"
    ),
    pytest.mark.skipif(
        not (SITE / "book").is_dir(), reason="book not built (_build/html)"
    ),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM),
        reason=f"{CHROMIUM} missing (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    import json

    from check_site import main

    out = tmp_path_factory.mktemp("browser") / "results.json"
    main([str(SITE), "--json", str(out)])
    return json.loads(out.read_text())


def _pages():
    if not (SITE / "book").is_dir():
        return []
    from check_site import pages_of

    return pages_of(SITE)


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", _pages())
def test_page(results, page):
    assert results[page]["failures"] == []
