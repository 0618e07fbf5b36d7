"""ECS events → migration state: deployments, steady state and task changes."""

from __future__ import annotations

import re

from bot.domain.deployments import COMPLETED, FAILED, STEADY
from bot.domain.migration import Migration, advance
from bot.domain.state import Stage
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.events.models import ServiceHealthy, TaskStateChanged
from bot.ports import Clock, MigrationNotFoundError, Publisher, Store, TaskRecord
from bot.services.changes import transition_and_emit
from bot.services.failures import report_failure

STEADY_KEY = "steady-state"
_MIGRATION_SUFFIX = re.compile(r"(mig-[0-9a-f]{8})$")


class ServiceNotRecordedError(LookupError):
    """An event names a bot-created service whose ARN is not stored yet (retried)."""


def find_migration(store: Store, service_arn: str) -> Migration | None:
    """The migration owning ``service_arn``; None for services the bot did not create."""
    migration = store.find_by_service_arn(service_arn)
    if migration is not None:
        return migration
    named = _MIGRATION_SUFFIX.search(service_arn)
    if named is None:
        return None
    try:
        owner = store.get(named.group(1))
    except MigrationNotFoundError:
        return None  # a look-alike name, or a migration of another installation
    if owner.service_arn is None and owner.stage == Stage.DEPLOYING:
        # The service exists before deploy records its ARN: let Lambda retry the event.
        raise ServiceNotRecordedError(f"service {service_arn} is not recorded yet")
    return None


def on_deployment(
    service_arn: str,
    detail: EcsDeploymentStateChange,
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Record a deployment state; completed (with steady state) → healthy, failed → failed.

    The status is recorded first (terminal states are never overwritten), then the
    consequence is derived from what is recorded, on every delivery: a redelivery
    after a crash finishes the step instead of finding it "already seen".
    """
    migration = find_migration(store, service_arn)
    if migration is None:
        return
    store.record_deployment(migration.migration_id, detail.deployment_id, detail.event_name)
    recorded = store.deployment_statuses(migration.migration_id).get(detail.deployment_id)
    if recorded == FAILED and detail.event_name == FAILED:
        reason = detail.reason or "the ECS deployment failed"
        report_failure(
            store,
            publisher,
            clock,
            migration.migration_id,
            Stage.DEPLOYING,
            f"Deployment failed: {reason}",
        )
    elif recorded == COMPLETED:
        _healthy_if_ready(store, publisher, clock, migration.migration_id)


def on_service_action(
    service_arn: str, detail: EcsServiceAction, *, store: Store, publisher: Publisher, clock: Clock
) -> None:
    """Record SERVICE_STEADY_STATE (AWS repeats it; once is kept); it may complete the health check."""
    if detail.event_name != STEADY:
        return
    migration = find_migration(store, service_arn)
    if migration is None:
        return
    store.record_deployment(migration.migration_id, STEADY_KEY, STEADY)
    _healthy_if_ready(store, publisher, clock, migration.migration_id)


def on_task(detail: EcsTaskStateChange, *, store: Store, publisher: Publisher) -> None:
    """Record a task change when newer than what is stored and announce it."""
    service_arn = detail.service_arn()
    migration = find_migration(store, service_arn) if service_arn else None
    if migration is None:
        return
    record = TaskRecord(
        task_arn=detail.task_arn, last_status=detail.last_status, ecs_version=detail.version
    )
    if not store.record_task(migration.migration_id, record):
        return  # older than, or the same as, what is stored
    publisher.publish(
        [
            TaskStateChanged(
                migration_id=migration.migration_id,
                idempotency_key=f"{detail.task_arn}:{detail.version}",
                task_arn=detail.task_arn,
                last_status=detail.last_status,
                desired_status=detail.desired_status,
                stop_code=detail.stop_code,
                stopped_reason=detail.stopped_reason,
                ecs_version=detail.version,
            )
        ]
    )


def _healthy(migration: Migration) -> ServiceHealthy:
    assert migration.service_arn is not None, "a healthy migration has a service"
    return ServiceHealthy(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:healthy",
        service_arn=migration.service_arn,
        endpoint=migration.endpoint,
    )


def _healthy_if_ready(store: Store, publisher: Publisher, clock: Clock, migration_id: str) -> None:
    statuses = store.deployment_statuses(migration_id)
    if STEADY not in statuses.values() or COMPLETED not in statuses.values():
        return
    transition_and_emit(
        store,
        publisher,
        migration_id,
        lambda m: (
            advance(m, Stage.HEALTHY, clock.now())
            if m.stage == Stage.DEPLOYING and m.service_arn
            else None
        ),
        lambda m: m.stage == Stage.HEALTHY,
        _healthy,
    )
