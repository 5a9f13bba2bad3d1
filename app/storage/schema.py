"""The tables, as they are now. `app.storage.migrations` brings older databases here."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),  # lower case
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=True),  # None: signs in with one-time links only
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # None only for apps made before accounts existed, until the first user claims them.
    sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True),
    sa.Column("remixed_from_app_id", sa.String(32), nullable=True),  # no foreign key: the original may go
    sa.Column("remixed_from_title", sa.String(200), nullable=True),
    sa.Column("title_by_hand", sa.Boolean, nullable=False, server_default=sa.false()),  # renamed by its owner (migration 5)
    # Set for the apps an eval run made (migration 5): kept out of the person's own lists.
    sa.Column("eval_id", sa.String(32), nullable=True, index=True),
    # What the app is for (migration 5): "own", the person's own, listed; "arena", one side of an
    # arena match, kept out of the person's list until they keep it. Other kept-apart uses add a word.
    sa.Column("purpose", sa.String(16), nullable=False, server_default="own"),
)

versions = sa.Table(
    "versions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("parent_number", sa.Integer, nullable=True),
    sa.Column("prompt", sa.Text, nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("system_prompt_hash", sa.String(64), nullable=True),
    sa.Column("html", sa.Text, nullable=True),
    sa.Column("answer", sa.Text, nullable=True),  # the model's raw answer, page and prose
    sa.Column("notes", sa.Text, nullable=True),  # the prose around the page
    sa.Column("input_tokens", sa.Integer, nullable=True),
    sa.Column("output_tokens", sa.Integer, nullable=True),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    sa.Column("stop_reason", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # generating | complete | incomplete | stopped | failed
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("sandbox_token", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    # How the version came to be (migration 3). kind: create | follow_up | fix | continue | hand_edit | restore | import | remix
    sa.Column("kind", sa.String(16), nullable=False, server_default="follow_up"),
    sa.Column("path", sa.String(24), nullable=True),  # page | edits | edits_then_page | edits_retried: how the model's answer made the page
    sa.Column("edit_count", sa.Integer, nullable=True),  # edit blocks applied
    sa.Column("edit_error", sa.Text, nullable=True),  # why the first edit blocks could not be applied
    sa.Column("continuations", sa.Integer, nullable=False, server_default="0"),  # times a cut-off answer was continued
    sa.Column("runtime_errors", sa.JSON, nullable=True),  # the errors a fix carried to the model
    sa.Column("automatic", sa.Boolean, nullable=False, server_default=sa.false()),  # an automatic fix attempt
    sa.Column("selection", sa.JSON, nullable=True),  # the part of the page the request was scoped to
    # The version whose files (version_files) this one's page names (migration 10): itself for an
    # imported folder or zip, the parent's for every version made from it; None: a page alone.
    sa.Column("files_from", sa.String(32), nullable=True),
    sa.UniqueConstraint("app_id", "number", name="uq_versions_app_number"),
)

# The files an imported folder or zip brought with its page (migration 10, app.versions.bundle),
# by their path relative to the page; kept once, with the version imported, and named by the
# `files_from` of each version made from it. The sandbox host serves them under the page's address.
version_files = sa.Table(
    "version_files",
    metadata,
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(500), primary_key=True),  # "app.js", "img/logo.png": no "..", no leading "/"
    sa.Column("content_type", sa.String(100), nullable=False),  # as served
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

checks = sa.Table(
    "checks",
    metadata,
    # One per version that got a page while checks were on (app.checks).
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending | passed | problems | not_checked
    sa.Column("problems", sa.JSON, nullable=True),  # [{kind, message, step?, line?, column?}]
    sa.Column("reason", sa.Text, nullable=True),  # why not_checked
    sa.Column("screenshot", sa.LargeBinary, nullable=True),  # a small PNG at laptop width
    sa.Column("duration_ms", sa.Integer, nullable=True),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_checks_status", "status"),
)

evals = sa.Table(
    "evals",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("suite_name", sa.String(200), nullable=False),
    sa.Column("suite", sa.JSON, nullable=False),  # the prompts and their checks, as parsed
    sa.Column("models", sa.JSON, nullable=False),
    sa.Column("repeat", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | finished | failed
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("results", sa.JSON, nullable=False),  # one entry per run, in the order they finished
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 of the id the cookie carries
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

signin_links = sa.Table(
    "signin_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
)

shares = sa.Table(
    "shares",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("version_number", sa.Integer, nullable=True),  # None: the newest finished version
    sa.Column("show_author", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

instance_secrets = sa.Table(
    "instance_secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# A generation handed to the queue (migration 4): which worker runs it, and until when without renewing.
# A row whose time has passed while its version is still generating is a generation nobody is writing.
generation_leases = sa.Table(
    "generation_leases",
    metadata,
    sa.Column("version_id", sa.String(32), sa.ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("worker", sa.String(100), nullable=True),  # None: still waiting in the queue
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

# What an app keeps in localStorage, one row per app and person (migration 5, app.appdata).
# Kept for the app, not the version, so a new version finds the person's data where they left it.
app_data = sa.Table(
    "app_data",
    metadata,
    sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("items", sa.Text, nullable=False),  # a JSON object of strings, ASCII-escaped: any JS string round-trips
    sa.Column("chars", sa.Integer, nullable=False),  # UTF-16 code units of keys and values, what the quota counts
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

arena_matches = sa.Table(
    "arena_matches",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("owner_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("prompt", sa.Text, nullable=False),
    # Each side is version 1 of an app of its own (purpose "arena" until kept); the models are
    # copied here so the votes outlive the apps.
    sa.Column("app_a_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="SET NULL"), nullable=True),
    sa.Column("app_b_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="SET NULL"), nullable=True),
    sa.Column("model_a", sa.String(200), nullable=False),
    sa.Column("model_b", sa.String(200), nullable=False),
    sa.Column("vote", sa.String(16), nullable=True),  # a | b | tie | both_bad; None until the person votes
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("voted_at", sa.DateTime(timezone=True), nullable=True),
)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)


def dependents_of_apps() -> list[sa.Table]:
    """Every table whose rows belong to one app (an `app_id` column), children first: deleting an app empties them."""
    return [table for table in reversed(metadata.sorted_tables) if table.name != "apps" and "app_id" in table.c]


def dependents_of_versions() -> list[sa.Table]:
    """Every table whose rows belong to one version (a `version_id` column): emptied before the versions go."""
    return [table for table in reversed(metadata.sorted_tables) if table.name != "versions" and "version_id" in table.c]
