"""The database: its tables, their migrations, and the SQL of apps and versions."""

from app.storage.schema import api_tokens, apps, checks, evals, instance_secrets, sessions, shares, signin_links, users, versions
from app.storage.store import KINDS, PATHS, STATUSES, AppRecord, AppSummary, Store, VersionRecord, iso, new_id, utc

__all__ = [
    "KINDS",
    "PATHS",
    "STATUSES",
    "AppRecord",
    "AppSummary",
    "Store",
    "VersionRecord",
    "api_tokens",
    "apps",
    "checks",
    "evals",
    "instance_secrets",
    "iso",
    "new_id",
    "sessions",
    "shares",
    "signin_links",
    "users",
    "utc",
    "versions",
]
