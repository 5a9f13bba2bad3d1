"""Vendored browser libraries, looked up by the URL a page uses: `vendored_file(url) -> bytes | None`.

A page may name a library by the sandbox host's own address (`/vendor/chart.js@4.6.1/dist/chart.umd.js`)
or by a public CDN's (`https://cdn.jsdelivr.net/npm/chart.js@4/dist/chart.umd.js`, unpkg.com); both
name `package@version/path`, which is found in the vendored packages' folder (npm's layout: one
folder per package with its package.json). The standalone download (`app.standalone`) inlines
what this finds, so the file works with no network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.settings import ROOT

VENDOR_PACKAGES = ROOT / "sandbox" / "vendor" / "node_modules"

_CDN_PREFIXES = {"cdn.jsdelivr.net": "/npm/", "unpkg.com": "/"}
_SPEC = re.compile(r"^(?P<package>(?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)(?:@(?P<version>[\w.+-]+))?(?:/(?P<path>.*))?$", re.IGNORECASE)


def vendor_spec(url: str) -> tuple[str, str | None, str] | None:
    """(package, version or None, path within it) that `url` names, or None for any other URL."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    if parts.netloc.lower() in _CDN_PREFIXES and parts.scheme in ("https", "http", ""):
        prefix = _CDN_PREFIXES[parts.netloc.lower()]
    elif path.startswith("/vendor/"):
        prefix = "/vendor/"
    else:
        return None
    if not path.startswith(prefix):
        return None
    match = _SPEC.match(path[len(prefix) :])
    if match is None:
        return None
    return match["package"], match["version"], match["path"] or ""


def _version_fits(wanted: str | None, installed: str) -> bool:
    """Exactly the installed version, or a prefix of it as CDNs allow ("4", "4.6"); none: any."""
    if not wanted or wanted == "latest":
        return True
    return installed == wanted or installed.startswith(wanted + ".")


class VendorDirectory:
    """Looks vendored files up in a folder of npm packages."""

    def __init__(self, packages: Path) -> None:
        self.packages = packages.resolve()

    def __call__(self, url: str) -> bytes | None:
        spec = vendor_spec(url)
        if spec is None:
            return None
        package, version, path = spec
        folder = (self.packages / package).resolve()
        manifest = folder / "package.json"
        if not folder.is_relative_to(self.packages) or not manifest.is_file():
            return None
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not _version_fits(version, str(meta.get("version", ""))):
            return None
        if not path:  # the package's own entry for browsers, as the CDNs pick it
            entry = next((meta[k] for k in ("jsdelivr", "unpkg", "browser", "main") if isinstance(meta.get(k), str)), None)
            if entry is None:
                return None
            path = entry
        file = (folder / path).resolve()
        if not file.is_relative_to(folder) or not file.is_file():
            return None
        return file.read_bytes()


vendored_file = VendorDirectory(VENDOR_PACKAGES)
