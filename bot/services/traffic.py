"""Traffic: weighted Route 53 alias records between the legacy ALB and the Express ALB.

A step changes the records, then waits for Route 53 to report the change ``INSYNC``
(``GetChange``) before it is announced: the wait is a one-time schedule that emits
``DnsChangeCheckDue``, never a sleeping Lambda. A full rollback puts the app's original
record sets back exactly (kept before the first change), and is announced the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.domain.facts import AliasTarget, DnsRecordFacts
from bot.domain.migration import Migration, advance, gradual_step, traffic_shifted
from bot.domain.state import Stage
from bot.events.models import (
    BakeEnded,
    CutoverRequested,
    DnsChangeCheckDue,
    DomainEvent,
    RollbackRequested,
    RolledBack,
    StepBaked,
    TrafficShifted,
)
from bot.ports import (
    AwsRefusedError,
    Clock,
    Publisher,
    Scheduler,
    SideBySideAws,
    Store,
    TrafficAws,
)
from bot.services import side_by_side
from bot.services.changes import mutate, publish_step, republish_step, transition_and_emit
from bot.services.failures import report_failure

ROLLING_BACK_OR_DONE = frozenset({Stage.ROLLING_BACK, Stage.ROLLED_BACK})
#: Seconds between a change and the check of it: Route 53 says changes "generally propagate
#: to all Route 53 name servers within 60 seconds" (ChangeResourceRecordSets).
CHECK_AFTER_SECONDS = 30
#: Checks of one change before the step is failed (about ten minutes of PENDING).
MAX_CHECKS = 20


class TrafficPlanError(ValueError):
    """The migration lacks what a traffic shift needs (record, ALB or Express ALB)."""


def _targets(migration: Migration) -> tuple[DnsRecordFacts, AliasTarget, AliasTarget]:
    plan = migration.plan
    if plan is None or not plan.hosted_zone_id or not plan.record_name:
        raise TrafficPlanError("no Route 53 record points at the legacy load balancer")
    if not plan.load_balancer_dns or not plan.load_balancer_zone_id:
        raise TrafficPlanError("the plan has no legacy load balancer")
    if migration.express_alias is None:
        raise TrafficPlanError("the Express load balancer does not serve the app's name yet")
    record = DnsRecordFacts(hosted_zone_id=plan.hosted_zone_id, record_name=plan.record_name)
    legacy = AliasTarget(dns_name=plan.load_balancer_dns, hosted_zone_id=plan.load_balancer_zone_id)
    return record, legacy, migration.express_alias


def _record(migration: Migration) -> DnsRecordFacts | None:
    plan = migration.plan
    if plan is None or not plan.hosted_zone_id or not plan.record_name:
        return None
    return DnsRecordFacts(hosted_zone_id=plan.hosted_zone_id, record_name=plan.record_name)


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
        reason=migration.rollback_reason,
    )


def _check(
    scheduler: Scheduler,
    now: datetime,
    migration_id: str,
    change_id: str,
    weight: int,
    attempt: int,
) -> None:
    """Have the change checked ``CHECK_AFTER_SECONDS`` from now."""
    event = DnsChangeCheckDue(
        migration_id=migration_id,
        idempotency_key=f"{migration_id}:dns:{change_id}:{attempt}",
        change_id=change_id,
        weight=weight,
        attempt=attempt,
    )
    name = f"{migration_id}-dns-{change_id}-{attempt}"[:64]
    scheduler.at(name, now + timedelta(seconds=CHECK_AFTER_SECONDS), event)


def _keep_originals(store: Store, aws: TrafficAws, migration: Migration) -> Migration:
    """Keep the app's record sets as they are before the first change (once)."""
    if migration.original_records is not None:
        return migration
    record = _record(migration)
    assert record is not None
    originals = aws.originals(record)
    if not originals:
        raise TrafficPlanError(
            f"{record.record_name} has no simple record left to replace (weighted records are "
            "already there); put its original record back before cutting over"
        )
    kept = mutate(
        store,
        migration.migration_id,
        lambda m: (
            m.model_copy(update={"original_records": originals})
            if m.original_records is None
            else None
        ),
    )
    return kept or store.get(migration.migration_id)


def _pending(store: Store, migration_id: str, change_id: str, weight: int) -> Callable[..., Any]:
    def change(m: Migration) -> Migration | None:
        if weight == 0 and m.stage != Stage.ROLLING_BACK:
            return None
        if weight and (m.stage != Stage.CUTTING_OVER or m.requested_weight != weight):
            return None
        return m.model_copy(update={"dns_change_id": change_id})

    return lambda: mutate(store, migration_id, change)


def cutover(
    event: CutoverRequested,
    *,
    store: Store,
    aws: TrafficAws,
    publisher: Publisher,
    clock: Clock,
    scheduler: Scheduler,
) -> None:
    """Send ``event.weight`` percent of traffic to ECS; announced once Route 53 is in sync."""
    migration = store.get(event.migration_id)
    if (
        migration.weight == event.weight
        and migration.requested_weight is None
        and (migration.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER))
    ):
        republish_step(store, publisher, _shifted(event.weight)(migration))
        return
    if migration.stage in ROLLING_BACK_OR_DONE:
        return  # the rollback restores the original records
    if migration.stage != Stage.CUTTING_OVER or migration.requested_weight != event.weight:
        return  # stale request
    if migration.dns_change_id is not None:
        return  # this step's change is made and being checked (a redelivered request)
    try:
        record, legacy, express = _targets(migration)
        migration = _keep_originals(store, aws, migration)
        change_id = aws.set_weights(record, legacy, express, event.weight)
    except (TrafficPlanError, AwsRefusedError) as error:
        # Refused as a whole (Route 53 applies a change batch atomically): nothing moved.
        report_failure(
            store,
            publisher,
            clock,
            event.migration_id,
            Stage.CUTTING_OVER,
            f"Cutover refused: {error}",
        )
        return
    if _pending(store, event.migration_id, change_id, event.weight)() is None:
        current = store.get(event.migration_id)
        if current.stage in ROLLING_BACK_OR_DONE and current.original_records is not None:
            # A rollback won the race while this shift was in flight, and may have restored
            # the records before this change landed: restore them again (it reads what is
            # there, so it changes nothing when the rollback came after).
            aws.restore(record, current.original_records)
        return
    _check(scheduler, clock.now(), event.migration_id, change_id, event.weight, 1)


def rollback(
    event: RollbackRequested,
    *,
    store: Store,
    aws: TrafficAws,
    publisher: Publisher,
    clock: Clock,
    scheduler: Scheduler,
) -> None:
    """Return all traffic to EC2 at once: the original records back, then announced."""
    migration = store.get(event.migration_id)
    if migration.stage == Stage.ROLLED_BACK:
        republish_step(store, publisher, _rolled_back(migration))  # redelivered
        return
    if migration.stage != Stage.ROLLING_BACK:
        return
    record = _record(migration)
    change_id = None
    if migration.weighted_dns and record is not None:
        if migration.original_records is not None:
            change_id = aws.restore(record, migration.original_records)
        else:  # a shift refused before anything was kept: nothing was changed either
            change_id = None
    if change_id is None:
        _complete_rollback(store, publisher, clock, event.migration_id)
        return
    if _pending(store, event.migration_id, change_id, 0)() is not None:
        _check(scheduler, clock.now(), event.migration_id, change_id, 0, 1)


def _complete_rollback(store: Store, publisher: Publisher, clock: Clock, migration_id: str) -> None:
    transition_and_emit(
        store,
        publisher,
        migration_id,
        lambda m: (
            advance(
                m,
                Stage.ROLLED_BACK,
                clock.now(),
                weight=0,
                requested_weight=None,
                dns_change_id=None,
                bake_ends_at=None,
            )
            if m.stage == Stage.ROLLING_BACK
            else None
        ),
        lambda m: m.stage == Stage.ROLLED_BACK,
        _rolled_back,
    )


def check_change(
    event: DnsChangeCheckDue,
    *,
    store: Store,
    aws: TrafficAws,
    publisher: Publisher,
    clock: Clock,
    scheduler: Scheduler,
    bake: timedelta = timedelta(0),
) -> None:
    """Announce the step once Route 53 has the change everywhere; else check again later."""
    migration = store.get(event.migration_id)
    if migration.dns_change_id != event.change_id:
        if event.weight and migration.weight == event.weight:
            republish_step(store, publisher, _shifted(event.weight)(migration))  # redelivered
        elif not event.weight and migration.stage == Stage.ROLLED_BACK:
            republish_step(store, publisher, _rolled_back(migration))
        return  # stale: another change superseded this one
    if aws.change_status(event.change_id) != "INSYNC":
        if event.attempt >= MAX_CHECKS:
            report_failure(
                store,
                publisher,
                clock,
                event.migration_id,
                migration.stage,
                f"Route 53 change {event.change_id} was still PENDING after "
                f"{MAX_CHECKS * CHECK_AFTER_SECONDS // 60} minutes",
            )
            return
        _check(
            scheduler,
            clock.now(),
            event.migration_id,
            event.change_id,
            event.weight,
            event.attempt + 1,
        )
        return
    if event.weight == 0:
        _complete_rollback(store, publisher, clock, event.migration_id)
        return
    shifted = transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: _in_sync(m, event.change_id, event.weight, clock.now(), bake),
        lambda m: m.weight == event.weight and m.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER),
        _shifted(event.weight),
    )
    if shifted is not None and shifted.bake_ends_at is None:
        advance_gradual(store, publisher, clock, event.migration_id)  # nothing to bake
    if shifted is not None and shifted.bake_ends_at is not None:
        # At the next whole second: a schedule's time has no fraction of a second.
        ends = shifted.bake_ends_at.replace(microsecond=0) + timedelta(seconds=1)
        scheduler.at(
            f"{event.migration_id}-bake-{event.weight}-{shifted.version}"[:64],
            ends,
            BakeEnded(
                migration_id=event.migration_id,
                idempotency_key=f"{event.migration_id}:baked:{event.weight}:{shifted.version}",
                weight=event.weight,
            ),
        )


def _in_sync(
    migration: Migration, change_id: str, weight: int, now: datetime, bake: timedelta
) -> Migration | None:
    if migration.dns_change_id != change_id:
        return None
    shifted = traffic_shifted(migration, weight, now, bake)
    return None if shifted is None else shifted.model_copy(update={"dns_change_id": None})


def advance_gradual(store: Store, publisher: Publisher, clock: Clock, migration_id: str) -> None:
    """Take the gradual cutover's next step if it may be taken now (baked, not paused)."""
    now = clock.now()
    saved = mutate(store, migration_id, lambda m: gradual_step(m, now))
    if saved is None or saved.requested_weight is None:
        return
    publish_step(
        store,
        publisher,
        CutoverRequested(
            migration_id=migration_id,
            idempotency_key=f"{migration_id}:cutover:{saved.requested_weight}",
            weight=saved.requested_weight,
            requested_by=saved.gradual_by or "migrate-bot",
            gradual=True,
        ),
    )


def bake_ended(
    event: BakeEnded, *, store: Store, publisher: Publisher, clock: Clock, sides: SideBySideAws
) -> None:
    """The step has baked: the card puts both sides side by side over it and offers the next
    step without skipping anything."""

    def baking(m: Migration) -> bool:
        return m.weight == event.weight and m.bake_ends_at is not None

    now = clock.now()
    current = store.get(event.migration_id)
    taken = side_by_side.snapshot(current, sides, now, "baked") if baking(current) else None
    transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: (
            m.model_copy(
                update={
                    "bake_ends_at": None,
                    "updated_at": now,
                    "side_by_side": m.side_by_side if taken is None else taken,
                }
            )
            if baking(m)
            else None
        ),
        lambda m: m.weight == event.weight and m.bake_ends_at is None,
        lambda m: StepBaked(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:step-baked:{event.weight}",
            weight=event.weight,
        ),
    )
    advance_gradual(store, publisher, clock, event.migration_id)


def handle(
    event: DomainEvent,
    *,
    store: Store,
    aws: TrafficAws,
    publisher: Publisher,
    clock: Clock,
    scheduler: Scheduler,
    bake: timedelta,
    sides: SideBySideAws,
) -> bool:
    """Route one of the traffic consumer's events; False when it is not one of them."""
    ports: dict[str, Any] = {
        "store": store,
        "aws": aws,
        "publisher": publisher,
        "clock": clock,
        "scheduler": scheduler,
    }
    match event:
        case CutoverRequested():
            cutover(event, **ports)
        case RollbackRequested():
            rollback(event, **ports)
        case DnsChangeCheckDue():
            check_change(event, bake=bake, **ports)
        case BakeEnded():
            bake_ended(event, store=store, publisher=publisher, clock=clock, sides=sides)
        case _:
            return False
    return True
