"""docs/security.md names every hostile page of the end-to-end suite, which holds at least 30."""

from __future__ import annotations

import re
from fnmatch import fnmatch

from app.settings import ROOT

HOSTILE = ROOT / "e2e" / "escapes" / "hostile"


def test_every_hostile_page_has_a_row_in_docs_security() -> None:
    pages = sorted(p.stem for p in HOSTILE.glob("*.html"))
    assert len(pages) >= 30
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Every way out", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ")]
    named = {name for row in rows if len(row) > 3 for name in re.findall(r"`([\w*-]+)`", row[2])}
    missing = [page for page in pages if not any(fnmatch(page, name) for name in named)]
    assert missing == [], f"add a row to docs/security.md for {missing}"
    stale = [name for name in named if not any(fnmatch(page, name) for page in pages)]
    assert stale == [], f"docs/security.md names pages that do not exist: {stale}"
