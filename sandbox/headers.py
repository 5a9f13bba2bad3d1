"""The headers every response of the sandbox host carries, whatever it is.

The policy assumes the page is hostile: a model may have written it under prompt
injection, and anyone may open a shared link. docs/security.md explains each choice
and which layer stops which way out.

Four kinds of response, one set of headers each:

- an app (and everything else: notices, 404s, 500s): `app_headers`; at a folder address
  (sandbox/addresses.py) with that folder's files allowed too
- a file of a page's folder: `file_headers`
- the top-level view that frames an app opened directly, and offers the files it makes
  (sandbox/top_level.py): `top_level_headers`
- a vendored library file under VENDOR_PATH (sandbox/libraries.py): `vendor_headers`
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox.libraries import VENDOR_PATH

PAGES_PATH = "/v/"

# What every frame that runs an app may do, as its `sandbox` attribute and the CSP `sandbox`
# directive both say. Forms only run their submit handlers: `form-action 'none'` stops every
# submission that would go somewhere. No allow-same-origin, popups, top navigation, modals
# (the bridge draws dialogs in the page) or downloads (a file is saved by our own page, after
# the person confirms it). docs/security.md says why for each.
APP_SANDBOX = "allow-scripts allow-forms"
# The `allow` attribute of every frame that runs an app: a copy button and a full-screen button
# work from a click. Neither reaches the network or reads anything; clipboard-read stays denied.
APP_FRAME_ALLOW = "clipboard-write; fullscreen"

# Powerful features no generated tool may use, in any browser that knows them. Denied
# here, a later `allow=` on some iframe cannot grant them back. Only names Chromium
# recognises: an unknown one costs a console error in every app.
DENIED_FEATURES = (
    "accelerometer", "browsing-topics", "camera", "captured-surface-control", "clipboard-read",
    "compute-pressure", "deferred-fetch", "deferred-fetch-minimal", "digital-credentials-create",
    "digital-credentials-get", "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid",
    "identity-credentials-get", "idle-detection", "interest-cohort", "language-detector", "language-model",
    "local-fonts", "local-network", "local-network-access", "loopback-network", "magnetometer", "microphone",
    "midi", "on-device-speech-recognition", "otp-credentials", "payment", "private-state-token-issuance",
    "private-state-token-redemption", "publickey-credentials-create", "publickey-credentials-get", "serial",
    "speaker-selection", "storage-access", "summarizer", "translator", "usb", "window-management",
    "xr-spatial-tracking",
)  # fmt: skip


def origin_of(url: str) -> str:
    """The scheme://host:port of `url`: what a browser names as its origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Origins:
    """Where our two servers are, as people's browsers reach them."""

    main: str  # scheme://host:port of our own pages
    sandbox_url: str  # the sandbox host's base URL (TOOLSMITH_SANDBOX_URL), without a final slash

    @property
    def sandbox(self) -> str:
        return origin_of(self.sandbox_url)

    @property
    def pages(self) -> str:
        return self.sandbox_url + PAGES_PATH

    @property
    def vendor(self) -> str:
        return self.sandbox_url + VENDOR_PATH


def permissions_policy(denied: tuple[str, ...] = DENIED_FEATURES) -> str:
    return ", ".join(f"{feature}=()" for feature in denied)


def _url_pattern(prefix: str) -> str:
    """A URLPattern matching every URL under `prefix`, as a Structured Field string."""
    literal = "".join("\\" + c if c in "*+?(){}\\" else c for c in prefix)
    return '"' + (literal + "*").replace("\\", "\\\\").replace('"', '\\"') + '"'


def connection_allowlist(*prefixes: str, response_origin: bool = False, redirects: bool = False) -> str:
    """The Connection-Allowlist header allowing only URLs under `prefixes` (none: nothing),
    and with `response_origin` the origin of the response that carries it. Redirects are
    refused unless `redirects`: Chromium then follows them wherever they lead.

    Chromium 152+ enforces it below CSP, in the network service: it also covers WebRTC
    (blocked unless the list says `webrtc=allow`), DNS prefetch, preconnect, speculation
    rules and the navigations a document starts, which CSP leaves open.
    """
    items = (["response-origin"] if response_origin else []) + [_url_pattern(p) for p in prefixes]
    return "(" + " ".join(items) + ")" + (";redirects=allow" if redirects else "")


def app_csp(origins: Origins, folder: str = "") -> str:
    """The policy of every document the sandbox host serves but the top-level view; `folder`, the
    path of a folder address (`/v/{token}/{key}/`), for a page that loads its own files from there."""
    # Our own pages, and the top-level view on this host, may frame an app; no one else.
    files = origins.sandbox + folder if folder else ""
    return page_csp(frame_ancestors=f"{origins.main} {origins.sandbox}", vendor=origins.vendor, files=files)


def page_csp(frame_ancestors: str, vendor: str, files: str = "") -> str:
    """The policy of a generated page; `vendor` is where vendored libraries load from
    ("": nowhere, as in a standalone download, which inlines them); `files`, the URL of the folder
    of this version's own files, under this very address (none: a page alone)."""

    def sources(*items: str) -> str:
        return " ".join(item for item in items if item)

    return "; ".join(
        [
            # An opaque origin, inside an iframe or not: no cookies or storage of any
            # origin, no popups, no top navigation, no modals, no downloads; forms run
            # their handlers but go nowhere (form-action below).
            f"sandbox {APP_SANDBOX}",
            "default-src 'none'",
            # A generated app is one page of inline script; some libraries compile
            # templates or JSX at run time (Alpine, Babel), hence eval.
            # A page's own files (an imported folder's app.js, style.css, data.json) come from under
            # its own signed address, which only this version's key opens: the same host, no one else's.
            "script-src " + sources("'unsafe-inline'", "'unsafe-eval'", "blob:", vendor, files),
            "style-src " + sources("'unsafe-inline'", vendor, files),
            "img-src " + sources("data:", "blob:", vendor, files),
            "media-src " + sources("data:", "blob:", files),
            "font-src " + sources("data:", vendor, files),
            # Local schemes (fetch(canvas.toDataURL())) and our vendored files (sql.js fetches its
            # .wasm): nothing leaves the browser but for requests to the sandbox host's public files,
            # which scripts could load from there anyway, and to this page's own files.
            "connect-src " + sources("data:", "blob:", vendor, files),
            # Workers made from the page's own blobs inherit this policy (Tone.js keeps time in one).
            "worker-src blob:",
            # Frames of the page's own documents only (a preview pane: a blob:, data: or srcdoc
            # frame, which needs no source): each inherits this policy, the sandbox and, in
            # Chromium, the Connection-Allowlist (e2e/escapes/test_connection_allowlist.py).
            "frame-src blob: data:",
            "object-src 'none'",
            "base-uri 'none'",
            # Every submission that would navigate is stopped, whatever its target, in every browser.
            "form-action 'none'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def top_level_csp(origins: Origins, scripts: str) -> str:
    """The top-level view runs no script but ours under the path `scripts` (the save offer); it
    only frames the app, and frames nothing else."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {origins.sandbox}{scripts}",
            "style-src 'unsafe-inline'",
            f"frame-src {origins.pages}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _common() -> dict[str, str]:
    return {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        # Non-standard; Firefox documents it. In Chromium the Connection-Allowlist covers DNS prefetch.
        "X-DNS-Prefetch-Control": "off",
        "Permissions-Policy": permissions_policy(),
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def app_headers(origins: Origins, folder: str = "") -> dict[str, str]:
    """`folder`: the path of the folder address the page is at (`/v/{token}/{key}/`), if it is at one."""
    # Our vendored libraries, and the page's own address (location.reload()); at a folder address,
    # that folder alone: the page's own address and files, and no other version's.
    own = origins.sandbox + folder if folder else origins.pages
    return {
        "Content-Security-Policy": app_csp(origins, folder),
        "Connection-Allowlist": connection_allowlist(origins.vendor, own),
        **_common(),
    }


def file_headers(origins: Origins, folder: str) -> dict[str, str]:
    # Loaded by the page's opaque origin, to which this host is another: scripts and images (no-cors)
    # need a cross-origin resource policy, fetch() and modules (CORS from origin "null") the
    # Access-Control-Allow-Origin. The address itself is the secret: it carries the page's key.
    return app_headers(origins, folder) | {"Cross-Origin-Resource-Policy": "cross-origin", "Access-Control-Allow-Origin": "*"}


def top_level_headers(origins: Origins, scripts: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": top_level_csp(origins, scripts),
        # The app pages it frames, and our scripts.
        "Connection-Allowlist": connection_allowlist(origins.pages, origins.sandbox_url + scripts),
        # Whoever opened this window keeps no handle on it.
        "Cross-Origin-Opener-Policy": "same-origin",
        **_common(),
    }


def vendor_headers(origins: Origins) -> dict[str, str]:
    # Public code, loaded by opaque-origin pages to which every origin is another one:
    # classic scripts (no-cors) need a cross-origin resource policy, and modules and
    # fonts (CORS requests from origin "null") need Access-Control-Allow-Origin.
    return app_headers(origins) | {"Cross-Origin-Resource-Policy": "cross-origin", "Access-Control-Allow-Origin": "*"}
