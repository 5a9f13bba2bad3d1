"""The rooms of app/ and sandbox/ as docs/architecture.md draws them, and imports that run one way only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = ("app", "sandbox")


def rooms() -> dict[str, tuple[str, set[str]]]:
    """Each room of the "Rooms" table: its folder or module, and the rooms it may import."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Rooms", 1)[1].split("\n## ", 1)[0]
    table: dict[str, tuple[str, set[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        room, where, _, may = cells
        table[room.strip("`")] = (where.strip("`"), {m.strip("` ") for m in may.split(",") if m.strip() not in ("", "—")})
    return table


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def room_of(module: str, table: dict[str, tuple[str, set[str]]]) -> str | None:
    """The most specific room a module belongs to (`sandbox.server` before `sandbox`)."""
    matches = [room for room in table if module == room or module.startswith(room + ".")]
    return max(matches, key=len) if matches else None


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module of ours that `path` imports, at any depth of the file, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_every_folder_and_top_level_module_has_a_row() -> None:
    table = rooms()
    places = {where.rstrip("/") for where, _ in table.values()}
    folders = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "app").glob("*/__init__.py")}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "app").glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    assert folders | modules <= places, f"docs/architecture.md's Rooms table lacks {sorted((folders | modules) - places)}"
    for where in places:
        assert (ROOT / where).exists(), f"docs/architecture.md names {where}, which does not exist"


def test_every_room_it_may_import_is_a_room() -> None:
    table = rooms()
    for room, (_, may) in table.items():
        assert may <= set(table), f"{room} may import {sorted(may - set(table))}, which the table does not list"


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_run_one_way(path: Path) -> None:
    table = rooms()
    here = room_of(module_name(path), table)
    assert here is not None, f"{path.relative_to(ROOT)} is in no room of docs/architecture.md"
    allowed = table[here][1] | {here}
    for line, name in imports_of(path):
        there = room_of(name, table)
        if there is None or there == here or (here.startswith(there + ".") and there in ("app", "sandbox")):
            continue
        assert there in allowed, f"{path.relative_to(ROOT)}:{line} imports {name} ({there}); {here} may import only {sorted(allowed - {here})}"


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_other_rooms_are_entered_through_their_front_door(path: Path) -> None:
    """Between the folders of app/, imports name the room (`from app.storage import Store`), not its modules."""
    table = rooms()
    here = room_of(module_name(path), table)
    for line, name in imports_of(path):
        there = room_of(name, table)
        if there is None or there == here or not table[there][0].endswith("/") or not there.startswith("app."):
            continue
        inner = name[len(there) + 1 :].split(".")[0] if name != there else ""
        exported = _exports(there)
        assert not inner or inner in exported, f"{path.relative_to(ROOT)}:{line} imports {name}: import it from {there} (add it to its __all__)"


def _exports(room: str) -> set[str]:
    init = ROOT / Path(*room.split(".")) / "__init__.py"
    match = re.search(r"__all__\s*=\s*\[(.*?)\]", init.read_text(encoding="utf-8"), re.S)
    return set(re.findall(r'"([^"]+)"', match.group(1))) if match else set()
