"""The standalone download: one .html file that works opened from disk, with no network.

The file is a page with no script of its own, whose one iframe runs the app from its
`srcdoc` with `sandbox="allow-scripts"`, as the editor frames it: from disk too the app
gets an opaque origin, cannot open windows, navigate the tab or submit forms, and the
file's `frame-src blob: data:` stops the frame navigating itself to any address (docs/security.md).

The app inside (`offline_page`) first gets the sandbox host's rewriting of public CDN
links (sandbox.cdn: links to our copies, the Tailwind Play CDN's configuration script),
then every vendored library it loads by URL (`<script src>`, `<link rel=stylesheet>`, and
the fonts and images those stylesheets name) is inlined, and the page gets the sandbox's
policy as a `<meta>` Content-Security-Policy and the runtime bridge for its in-memory
storage, so that a page that works offline in Toolsmith works offline on disk, and still
cannot call out.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import urljoin

from app.storage import VersionFile
from app.versions.offline_files import inline_own_files, own_lookup
from app.versions.vendored import VendoredLookup
from sandbox.bridge import bridge_code, inject_bridge
from sandbox.cdn import rewrite_cdn_links
from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX, page_csp
from sandbox.libraries import VendoredFiles

Lookup = Callable[[str], bytes | None]

_ATTR = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_SCRIPT = re.compile(r"<script\b([^>]*)>(\s*)</script\s*>", re.IGNORECASE)
_LINK = re.compile(r"<link\b([^>]*)>", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_HTML = re.compile(r"<html\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"<!doctype[^>]*>", re.IGNORECASE)

# What an inlined element no longer needs: its address, and checks that only apply to fetches.
_DROPPED = {"src", "href", "integrity", "crossorigin", "referrerpolicy", "defer", "async", "rel", "as", "media", "fetchpriority"}
# <meta> cannot carry these; the rest of the sandbox's policy applies as is.
_NOT_IN_META = ("sandbox", "frame-ancestors", "report-uri", "report-to")
# The first line of every downloaded file, after the doctype: how an import knows one.
MADE_WITH = "<!-- Made with Toolsmith. The app is the srcdoc of the frame below, run in a sandbox as in Toolsmith:"


def _attrs(text: str) -> list[tuple[str, str | None]]:
    out = []
    for name, value in _ATTR.findall(text):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        out.append((name.lower(), unescape(value) if value else None))
    return out


def _render(attrs: list[tuple[str, str | None]]) -> str:
    return "".join(f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in attrs if name not in _DROPPED)


def offline_policy() -> str:
    # No vendor source: on disk there is no sandbox host, and what it would serve is inlined.
    directives = [" ".join(d.split()) for d in page_csp("'none'", vendor="").split(";")]
    return "; ".join(d for d in directives if d and d.split()[0] not in _NOT_IN_META)


def _policy_meta() -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{escape(offline_policy())}">'


def _inline_css_urls(css: str, base: str, lookup: Lookup) -> str:
    """Fonts and images a vendored stylesheet names, as data: URLs."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        url = urljoin(base, ref)
        data = lookup(url)
        if data is None:
            return match.group(0)
        kind = mimetypes.guess_type(url.split("?")[0].split("#")[0])[0] or "application/octet-stream"
        return f'url("data:{kind};base64,{base64.b64encode(data).decode()}")'

    return _CSS_URL.sub(replace, css)


def standalone_page(html: str, files: VendoredFiles, title: str, own: Sequence[VersionFile] = ()) -> str:
    """The downloaded file: a page with no script that runs `offline_page(html)` in a sandboxed frame;
    `own`, the page's own files (an imported folder's), inlined too (app.versions.offline_files)."""
    label = escape(title or "Untitled tool")
    return (
        f"<!DOCTYPE html>\n{MADE_WITH} it can neither navigate this tab nor reach the network. -->\n"
        '<html lang="en"><head><meta charset="utf-8">'
        # A srcdoc frame inherits this policy along with its own: it must allow what the app
        # needs (inline script), and its frame-src (blob: and data: only) is what stops the frame navigating itself to an address.
        f"{_policy_meta()}"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{label}</title>"
        "<style>html,body{margin:0;height:100%}iframe{display:block;border:0;width:100%;height:100%}</style>"
        f'</head><body><iframe sandbox="{APP_SANDBOX}" allow="{APP_FRAME_ALLOW}" title="{label}" srcdoc="{escape(offline_page(html, files, own))}">'
        "</iframe></body></html>\n"
    )


def offline_page(html: str, files: VendoredFiles, own: Sequence[VersionFile] = ()) -> str:
    """`html` with every vendored library of `files` it loads inlined, and its `own` files, the
    offline policy and the runtime bridge (storage stand-ins, in the sandboxed frame's opaque origin) added."""
    lookup: Lookup = own_lookup(own, VendoredLookup(files)) if own else VendoredLookup(files)

    def script(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(1))
        src = dict(attrs).get("src")
        data = lookup(src) if src else None
        if data is None:
            return match.group(0)
        # Neither may appear raw inside <script>: `</script` ends it, and `<!--` followed by a
        # `<script` makes the parser skip the next `</script>`. In the vendored libraries both occur
        # only in strings and regular expressions, where the escaped forms mean the same.
        code = re.sub(r"</(script)", r"<\\/\1", data.decode("utf-8", errors="replace"), flags=re.IGNORECASE)
        code = code.replace("<!--", "<\\x21--")
        return f"<script{_render(attrs)}>{code}</script>"

    def link(match: re.Match[str]) -> str:
        attrs = _attrs(match.group(1))
        values = dict(attrs)
        if "stylesheet" not in (values.get("rel") or "").lower().split() or not values.get("href"):
            return match.group(0)
        href = values["href"] or ""
        data = lookup(href)
        if data is None:
            return match.group(0)
        css = _inline_css_urls(data.decode("utf-8", errors="replace"), href, lookup)
        css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
        media = f' media="{escape(values["media"] or "")}"' if values.get("media") else ""
        return f"<style{media}>{css}</style>"

    page = _SCRIPT.sub(script, rewrite_cdn_links(inline_own_files(html, own), files))
    page = inject_bridge(_LINK.sub(link, page), None)
    meta = _policy_meta()
    # The policy must come before anything it governs: first thing in <head>.
    if head := _HEAD.search(page):
        return page[: head.end()] + meta + page[head.end() :]
    if opening := _HTML.search(page):
        return page[: opening.end()] + "<head>" + meta + "</head>" + page[opening.end() :]
    if doctype := _DOCTYPE.search(page):
        return page[: doctype.end()] + meta + page[doctype.end() :]
    return meta + page


class _FirstFrame(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.srcdoc: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe" and self.srcdoc is None:
            self.srcdoc = dict(attrs).get("srcdoc") or ""


@lru_cache(maxsize=1)
def _download_bridge() -> re.Pattern[str]:
    return re.compile("<script>" + re.escape(bridge_code()) + r"\(null,\d+,\d+,\d+\);</script>")


def app_of_download(html: str) -> str | None:
    """The app inside a file `standalone_page` made, as it was before it was made offline
    (bar its links to public CDNs, which stay as offline_page left them: inlined, or pointed
    at our copy, and the `<head>` it may have added); None if `html` is not such a file.
    Importing a download gives back the app, not the frame around it."""
    if MADE_WITH not in html[:500]:
        return None
    frame = _FirstFrame()
    frame.feed(html)
    if not frame.srcdoc:
        return None
    # What offline_page added, each where it put it: the policy, then the bridge.
    page = frame.srcdoc.replace(_policy_meta(), "", 1)
    return _download_bridge().sub("", page, count=1)
