"""The database: its tables, their migrations, the SQL of apps, versions and their files, and the leases of queued generations."""

from app.storage.backup import backup, restore
from app.storage.files import VersionFile, VersionFiles
from app.storage.leases import Leases
from app.storage.numbers import MAX_INTEGER, as_number, is_digits
from app.storage.schema import api_tokens, app_data, apps, arena_matches, checks, evals, generation_leases, instance_secrets, sessions, shares, signin_links, users, version_files, versions
from app.storage.store import KINDS, PATHS, PURPOSES, STATUSES, AppRecord, AppSummary, Store, VersionRecord, iso, new_id, utc

__all__ = [
    "KINDS",
    "MAX_INTEGER",
    "PATHS",
    "PURPOSES",
    "STATUSES",
    "AppRecord",
    "AppSummary",
    "Leases",
    "Store",
    "VersionFile",
    "VersionFiles",
    "VersionRecord",
    "api_tokens",
    "app_data",
    "apps",
    "arena_matches",
    "as_number",
    "backup",
    "checks",
    "evals",
    "generation_leases",
    "instance_secrets",
    "is_digits",
    "iso",
    "new_id",
    "restore",
    "sessions",
    "shares",
    "signin_links",
    "users",
    "utc",
    "version_files",
    "versions",
]
