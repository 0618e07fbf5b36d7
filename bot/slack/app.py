"""The Bolt app: the /migrate command, the card's buttons, the plan's Edit modal and
``@migrate-bot`` mentions.

No lazy listeners (``process_before_response``: everything finishes before Lambda returns)
and no ``auth.test`` on cold start (a fixed ``authorize``). Cold start is kept to a bare Bolt
app's: this module and ``/migrate help`` load no model, no service and no AWS client. Every
other request is answered by ``bot.slack.listeners``, imported on first use, with ports that
the composition root builds when a listener first reads them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError

from bot.slack import replies
from bot.slack.commands import CommandError, Help, parse_command
from bot.slack.edit_modal import CALLBACK_ID, EDIT_ACTION
from bot.slack.installation import Installation, installation_guard
from bot.slack.people import People

if TYPE_CHECKING:
    from slack_bolt import Ack, Respond
    from slack_sdk import WebClient

    from bot.domain.policy import Policy
    from bot.ports import Clock, DiscoveryAws, Publisher, Store

COMMAND = "/migrate"
ACTION_IDS = (
    "approve_plan",
    EDIT_ACTION,
    "cancel_migration",
    "cutover_10",
    "cutover_50",
    "cutover_100",
    "gradual_start",
    "gradual_pause",
    "gradual_resume",
    "rollback",
    # Clean up and Decommission (bot.slack.retire_blocks.ACTIONS, named here so a cold
    # start imports no model).
    "cleanup",
    "cleanup_keep_image",
    "decommission",
    "decommission_undo",
    "terminate_instance",
)
#: The one Events API event the app subscribes to (manifest.yml's bot_events).
MENTION_EVENT = "app_mention"
#: A migration's own cutover steps (``cutover_<weight>``): the default steps' ids above, and
#: whatever steps the plan's Edit modal set.
CUTOVER_ACTION = re.compile(r"^cutover_\d{1,3}$")


class IngressPorts(Protocol):
    """Ports the ingress uses; bootstrap's implementation builds each on first read."""

    @property
    def store(self) -> Store:
        """Migrations, locks and audit."""
        ...

    @property
    def publisher(self) -> Publisher:
        """The custom bus."""
        ...

    @property
    def clock(self) -> Clock:
        """Now."""
        ...

    @property
    def discovery(self) -> DiscoveryAws:
        """Resolves a target to an instance."""
        ...

    @property
    def uploads_bucket(self) -> str | None:
        """The artifacts bucket, whose ``uploads/`` hold the bundles ``--source`` may name."""
        ...

    @property
    def policy(self) -> Policy | None:
        """Who may do what (the stack's default); ``None`` when it is unusable: all denied."""
        ...


@dataclass(frozen=True)
class IngressDeps:
    """Ports already built (tests and fakes); satisfies ``IngressPorts``."""

    store: Store
    publisher: Publisher
    clock: Clock
    discovery: DiscoveryAws
    uploads_bucket: str | None = None
    policy: Policy | None = None


class ChannelAccess:
    """Whether the bot may post in a channel: one ``conversations.info``, remembered if yes.

    Slack (https://docs.slack.dev/reference/methods/conversations.info) answers a public
    channel with ``is_member`` and a private channel the bot is not in with
    ``channel_not_found``. The app does not ask for ``chat:write.public``, so
    ``chat.postMessage`` needs membership (else ``not_in_channel``). A direct message is
    refused without a call: migrations live in channels (the app asks no ``im:read``). Other
    Slack errors raise (a missing scope is a broken install, not a reason to say "invite
    me"). A channel found postable
    is remembered for ``ttl`` seconds in this warm container; a refusal is never remembered,
    so ``/invite`` takes effect at once.
    """

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._postable_until: dict[str, float] = {}

    def can_post(self, client: WebClient, channel_id: str, channel_name: str = "") -> bool:
        """True if the bot is a member of the (unarchived) channel.

        Direct and group direct messages are refused without a call: a slash command names
        them ``directmessage`` and ``mpdm-…`` (Slack, "Implementing slash commands", the
        payload's ``channel_name``), and asking ``conversations.info`` about a group DM needs
        ``mpim:read``, which the app does not ask for.
        """
        if channel_id.startswith("D") or channel_name == "directmessage":
            return False
        if channel_name.startswith("mpdm-"):
            return False
        if self._postable_until.get(channel_id, 0.0) > self._clock():
            return True
        try:
            channel = client.conversations_info(channel=channel_id)["channel"]
        except SlackApiError as error:
            if error.response.get("error") == "channel_not_found":
                return False  # private and the bot is not in it (or no such channel)
            raise
        if not channel.get("is_member") or channel.get("is_archived"):
            return False
        self._postable_until[channel_id] = self._clock() + self._ttl
        return True


def build_app(
    ports: IngressPorts,
    *,
    token: str,
    signing_secret: str,
    client: WebClient,
    installation: Installation | None,
    unconfigured: str = "no installation configured",
    channels: ChannelAccess | None = None,
    people: People | None = None,
) -> App:
    """Create the Bolt app with every listener registered.

    A fixed ``authorize`` hands Bolt the bot token, so no ``auth.test`` is made,
    neither on cold start nor on the first request. Before any listener, a global
    middleware (run after Bolt's signature check) refuses a request from any other team,
    enterprise or app than ``installation``, and every request if it is ``None`` (logged
    with ``unconfigured``, the reason). ``channels`` remembers which channels the bot may
    post in (a fresh one per app, i.e. per warm container, if not given); ``people`` who is
    behind a user id (likewise).
    """

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    app = App(
        signing_secret=signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=True,
    )
    app.use(installation_guard(installation, unconfigured=unconfigured))
    people = people or People(installation)
    app.command(COMMAND)(_migrate_command(ports, channels or ChannelAccess(), people))
    for action_id in ACTION_IDS:
        if not CUTOVER_ACTION.match(action_id):
            app.action(action_id)(_button(action_id, ports, people))
    app.action(CUTOVER_ACTION)(_button(None, ports, people))
    app.view(CALLBACK_ID)(_edit_submitted(ports, people))
    app.event(MENTION_EVENT)(_mentioned(ports))
    return app


def _is_help(text: str) -> bool:
    try:
        return isinstance(parse_command(text), Help)
    except CommandError:
        return False  # malformed: the full listener answers it, saying why, with usage


def _migrate_command(
    ports: IngressPorts, channels: ChannelAccess, people: People
) -> Callable[..., None]:
    def listener(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        if _is_help(command.get("text", "")):
            ack(text=replies.USAGE)
            return
        from bot.slack import listeners  # first use loads the services and the models

        listeners.answer_command(ack, command, client, ports, channels, people)

    return listener


def _button(action_id: str | None, ports: IngressPorts, people: People) -> Callable[..., None]:
    """A button's listener (``action_id`` None: the clicked one's own, for a cutover step)."""

    def listener(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: Respond,
        client: WebClient,
    ) -> None:
        ack()
        from bot.slack import listeners  # first use loads the services and the models

        clicked = action_id or str(action.get("action_id", ""))
        listeners.answer_click(clicked, body, action, respond, ports, client, people)

    return listener


def _mentioned(ports: IngressPorts) -> Callable[..., None]:
    """``app_mention``: Bolt acknowledges the event once this returns (process before
    response), so a publish that fails leaves it unacknowledged and Slack retries it."""

    def listener(body: dict[str, Any], event: dict[str, Any]) -> None:
        from bot.slack import mentions  # first use loads the services and the models

        mentions.answer_mention(body, event, ports)

    return listener


def _edit_submitted(ports: IngressPorts, people: People) -> Callable[..., None]:
    """The Edit modal's ``view_submission``: acked after validating and saving, since the
    answer (close, or ``response_action: errors``) is the ack itself."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        from bot.slack import plan_edit  # first use loads the services and the models

        plan_edit.answer_submission(ack, body, view, ports, client, people)

    return listener
