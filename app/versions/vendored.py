"""The vendored library file a URL in a page names, as bytes: what the standalone download inlines.

An adapter over the sandbox host's own code, so that a download inlines exactly
what the sandbox host would serve the page: a public CDN URL is mapped as
`sandbox.cdn.vendored_url` maps it, and a `/vendor/<package>@<version>/<path>`
address is read through `VendoredFiles.at`, as `sandbox.libraries.serve_vendored`
reads it. Nothing outside the listed files of sandbox/libraries.py is ever read.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from sandbox.cdn import vendored_url
from sandbox.libraries import VENDOR_PATH, VendoredFiles


class VendoredLookup:
    """`lookup(url) -> bytes | None`: the vendored file `url` names, or None for any other URL."""

    def __init__(self, files: VendoredFiles) -> None:
        self.files = files

    def __call__(self, url: str) -> bytes | None:
        address = url.strip()
        if not address.startswith(VENDOR_PATH):
            address = vendored_url(address, self.files) or ""
        path = unquote(urlsplit(address).path)
        if not path.startswith(VENDOR_PATH):
            return None
        file = self.files.at(path[len(VENDOR_PATH) :])
        return file.read_bytes() if file else None
