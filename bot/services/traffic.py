"""Traffic: weighted Route 53 records between the legacy ALB and the Express endpoint."""

from __future__ import annotations

from urllib.parse import urlparse

from bot.domain.facts import DnsRecordFacts
from bot.domain.migration import Migration, advance, traffic_shifted
from bot.domain.state import Stage
from bot.events.models import (
    CutoverRequested,
    RollbackRequested,
    RolledBack,
    TrafficShifted,
)
from bot.ports import Clock, Publisher, Store, TrafficAws
from bot.services.changes import mutate
from bot.services.failures import report_failure


class TrafficPlanError(ValueError):
    """The migration lacks what a traffic shift needs (record, ALB or endpoint)."""


def _targets(migration: Migration) -> tuple[DnsRecordFacts, str, str]:
    plan = migration.plan
    if plan is None or not plan.hosted_zone_id or not plan.record_name:
        raise TrafficPlanError("no Route 53 record points at the legacy load balancer")
    if not plan.load_balancer_dns:
        raise TrafficPlanError("the plan has no legacy load balancer")
    if not migration.endpoint:
        raise TrafficPlanError("the Express service has no endpoint yet")
    express_host = urlparse(migration.endpoint).hostname or migration.endpoint
    record = DnsRecordFacts(hosted_zone_id=plan.hosted_zone_id, record_name=plan.record_name)
    return record, plan.load_balancer_dns, express_host


def cutover(
    event: CutoverRequested, *, store: Store, aws: TrafficAws, publisher: Publisher, clock: Clock
) -> None:
    """Shift ``event.weight`` percent of traffic to ECS and record it."""
    migration = store.get(event.migration_id)
    if migration.stage != Stage.CUTTING_OVER or migration.requested_weight != event.weight:
        return  # stale or duplicate request
    try:
        record, legacy, express = _targets(migration)
    except TrafficPlanError as error:
        report_failure(
            store,
            publisher,
            clock,
            event.migration_id,
            Stage.CUTTING_OVER,
            f"Cutover refused: {error}",
        )
        return
    aws.set_weights(record, legacy, express, event.weight)
    shifted = mutate(
        store, event.migration_id, lambda m: traffic_shifted(m, event.weight, clock.now())
    )
    if shifted is not None:
        publisher.publish(
            [
                TrafficShifted(
                    migration_id=event.migration_id,
                    idempotency_key=f"{event.migration_id}:shifted:{event.weight}",
                    weight=event.weight,
                )
            ]
        )


def rollback(
    event: RollbackRequested, *, store: Store, aws: TrafficAws, publisher: Publisher, clock: Clock
) -> None:
    """Return all traffic to EC2 at once."""
    migration = store.get(event.migration_id)
    if migration.stage != Stage.ROLLING_BACK:
        return
    if migration.weight > 0 or migration.requested_weight is not None:
        record, legacy, express = _targets(migration)
        aws.set_weights(record, legacy, express, 0)
    done = mutate(
        store,
        event.migration_id,
        lambda m: (
            advance(m, Stage.ROLLED_BACK, clock.now(), weight=0, requested_weight=None)
            if m.stage == Stage.ROLLING_BACK
            else None
        ),
    )
    if done is not None:
        publisher.publish(
            [
                RolledBack(
                    migration_id=event.migration_id,
                    idempotency_key=f"{event.migration_id}:rolled-back",
                )
            ]
        )
