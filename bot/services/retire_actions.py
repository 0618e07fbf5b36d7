"""Use cases behind Clean up, Decommission, Undo decommission and Terminate (card buttons).

Each checks the clicked version, changes the migration under the state machine's rules
(``bot.domain.cleanup``, ``bot.domain.decommission``) and emits the event its consumer acts
on, through the same path as every other button (``bot.services.actions``): refused clicks
and queued ones are audited alike.
"""

from __future__ import annotations

from bot.domain import cleanup as cleanup_rules
from bot.domain import decommission as rules
from bot.domain.migration import Migration
from bot.events.models import (
    ApprovalRecorded,
    CleanupRequested,
    DecommissionRequested,
    DecommissionUndoRequested,
    DomainEvent,
    TerminateRequested,
)
from bot.services.actions import ActionPorts, Click, _act


def cleanup(click: Click, keep_image: bool, ports: ActionPorts) -> Migration:
    """Clean up (optionally keeping the image): the clean-up consumer removes the ECS side."""
    now = ports.clock.now()
    return _act(
        click,
        ports,
        "cleanup_keep_image" if keep_image else "cleanup",
        lambda m: cleanup_rules.start(m, click.user_id, keep_image, now),
        lambda m: CleanupRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:cleanup:{m.version}",
            requested_by=click.user_id,
            keep_image=keep_image,
        ),
    )


def _approvals_before(migration: Migration) -> int:
    record = migration.decommission
    return len(record.approvals) if record and record.decommissioned_at is None else 0


def decommission(click: Click, needed: int, ports: ActionPorts) -> Migration:
    """Approve Decommission; the ``needed``-th distinct approval starts it."""
    now = ports.clock.now()

    def event(m: Migration) -> DomainEvent:
        given = _approvals_before(m) + 1
        if given < needed:
            return ApprovalRecorded(
                migration_id=m.migration_id,
                idempotency_key=f"{m.migration_id}:approval:decommission:{click.user_id}:{m.version}",
                action="decommission",
                approved_by=click.user_id,
                approvals=given,
                needed=needed,
            )
        return DecommissionRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:decommission:{m.version}",
            requested_by=click.user_id,
        )

    return _act(
        click,
        ports,
        "decommission",
        lambda m: rules.approve(m, click.user_id, needed, now),
        event,
        accepted="accepted" if needed == 1 else f"approval recorded ({needed} needed)",
    )


def undo_decommission(click: Click, ports: ActionPorts) -> Migration:
    """Undo decommission: the instance is started and registered again."""
    now = ports.clock.now()
    return _act(
        click,
        ports,
        "decommission_undo",
        lambda m: rules.undo(m, click.user_id, now),
        lambda m: DecommissionUndoRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:undo:{m.version}",
            requested_by=click.user_id,
        ),
    )


def terminate(click: Click, ports: ActionPorts) -> Migration:
    """Approve Terminate; the second distinct approver's click terminates the instance."""
    now = ports.clock.now()

    def event(m: Migration) -> DomainEvent:
        record = m.decommission
        given = [*(record.terminate_approvals if record else []), click.user_id]
        if len(given) < rules.TERMINATE_APPROVALS:
            return ApprovalRecorded(
                migration_id=m.migration_id,
                idempotency_key=f"{m.migration_id}:approval:terminate:{click.user_id}:{m.version}",
                action="terminate",
                approved_by=click.user_id,
                approvals=len(given),
                needed=rules.TERMINATE_APPROVALS,
            )
        return TerminateRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:terminate",
            approved_by=given,
        )

    return _act(
        click,
        ports,
        "terminate",
        lambda m: rules.approve_terminate(m, click.user_id, now),
        event,
        accepted=f"accepted (Terminate needs {rules.TERMINATE_APPROVALS} distinct approvers)",
    )
