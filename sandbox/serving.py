"""A version's page as the sandbox host serves it: CDN links pointed at the vendored copies, then the bridge."""

from __future__ import annotations

from sandbox.bridge import inject_bridge
from sandbox.cdn import rewrite_cdn_links
from sandbox.libraries import VendoredFiles


def served_page(html: str, vendored: VendoredFiles, public_url: str) -> str:
    """What a browser receives for `html`; `public_url` is the editor's, to which the bridge reports."""
    # The bridge goes in last, so the CDN rewriting never reads it and it stays the first script.
    return inject_bridge(rewrite_cdn_links(html, vendored), public_url)
