"""The one Logger every function shares (structured keys, correlation by migration id)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="migrate-bot")


def correlate(migration_id: str) -> None:
    """Tag every following log line of this invocation with the migration id."""
    logger.append_keys(migration_id=migration_id, correlation_id=migration_id)
