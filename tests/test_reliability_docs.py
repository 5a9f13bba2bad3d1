"""docs/reliability.md has a row for every fault of the fault suite, and each row's test exists."""

from __future__ import annotations

import re

from app.settings import ROOT
from tests.faults.test_upstream_faults import FAULTS

DOC = ROOT / "docs" / "reliability.md"


def _rows() -> list[list[str]]:
    section = DOC.read_text(encoding="utf-8").split("## Every fault tried", 1)[1].split("\n## ", 1)[0]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in section.splitlines() if line.startswith("| `")]


def test_every_upstream_fault_has_a_row() -> None:
    named = {row[0].strip("`") for row in _rows()}
    missing = [fault.name for fault in FAULTS if fault.name not in named]
    assert missing == [], f"add a row to docs/reliability.md for {missing}"


def test_every_row_says_what_is_seen_and_kept_and_names_a_test_that_exists() -> None:
    rows = _rows()
    assert len(rows) >= len(FAULTS)
    for fault, seen, kept, proof in rows:
        assert seen and kept, fault
        match = re.fullmatch(r"`(tests/[\w/]+\.py)::(test_\w+)`", proof)
        assert match, f"{fault}: name the test as `tests/FILE.py::test_NAME`, not {proof!r}"
        path = ROOT / match.group(1)
        assert path.is_file(), f"{fault}: {match.group(1)} does not exist"
        assert re.search(rf"^(async )?def {match.group(2)}\(", path.read_text(encoding="utf-8"), re.MULTILINE), f"{fault}: {match.group(1)} has no {match.group(2)}"


def test_every_row_of_the_fault_suite_is_a_fault_it_runs() -> None:
    suite = {fault.name for fault in FAULTS}
    stale = [row[0] for row in _rows() if "tests/faults/" in row[3] and row[0].strip("`") not in suite]
    assert stale == [], f"docs/reliability.md names faults the suite does not run: {stale}"
