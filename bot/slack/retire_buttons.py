"""The ingress's side of Clean up, Decommission, Undo decommission and Terminate clicks.

Who may press them is the channel's policy (``Action.CLEANUP``; ``Action.DECOMMISSION`` for
the three EC2 buttons, whose requester is refused by the two-person rule). Decommission takes
as many distinct approvers as the policy's ``two-approvals`` asks; Terminate always two.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain import decommission
from bot.domain.policy import Action
from bot.domain.state import IllegalTransitionError
from bot.services import actions, retire_actions
from bot.slack import replies
from bot.slack.retire_blocks import CLEANUP, CLEANUP_KEEP_IMAGE, DECOMMISSION, TERMINATE, UNDO

#: The policy's action for each button.
POLICY_ACTION = {
    CLEANUP: Action.CLEANUP,
    CLEANUP_KEEP_IMAGE: Action.CLEANUP,
    DECOMMISSION: Action.DECOMMISSION,
    UNDO: Action.DECOMMISSION,
    TERMINATE: Action.DECOMMISSION,
}
#: How a refusal names the buttons that share the decommission entry.
DOING = {UNDO: "undo this decommission", TERMINATE: "terminate this instance"}


def act(
    action_id: str,
    click: actions.Click,
    needed: int,
    ports: actions.ActionPorts,
    tell: Callable[[str], None],
) -> None:
    """Apply an allowed click; refusals and recorded approvals are answered to the clicker."""
    try:
        if action_id in (CLEANUP, CLEANUP_KEEP_IMAGE):
            retire_actions.cleanup(click, action_id == CLEANUP_KEEP_IMAGE, ports)
        elif action_id == DECOMMISSION:
            saved = retire_actions.decommission(click, needed, ports)
            record = saved.decommission
            if needed > 1 and record is not None and len(record.approvals) < needed:
                tell(_approval(len(record.approvals), needed, "Decommission"))
        elif action_id == UNDO:
            retire_actions.undo_decommission(click, ports)
        elif action_id == TERMINATE:
            saved = retire_actions.terminate(click, ports)
            record = saved.decommission
            given = len(record.terminate_approvals) if record else 0
            if given < decommission.TERMINATE_APPROVALS:
                tell(_approval(given, decommission.TERMINATE_APPROVALS, "Terminate"))
    except actions.StaleClickError as error:
        tell(replies.stale_click(str(error)))
    except actions.ActionNotQueuedError as error:
        tell(replies.click_not_queued(str(error)))
    except IllegalTransitionError as error:
        tell(replies.click_not_allowed(str(error)))


def _approval(given: int, needed: int, what: str) -> str:
    return (
        f":ballot_box_with_check: Your approval is {given} of {needed}. Nothing happens until "
        f"another approver (not the requester) presses {what} too."
    )
