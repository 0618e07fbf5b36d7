"""What the ingress does for every request but ``/migrate help``: services, models and ports.

``bot.slack.app`` imports this module on first use, so a cold container that only answers
help loads none of it. Listeners only translate between Slack and the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.domain.migration import Migration
from bot.domain.state import IllegalTransitionError
from bot.ports import (
    AwsRefusedError,
    InstanceBusyError,
    InstanceNotFoundError,
    MigrationNotFoundError,
)
from bot.services import actions, requests
from bot.slack import replies
from bot.slack.blocks import render_error, render_list, render_started, render_status_card
from bot.slack.commands import CommandError, Help, ListMigrations, Migrate, Status, parse_command

if TYPE_CHECKING:
    from slack_bolt import Ack, Respond
    from slack_sdk import WebClient

    from bot.slack.app import ChannelAccess, IngressPorts


class ButtonValue(BaseModel):
    """What a card button carries."""

    m: str
    v: int
    w: int | None = None


def answer_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    ports: IngressPorts,
    channels: ChannelAccess,
) -> None:
    """Answer ``/migrate`` list, status or a target (help is answered without this module)."""
    channel_id = command["channel_id"]
    try:
        parsed = parse_command(command.get("text", ""))
    except CommandError as error:
        ack(text=render_error(str(error)))
        return
    match parsed:
        case Help():
            ack(text=replies.USAGE)
        case ListMigrations():
            ack(text=render_list(requests.channel_migrations(channel_id, store=ports.store)))
        case Status(migration_id=None):
            newest = requests.channel_migrations(channel_id, store=ports.store)
            _ack_status(ack, newest[0] if newest else None, "No migration in this channel yet.")
        case Status(migration_id=str() as migration_id):
            found = requests.channel_migration(channel_id, migration_id, ports.store)
            if found is None:
                ack(text=render_error(f"no migration {migration_id} in this channel"))
            else:
                _ack_status(ack, found, "")
        case Migrate(target=target, image=image, source=source):
            if not channels.can_post(client, channel_id, command.get("channel_name", "")):
                ack(text=replies.NOT_IN_CHANNEL)  # before anything is read or written
                return
            try:
                migration = requests.request_migration(
                    target,
                    channel_id,
                    command["user_id"],
                    store=ports.store,
                    publisher=ports.publisher,
                    clock=ports.clock,
                    aws=ports.discovery,
                    image=image,
                    source=source,
                    uploads_bucket=ports.uploads_bucket if source else None,
                )
            except (
                requests.SourceNotAllowedError,
                InstanceNotFoundError,
                InstanceBusyError,
                AwsRefusedError,
                requests.RequestNotQueuedError,
            ) as error:
                ack(text=render_error(str(error)))
                return
            ack(text=render_started(migration))


def _ack_status(ack: Ack, migration: Migration | None, empty: str) -> None:
    if migration is None:
        ack(text=empty)
        return
    text, blocks = render_status_card(migration)
    # Buttons live on the thread's card only, so a stale copy cannot be clicked.
    ack(text=text, blocks=[b for b in blocks if b["type"] != "actions"])


_ACTS: dict[str, Callable[[actions.Click, int | None, actions.ActionPorts], Migration]] = {
    "approve_plan": lambda click, _, ports: actions.approve_plan(click, ports),
    "cancel_migration": lambda click, _, ports: actions.cancel(click, ports),
    "cutover_10": lambda click, weight, ports: actions.cutover(click, weight or 0, ports),
    "cutover_50": lambda click, weight, ports: actions.cutover(click, weight or 0, ports),
    "cutover_100": lambda click, weight, ports: actions.cutover(click, weight or 0, ports),
    "rollback": lambda click, _, ports: actions.rollback(click, ports),
}


def answer_click(
    action_id: str,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    ports: IngressPorts,
) -> None:
    """Apply a card button (already acked); refusals go to the clicker only."""

    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    try:
        value = ButtonValue.model_validate_json(action.get("value", ""))
    except ValidationError:
        tell(replies.MALFORMED_BUTTON)
        return
    click = actions.Click(migration_id=value.m, version=value.v, user_id=body["user"]["id"])
    action_ports = actions.ActionPorts(
        store=ports.store, publisher=ports.publisher, clock=ports.clock
    )
    try:
        _ACTS[action_id](click, value.w, action_ports)
    except actions.StaleClickError as error:
        tell(replies.stale_click(str(error)))
    except actions.ActionNotQueuedError as error:
        tell(replies.click_not_queued(str(error)))
    except IllegalTransitionError as error:
        tell(replies.click_not_allowed(str(error)))
    except MigrationNotFoundError:
        tell(replies.no_migration(value.m))
