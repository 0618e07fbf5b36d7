"""The plan's Edit button and the modal it opens: the migration's cutover steps and bake time.

**Opening.** The Edit click has been acked, and allowed by the policy, in
``listeners.answer_click``; ``open_editor`` opens the modal with ``views.open`` and the click's
``trigger_id`` (https://docs.slack.dev/reference/methods/views.open). A trigger id expires three
seconds after Slack sent it and may be exchanged once (https://api.slack.com/docs/triggers), so
the modal is opened right after the checks every click gets (the migration, the policy, who is
clicking), with nothing else first; Slack answers a late or reused trigger with
``expired_trigger_id`` or ``exchanged_trigger_id``, and the person is told, privately, to
press Edit again.

**Saving.** Submit sends a ``view_submission`` payload
(https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload): who
submitted, and the view with its ``private_metadata`` (the migration id and version it was
opened for) and ``state.values[block_id][action_id].value``. Slack reads the answer from the
acknowledgement itself (https://docs.slack.dev/surfaces/modals#interactions):
an empty 200 closes the modal; ``response_action: errors`` with ``errors`` keyed by input
``block_id`` keeps it open, the person's input intact and each error beside its field
(https://docs.slack.dev/tools/bolt-python/concepts/view-submissions). So the listener
validates, asks the policy again (it may have changed since the modal opened) and saves with a
conditional write on the opened version before it acks: a store read and write, one
``PutEvents``, all far inside Slack's three seconds. A migration that changed meanwhile is not
overwritten: the modal says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from slack_sdk.errors import SlackApiError

from bot.domain import cutover_settings
from bot.domain.migration import Migration
from bot.domain.state import IllegalTransitionError, Stage
from bot.observability import logger
from bot.ports import AuditRecord, MigrationNotFoundError
from bot.services import actions, policies
from bot.slack import edit_modal, replies
from bot.slack.edit_modal import BAKE_BLOCK, BAKE_INPUT, FIELD_BLOCKS, STEPS_BLOCK, STEPS_INPUT
from bot.slack.listeners import EDIT_POLICY, check

if TYPE_CHECKING:
    from slack_bolt import Ack
    from slack_sdk import WebClient

    from bot.slack.app import IngressPorts
    from bot.slack.people import People


class OpenedFor(BaseModel):
    """The modal's ``private_metadata``: which migration, at which version."""

    m: str
    v: int


def open_editor(
    migration: Migration,
    version: int,
    body: dict[str, Any],
    client: WebClient,
    tell: Callable[[str], None],
) -> None:
    """Open the Edit modal for the person who clicked (``version``: the card's)."""
    if migration.version != version:
        tell(
            replies.stale_click(
                f"this card is out of date (version {version}, now {migration.version})"
            )
        )
        return
    if migration.stage != Stage.PLANNED:
        tell(replies.click_not_allowed("the plan no longer waits for approval"))
        return
    try:
        client.views_open(
            trigger_id=str(body.get("trigger_id", "")),
            view=edit_modal.render_edit_modal(migration),
        )
    except SlackApiError as error:
        code = str(error.response.get("error") or error)
        logger.warning(
            "views.open refused the Edit modal",
            extra={"migration_id": migration.migration_id, "error": code},
        )
        tell(edit_modal.editor_not_opened(code))


def _value(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """A ``plain_text_input``'s value in ``view.state.values`` (None when left empty)."""
    found = (values.get(block_id) or {}).get(action_id) or {}
    value = found.get("value")
    return None if value is None else str(value)


def answer_submission(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    ports: IngressPorts,
    client: WebClient,
    people: People,
) -> None:
    """Validate, authorize and save the Edit modal; the ack closes it or shows its errors."""

    def refuse(message: str, block_id: str = STEPS_BLOCK) -> None:
        ack(response_action="errors", errors={block_id: message})

    try:
        opened = OpenedFor.model_validate_json(str(view.get("private_metadata") or ""))
    except ValidationError:
        refuse(edit_modal.MALFORMED)
        return
    values = (view.get("state") or {}).get("values") or {}
    try:
        settings = cutover_settings.parse(
            _value(values, STEPS_BLOCK, STEPS_INPUT), _value(values, BAKE_BLOCK, BAKE_INPUT)
        )
    except cutover_settings.CutoverSettingsError as error:
        ack(
            response_action="errors",
            errors={FIELD_BLOCKS[field]: why for field, why in error.errors.items()},
        )
        return
    user_id = str((body.get("user") or {}).get("id", ""))
    try:
        migration = ports.store.get(opened.m)
    except MigrationNotFoundError:
        refuse(edit_modal.not_saved(f"no migration {opened.m}"))
        return
    policy = policies.policy_for(migration.channel_id, ports.policy, ports.store)
    decision = check(client, people, policy, user_id, EDIT_POLICY, requester=migration.requested_by)
    if not decision.allowed:
        ports.store.append_audit(
            AuditRecord(
                migration_id=migration.migration_id,
                actor=user_id,
                action=edit_modal.EDIT_ACTION,
                decision=f"denied: {decision.reason}",
                at=ports.clock.now(),
            )
        )
        refuse(edit_modal.denied(decision.reason))
        return
    click = actions.Click(migration_id=opened.m, version=opened.v, user_id=user_id)
    try:
        actions.edit_plan(
            click,
            settings.steps,
            settings.bake_minutes,
            actions.ActionPorts(store=ports.store, publisher=ports.publisher, clock=ports.clock),
        )
    except actions.StaleClickError:
        refuse(edit_modal.stale(opened.v))
        return
    except IllegalTransitionError as error:
        refuse(edit_modal.no_longer_editable(error.current.value.replace("_", " ")))
        return
    except actions.ActionNotQueuedError as error:
        refuse(edit_modal.not_saved(str(error)))
        return
    logger.info(
        "the plan's cutover was edited",
        extra={"migration_id": opened.m, "steps": list(settings.steps)},
    )
    ack()
