"""Expected failures: mark the migration failed and emit ``MigrationFailed`` once."""

from __future__ import annotations

from bot.domain.migration import fail
from bot.domain.state import Stage
from bot.events.models import MigrationFailed
from bot.ports import Clock, Publisher, Store
from bot.services.changes import mutate


def report_failure(
    store: Store, publisher: Publisher, clock: Clock, migration_id: str, stage: Stage, reason: str
) -> bool:
    """Fail the migration at ``stage`` for ``reason``; False if it could no longer fail."""
    failed = mutate(store, migration_id, lambda m: fail(m, stage, reason, clock.now()))
    if failed is None:
        return False
    publisher.publish(
        [
            MigrationFailed(
                migration_id=migration_id,
                idempotency_key=f"{migration_id}:failed:{stage.value}:{failed.version}",
                stage=stage.value,
                reason=reason,
            )
        ]
    )
    return True
