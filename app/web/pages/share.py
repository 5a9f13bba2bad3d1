"""What a share link opens, for anyone who has it: the viewer page, the source, the download, remix."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.errors import NotFound
from app.versions import remix
from app.web.auth import require_user, signed_in
from app.web.requests import download_name, page_download, services_of, templates_of


async def viewer(request: Request) -> Response:
    """The shared app full-size in the sandboxed frame, with its title, author, source, download and remix."""
    services = services_of(request)
    token = request.path_params["token"]
    shared = await services.shares.open(token)
    # Each viewer's own copy of the app's data: a signed-in viewer's kept by us, anyone else's
    # in their own browser (static/share-view.js). Never the owner's, never another viewer's.
    who = signed_in(request)
    kept = (await services.appdata.get(shared.app.id, who.user.id)).items if who else None
    has_picture = await services.checks.records.screenshot(shared.version.id) is not None
    return templates_of(request).TemplateResponse(
        request,
        "share.html",
        {
            "title": shared.app.title,
            "app_title": shared.app.title,
            "author": shared.author,
            "token": token,
            "frame_url": services.share_frame_url(shared),
            "share_data": {"token": token, "quota": services.settings.app_data_quota, "local": kept},
            # Link previews (chat apps, social sites) show the check's thumbnail of the version shared.
            "image_url": f"{services.settings.resolved_public_url}/s/{token}/screenshot" if has_picture else None,
        },
    )


async def screenshot(request: Request) -> Response:
    """The thumbnail of the version the link shows (its check's screenshot), for as long as the link works."""
    services = services_of(request)
    shared = await services.shares.open(request.path_params["token"])
    shot = await services.checks.records.screenshot(shared.version.id)
    if shot is None:
        raise NotFound("This app has no picture yet.")
    # no-store: a revoked link must stop showing it at once.
    return Response(shot, media_type="image/png", headers={"Cache-Control": "no-store"})


async def source(request: Request) -> Response:
    """The page's HTML as text to read, escaped in our own page: never run on this origin."""
    shared = await services_of(request).shares.open(request.path_params["token"])
    return templates_of(request).TemplateResponse(
        request,
        "share_source.html",
        {"title": f"Source of {shared.app.title}", "app_title": shared.app.title, "token": request.path_params["token"], "html": shared.version.html},
    )


async def download(request: Request) -> Response:
    services = services_of(request)
    shared = await services.shares.open(request.path_params["token"])
    return await page_download(services, shared.version, shared.app.title, download_name(shared.app.title, ".html"))


async def remix_form(request: Request) -> Response:
    user = require_user(request)
    services = services_of(request)
    shared = await services.shares.open(request.path_params["token"])
    app, _ = await remix(services.store, shared, owner_id=user.id)
    return RedirectResponse(f"/apps/{app.id}", status_code=303)


routes = [
    Route("/s/{token}", viewer, methods=["GET"]),
    Route("/s/{token}/source", source, methods=["GET"]),
    Route("/s/{token}/download", download, methods=["GET"]),
    Route("/s/{token}/screenshot", screenshot, methods=["GET"]),
    Route("/s/{token}/remix", remix_form, methods=["POST"]),
]
