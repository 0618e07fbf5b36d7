"""``/migrate report``: the channel's health report, now (the ingress's part, and its words).

Reading a report changes nothing, so whoever the channel's policy lets use the bot may ask:
those it lets request a migration, and its approvers (``policy.decide`` for either; guests,
strangers, bots and deactivated accounts are refused whatever the policy says). The bot must
be able to post in the channel. The ingress publishes ``HealthReportRequested`` for the
channel and answers at once; the report consumer compiles the report and the notifier posts
it, like the schedule's. A refusal is audited under ``channel:<id>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain.policy import Action, who_may
from bot.events.models import HealthReportRequested
from bot.observability import logger
from bot.ports import AuditRecord
from bot.services import policies
from bot.slack import replies
from bot.slack.blocks import render_error

if TYPE_CHECKING:
    from slack_bolt import Ack
    from slack_sdk import WebClient

    from bot.slack.app import ChannelAccess, IngressPorts
    from bot.slack.people import People

NOT_IN_CHANNEL = (
    f":wave: I can't post here, so no report was made. Invite me to the channel with "
    f"`/invite {replies.BOT_HANDLE}`, then run `/migrate report` again there."
)
QUEUED = (
    ":bar_chart: A health report of this channel's migrations is on its way: stage, traffic, "
    "both sides' health, errors and latency over the last 24 hours, and the cost of each side."
)


def answer_report(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    ports: IngressPorts,
    channels: ChannelAccess,
    people: People,
) -> None:
    """Queue the channel's report for a person the policy lets use the bot."""
    from bot.slack.listeners import check

    channel_id, user_id = command["channel_id"], command["user_id"]
    if not channels.can_post(client, channel_id, command.get("channel_name", "")):
        ack(text=NOT_IN_CHANNEL)
        return
    policy = policies.policy_for(channel_id, ports.policy, ports.store)
    decision = check(client, people, policy, user_id, Action.REQUEST)
    if not decision.allowed:
        approver = check(client, people, policy, user_id, Action.APPROVE)
        decision = approver if approver.allowed else decision
    if not decision.allowed:
        ports.store.append_audit(
            AuditRecord(
                migration_id=f"channel:{channel_id}",
                actor=user_id,
                action="report",
                decision=f"denied: {decision.reason}",
                at=ports.clock.now(),
            )
        )
        who = f"{who_may(policy, Action.REQUEST)}; {who_may(policy, Action.APPROVE)}"
        ack(text=replies.denied("ask for a health report here", decision.reason, who))
        return
    at = ports.clock.now()
    try:
        ports.publisher.publish(
            [
                HealthReportRequested(
                    idempotency_key=f"report:{channel_id}:{user_id}:{at.timestamp()}",
                    scheduled_time=at,
                    channel_id=channel_id,
                    requested_by=user_id,
                )
            ]
        )
    except Exception:
        logger.exception("the health report could not be queued")
        ack(text=render_error("the bot could not queue the report; please try again"))
        return
    ack(text=QUEUED)
