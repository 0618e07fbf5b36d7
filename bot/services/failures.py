"""Failures: mark the migration failed and emit ``MigrationFailed``; report exhausted retries."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.migration import Migration, fail
from bot.domain.state import Stage
from bot.events.aws import CodeBuildStateChange, EcsTaskStateChange, LambdaFailureRecord
from bot.events.models import SOURCE, MigrationFailed, TaskStateChanged
from bot.ports import Clock, MigrationNotFoundError, Publisher, Store
from bot.services.changes import transition_and_emit
from bot.services.ids import migration_id_from_project

#: Functions whose exhausted retries say nothing about the migration's own health: the
#: notifier only talks to Slack (which may be what is down).
NOT_MIGRATION_STEPS = frozenset({"notifier", "NotifierFunction"})


def _failed_event(migration: Migration) -> MigrationFailed:
    return MigrationFailed(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:failed:{migration.version}",
        stage=(migration.failed_stage or migration.stage).value,
        reason=migration.failure or "unknown",
    )


def report_failure(
    store: Store, publisher: Publisher, clock: Clock, migration_id: str, stage: Stage, reason: str
) -> bool:
    """Fail the migration at ``stage`` for ``reason``; False if it could no longer fail.

    A redelivery that finds the migration already failed publishes its
    ``MigrationFailed`` again (same key), so the failure is never lost.
    """
    saved = transition_and_emit(
        store,
        publisher,
        migration_id,
        lambda m: fail(m, stage, reason, clock.now()),
        lambda m: m.stage == Stage.FAILED,
        _failed_event,
    )
    return saved is not None


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


class Outcome(StrEnum):
    """What became of an exhausted-retries record."""

    REPORTED = "reported"
    ALREADY_SETTLED = "already settled"


class UnreportableFailureError(RuntimeError):
    """A failure no migration thread can be told of (raised so a person sees it queued)."""


def report_exhausted(
    record: LambdaFailureRecord, *, store: Store, publisher: Publisher, clock: Clock
) -> Outcome:
    """A step ran out of retries: fail its migration and say why in its thread.

    Raises ``UnreportableFailureError`` for a failure no thread can be told of
    (a notifier failure, a task notice, an event of no known migration): the
    record then stays queued and lands in ``UnreportedFailuresQueue``.
    """
    function = record.function_name()
    if _is_notifier(function):
        raise UnreportableFailureError(f"not a migration step: {function} {record.error()}")
    detail_type = record.request_payload.get("detail-type", "an event")
    reason = (
        f"{function} gave up on {detail_type} after {record.attempts()} attempts ({record.error()})"
    )
    return _fail_owner(record.request_payload, reason, store, publisher, clock)


def report_undelivered(
    event: dict[str, object],
    attributes: dict[str, str],
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
) -> Outcome:
    """EventBridge could not deliver an event to its target: fail its migration and say so.

    ``attributes`` are the dead-letter message's (ERROR_CODE, TARGET_ARN, RULE_ARN, ...).
    """
    error = attributes.get("ERROR_CODE") or "undelivered"
    target = attributes.get("TARGET_ARN", "")
    if _is_notifier(target.rsplit(":", 1)[-1]):
        raise UnreportableFailureError(f"not a migration step: {target} ({error})")
    detail_type = event.get("detail-type", "an event")
    reason = f"EventBridge could not deliver {detail_type} to its consumer ({error})"
    return _fail_owner(event, reason, store, publisher, clock)


def _is_notifier(function: str) -> bool:
    return function in NOT_MIGRATION_STEPS or function.endswith("-notifier")


def _fail_owner(
    event: dict[str, object], reason: str, store: Store, publisher: Publisher, clock: Clock
) -> Outcome:
    if event.get("detail-type") in (TaskStateChanged.detail_type, "ECS Task State Change"):
        raise UnreportableFailureError(f"a task notice, not a migration step: {reason}")
    migration = owner_of(event, store)
    if migration is None:
        raise UnreportableFailureError(f"no known migration: {reason}")
    if report_failure(store, publisher, clock, migration.migration_id, migration.stage, reason):
        return Outcome.REPORTED
    return Outcome.ALREADY_SETTLED
