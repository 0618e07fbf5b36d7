"""``@migrate-bot …``: the Events API's ``app_mention``, answered through the notifier.

Slash commands do not work in threads (Slack, "Implementing slash commands"), so inside a
migration's thread the bot answers a mention: ``@migrate-bot status`` publishes
``StatusRequested`` and the notifier (the only Slack writer) answers in that thread. Any other
mention publishes ``MentionNotUnderstood``: the person is told why, in a message only they see.

Slack sends ``app_mention`` for a message that mentions the app in a conversation it is in
(https://docs.slack.dev/reference/events/app_mention), and sends it again when the app does
not answer within 3 seconds (``X-Slack-Retry-Num``; Slack, "The Events API", retries): every
event published here is keyed by the envelope's ``event_id``, which a retry repeats, and the
notifier posts once per key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.events.models import DomainEvent, MentionNotUnderstood, StatusRequested
from bot.services import requests

if TYPE_CHECKING:
    from bot.slack.app import IngressPorts

#: A user mention as Slack writes it in a message's text: ``<@U0123>`` or ``<@U0123|name>``.
USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")

ONLY_STATUS = (
    "I answer `@migrate-bot status` in a migration's thread (reply under its status card). "
    "Everything else is `/migrate` in the channel: `/migrate help` lists it."
)
NOT_IN_THREAD = (
    "Ask in a migration's thread: reply under its status card with `@migrate-bot status`. "
    "Here in the channel, `/migrate status` or `/migrate list` answers."
)
NOT_A_MIGRATION = (
    "This thread is not a migration's. Ask under a status card; `/migrate list` in the "
    "channel lists the migrations."
)


def mention_words(text: str) -> list[str]:
    """The words of a mention's text, without the user mentions, lower-cased."""
    return USER_MENTION.sub(" ", text).lower().split()


def mention_event(event: dict[str, Any], event_id: str, ports: IngressPorts) -> DomainEvent | None:
    """The event to publish for an ``app_mention`` (None: nothing to answer).

    A message posted by a bot (``bot_id``, or the ``bot_message`` subtype) is never answered,
    so two bots cannot talk to each other forever. ``@migrate-bot`` alone is a status request.
    """
    if event.get("bot_id") or event.get("subtype") == "bot_message" or not event.get("user"):
        return None
    channel_id, user_id = str(event["channel"]), str(event["user"])
    thread_ts = event.get("thread_ts")
    key = f"mention:{event_id}"
    words = mention_words(str(event.get("text", "")))
    reason = None
    if words not in ([], ["status"]):
        reason = ONLY_STATUS
    elif not thread_ts:
        reason = NOT_IN_THREAD
    else:
        found = requests.thread_migration(channel_id, str(thread_ts), store=ports.store)
        if found is not None:
            return StatusRequested(
                migration_id=found.migration_id,
                channel_id=channel_id,
                thread_ts=str(thread_ts),
                requested_by=user_id,
                idempotency_key=key,
            )
        reason = NOT_A_MIGRATION
    return MentionNotUnderstood(
        channel_id=channel_id,
        thread_ts=str(thread_ts or event["ts"]),
        requested_by=user_id,
        reason=reason,
        idempotency_key=key,
    )


def answer_mention(body: dict[str, Any], event: dict[str, Any], ports: IngressPorts) -> None:
    """Publish what the mention asks for; a failed publish raises, so the request is not
    acknowledged and Slack sends the event again."""
    found = mention_event(event, str(body.get("event_id") or event.get("ts", "")), ports)
    if found is not None:
        ports.publisher.publish([found])
