"""The headers every response of the sandbox host carries, whatever it is.

The policy assumes the page is hostile. docs/security.md explains each choice.
"""

from __future__ import annotations


def sandbox_csp(frame_ancestors: str, vendor_source: str) -> str:
    """`vendor_source` is the sandbox host's /vendor/ folder (sandbox/libraries.py), as an absolute URL."""
    return "; ".join(
        [
            # An opaque origin even when opened top-level: no cookies, no storage,
            # no popups, no forms, no top navigation. Scripts and modals only.
            "sandbox allow-scripts allow-modals",
            "default-src 'none'",
            f"script-src 'unsafe-inline' 'unsafe-eval' blob: {vendor_source}",
            f"style-src 'unsafe-inline' {vendor_source}",
            f"img-src data: blob: {vendor_source}",
            "media-src data: blob:",
            f"font-src data: {vendor_source}",
            "connect-src 'none'",
            "worker-src 'none'",
            "frame-src 'none'",
            "child-src 'none'",
            "object-src 'none'",
            "manifest-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def sandbox_headers(main_origin: str, vendor_source: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": sandbox_csp(main_origin, vendor_source),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=(), payment=(), display-capture=()",
    }
