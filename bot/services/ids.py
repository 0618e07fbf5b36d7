"""Identifiers the services mint."""

from __future__ import annotations

import secrets


def new_migration_id() -> str:
    """Return a fresh, short, URL- and DNS-safe migration id such as ``mig-3f9c2a1b``."""
    return f"mig-{secrets.token_hex(4)}"


def project_name(migration_id: str) -> str:
    """CodeBuild project (and rule prefix) for a migration."""
    return f"migrate-bot-{migration_id}"


def migration_id_from_project(name: str) -> str | None:
    """Inverse of ``project_name``; None for projects the bot did not create."""
    prefix = "migrate-bot-"
    return name[len(prefix) :] if name.startswith(prefix) else None
