"""The `toolsmith` command line: serve, import, models, users and tokens."""

from app.cli.commands import main

__all__ = ["main"]
