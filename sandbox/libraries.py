"""The browser libraries the sandbox host serves to generated apps, and the files of each it serves.

Generated apps have no network, so the libraries models like to load from public
CDNs are installed from the npm registry at set-up (scripts/vendor, pinned by
sandbox/vendor/package-lock.json) and served under `/vendor/<package>@<version>/<path>`.
Only the files listed here are served: never anything else under node_modules.
docs/vendored-libraries.md explains how to add a library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

VENDOR_DIR = Path(__file__).resolve().parent / "vendor" / "node_modules"
VENDOR_PATH = "/vendor/"


@dataclass(frozen=True)
class Library:
    """One npm package, pinned, with the files of it that apps load."""

    title: str
    package: str
    version: str  # exactly the version in sandbox/vendor/package.json
    files: tuple[str, ...]  # glob patterns relative to the package folder
    entry: str  # what a URL naming no file gets (the package's unpkg/jsdelivr field)
    esm: str | None = None  # a self-contained ES module build, for `+esm`, esm.sh and skypack URLs
    aliases: Mapping[str, str] = field(default_factory=dict)  # paths other releases or CDNs use → our file
    other_names: tuple[str, ...] = ()  # older npm names of the same library
    cdnjs: str | None = None  # its name on cdnjs
    cdnjs_dir: str = ""  # where cdnjs's files sit inside the npm package
    majors: tuple[int, ...] | None = None  # requested major versions our copy stands in for; None: any
    # Named by the system prompt. A prompt file never changes once versions record its hash, so a
    # library added since is served to pages that link it, and offered by the next prompt version.
    offered: bool = True

    @property
    def base(self) -> str:
        return f"{self.package}@{self.version}"

    def url(self, path: str) -> str:
        """The root-relative address of one of its files on the sandbox host."""
        return f"{VENDOR_PATH}{self.base}/{path}"

    def accepts(self, major: int | None) -> bool:
        """Whether a request for this major version (None: unversioned or `latest`) may get our copy."""
        return major is None or self.majors is None or major in self.majors


LIBRARIES: tuple[Library, ...] = (
    Library(
        "React", "react", "18.3.1",
        files=("umd/react.production.min.js", "umd/react.development.js"),
        entry="umd/react.production.min.js",
        cdnjs="react",
        # React 18's UMD build still runs React 16 and 17 code (ReactDOM.render, with a warning).
        majors=(16, 17, 18),
    ),
    Library(
        "ReactDOM", "react-dom", "18.3.1",
        files=("umd/react-dom.production.min.js", "umd/react-dom.development.js"),
        entry="umd/react-dom.production.min.js",
        cdnjs="react-dom",
        majors=(16, 17, 18),
    ),
    Library(
        "Babel (JSX in the browser)", "@babel/standalone", "7.29.13",
        files=("babel.min.js", "babel.js"),
        entry="babel.min.js",
        other_names=("babel-standalone",),
        cdnjs="babel-standalone",
        majors=(6, 7),
    ),
    Library(
        "Chart.js", "chart.js", "4.6.1",
        files=("dist/chart.umd.js", "dist/chart.umd.min.js"),
        entry="dist/chart.umd.min.js",
        # Chart.js 3 named its browser build chart.min.js; its options are those of 4.
        aliases={"dist/chart.min.js": "dist/chart.umd.min.js"},
        cdnjs="Chart.js",
        cdnjs_dir="dist/",
        majors=(3, 4),
    ),
    Library(
        "D3", "d3", "7.9.2",
        files=("dist/d3.min.js", "dist/d3.js"),
        entry="dist/d3.min.js",
        cdnjs="d3",
        cdnjs_dir="dist/",
        # d3 6 changed event handling; 5 and older pages would break.
        majors=(6, 7),
    ),
    Library(
        "three.js", "three", "0.160.1",
        # 0.160 is the last release with a classic build (build/three.min.js, global THREE)
        # beside the module build and its addons (examples/jsm, imported through an import map).
        files=("build/three.min.js", "build/three.js", "build/three.module.js", "build/three.module.min.js", "examples/jsm/**/*.js"),
        entry="build/three.min.js",
        esm="build/three.module.js",
        cdnjs="three.js",
        cdnjs_dir="build/",
    ),
    Library(
        "Tone.js", "tone", "15.5.44",
        files=("build/Tone.js",),
        entry="build/Tone.js",
        cdnjs="tone",
        cdnjs_dir="build/",
        majors=(14, 15),
    ),
    Library(
        "p5.js", "p5", "1.11.13",
        files=("lib/p5.min.js", "lib/p5.js", "lib/addons/p5.sound.min.js", "lib/addons/p5.sound.js"),
        entry="lib/p5.min.js",
        cdnjs="p5.js",
        cdnjs_dir="lib/",
        majors=(1,),
    ),
    Library(
        "marked", "marked", "15.0.12",
        # 15 is the last release that ships marked.min.js, the file most pages ask for.
        files=("marked.min.js", "lib/marked.umd.js", "lib/marked.esm.js"),
        entry="marked.min.js",
        esm="lib/marked.esm.js",
        aliases={"lib/marked.js": "lib/marked.umd.js", "lib/marked.min.js": "marked.min.js", "lib/marked.umd.min.js": "marked.min.js"},
        cdnjs="marked",
    ),
    Library(
        "Mermaid", "mermaid", "11.17.2",
        files=("dist/mermaid.min.js", "dist/mermaid.js", "dist/mermaid.esm.min.mjs", "dist/chunks/mermaid.esm.min/*.mjs"),
        entry="dist/mermaid.min.js",
        esm="dist/mermaid.esm.min.mjs",
        aliases={"dist/mermaid.esm.mjs": "dist/mermaid.esm.min.mjs"},
        cdnjs="mermaid",
        cdnjs_dir="dist/",
        majors=(9, 10, 11),
    ),
    Library(
        "KaTeX", "katex", "0.16.47",
        files=(
            "dist/katex.min.js", "dist/katex.js", "dist/katex.mjs", "dist/katex.min.css", "dist/katex.css",
            "dist/contrib/*.js", "dist/contrib/*.mjs", "dist/fonts/*",
        ),
        entry="dist/katex.min.js",
        esm="dist/katex.mjs",
        cdnjs="KaTeX",
        cdnjs_dir="dist/",
    ),
    Library(
        "Alpine.js", "alpinejs", "3.17.5",
        files=("dist/cdn.min.js", "dist/cdn.js", "dist/module.esm.js", "dist/module.esm.min.js"),
        entry="dist/cdn.min.js",
        esm="dist/module.esm.js",
        cdnjs="alpinejs",
        cdnjs_dir="dist/",
        majors=(3,),
    ),
    Library(
        "DOMPurify", "dompurify", "3.5.0",
        files=("dist/purify.min.js", "dist/purify.js", "dist/purify.es.mjs"),
        entry="dist/purify.min.js",
        esm="dist/purify.es.mjs",
        cdnjs="dompurify",
        cdnjs_dir="dist/",
        majors=(2, 3),
    ),
    Library(
        "markdown-it", "markdown-it", "15.0.3",
        files=("dist/browser/markdown-it.umd.min.js", "dist/browser/markdown-it.esm.min.mjs"),
        entry="dist/browser/markdown-it.umd.min.js",
        esm="dist/browser/markdown-it.esm.min.mjs",
        # Releases before 15 shipped their browser build as dist/markdown-it(.min).js; same API (window.markdownit).
        aliases={"dist/markdown-it.min.js": "dist/browser/markdown-it.umd.min.js", "dist/markdown-it.js": "dist/browser/markdown-it.umd.min.js"},
        cdnjs="markdown-it",
        cdnjs_dir="dist/",
        majors=(12, 13, 14, 15),
    ),
    Library(
        "js-yaml", "js-yaml", "4.3.2",
        files=("dist/js-yaml.min.js", "dist/js-yaml.js", "dist/js-yaml.mjs"),
        entry="dist/js-yaml.min.js",
        esm="dist/js-yaml.mjs",
        cdnjs="js-yaml",
        cdnjs_dir="dist/",
        majors=(4,),
    ),
    Library(
        "JSZip", "jszip", "3.10.2",
        files=("dist/jszip.min.js", "dist/jszip.js"),
        entry="dist/jszip.min.js",
        cdnjs="jszip",
        cdnjs_dir="dist/",
        majors=(3,),
    ),
    Library(
        "Turndown", "turndown", "7.2.5",
        files=("dist/turndown.js", "lib/turndown.browser.umd.js", "lib/turndown.browser.es.js"),
        entry="dist/turndown.js",
        esm="lib/turndown.browser.es.js",
        cdnjs="turndown",
        cdnjs_dir="dist/",
        majors=(7,),
    ),
    Library(
        "highlight.js", "@highlightjs/cdn-assets", "11.12.0",
        # The browser builds; the npm package "highlight.js" holds only Node's.
        files=("highlight.min.js", "highlight.js", "languages/*.js", "styles/*.css", "styles/base16/*.css", "es/*.js", "es/languages/*.js"),
        entry="highlight.min.js",
        esm="es/highlight.min.js",
        other_names=("highlight.js",),
        cdnjs="highlight.js",
        majors=(10, 11),
    ),
    Library(
        "Cropper.js", "cropperjs", "1.6.2",
        # 1.x, the version models write (new Cropper(img, options)); 2 is a different, web-component API.
        files=("dist/cropper.min.js", "dist/cropper.js", "dist/cropper.esm.js", "dist/cropper.min.css", "dist/cropper.css"),
        entry="dist/cropper.min.js",
        esm="dist/cropper.esm.js",
        cdnjs="cropperjs",
        cdnjs_dir="dist/",
        majors=(1,),
    ),
    Library(
        "sql.js (SQLite)", "sql.js", "1.17.0",
        # The page loads sql-wasm.js, which fetches sql-wasm.wasm from where locateFile says.
        files=("dist/sql-wasm.js", "dist/sql-wasm.wasm", "dist/sql-wasm-browser.js", "dist/sql-wasm-browser.wasm"),
        entry="dist/sql-wasm.js",
        cdnjs="sql.js",
        cdnjs_dir="dist/",
        majors=(1,),
    ),
    Library(
        "PapaParse", "papaparse", "5.7.1",
        files=("papaparse.min.js", "papaparse.js"),
        entry="papaparse.min.js",
        cdnjs="PapaParse",
        majors=(5,),
    ),
    Library(
        "PDF.js", "pdfjs-dist", "3.11.174",
        # 3.11 is the last release with a classic build (global pdfjsLib), the one models write.
        # Its worker is loaded by the library from a blob: worker that imports our file.
        files=("build/pdf.min.js", "build/pdf.js", "build/pdf.worker.min.js", "build/pdf.worker.js", "legacy/build/pdf.min.js", "legacy/build/pdf.js", "legacy/build/pdf.worker.min.js", "legacy/build/pdf.worker.js"),
        entry="build/pdf.min.js",
        cdnjs="pdf.js",
        cdnjs_dir="build/",
        majors=(2, 3),
    ),
    Library(
        "node-qrcode", "qrcode", "1.4.4",
        # 1.4 is the last release with a browser build (global QRCode: toCanvas, toDataURL); 1.5 has the same API.
        files=("build/qrcode.min.js", "build/qrcode.js"),
        entry="build/qrcode.min.js",
        majors=(1,),
    ),
    Library(
        "jsQR", "jsqr", "1.4.0",
        files=("dist/jsQR.js",),
        entry="dist/jsQR.js",
        majors=(1,),
    ),
    Library(
        "Pyodide (Python)", "pyodide", "0.29.5",
        # The interpreter and the standard library only: pyodide.js (or .mjs) loads the rest from
        # its indexURL, our folder. Packages (numpy, micropip...) are not vendored; the bridge
        # makes loadPackage fail and says so. 0.29 is the last of the 0.x releases models write.
        files=("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"),
        entry="pyodide.js",
        esm="pyodide.mjs",
    ),
    Library(
        "Tailwind CSS (in-browser build)", "@tailwindcss/browser", "4.3.4",
        files=("dist/index.global.js",),
        entry="dist/index.global.js",
        majors=(4,),
    ),
)

TAILWIND = LIBRARIES[-1]

# Served files are plain assets; anything else is not served at all.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    # Fetched (sql.js's and Pyodide's wasm, Pyodide's lock file and standard library), so the
    # sandbox CSP's connect-src allows {vendor}.
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".zip": "application/zip",
}


def by_name(name: str) -> Library | None:
    """The library an npm package name (or an older name of it) refers to."""
    return _BY_NAME.get(name)


def by_cdnjs_name(name: str) -> Library | None:
    return _BY_CDNJS.get(name.lower())


_BY_NAME = {name: lib for lib in LIBRARIES for name in (lib.package, *lib.other_names)}
_BY_CDNJS = {lib.cdnjs.lower(): lib for lib in LIBRARIES if lib.cdnjs}


class VendoredFiles:
    """The files of LIBRARIES present in one node_modules folder: what the sandbox host may serve."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, dict[str, Path]] = {}
        self.missing: list[str] = []
        for lib in LIBRARIES:
            package_dir = (root / lib.package).resolve()
            files = _expand(package_dir, lib.files)
            if not files or lib.entry not in files or _installed_version(package_dir) != lib.version:
                self.missing.append(lib.base)
                continue
            self._files[lib.base] = files

    @property
    def installed(self) -> bool:
        """Every library is there, at its pinned version."""
        return not self.missing

    def file(self, base: str, path: str) -> Path | None:
        """The file served at /vendor/<base>/<path>, if it is one we serve."""
        return self._files.get(base, {}).get(path)

    def at(self, spec: str) -> Path | None:
        """The file served at /vendor/<spec>, `spec` being `<package>@<version>/<path>`, if it is one we serve."""
        slash = spec.find("/", spec.find("@", 1))
        return self.file(spec[:slash], spec[slash + 1 :]) if slash > 0 else None

    def served_path(self, lib: Library, path: str | None) -> str | None:
        """The path of our file (or folder of files) standing in for `path` of `lib`, or None.

        jsDelivr serves a minified copy of any file as `.min.js`, and releases
        differ in which of the two they ship, so either stands in for the other.
        """
        files = self._files.get(lib.base, {})
        if path is None:
            return None
        path = lib.aliases.get(path, path)
        if path in files:
            return path
        # A folder, as import maps name them ("three/addons/": ".../examples/jsm/").
        if path.endswith("/") and any(name.startswith(path) for name in files):
            return path
        for long, short in ((".js", ".min.js"), (".css", ".min.css")):
            if path.endswith(short) and (other := path[: -len(short)] + long) in files:
                return other
            if path.endswith(long) and not path.endswith(short) and (other := path[: -len(long)] + short) in files:
                return other
        return None


def _expand(package_dir: Path, patterns: tuple[str, ...]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if not package_dir.is_dir():
        return files
    for pattern in patterns:
        for path in package_dir.glob(pattern):
            resolved = path.resolve()
            # Only regular files inside the package, of a type we serve.
            if resolved.is_file() and resolved.is_relative_to(package_dir) and resolved.suffix in CONTENT_TYPES:
                files[path.relative_to(package_dir).as_posix()] = resolved
    return files


def _installed_version(package_dir: Path) -> str | None:
    try:
        version = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return version if isinstance(version, str) else None


@cache
def vendored_files(root: Path = VENDOR_DIR) -> VendoredFiles:
    """The files installed in `root`, looked up once per process (restart after scripts/vendor)."""
    return VendoredFiles(root)


async def serve_vendored(request: Request) -> Response:
    """GET /vendor/<package>@<version>/<path>: one listed file, cached for good (its address names its version)."""
    files: VendoredFiles = request.app.state.vendored
    file = files.at(request.path_params["spec"])
    if file is None:
        raise HTTPException(404)
    # The CORS and resource policy headers that let opaque-origin pages load it are
    # sandbox.headers.vendor_headers, which the sandbox host puts on every such response.
    return FileResponse(file, media_type=CONTENT_TYPES[file.suffix], headers={"Cache-Control": "public, max-age=31536000, immutable"})
