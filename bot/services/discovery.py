"""Discovery: read the instance and what surrounds it, store a plan, emit it."""

from __future__ import annotations

from bot.domain.migration import Migration, advance
from bot.domain.sizing import UnknownInstanceTypeError
from bot.domain.state import Stage
from bot.events.models import DiscoveryCompleted, MigrationRequested
from bot.ports import (
    AwsRefusedError,
    Clock,
    DiscoveryAws,
    DiscoveryError,
    InstanceNotFoundError,
    Publisher,
    Store,
)
from bot.services.changes import mutate, republish_step, transition_and_emit
from bot.services.failures import report_failure
from bot.services.plan_report import plan_for


def _discovered(migration: Migration) -> DiscoveryCompleted:
    plan = migration.plan
    assert plan is not None, "a planned migration has a plan"
    return DiscoveryCompleted(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:discovered",
        instance_id=plan.instance_id,
        runtime=plan.runtime,
        port=plan.port,
        cpu=plan.cpu,
        memory=plan.memory,
    )


def run(
    event: MigrationRequested,
    *,
    store: Store,
    aws: DiscoveryAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Discover the target of ``event`` and move its migration to planned (or failed)."""
    current = store.get(event.migration_id)
    if current.stage == Stage.PLANNED:
        republish_step(store, publisher, _discovered(current))  # redelivered
        return
    if current.stage == Stage.REQUESTED:
        mutate(
            store,
            event.migration_id,
            lambda m: (
                advance(m, Stage.DISCOVERING, clock.now()) if m.stage == Stage.REQUESTED else None
            ),
        )
    elif current.stage != Stage.DISCOVERING:
        return  # the migration moved on (cancelled, failed, or past planning)
    try:
        plan = plan_for(event.target, aws)
    except (
        InstanceNotFoundError,
        DiscoveryError,
        UnknownInstanceTypeError,
        AwsRefusedError,
    ) as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.DISCOVERING, str(error))
        return
    transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: (
            advance(m, Stage.PLANNED, clock.now(), plan=plan)
            if m.stage == Stage.DISCOVERING
            else None
        ),
        lambda m: m.stage == Stage.PLANNED,
        _discovered,
    )
