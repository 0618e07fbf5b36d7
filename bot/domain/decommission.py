"""Decommission, its undo and Terminate: when each may happen (pure).

Decommission stops the EC2 side only once every user has been on ECS for a whole bake:
stage cut over, 100 % on ECS, its bake over, nothing under way. It keeps an AMI of the
instance and stops it (never terminates it); **Undo decommission** starts it again and puts
it back in its target group, returning the migration to cut over. **Terminate** is another
action, offered ``TerminateAfterDays`` after the decommission, and needs two distinct
approvers, neither of them the requester (the two-person rule).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.migration import Migration, advance
from bot.domain.retirement import DecommissionRecord
from bot.domain.state import IllegalTransitionError, Stage

#: Distinct approvers Terminate needs, whatever the channel's policy says.
TERMINATE_APPROVALS = 2


def offered(migration: Migration) -> bool:
    """Whether the card offers Decommission: 100 % on ECS has baked."""
    plan = migration.plan
    return (
        migration.stage == Stage.CUT_OVER
        and migration.weight == 100
        and migration.requested_weight is None
        and migration.bake_ends_at is None
        and plan is not None
        and plan.target_group_arn is not None
    )


def _refuse(migration: Migration, why: str) -> IllegalTransitionError:
    return IllegalTransitionError(migration.stage, Stage.DECOMMISSIONING, why)


def approve(migration: Migration, user_id: str, needed: int, now: datetime) -> Migration:
    """Record ``user_id``'s approval of Decommission; with ``needed`` distinct approvals, the
    migration starts decommissioning. Refused unless ``offered``."""
    if not offered(migration):
        why = (
            "the 100 % step is still baking"
            if migration.stage == Stage.CUT_OVER and migration.bake_ends_at is not None
            else "Decommission needs 100 % on ECS, baked"
        )
        raise _refuse(migration, why)
    plan = migration.plan
    assert plan is not None and plan.target_group_arn is not None
    previous = migration.decommission
    approvals = list(previous.approvals) if previous and previous.decommissioned_at is None else []
    if user_id in approvals:
        raise _refuse(migration, "you already approved Decommission; another approver must too")
    approvals.append(user_id)
    record = DecommissionRecord(
        instance_id=plan.instance_id,
        target_group_arn=plan.target_group_arn,
        port=plan.port,
        requested_by=user_id,
        approvals=approvals,
    )
    if len(approvals) < needed:
        return migration.model_copy(update={"decommission": record, "updated_at": now})
    return advance(migration, Stage.DECOMMISSIONING, now, decommission=record)


def decommissioned(
    migration: Migration, image_id: str, now: datetime, wait: timedelta
) -> Migration | None:
    """Stopped and imaged: Terminate may be pressed ``wait`` from now. None unless
    decommissioning."""
    record = migration.decommission
    if migration.stage != Stage.DECOMMISSIONING or record is None:
        return None
    done = record.model_copy(
        update={
            "image_id": image_id,
            "decommissioned_at": now,
            "terminate_after": now + wait,
            "problem": None,
            "attempt": 0,
        }
    )
    return advance(migration, Stage.DECOMMISSIONED, now, decommission=done)


def undo(migration: Migration, by: str, now: datetime) -> Migration:
    """Undo decommission: start the instance again (also retries a failed undo)."""
    record = migration.decommission
    allowed = (Stage.DECOMMISSIONING, Stage.DECOMMISSIONED, Stage.RECOMMISSIONING)
    if migration.stage not in allowed or record is None:
        raise IllegalTransitionError(migration.stage, Stage.RECOMMISSIONING, "nothing to undo")
    again = record.model_copy(
        update={"undone_by": by, "problem": None, "attempt": 0, "terminate_approvals": []}
    )
    return advance(migration, Stage.RECOMMISSIONING, now, decommission=again)


def recommissioned(migration: Migration, healthy: bool, now: datetime) -> Migration | None:
    """The instance serves again in its target group: back to cut over (and offered
    Decommission again). None unless recommissioning."""
    record = migration.decommission
    if migration.stage != Stage.RECOMMISSIONING or record is None:
        return None
    back = record.model_copy(update={"healthy": healthy, "problem": None})
    return advance(migration, Stage.CUT_OVER, now, decommission=back)


def terminable(migration: Migration, now: datetime) -> bool:
    """Whether Terminate may be pressed now: decommissioned, imaged, and waited long enough."""
    record = migration.decommission
    return (
        migration.stage == Stage.DECOMMISSIONED
        and record is not None
        and record.image_id is not None
        and record.terminate_after is not None
        and now >= record.terminate_after
    )


def approve_terminate(migration: Migration, user_id: str, now: datetime) -> Migration:
    """Record ``user_id``'s approval of Terminate (the second distinct one lets the
    decommission consumer terminate the instance, ``terminated`` then ends the migration)."""
    record = migration.decommission
    if record is None or not terminable(migration, now):
        after = record.terminate_after if record else None
        why = f"Terminate is offered from {after:%Y-%m-%d %H:%M} UTC" if after else ""
        raise IllegalTransitionError(migration.stage, Stage.TERMINATED, why)
    if user_id in record.terminate_approvals:
        raise IllegalTransitionError(
            migration.stage,
            Stage.TERMINATED,
            "you already approved Terminate; a second, different approver must approve it",
        )
    if len(record.terminate_approvals) >= TERMINATE_APPROVALS:
        raise IllegalTransitionError(
            migration.stage, Stage.TERMINATED, "the instance is being terminated"
        )
    approvals = [*record.terminate_approvals, user_id]
    updated = record.model_copy(update={"terminate_approvals": approvals})
    return migration.model_copy(update={"decommission": updated, "updated_at": now})


def terminated(migration: Migration, now: datetime) -> Migration | None:
    """EC2 accepted TerminateInstances: the migration ends. None unless both approvals
    were given on a decommissioned migration."""
    record = migration.decommission
    if migration.stage != Stage.DECOMMISSIONED or record is None:
        return None
    if len(record.terminate_approvals) < TERMINATE_APPROVALS:
        return None
    return advance(migration, Stage.TERMINATED, now)
