"""The import map of the libraries our own pages load from static/vendor (CodeMirror, for the editor's code view), and its CSP hash.

Those libraries are ES modules that import each other by package name
("@codemirror/state"); the browser resolves the names through this map, so they
run as published, with no build step. The map is an inline script: the main
origin's CSP allows exactly this one by its hash, and nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

URL_PREFIX = "/static/vendor/node_modules/"


@dataclass(frozen=True)
class ImportMap:
    text: str  # the <script type="importmap"> body, exactly as served
    packages: tuple[str, ...]

    @property
    def csp_source(self) -> str:
        """The script-src source that allows this map and no other inline script."""
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode()}'"


def _entry(package_json: Path) -> str | None:
    """The file an ES module `import "package"` loads: the "import" export, else "module"."""
    meta = json.loads(package_json.read_text(encoding="utf-8"))
    exports = meta.get("exports")
    root = exports.get(".", exports) if isinstance(exports, dict) else None
    entry = root.get("import") if isinstance(root, dict) else None
    entry = entry if isinstance(entry, str) else meta.get("module")
    return entry.removeprefix("./") if isinstance(entry, str) else None


def import_map(node_modules: Path) -> ImportMap:
    """Every installed package with an ES module entry; empty when none are installed."""
    imports: dict[str, str] = {}
    for package_json in sorted([*node_modules.glob("*/package.json"), *node_modules.glob("@*/*/package.json")]):
        name = package_json.parent.relative_to(node_modules).as_posix()
        entry = _entry(package_json)
        if entry and (package_json.parent / entry).is_file():
            imports[name] = f"{URL_PREFIX}{name}/{entry}"
    return ImportMap(json.dumps({"imports": imports}, separators=(",", ":")), tuple(imports))
