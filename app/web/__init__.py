"""The main origin: pages, the JSON API, static files and the middleware in front of them."""

from app.web.server import create_app

__all__ = ["create_app"]
