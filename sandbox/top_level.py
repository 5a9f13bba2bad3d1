"""What someone gets who opens an app's address as a page of its own.

Inside our editor an app is held twice: its own sandbox, and the editor's `frame-src`,
which stops the frame from navigating itself anywhere but the sandbox host. Opened
directly, the app would be its own top-level page, and in browsers without
Connection-Allowlist nothing would stop `location = "https://elsewhere/?" + data`.
So a top-level load (Sec-Fetch-Dest: document) gets this page instead: no script at
all, one iframe that frames the app exactly as the editor does, under a `frame-src`
of its own. Every other load (the editor's iframe) gets the app.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse

from sandbox.headers import APP_FRAME_ALLOW, APP_SANDBOX

TOP_LEVEL = "top-level"  # the response kind AlwaysSandboxed gives top_level_headers


def is_top_level(request: Request) -> bool:
    # Browsers without Fetch Metadata (Safari before 16.4; any over plain HTTP on a
    # name other than localhost) send nothing: they get the app, still sandboxed.
    return request.headers.get("sec-fetch-dest") == "document"


def top_level_view(request: Request, title: str) -> HTMLResponse:
    # The frame's address keeps the page's key (signature or share link), and differs from
    # the page's own: browsers refuse to frame a page's address inside itself.
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "framed"]
    if "framed" not in request.query_params:
        params.append(("framed", "1"))
    token = request.path_params["token"]
    inner = f"{token}?{urlencode(params)}" if params else token
    label = title or "Untitled tool"
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{escape(label)} · Toolsmith</title>"
        "<style>html,body{margin:0;height:100%}iframe{display:block;border:0;width:100%;height:100%}</style>"
        f"</head><body><iframe src='{escape(inner)}' sandbox='{APP_SANDBOX}' allow='{APP_FRAME_ALLOW}' referrerpolicy='no-referrer' "
        f"title='{escape(label)}'></iframe></body></html>"
    )
    request.state.sandbox_kind = TOP_LEVEL
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
