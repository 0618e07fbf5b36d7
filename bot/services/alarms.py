"""A breached cutover alarm rolls the migration back at once (every weight back on EC2).

Once the rollback is saved and asked for, both sides are put side by side over the step the
alarm cut short (read after, so a slow or failing read never delays the rollback).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.gates import migration_of
from bot.domain.migration import Migration, advance
from bot.domain.state import Stage
from bot.events.aws import CloudWatchAlarmStateChange
from bot.events.models import RollbackRequested
from bot.ports import (
    AuditRecord,
    Clock,
    MigrationNotFoundError,
    Publisher,
    SideBySideAws,
    Store,
)
from bot.services import side_by_side
from bot.services.changes import mutate, transition_and_emit

#: Where traffic may be on the Express side, so a breach has something to take back.
_WITH_TRAFFIC = frozenset({Stage.CUTTING_OVER, Stage.CUT_OVER})


def on_alarm(
    detail: CloudWatchAlarmStateChange,
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
    sides: SideBySideAws,
) -> None:
    """On ALARM, roll back the alarm's migration if it has traffic on ECS; else nothing."""
    migration_id = migration_of(detail.alarm_name)
    if migration_id is None or detail.state.value != "ALARM":
        return
    try:
        migration = store.get(migration_id)
    except MigrationNotFoundError:
        return
    if migration.stage not in _WITH_TRAFFIC:
        return  # no traffic on ECS (or already rolling back): nothing to take back
    reason = f"alarm {detail.alarm_name}: {detail.state.reason or 'in ALARM'}"[:1000]
    now = clock.now()

    def change(m: Migration) -> Migration | None:
        if m.stage not in _WITH_TRAFFIC:
            return None
        return advance(
            m,
            Stage.ROLLING_BACK,
            now,
            requested_weight=None,
            full_approvals=[],
            gradual_until=None,
            paused=False,
            rollback_reason=reason,
        )

    saved = transition_and_emit(
        store,
        publisher,
        migration_id,
        change,
        lambda m: (
            m.stage in (Stage.ROLLING_BACK, Stage.ROLLED_BACK) and m.rollback_reason is not None
        ),
        lambda m: RollbackRequested(
            migration_id=migration_id,
            idempotency_key=f"{migration_id}:rollback:alarm",
            requested_by="",
            reason=reason,
        ),
    )
    if saved is not None:
        store.append_audit(
            AuditRecord(
                migration_id=migration_id,
                actor="migrate-bot",
                action="rollback",
                decision=f"accepted: automatic, {reason}"[:1000],
                at=now,
            )
        )
        _keep_side_by_side(store, migration, sides, now)


def _keep_side_by_side(
    store: Store, before: Migration, sides: SideBySideAws, now: datetime
) -> None:
    """Both sides over the step the alarm cut short (``before``: as it was when it fired)."""
    taken = side_by_side.snapshot(before, sides, now, "rollback")
    if taken is None:
        return
    mutate(
        store,
        before.migration_id,
        lambda m: (
            m.model_copy(update={"side_by_side": taken})
            if m.rollback_reason is not None
            and (m.side_by_side is None or m.side_by_side.moment != "rollback")
            else None
        ),
    )
