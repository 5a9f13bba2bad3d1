"""Links to public CDNs in a served page, pointed at our vendored copy when we have one.

Models write the URLs they have seen most: jsDelivr (and its esm.run), unpkg, cdnjs,
esm.sh, skypack, d3js.org, the Tailwind Play CDN. At serve time (so imported and hand-edited
pages benefit too, and the stored page stays as written) every such URL that
names a library of sandbox/libraries.py, at a major version our copy stands in
for, and a file we serve, becomes the root-relative address of our copy. Any
other URL is left exactly as it is: the sandbox CSP blocks it, and the person
sees the violation.

Two passes: `<script src>` and `<link href>` tags first, where the rewritten
tag also loses its `integrity` attribute (a hash of the CDN's file, which is
not ours byte for byte when the version differs; ours were verified by npm's
lock file) and a Tailwind stylesheet becomes the in-browser Tailwind build;
then any remaining URL anywhere in the page: import maps, `import ... from`,
`import()`, CSS `@import`, URLs set from scripts.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from sandbox.libraries import TAILWIND, Library, VendoredFiles, by_cdnjs_name, by_name

_HOSTS = r"(?:cdn|fastly|gcore|testingcf)\.jsdelivr\.net|esm\.run|unpkg\.com|cdnjs\.cloudflare\.com|esm\.sh|cdn\.skypack\.dev|cdn\.tailwindcss\.com|d3js\.org"
_URL = re.compile(rf"(?:https?:)?//(?P<host>{_HOSTS})(?P<path>[/?#][^\s\"'`<>()\\$]*)?", re.IGNORECASE)
_TAG = re.compile(r"<(?P<name>script|link)\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_URL_ATTR = re.compile(r"""(?P<lead>\s(?:src|href)\s*=\s*)(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+))""", re.IGNORECASE)
_INTEGRITY = re.compile(r"""\sintegrity\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+)""", re.IGNORECASE)
# package[@version][/path], the package possibly scoped.
_SPEC = re.compile(r"(?P<package>(?:@[^/@]+/)?[^/@]+)(?:@(?P<version>[^/]*))?(?:/(?P<path>.*))?")
_MAJOR = re.compile(r"^[\^~=v>r]*\s*(?P<major>\d+)")

# Before the in-browser Tailwind build: gives pages the `tailwind` object the Play
# CDN had (assigning its config would otherwise throw) and applies that config.
_TAILWIND_CONFIG = "<script>" + (Path(__file__).parent / "tailwind_config.js").read_text(encoding="utf-8").strip() + "</script>"


def rewrite_cdn_links(html: str, files: VendoredFiles) -> str:
    """The page with every public CDN link we can serve pointed at our copy."""
    if not files.installed:
        return html
    html = _TAG.sub(lambda match: _rewrite_tag(match, files), html)
    return _URL.sub(lambda match: vendored_url(match.group(0), files) or match.group(0), html)


def vendored_url(url: str, files: VendoredFiles) -> str | None:
    """Our address for a public CDN URL, or None when we have no copy of what it names."""
    match = _URL.fullmatch(url.strip())
    if match is None:
        return None
    host = match["host"].lower()
    path = unquote(re.split(r"[?#]", match["path"] or "/", maxsplit=1)[0]).lstrip("/")
    if host == "cdn.tailwindcss.com":
        return TAILWIND.url(TAILWIND.entry) if files.served_path(TAILWIND, TAILWIND.entry) else None
    if host == "cdnjs.cloudflare.com":
        return _cdnjs(path, files)
    if host == "d3js.org":
        # d3js.org/d3.v7.min.js: the builds D3's own examples load.
        d3 = re.fullmatch(r"d3(?:\.v(\d+))?(\.min)?\.js", path)
        return _npm(f"d3@{d3[1] or ''}/dist/d3{d3[2] or ''}.js", files, esm=False) if d3 else None
    if host == "esm.run":
        # jsDelivr's short address for a package's ES module: esm.run/x@1 is cdn.jsdelivr.net/npm/x@1/+esm.
        return _npm(path, files, esm=True)
    if host.endswith("jsdelivr.net"):
        # highlight.js's own CDN builds, served from its GitHub repository.
        if highlight := re.fullmatch(r"gh/highlightjs/cdn-release@([^/]*)/build/(.+)", path):
            path = f"npm/@highlightjs/cdn-assets@{highlight[1]}/{highlight[2]}"
        # Pyodide's own releases (pyodide/v0.26.1/full/pyodide.js), the npm package's files. The
        # folder, with or without its slash, is the indexURL pages pass to loadPyodide.
        if pyodide := re.fullmatch(r"pyodide/v?([^/]+)/(?:full|debug)(?:/(.*))?", path):
            path = f"npm/pyodide@{pyodide[1]}/{pyodide[2] or ''}"
        if not path.startswith("npm/"):
            return None
        path = path[len("npm/") :]
    elif host == "esm.sh":
        path = re.sub(r"^(?:v\d+|stable)/", "", path)
    return _npm(path, files, esm=host in ("esm.sh", "cdn.skypack.dev"))


def _npm(spec: str, files: VendoredFiles, *, esm: bool) -> str | None:
    match = _SPEC.fullmatch(spec)
    if match is None:
        return None
    lib = by_name(match["package"])
    if lib is None or not lib.accepts(_major(match["version"])):
        return None
    if match["path"] == "" and not esm and files.served_path(lib, lib.entry):
        # `x@1/`: the package's folder, as a base others are resolved against (Pyodide's indexURL).
        return lib.url("")
    path = match["path"] or ""
    if path.strip("/") in ("", "+esm") and (esm or path == "+esm"):
        path = lib.esm
    elif path.endswith("/+esm"):
        path = path[: -len("/+esm")]
    elif path.strip("/") == "":
        path = lib.entry
    return _url(lib, files.served_path(lib, path))


def _cdnjs(path: str, files: VendoredFiles) -> str | None:
    parts = path.split("/", 4)
    if len(parts) < 5 or parts[:2] != ["ajax", "libs"]:
        return None
    _, _, name, version, file = parts
    lib = by_cdnjs_name(name)
    if lib is None or not lib.accepts(_major(version)):
        return None
    return _url(lib, files.served_path(lib, lib.cdnjs_dir + file) or files.served_path(lib, file))


def _url(lib: Library, path: str | None) -> str | None:
    return None if path is None else lib.url(path)


def _major(version: str | None) -> int | None:
    """The major version a request asks for; None when it asks for none (`latest`, a tag, nothing)."""
    match = _MAJOR.match(version or "")
    if match is None:
        return None
    major = int(match["major"])
    # cdnjs names three.js releases r128, r160...: those are 0.128, 0.160.
    return 0 if (version or "").startswith("r") else major


def _host(url: str) -> str | None:
    match = _URL.fullmatch(url.strip())
    return match["host"].lower() if match else None


def _is_tailwind_stylesheet(url: str) -> bool:
    """A prebuilt Tailwind CSS file (tailwindcss 1 and 2 shipped one; models still link it)."""
    match = _URL.fullmatch(url.strip())
    if match is None:
        return False
    path = (match["path"] or "").lower().split("?")[0]
    return bool(re.search(r"/(?:npm/)?tailwindcss(?:@[^/]*)?/dist/tailwind(?:\.min)?\.css$|/ajax/libs/tailwindcss/[^/]+/tailwind(?:\.min)?\.css$", path))


def _rewrite_tag(match: re.Match[str], files: VendoredFiles) -> str:
    attrs = match["attrs"]
    found = _URL_ATTR.search(attrs)
    if found is None:
        return match.group(0)
    url = found["dq"] if found["dq"] is not None else found["sq"] if found["sq"] is not None else found["bare"]
    name = match["name"].lower()
    if name == "link" and _is_tailwind_stylesheet(url) and files.served_path(TAILWIND, TAILWIND.entry):
        return f'{_TAILWIND_CONFIG}<script src="{TAILWIND.url(TAILWIND.entry)}"></script>'
    target = vendored_url(url, files)
    if target is None:
        return match.group(0)
    attrs = attrs[: found.start()] + f'{found["lead"]}"{target}"' + attrs[found.end() :]
    attrs = _INTEGRITY.sub("", attrs)
    tag = f"<{match['name']}{attrs}>"
    if name == "script" and _host(url) == "cdn.tailwindcss.com":
        return _TAILWIND_CONFIG + tag
    return tag
