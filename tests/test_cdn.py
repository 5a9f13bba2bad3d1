"""Public CDN links in pages models write, pointed at our vendored copies (sandbox/cdn.py).

The corpus is what models actually write: jsDelivr, unpkg, cdnjs, esm.sh,
d3js.org and the Tailwind Play CDN; pinned, unpinned, ranges and `@latest`;
minified or not; SRI attributes; every quoting style; import maps and module
imports. Anything we have no copy of stays exactly as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sandbox
from sandbox.cdn import rewrite_cdn_links
from sandbox.libraries import VendoredFiles
from tests.fakes.node_modules import make_node_modules

TAILWIND_CONFIG = "<script>" + (Path(sandbox.__file__).parent / "tailwind_config.js").read_text().strip() + "</script>"
TAILWIND = TAILWIND_CONFIG + '<script src="/vendor/@tailwindcss/browser@4.3.4/dist/index.global.js"></script>'

CASES = [
    # jsDelivr, the URL form the system prompt teaches: the exact pinned file.
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js@4.6.1/dist/chart.umd.min.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    # Another release of the same major version.
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.umd.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.js"></script>'),
    # No version, no file: the package's browser entry.
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js@latest/dist/chart.umd.min.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js@^4.4.0"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    # Chart.js 3 called its browser build chart.min.js.
    ('<script src="https://cdn.jsdelivr.net/npm/chart.js@3.9.1/dist/chart.min.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    # Chart.js 2's options differ: not ours to stand in for.
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.min.js"></script>',
     '<script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/2.9.4/Chart.min.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/4.4.0/chart.umd.min.js"></script>',
     '<script src="/vendor/chart.js@4.6.1/dist/chart.umd.min.js"></script>'),
    # React's UMD builds as its old docs wrote them, crossorigin kept.
    ('<script crossorigin src="https://unpkg.com/react@18/umd/react.development.js"></script>',
     '<script crossorigin src="/vendor/react@18.3.1/umd/react.development.js"></script>'),
    ('<script src="https://unpkg.com/react-dom@17.0.2/umd/react-dom.production.min.js" crossorigin="anonymous"></script>',
     '<script src="/vendor/react-dom@18.3.1/umd/react-dom.production.min.js" crossorigin="anonymous"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/react/18.2.0/umd/react.production.min.js"></script>',
     '<script src="/vendor/react@18.3.1/umd/react.production.min.js"></script>'),
    # Babel under its old name, and scoped without a version.
    ('<script src="https://unpkg.com/babel-standalone@6/babel.min.js"></script>',
     '<script src="/vendor/@babel/standalone@7.29.13/babel.min.js"></script>'),
    ('<script src="https://unpkg.com/@babel/standalone/babel.min.js"></script>',
     '<script src="/vendor/@babel/standalone@7.29.13/babel.min.js"></script>'),
    # cdnjs names three.js releases r128; the classic build of 0.160 stands in.
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/three.js/r128/three.min.js"></script>',
     '<script src="/vendor/three@0.160.1/build/three.min.js"></script>'),
    # examples/js went away in r148: no copy, left alone.
    ('<script src="https://cdn.jsdelivr.net/npm/three@0.128.0/examples/js/controls/OrbitControls.js"></script>',
     '<script src="https://cdn.jsdelivr.net/npm/three@0.128.0/examples/js/controls/OrbitControls.js"></script>'),
    # An import map, with a folder for the addons.
    ('<script type="importmap">{"imports": {"three": "https://unpkg.com/three@0.160.0/build/three.module.js", '
     '"three/addons/": "https://unpkg.com/three@0.160.0/examples/jsm/"}}</script>',
     '<script type="importmap">{"imports": {"three": "/vendor/three@0.160.1/build/three.module.js", '
     '"three/addons/": "/vendor/three@0.160.1/examples/jsm/"}}</script>'),
    ("<script type=module>import * as THREE from 'https://esm.sh/three@0.160.0';</script>",
     "<script type=module>import * as THREE from '/vendor/three@0.160.1/build/three.module.js';</script>"),
    ('<script type="module">import { OrbitControls } from "https://cdn.jsdelivr.net/npm/three@0.160.0/examples/jsm/controls/OrbitControls.js/+esm";</script>',
     '<script type="module">import { OrbitControls } from "/vendor/three@0.160.1/examples/jsm/controls/OrbitControls.js";</script>'),
    ('<script type="module">import { marked } from "https://cdn.jsdelivr.net/npm/marked/+esm";</script>',
     '<script type="module">import { marked } from "/vendor/marked@15.0.12/lib/marked.esm.js";</script>'),
    ("<script type=\"module\">import mermaid from 'https://cdn.jsdelivr.net/npm/mermaid@10/dist/mermaid.esm.min.mjs';</script>",
     "<script type=\"module\">import mermaid from '/vendor/mermaid@11.17.2/dist/mermaid.esm.min.mjs';</script>"),
    ('<script src="https://cdn.jsdelivr.net/npm/mermaid/dist/mermaid.min.js"></script>',
     '<script src="/vendor/mermaid@11.17.2/dist/mermaid.min.js"></script>'),
    # D3's own host, and a major version whose event API ours no longer has.
    ('<script src="https://d3js.org/d3.v7.min.js"></script>', '<script src="/vendor/d3@7.9.2/dist/d3.min.js"></script>'),
    ('<script src="https://d3js.org/d3.v5.min.js"></script>', '<script src="https://d3js.org/d3.v5.min.js"></script>'),
    # Unquoted and protocol-relative.
    ("<script src=https://cdn.jsdelivr.net/npm/d3@7></script>", '<script src="/vendor/d3@7.9.2/dist/d3.min.js"></script>'),
    ('<script src="//cdn.jsdelivr.net/npm/d3@7/dist/d3.min.js"></script>', '<script src="/vendor/d3@7.9.2/dist/d3.min.js"></script>'),
    ('<SCRIPT SRC="https://fastly.jsdelivr.net/npm/d3@7.8.5/dist/d3.js"></SCRIPT>', '<SCRIPT SRC="/vendor/d3@7.9.2/dist/d3.js"></SCRIPT>'),
    # Tone.js from cdnjs; jsDelivr's generated .min.js of a file shipped unminified.
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/tone/14.8.49/Tone.js"></script>',
     '<script src="/vendor/tone@15.5.44/build/Tone.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/tone@14.7.77/build/Tone.min.js"></script>',
     '<script src="/vendor/tone@15.5.44/build/Tone.js"></script>'),
    ('<script src="https://unpkg.com/tone"></script>', '<script src="/vendor/tone@15.5.44/build/Tone.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/p5.js/1.9.0/p5.min.js"></script>',
     '<script src="/vendor/p5@1.11.13/lib/p5.min.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/p5.js/1.9.0/addons/p5.sound.min.js"></script>',
     '<script src="/vendor/p5@1.11.13/lib/addons/p5.sound.min.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/marked/marked.min.js"></script>',
     '<script src="/vendor/marked@15.0.12/marked.min.js"></script>'),
    # SRI hashes are of the CDN's file: dropped with the URL they vouch for, in any quoting.
    ("<link rel='stylesheet' href='https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css' "
     "integrity='sha384-n8MVd4RsNIU0tAv4ct0nTaAbDJwPJzDEaqSD1odI+WdtXRGWt2kTvGFasHpSy3SV' crossorigin='anonymous'>",
     "<link rel='stylesheet' href=\"/vendor/katex@0.16.47/dist/katex.min.css\" crossorigin='anonymous'>"),
    ('<script defer src="https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/contrib/auto-render.min.js" '
     'integrity=sha384-abc crossorigin="anonymous" onload="renderMathInElement(document.body);"></script>',
     '<script defer src="/vendor/katex@0.16.47/dist/contrib/auto-render.min.js" '
     'crossorigin="anonymous" onload="renderMathInElement(document.body);"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/KaTeX/0.16.8/katex.min.js"></script>',
     '<script src="/vendor/katex@0.16.47/dist/katex.min.js"></script>'),
    ('<script defer src="https://cdn.jsdelivr.net/npm/alpinejs@3.x.x/dist/cdn.min.js"></script>',
     '<script defer src="/vendor/alpinejs@3.17.5/dist/cdn.min.js"></script>'),
    ('<script src="//unpkg.com/alpinejs" defer></script>', '<script src="/vendor/alpinejs@3.17.5/dist/cdn.min.js" defer></script>'),
    # Tailwind: the Play CDN and the prebuilt stylesheets become the in-browser build.
    ('<script src="https://cdn.tailwindcss.com"></script>', TAILWIND),
    ('<script src="https://cdn.tailwindcss.com?plugins=forms,typography"></script>', TAILWIND),
    ('<link href="https://cdn.jsdelivr.net/npm/tailwindcss@2.2.19/dist/tailwind.min.css" rel="stylesheet">', TAILWIND),
    ('<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/tailwindcss/2.2.19/tailwind.min.css">', TAILWIND),
    ('<script src="https://cdn.jsdelivr.net/npm/@tailwindcss/browser@4"></script>',
     '<script src="/vendor/@tailwindcss/browser@4.3.4/dist/index.global.js"></script>'),
    # Query strings and URLs outside tags: set from scripts, CSS @import.
    ('<script src="https://unpkg.com/d3@7.9.0/dist/d3.min.js?v=3"></script>', '<script src="/vendor/d3@7.9.2/dist/d3.min.js"></script>'),
    ('<script>const s = document.createElement("script"); s.src = "https://cdn.jsdelivr.net/npm/chart.js";</script>',
     '<script>const s = document.createElement("script"); s.src = "/vendor/chart.js@4.6.1/dist/chart.umd.min.js";</script>'),
    ("<style>@import url(https://cdn.jsdelivr.net/npm/katex@0.16.9/dist/katex.min.css);</style>",
     "<style>@import url(/vendor/katex@0.16.47/dist/katex.min.css);</style>"),
    # esm.run is jsDelivr's short address for a package's ES module.
    ('<script type="module">import DOMPurify from "https://esm.run/dompurify@3";</script>',
     '<script type="module">import DOMPurify from "/vendor/dompurify@3.5.0/dist/purify.es.mjs";</script>'),
    ("<script type=module>import * as THREE from 'https://esm.run/three';</script>",
     "<script type=module>import * as THREE from '/vendor/three@0.160.1/build/three.module.js';</script>"),
    # The libraries LLM-written tools load, as they write them.
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/dompurify/3.0.6/purify.min.js"></script>',
     '<script src="/vendor/dompurify@3.5.0/dist/purify.min.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/markdown-it@13.0.1/dist/markdown-it.min.js"></script>',
     '<script src="/vendor/markdown-it@15.0.3/dist/browser/markdown-it.umd.min.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/js-yaml/4.1.0/js-yaml.min.js"></script>',
     '<script src="/vendor/js-yaml@4.3.2/dist/js-yaml.min.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/jszip/3.10.1/jszip.min.js"></script>',
     '<script src="/vendor/jszip@3.10.2/dist/jszip.min.js"></script>'),
    ('<script src="https://unpkg.com/turndown/dist/turndown.js"></script>',
     '<script src="/vendor/turndown@7.2.5/dist/turndown.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/highlight.min.js"></script>',
     '<script src="/vendor/@highlightjs/cdn-assets@11.12.0/highlight.min.js"></script>'),
    ('<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.9.0/styles/github.min.css">',
     '<link rel="stylesheet" href="/vendor/@highlightjs/cdn-assets@11.12.0/styles/github.min.css">'),
    ('<script src="https://cdn.jsdelivr.net/gh/highlightjs/cdn-release@11.9.0/build/languages/python.min.js"></script>',
     '<script src="/vendor/@highlightjs/cdn-assets@11.12.0/languages/python.min.js"></script>'),
    ('<link href="https://cdnjs.cloudflare.com/ajax/libs/cropperjs/1.6.1/cropper.min.css" rel="stylesheet">',
     '<link href="/vendor/cropperjs@1.6.2/dist/cropper.min.css" rel="stylesheet">'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/PapaParse/5.4.1/papaparse.min.js"></script>',
     '<script src="/vendor/papaparse@5.7.1/papaparse.min.js"></script>'),
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.min.js"></script>',
     '<script src="/vendor/pdfjs-dist@3.11.174/build/pdf.min.js"></script>'),
    ("<script>pdfjsLib.GlobalWorkerOptions.workerSrc = 'https://cdnjs.cloudflare.com/ajax/libs/pdf.js/3.11.174/pdf.worker.min.js';</script>",
     "<script>pdfjsLib.GlobalWorkerOptions.workerSrc = '/vendor/pdfjs-dist@3.11.174/build/pdf.worker.min.js';</script>"),
    ('<script src="https://cdn.jsdelivr.net/npm/qrcode@1.5.1/build/qrcode.min.js"></script>',
     '<script src="/vendor/qrcode@1.4.4/build/qrcode.min.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/npm/jsqr@1.4.0/dist/jsQR.min.js"></script>',
     '<script src="/vendor/jsqr@1.4.0/dist/jsQR.js"></script>'),
    # sql.js names the folder its .wasm is fetched from, often in a template literal.
    ('<script src="https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/sql-wasm.js"></script>',
     '<script src="/vendor/sql.js@1.17.0/dist/sql-wasm.js"></script>'),
    ("<script>initSqlJs({ locateFile: (f) => `https://cdnjs.cloudflare.com/ajax/libs/sql.js/1.8.0/${f}` });</script>",
     "<script>initSqlJs({ locateFile: (f) => `/vendor/sql.js@1.17.0/dist/${f}` });</script>"),
    # Pyodide from its own jsDelivr folder, at any release, and the indexURL it is given.
    ('<script src="https://cdn.jsdelivr.net/pyodide/v0.23.4/full/pyodide.js"></script>',
     '<script src="/vendor/pyodide@0.29.5/pyodide.js"></script>'),
    ('<script src="https://cdn.jsdelivr.net/pyodide/v0.29.5/full/pyodide.js" integrity="sha384-abc"></script>',
     '<script src="/vendor/pyodide@0.29.5/pyodide.js"></script>'),
    ('<script>loadPyodide({ indexURL: "https://cdn.jsdelivr.net/pyodide/v0.26.1/full/" });</script>',
     '<script>loadPyodide({ indexURL: "/vendor/pyodide@0.29.5/" });</script>'),
    ("<script>loadPyodide({ indexURL: 'https://cdn.jsdelivr.net/pyodide/v0.25.0/full' });</script>",
     "<script>loadPyodide({ indexURL: '/vendor/pyodide@0.29.5/' });</script>"),
    ('<script type="module">import { loadPyodide } from "https://cdn.jsdelivr.net/pyodide/v0.27.2/full/pyodide.mjs";</script>',
     '<script type="module">import { loadPyodide } from "/vendor/pyodide@0.29.5/pyodide.mjs";</script>'),
    # The npm package's own address: its entry, its ES module, its folder.
    ('<script src="https://cdn.jsdelivr.net/npm/pyodide@0.26.4/pyodide.js"></script>',
     '<script src="/vendor/pyodide@0.29.5/pyodide.js"></script>'),
    ('<script src="https://unpkg.com/pyodide@314.0.8"></script>', '<script src="/vendor/pyodide@0.29.5/pyodide.js"></script>'),
    ('<script type="module">import { loadPyodide } from "https://esm.run/pyodide";</script>',
     '<script type="module">import { loadPyodide } from "/vendor/pyodide@0.29.5/pyodide.mjs";</script>'),
    ('<script>loadPyodide({ indexURL: "https://cdn.jsdelivr.net/npm/pyodide@0.26.4/" });</script>',
     '<script>loadPyodide({ indexURL: "/vendor/pyodide@0.29.5/" });</script>'),
]

UNTOUCHED = [
    # Libraries we do not have, with their SRI intact.
    '<script src="https://cdn.jsdelivr.net/npm/lodash@4.17.21/lodash.min.js" integrity="sha256-qXBd/EfAdjOA2FGrGAG+b3YBn2tn5A6bhz+LSgYD96k=" crossorigin="anonymous"></script>',
    '<script src="https://unpkg.com/vue@3/dist/vue.global.js"></script>',
    '<script type="module">import React from "https://esm.sh/react@19";</script>',
    # A file of a library we have but do not serve (the ES module build of Chart.js needs a bundler).
    '<script type="module" src="https://cdn.jsdelivr.net/npm/chart.js@4.4.1/dist/chart.js"></script>',
    # A major version newer than ours.
    '<script src="https://cdn.jsdelivr.net/npm/chart.js@5.0.0/dist/chart.umd.min.js"></script>',
    '<script src="https://cdn.jsdelivr.net/npm/p5@2.0.0/lib/p5.min.js"></script>',
    # Cropper.js 2 is another API altogether.
    '<script src="https://cdn.jsdelivr.net/npm/cropperjs@2/dist/cropper.min.js"></script>',
    # Not npm packages, and no package at all.
    '<script src="https://cdn.jsdelivr.net/gh/user/repo@main/chart.js"></script>',
    '<link rel="preconnect" href="https://cdn.jsdelivr.net">',
    '<link href="https://fonts.googleapis.com/css2?family=Inter&display=swap" rel="stylesheet">',
    # Climbing out of a package finds nothing to serve.
    '<script src="https://cdn.jsdelivr.net/npm/chart.js@4/../../secret.js"></script>',
    '<script src="https://cdn.jsdelivr.net/npm/chart.js@4/%2e%2e/%2e%2e/secret.js"></script>',
    '<script src="https://cdn.jsdelivr.net/npm/chart.js@4/package.json"></script>',
    # Pyodide's packages are not vendored: a wheel's address stays, and the CSP blocks it.
    '<script>pyodide.loadPackage("https://cdn.jsdelivr.net/pyodide/v0.26.1/full/numpy-1.26.4-cp312-cp312-pyodide_2024_0_wasm32.whl");</script>',
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> VendoredFiles:
    return VendoredFiles(make_node_modules(tmp_path_factory.mktemp("node_modules")))


@pytest.mark.parametrize(("written", "served"), CASES)
def test_links_to_vendored_libraries_are_rewritten(files: VendoredFiles, written: str, served: str) -> None:
    assert rewrite_cdn_links(written, files) == served


@pytest.mark.parametrize("written", UNTOUCHED)
def test_anything_else_is_left_as_written(files: VendoredFiles, written: str) -> None:
    assert rewrite_cdn_links(written, files) == written


def test_a_whole_page_keeps_everything_but_the_links(files: VendoredFiles) -> None:
    page = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales</title>
<script src="https://cdn.tailwindcss.com"></script>
<script>tailwind.config = { theme: { extend: { colors: { brand: '#0f766e' } } } }</script>
<script src="https://cdn.jsdelivr.net/npm/chart.js"></script>
</head><body class="bg-slate-50"><h1 class="text-2xl">Sales</h1><canvas id="c"></canvas>
<p>Charts by https://cdn.jsdelivr.net/npm/chart.js drawn offline.</p>
<script>new Chart(document.getElementById('c'), {type: 'bar', data: {labels: ['a'], datasets: [{data: [1]}]}});</script>
</body></html>"""
    served = rewrite_cdn_links(page, files)
    assert served == (
        page.replace('<script src="https://cdn.tailwindcss.com"></script>', TAILWIND)
        .replace("https://cdn.jsdelivr.net/npm/chart.js", "/vendor/chart.js@4.6.1/dist/chart.umd.min.js")
    )


def test_nothing_is_rewritten_when_the_libraries_are_not_installed(tmp_path: Path) -> None:
    files = VendoredFiles(tmp_path)
    assert not files.installed
    for written, _ in CASES:
        assert rewrite_cdn_links(written, files) == written


def test_one_missing_library_means_not_installed(tmp_path: Path) -> None:
    root = make_node_modules(tmp_path)
    (root / "d3" / "package.json").write_text('{"name": "d3", "version": "7.8.5"}')
    files = VendoredFiles(root)
    assert files.missing == ["d3@7.9.2"]
    assert not files.installed
