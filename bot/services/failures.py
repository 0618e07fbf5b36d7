"""Expected failures: mark the migration failed and emit ``MigrationFailed`` once."""

from __future__ import annotations

from bot.domain.migration import Migration, fail
from bot.domain.state import Stage
from bot.events.aws import CodeBuildStateChange, EcsTaskStateChange, LambdaFailureRecord
from bot.events.models import SOURCE, MigrationFailed
from bot.ports import Clock, MigrationNotFoundError, Publisher, Store
from bot.services.changes import mutate
from bot.services.ids import migration_id_from_project


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


def owner_of(event: dict[str, object], store: Store) -> Migration | None:
    """The migration an EventBridge envelope is about, whichever service sent it."""
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return None
    source = event.get("source")
    migration_id: str | None = None
    if source == SOURCE:
        migration_id = str(detail.get("migration_id", "")) or None
    elif source == "aws.codebuild":
        migration_id = migration_id_from_project(
            CodeBuildStateChange.model_validate(detail).project_name
        )
    elif source == "aws.ecs":
        resources = event.get("resources") or []
        arn: str | None = None
        if event.get("detail-type") == "ECS Task State Change":
            arn = EcsTaskStateChange.model_validate(detail).service_arn()
        elif isinstance(resources, list) and resources:
            arn = str(resources[0])
        return store.find_by_service_arn(arn) if arn else None
    if migration_id is None:
        return None
    try:
        return store.get(migration_id)
    except MigrationNotFoundError:
        return None


def report_exhausted(
    record: LambdaFailureRecord, *, store: Store, publisher: Publisher, clock: Clock
) -> bool:
    """A step ran out of retries: fail its migration and say why; False if none is found."""
    migration = owner_of(record.request_payload, store)
    if migration is None:
        return False
    detail_type = record.request_payload.get("detail-type", "an event")
    reason = (
        f"{record.function_name()} gave up on {detail_type} after {record.attempts()} "
        f"attempts ({record.error()})"
    )
    return report_failure(store, publisher, clock, migration.migration_id, migration.stage, reason)
