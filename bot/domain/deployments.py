"""ECS deployment vocabulary the bot records and reasons with (one place for the names)."""

from __future__ import annotations

COMPLETED = "SERVICE_DEPLOYMENT_COMPLETED"
FAILED = "SERVICE_DEPLOYMENT_FAILED"
STEADY = "SERVICE_STEADY_STATE"

#: Deployment statuses that are never overwritten once recorded.
TERMINAL: tuple[str, str] = (COMPLETED, FAILED)

#: Tag on every Express service the bot creates, naming its migration.
OWNER_TAG = "migrate-bot:migration-id"
