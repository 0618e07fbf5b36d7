"""Traffic: weighted Route 53 records between the legacy ALB and the Express endpoint."""

from __future__ import annotations

from collections.abc import Callable
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
from bot.ports import AwsRefusedError, Clock, Publisher, Store, TrafficAws
from bot.services.changes import republish_step, transition_and_emit
from bot.services.failures import report_failure

ROLLING_BACK_OR_DONE = frozenset({Stage.ROLLING_BACK, Stage.ROLLED_BACK})


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


def _shifted(weight: int) -> Callable[[Migration], TrafficShifted]:
    return lambda m: TrafficShifted(
        migration_id=m.migration_id,
        idempotency_key=f"{m.migration_id}:shifted:{weight}",
        weight=weight,
    )


def _rolled_back(migration: Migration) -> RolledBack:
    return RolledBack(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:rolled-back",
    )


def cutover(
    event: CutoverRequested, *, store: Store, aws: TrafficAws, publisher: Publisher, clock: Clock
) -> None:
    """Shift ``event.weight`` percent of traffic to ECS and record it."""
    migration = store.get(event.migration_id)
    if (
        migration.weight == event.weight
        and migration.requested_weight is None
        and (migration.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER))
    ):
        republish_step(store, publisher, _shifted(event.weight)(migration))
        return
    if migration.stage in ROLLING_BACK_OR_DONE and migration.weighted_dns:
        # A rollback won while this shift may have been applied (and crashed before undoing
        # it): make sure EC2 has everything.
        record, legacy, express = _targets(migration)
        aws.set_weights(record, legacy, express, 0)
        return
    if migration.stage != Stage.CUTTING_OVER or migration.requested_weight != event.weight:
        return  # stale request
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
    try:
        aws.set_weights(record, legacy, express, event.weight)
    except AwsRefusedError as error:
        # Refused as a whole (Route 53 applies a change batch atomically): nothing moved.
        report_failure(
            store, publisher, clock, event.migration_id, Stage.CUTTING_OVER, f"Cutover: {error}"
        )
        return
    shifted = transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: traffic_shifted(m, event.weight, clock.now()),
        lambda m: m.weight == event.weight and m.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER),
        _shifted(event.weight),
    )
    if shifted is None and store.get(event.migration_id).stage in ROLLING_BACK_OR_DONE:
        # A rollback won the race while this shift was in flight: EC2 gets everything.
        aws.set_weights(record, legacy, express, 0)


def rollback(
    event: RollbackRequested, *, store: Store, aws: TrafficAws, publisher: Publisher, clock: Clock
) -> None:
    """Return all traffic to EC2 at once."""
    migration = store.get(event.migration_id)
    if migration.stage == Stage.ROLLED_BACK:
        republish_step(store, publisher, _rolled_back(migration))  # redelivered
        return
    if migration.stage != Stage.ROLLING_BACK:
        return
    if migration.weighted_dns:
        record, legacy, express = _targets(migration)
        aws.set_weights(record, legacy, express, 0)
    transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: (
            advance(m, Stage.ROLLED_BACK, clock.now(), weight=0, requested_weight=None)
            if m.stage == Stage.ROLLING_BACK
            else None
        ),
        lambda m: m.stage == Stage.ROLLED_BACK,
        _rolled_back,
    )
