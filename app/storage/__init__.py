"""The database: its tables, their migrations, and the SQL of apps and versions."""

from app.storage.backup import backup, restore
from app.storage.numbers import MAX_INTEGER, as_number, is_digits
from app.storage.schema import api_tokens, apps, instance_secrets, sessions, shares, signin_links, users, versions
from app.storage.store import KINDS, PATHS, STATUSES, AppRecord, Store, VersionRecord, iso, new_id, utc

__all__ = [
    "KINDS",
    "MAX_INTEGER",
    "PATHS",
    "STATUSES",
    "AppRecord",
    "Store",
    "VersionRecord",
    "api_tokens",
    "apps",
    "as_number",
    "backup",
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
    "versions",
]
