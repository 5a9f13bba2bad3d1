"""What someone gets who opens an app's address as a page of its own.

Inside our editor an app is held twice: its own sandbox, and the editor's `frame-src`,
which stops the frame from navigating itself anywhere but the sandbox host. Opened
directly, the app would be its own top-level page, and in browsers without
Connection-Allowlist nothing would stop `location = "https://elsewhere/?" + data`.
So a top-level load (Sec-Fetch-Dest: document) gets this page instead: one iframe that
frames the app exactly as the editor does, under a `frame-src` of its own, and no script
but ours (served under SCRIPTS_PATH): static/top-level.js puts the frame in place with what the
app keeps in this browser (docs/bridge.md "Saved data"), static/saves.js offers the files it
makes and says what was stopped.
Every other load (the editor's iframe) gets the app.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX

TOP_LEVEL = "top-level"  # the response kind AlwaysSandboxed gives top_level_headers
FRAMED = "framed"  # the query parameter of the view's frame: its bridge reports to the view
# Our scripts of the view and the modules they import: the frame with its saved data, the save
# offer and the words it says what was stopped in. The editor serves the same files from the main
# origin's /static/.
SCRIPTS_PATH = "/toolsmith/"
_NAMES = ("top-level.js", "saved-data.js", "bridge-host.js", "saves.js", "stopped.js")
SCRIPTS = {name: Path(__file__).resolve().parent.parent / "static" / name for name in _NAMES}
VIEW_PATH = SCRIPTS_PATH + "top-level.js"
SAVES_PATH = SCRIPTS_PATH + "saves.js"

_STYLE = (
    "html,body{margin:0;height:100%}body{display:flex;flex-direction:column}"
    "iframe{display:block;border:0;width:100%;flex:1 1 auto;min-height:0}"
    ".save-offer{display:flex;align-items:center;flex-wrap:wrap;gap:8px;padding:8px 12px;font:14px system-ui,sans-serif;"
    "background:#f4f6f8;border-bottom:1px solid #dde2e8;color:#16191f}.save-offer[hidden]{display:none}"
    ".save-offer-text{margin-right:auto}.button{font:inherit;padding:4px 12px;border-radius:6px;border:1px solid #8a93a2;"
    "background:#fff;color:#16191f;cursor:pointer}.button-primary{background:#4f46e5;border-color:#4f46e5;color:#fff}"
)


def is_top_level(request: Request) -> bool:
    # Browsers without Fetch Metadata (Safari before 16.4; any over plain HTTP on a
    # name other than localhost) send nothing: they get the app, still sandboxed.
    return request.headers.get("sec-fetch-dest") == "document"


def top_level_view(request: Request, title: str, data_key: str, quota: int) -> HTMLResponse:
    """The view of the app `request` names. `data_key` names the app's saved data in this browser
    (the server decides it from the app, never the page); `quota` is each storage area's size."""
    # The frame's address keeps the page's key (signature or share link), and differs from
    # the page's own: browsers refuse to frame a page's address inside itself.
    params = [(k, v) for k, v in request.query_params.multi_items() if k != FRAMED]
    if FRAMED not in request.query_params:
        params.append((FRAMED, "1"))
    # Relative to the view's own address: `/v/{token}`, or a folder address (sandbox/addresses.py),
    # which ends in "/" and is "./" from itself.
    token = "." if request.url.path.endswith("/") else request.path_params["token"]
    inner = f"{token}/?{urlencode(params)}" if token == "." and params else f"{token}?{urlencode(params)}" if params else token
    label = title or "Untitled tool"
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{escape(label)} · Toolsmith</title>"
        f"<style>{_STYLE}</style><script type=module src='{VIEW_PATH}'></script><script type=module src='{SAVES_PATH}'></script>"
        "</head><body><div class=save-offer data-testid=save-offer role=status aria-live=polite hidden data-save-offers></div>"
        # A template: static/top-level.js names the frame with its data before it loads.
        f"<template id=app-frame-template data-key='{escape(data_key)}' data-quota='{quota}'>"
        f"<iframe src='{escape(inner)}' sandbox='{APP_SANDBOX}' allow='{APP_FRAME_ALLOW}' referrerpolicy='no-referrer' "
        f"title='{escape(label)}'></iframe></template></body></html>"
    )
    request.state.sandbox_kind = TOP_LEVEL
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


def is_framed_by_view(request: Request) -> bool:
    """Whether this load is the frame of a top-level view, whose bridge then reports to the view."""
    return FRAMED in request.query_params

