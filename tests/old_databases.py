"""Databases as older Toolsmith left them, for the tests of the migrations that bring them up to date."""

from __future__ import annotations

# The tables as migration 1 made them, spelled out: a database from then, whatever app.storage.schema says now.
MIGRATION_1 = [
    "CREATE TABLE apps (id VARCHAR(32) PRIMARY KEY, title VARCHAR(200) NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)",
    (
        "CREATE TABLE versions (id VARCHAR(32) PRIMARY KEY, app_id VARCHAR(32) NOT NULL REFERENCES apps (id) ON DELETE CASCADE, number INTEGER NOT NULL, "
        "parent_number INTEGER, prompt TEXT NOT NULL, model VARCHAR(200) NOT NULL, system_prompt_hash VARCHAR(64), html TEXT, answer TEXT, notes TEXT, "
        "input_tokens INTEGER, output_tokens INTEGER, duration_ms INTEGER, stop_reason VARCHAR(64), status VARCHAR(16) NOT NULL, error TEXT, "
        "sandbox_token VARCHAR(64) NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, CONSTRAINT uq_versions_app_number UNIQUE (app_id, number))"
    ),
    "CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at TIMESTAMP NOT NULL)",
    "INSERT INTO schema_migrations VALUES (1, 'apps and versions', '2025-01-01 00:00:00')",
]
