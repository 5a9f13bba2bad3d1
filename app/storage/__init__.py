"""The database: its tables, their migrations, the SQL of apps and versions, and the leases of queued generations."""

from app.storage.leases import Leases
from app.storage.schema import api_tokens, apps, checks, evals, generation_leases, instance_secrets, sessions, shares, signin_links, users, versions
from app.storage.store import KINDS, PATHS, STATUSES, AppRecord, AppSummary, Store, VersionRecord, iso, new_id, utc

__all__ = [
    "KINDS",
    "PATHS",
    "STATUSES",
    "AppRecord",
    "AppSummary",
    "Leases",
    "Store",
    "VersionRecord",
    "api_tokens",
    "apps",
    "checks",
    "evals",
    "generation_leases",
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
