"""Clean up, Decommission, Undo and Terminate on the card and in the thread (pure).

The card offers **Clean up** and **Clean up (keep image)** when every user is on EC2
(``bot.domain.cleanup.offered``), **Decommission EC2** once 100 % on ECS has baked, **Undo
decommission** while the instance is (being) stopped, and **Terminate instance** once the
waiting time after the decommission is over. Each has a confirm dialog saying what happens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain import cleanup, decommission
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import (
    ApprovalRecorded,
    CleanedUp,
    CleanupRequested,
    Decommissioned,
    DecommissionRequested,
    DecommissionStepFailed,
    DecommissionUndone,
    DecommissionUndoRequested,
    DomainEvent,
    InstanceTerminated,
    TerminateRequested,
    TerminationOffered,
)
from bot.slack.replies import escape

#: The buttons' action ids.
CLEANUP = "cleanup"
CLEANUP_KEEP_IMAGE = "cleanup_keep_image"
DECOMMISSION = "decommission"
UNDO = "decommission_undo"
TERMINATE = "terminate_instance"
ACTIONS = (CLEANUP, CLEANUP_KEEP_IMAGE, DECOMMISSION, UNDO, TERMINATE)

STAGE_LABELS: dict[Stage, str] = {
    Stage.CLEANING_UP: ":broom: Cleaning up the ECS side",
    Stage.DECOMMISSIONING: ":zzz: Decommissioning the EC2 side",
    Stage.DECOMMISSIONED: ":zzz: EC2 side decommissioned (stopped, imaged)",
    Stage.RECOMMISSIONING: ":arrows_counterclockwise: Starting the EC2 side again",
    Stage.TERMINATED: ":wastebasket: EC2 instance terminated",
}

Button = Callable[[str, str, str | None, dict[str, Any] | None], dict[str, Any]]
Confirm = Callable[[str, str, str], dict[str, Any]]


def buttons(migration: Migration, value: str, button: Button, confirm: Confirm) -> list[dict]:
    """The card's retirement buttons for the migration as it stands."""
    found: list[dict[str, Any]] = []
    if cleanup.offered(migration):
        what = (
            "The Express service, what the cutover added to its load balancer, the secret, "
            "alarms, schedules, the certificate the bot requested, the task role and security "
            "group are deleted"
        )
        found.append(
            button(
                "Clean up",
                CLEANUP,
                "danger",
                confirm(
                    "Clean up the ECS side?",
                    f"{what}, with the ECR repository and CodeBuild project. The EC2 side is "
                    "kept as it is.",
                    "Clean up",
                ),
            )
        )
        found.append(
            button(
                "Clean up (keep image)",
                CLEANUP_KEEP_IMAGE,
                None,
                confirm(
                    "Clean up, keeping the image?",
                    f"{what}. The ECR repository and CodeBuild project are kept. The EC2 side is "
                    "kept as it is.",
                    "Clean up",
                ),
            )
        )
    record = migration.decommission
    if decommission.offered(migration):
        given = len(record.approvals) if record and record.decommissioned_at is None else 0
        found.append(
            button(
                "Decommission EC2" + (f" ({given} approval so far)" if given else ""),
                DECOMMISSION,
                "danger",
                confirm(
                    "Decommission the EC2 side?",
                    "An AMI of the instance is made, the instance is taken out of its target "
                    "group and stopped (not terminated). Undo decommission starts it again.",
                    "Decommission",
                ),
            )
        )
    if migration.stage in (Stage.DECOMMISSIONED, Stage.DECOMMISSIONING, Stage.RECOMMISSIONING):
        if migration.stage != Stage.RECOMMISSIONING or (record and record.problem):
            found.append(
                button(
                    "Undo decommission",
                    UNDO,
                    "primary",
                    confirm(
                        "Start the EC2 side again?",
                        "The instance is started and registered in its target group again. "
                        "Users stay on ECS until you roll back.",
                        "Start it",
                    ),
                )
            )
    if migration.stage == Stage.DECOMMISSIONED and record and record.terminable:
        given = len(record.terminate_approvals)
        found.append(
            button(
                "Terminate instance" + (f" ({given} of 2 approvals)" if given else ""),
                TERMINATE,
                "danger",
                confirm(
                    "Terminate the EC2 instance?",
                    f"`{escape(record.instance_id)}` is terminated for good; its AMI "
                    f"`{escape(record.image_id or '')}` is kept. Two distinct approvers must "
                    "press Terminate.",
                    "Terminate",
                ),
            )
        )
    return found


def card_lines(migration: Migration) -> list[str]:
    """What the card says of a clean up or a decommission (mrkdwn lines, escaped)."""
    lines: list[str] = []
    done = migration.cleanup
    if done is not None:
        head = "*Removed*" if migration.stage == Stage.CLEANED_UP else "*Removed so far*"
        if done.removed:
            lines.append(head + "\n" + "\n".join(f"• {escape(r)}" for r in done.removed[:15]))
        kept = "EC2 side kept" + (
            "; ECR repository and CodeBuild project kept" if done.keep_image else ""
        )
        lines.append(f"*Kept*: {kept}")
    record = migration.decommission
    if record is not None and (record.decommissioned_at or record.problem):
        parts = [f"instance `{escape(record.instance_id)}`"]
        if record.image_id:
            parts.append(f"AMI `{escape(record.image_id)}`")
        if migration.stage == Stage.DECOMMISSIONED and record.terminate_after:
            parts.append(
                "Terminate offered "
                + ("now" if record.terminable else f"from {record.terminate_after:%Y-%m-%d} UTC")
            )
        lines.append("*EC2 side:* " + ", ".join(parts))
        if record.problem:
            lines.append(f":warning: {escape(record.problem)}")
    return lines


def milestone(event: DomainEvent) -> str | None:
    """The thread reply for a retirement event (None when it is not one)."""
    match event:
        case CleanupRequested():
            kept = " (keeping the image)" if event.keep_image else ""
            return f":broom: <@{escape(event.requested_by)}> started the clean up{kept}."
        case CleanedUp():
            removed = "\n".join(f"• {escape(r)}" for r in event.removed[:20]) or "• nothing left"
            kept = "\n".join(f"• {escape(k)}" for k in event.kept)
            return (
                f":broom: Cleaned up. Removed:\n{removed}\nKept:\n{kept}\n"
                "The instance may be migrated again."
            )[:3000]
        case ApprovalRecorded() if event.action in ("decommission", "terminate"):
            what = "Decommission" if event.action == "decommission" else "Terminate"
            return (
                f":ballot_box_with_check: <@{escape(event.approved_by)}> approved {what} "
                f"({event.approvals} of {event.needed})."
            )
        case DecommissionRequested():
            return (
                f":zzz: <@{escape(event.requested_by)}> decommissions the EC2 side: out of its "
                "target group, stopped, then imaged."
            )
        case Decommissioned():
            return (
                f":zzz: `{escape(event.instance_id)}` is stopped and out of its target group; "
                f"its AMI is `{escape(event.image_id)}`. Undo decommission starts it again; "
                f"Terminate is offered from {escape(event.terminate_after[:16])} UTC."
            )
        case DecommissionUndoRequested():
            return f":arrows_counterclockwise: <@{escape(event.requested_by)}> undoes the decommission."
        case DecommissionUndone():
            health = (
                "healthy in its target group"
                if event.healthy
                else "registered, but its target group did not report it healthy yet"
            )
            return f":white_check_mark: `{escape(event.instance_id)}` runs again and is {health}."
        case DecommissionStepFailed():
            return f":warning: {escape(event.step)} did not complete: {escape(event.reason)}"[:3000]
        case TerminationOffered():
            return (
                f":hourglass: {event.after_days} days since the decommission: Terminate is on "
                "the card (two distinct approvers)."
            )
        case TerminateRequested():
            who = " and ".join(f"<@{escape(u)}>" for u in event.approved_by)
            return f":wastebasket: {who} approved Terminate."
        case InstanceTerminated():
            kept = f"; its AMI `{escape(event.image_id)}` is kept" if event.image_id else ""
            return f":wastebasket: `{escape(event.instance_id)}` is terminated{kept}."
    return None
