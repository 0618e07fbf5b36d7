"""The Bolt app: the /migrate command and the card's buttons.

Listeners only translate between Slack and the services. No lazy listeners
(``process_before_response``: everything finishes before Lambda returns) and no
``auth.test`` on cold start (``token_verification_enabled=False``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from slack_bolt import Ack, App, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.domain.migration import Migration
from bot.domain.state import IllegalTransitionError
from bot.ports import (
    Clock,
    DiscoveryAws,
    InstanceBusyError,
    InstanceNotFoundError,
    MigrationNotFoundError,
    Publisher,
    Store,
)
from bot.services import actions, requests
from bot.slack.blocks import (
    USAGE,
    render_error,
    render_list,
    render_started,
    render_status_card,
)
from bot.slack.commands import (
    CommandError,
    Help,
    ListMigrations,
    Migrate,
    Status,
    parse_command,
)

COMMAND = "/migrate"
ACTION_IDS = (
    "approve_plan",
    "cancel_migration",
    "cutover_10",
    "cutover_50",
    "cutover_100",
    "rollback",
)


@dataclass(frozen=True)
class IngressDeps:
    """Ports the ingress uses."""

    store: Store
    publisher: Publisher
    clock: Clock
    discovery: DiscoveryAws


class ButtonValue(BaseModel):
    """What a card button carries."""

    m: str
    v: int
    w: int | None = None


def build_app(deps: IngressDeps, *, token: str, signing_secret: str, client: WebClient) -> App:
    """Create the Bolt app with every listener registered.

    A fixed ``authorize`` hands Bolt the bot token, so no ``auth.test`` is made,
    neither on cold start nor on the first request.
    """

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    app = App(
        signing_secret=signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=True,
    )
    app.command(COMMAND)(_migrate_command(deps))
    ports = actions.ActionPorts(store=deps.store, publisher=deps.publisher, clock=deps.clock)
    app.action("approve_plan")(_button(lambda click, _: actions.approve_plan(click, ports)))
    app.action("cancel_migration")(_button(lambda click, _: actions.cancel(click, ports)))
    app.action(re.compile(r"^cutover_(10|50|100)$"))(
        _button(lambda click, weight: actions.cutover(click, weight or 0, ports))
    )
    app.action("rollback")(_button(lambda click, _: actions.rollback(click, ports)))
    return app


def _migrate_command(deps: IngressDeps) -> Callable[..., None]:
    def listener(ack: Ack, command: dict[str, Any]) -> None:
        try:
            parsed = parse_command(command.get("text", ""))
        except CommandError as error:
            ack(text=render_error(str(error)))
            return
        match parsed:
            case Help():
                ack(text=USAGE)
            case ListMigrations():
                ack(
                    text=render_list(
                        requests.channel_migrations(command["channel_id"], store=deps.store)
                    )
                )
            case Status(migration_id=None):
                newest = requests.channel_migrations(command["channel_id"], store=deps.store)
                _ack_status(ack, newest[0] if newest else None, "No migration in this channel yet.")
            case Status(migration_id=str() as migration_id):
                found = requests.channel_migration(command["channel_id"], migration_id, deps.store)
                if found is None:
                    ack(text=render_error(f"no migration {migration_id} in this channel"))
                else:
                    _ack_status(ack, found, "")
            case Migrate(target=target):
                try:
                    migration = requests.request_migration(
                        target,
                        command["channel_id"],
                        command["user_id"],
                        store=deps.store,
                        publisher=deps.publisher,
                        clock=deps.clock,
                        aws=deps.discovery,
                    )
                except (
                    InstanceNotFoundError,
                    InstanceBusyError,
                    requests.RequestNotQueuedError,
                ) as error:
                    ack(text=render_error(str(error)))
                    return
                ack(text=render_started(migration))

    return listener


def _ack_status(ack: Ack, migration: Migration | None, empty: str) -> None:
    if migration is None:
        ack(text=empty)
        return
    text, blocks = render_status_card(migration)
    # Buttons live on the thread's card only, so a stale copy cannot be clicked.
    ack(text=text, blocks=[b for b in blocks if b["type"] != "actions"])


def _button(
    act: Callable[[actions.Click, int | None], Migration],
) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        try:
            value = ButtonValue.model_validate_json(action.get("value", ""))
        except ValidationError:
            respond(
                text=":warning: That button is malformed; use the card in the thread.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        click = actions.Click(migration_id=value.m, version=value.v, user_id=body["user"]["id"])
        try:
            act(click, value.w)
        except actions.StaleClickError as error:
            respond(
                text=f":hourglass: Not done: {error}. Use the buttons on the updated card.",
                response_type="ephemeral",
                replace_original=False,
            )
        except actions.ActionNotQueuedError as error:
            respond(
                text=f":warning: Not done: {error}. Please try again.",
                response_type="ephemeral",
                replace_original=False,
            )
        except IllegalTransitionError as error:
            respond(
                text=f":no_entry: Not done: {error}.",
                response_type="ephemeral",
                replace_original=False,
            )
        except MigrationNotFoundError:
            respond(
                text=f":warning: No migration {value.m}.",
                response_type="ephemeral",
                replace_original=False,
            )

    return listener
