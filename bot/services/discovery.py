"""Discovery: read the instance and what surrounds it, store a plan, emit it."""

from __future__ import annotations

from bot.domain.migration import advance
from bot.domain.planning import make_plan
from bot.domain.sizing import UnknownInstanceTypeError
from bot.domain.state import Stage
from bot.events.models import DiscoveryCompleted, MigrationRequested
from bot.ports import (
    Clock,
    DiscoveryAws,
    DiscoveryError,
    InstanceNotFoundError,
    Publisher,
    Store,
)
from bot.services.changes import mutate
from bot.services.failures import report_failure


def run(
    event: MigrationRequested,
    *,
    store: Store,
    aws: DiscoveryAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Discover the target of ``event`` and move its migration to planned (or failed)."""
    started = mutate(
        store,
        event.migration_id,
        lambda m: (
            advance(m, Stage.DISCOVERING, clock.now()) if m.stage == Stage.REQUESTED else None
        ),
    )
    if started is None and store.get(event.migration_id).stage != Stage.DISCOVERING:
        return  # a redelivery after discovery finished
    try:
        instance = aws.find_instance(event.target)
        load_balancing = aws.find_load_balancing(instance)
        dns = aws.find_dns_record(load_balancing.load_balancer_dns) if load_balancing else None
        plan = make_plan(instance, load_balancing, dns)
    except (InstanceNotFoundError, DiscoveryError, UnknownInstanceTypeError) as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.DISCOVERING, str(error))
        return
    planned = mutate(
        store,
        event.migration_id,
        lambda m: (
            advance(m, Stage.PLANNED, clock.now(), plan=plan)
            if m.stage == Stage.DISCOVERING
            else None
        ),
    )
    if planned is None:
        return
    publisher.publish(
        [
            DiscoveryCompleted(
                migration_id=event.migration_id,
                idempotency_key=f"{event.migration_id}:discovered",
                instance_id=plan.instance_id,
                runtime=plan.runtime,
                port=plan.port,
                cpu=plan.cpu,
                memory=plan.memory,
            )
        ]
    )
