"""The plan's Edit modal and every word about a migration's cutover settings (pure).

The modal is a view as Slack's reference describes it
(https://docs.slack.dev/reference/views/modal-views: ``title``, ``submit`` and ``close`` at
most 24 characters, ``submit`` required with input blocks, ``private_metadata`` at most 3,000
characters) with two ``input`` blocks holding ``plain_text_input`` elements
(https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element). The
``private_metadata`` carries the migration id and the version the modal was opened for, as a
card button's value does. Errors go back beside their field: Slack's ``response_action``
``errors`` is keyed by the input block's ``block_id`` (https://docs.slack.dev/surfaces/
modals#interactions; Bolt's ``ViewErrorsResponseAction``: ``{[blockId]: string}``), and those
texts are plain text, not mrkdwn.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.domain.cutover_settings import MAX_BAKE_MINUTES, MAX_STEPS, steps_text
from bot.slack.replies import escape

if TYPE_CHECKING:  # light: the Bolt app reads the ids below at cold start
    from bot.domain.migration import Migration

EDIT_ACTION = "edit_plan"  # the card's Edit button
CALLBACK_ID = "edit_cutover"  # the modal's view, as view_submission names it
STEPS_BLOCK, STEPS_INPUT = "cutover_steps", "steps"
BAKE_BLOCK, BAKE_INPUT = "bake_minutes", "minutes"
#: ``cutover_settings.parse``'s field names → the input block that shows each field's error.
FIELD_BLOCKS = {"steps": STEPS_BLOCK, "bake_minutes": BAKE_BLOCK}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def metadata(migration: Migration) -> str:
    """The modal's ``private_metadata``: the migration id and the version it was opened for."""
    return json.dumps({"m": migration.migration_id, "v": migration.version}, separators=(",", ":"))


def render_edit_modal(migration: Migration) -> dict[str, Any]:
    """The view ``views.open`` opens: the steps and the bake time, prefilled."""
    plan = migration.plan
    subject = plan.name if plan is not None else migration.target
    bake: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": BAKE_INPUT,
        "max_length": 4,
        "placeholder": _plain("Empty: the stack's default (BakeMinutes)"),
    }
    if migration.bake_minutes is not None:
        bake["initial_value"] = str(migration.bake_minutes)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": metadata(migration),
        "title": _plain("Edit cutover"),
        "submit": _plain("Save"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"*{escape(subject)}* (`{escape(migration.migration_id)}`): how users' "
                        "traffic moves from EC2 to ECS once the service is healthy. Saving "
                        "draws the card again; the plan is approved as the card then shows it."
                    )[:3000],
                },
            },
            {
                "type": "input",
                "block_id": STEPS_BLOCK,
                "label": _plain("Cutover steps (%)"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": STEPS_INPUT,
                    "initial_value": steps_text(migration.cutover_steps),
                    "max_length": 60,
                    "placeholder": _plain("10, 50, 100"),
                },
                "hint": _plain(
                    "The share of traffic on ECS at each step: whole percents, rising, ending "
                    f"at 100; at most {MAX_STEPS} steps."
                ),
            },
            {
                "type": "input",
                "block_id": BAKE_BLOCK,
                "optional": True,
                "label": _plain("Bake time per step (minutes)"),
                "element": bake,
                "hint": _plain(
                    "How long each step runs under the alarms before the next one is offered: "
                    f"0 for no bake, at most {MAX_BAKE_MINUTES}. Empty: the stack's default."
                ),
            },
        ],
    }


def bake_text(bake_minutes: int | None) -> str:
    """How long each step bakes, in words."""
    if bake_minutes is None:
        return "each step bakes for the stack's default time (BakeMinutes)"
    if bake_minutes == 0:
        return "no bake between steps"
    return f"each step bakes {bake_minutes} min"


def cutover_line(migration: Migration) -> str:
    """The card's line about the migration's own steps and bake time (mrkdwn)."""
    steps = " → ".join(f"{w} %" for w in migration.cutover_steps)
    return f":straight_ruler: *Cutover steps:* {steps}; {bake_text(migration.bake_minutes)}."


def plan_edited(edited_by: str, steps: list[int], bake_minutes: int | None) -> str:
    """The thread reply when someone saved the Edit modal."""
    shown = " → ".join(f"{w} %" for w in steps)
    return (
        f":pencil2: <@{escape(edited_by)}> changed the cutover: {shown}; "
        f"{bake_text(bake_minutes)}. The plan waits for approval as the card now shows it."
    )


# Errors shown in the modal, beside a field (plain text) --------------------------------------

MALFORMED = "This form could not be read. Close it and press Edit on the card again."


def stale(opened: int) -> str:
    """The migration changed after the modal was opened (at version ``opened``): nothing was
    saved over the change."""
    return (
        f"Not saved: the plan changed after you opened this form (it was version {opened}). "
        "Close this and press Edit on the updated card."
    )


def no_longer_editable(stage: str) -> str:
    """The plan was approved or cancelled (or failed) meanwhile."""
    return f"Not saved: the plan no longer waits for approval (it is {stage})."


def not_saved(reason: str) -> str:
    """The change was refused (the plan no longer waits for approval, or it was not queued)."""
    return f"Not saved: {reason}."


def denied(reason: str) -> str:
    """The policy refuses this person the change."""
    return f"Not saved: you may not edit this plan: {reason}."


def editor_not_opened(error: str) -> str:
    """Slack refused ``views.open`` (an expired trigger: the click took too long)."""
    return f":warning: The Edit form did not open ({escape(error)}). Press Edit on the card again."
