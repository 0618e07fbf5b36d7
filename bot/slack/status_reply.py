"""``@migrate-bot status`` answered in a migration's thread: the card's facts, the last
events the thread was told, and no buttons (they stay on the card, the thread's root)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.domain.tasks import TaskSummary
from bot.events.models import DomainEvent
from bot.slack.blocks import (
    Blocks,
    card_fields,
    card_title,
    clip,
    last_stop_line,
    render_milestone,
)
from bot.slack.replies import escape

#: How many of the thread's replies the answer repeats.
LAST_EVENTS = 5


def reply_time(ts: str) -> str:
    """A Slack message ts (``<epoch seconds>.<micro>``) as ``HH:MM:SS UTC``."""
    return f"{datetime.fromtimestamp(float(ts), tz=UTC):%H:%M:%S} UTC"


def first_line(text: str, limit: int = 300) -> str:
    """A reply's first line (a milestone may list details below it), clipped."""
    head, _, rest = text.strip().partition("\n")
    head = head.rstrip(":")
    return clip(head + (" …" if rest.strip() else ""), limit)


def render_status_reply(
    migration: Migration,
    tasks: TaskSummary | None,
    replies: list[tuple[str, DomainEvent]],
    asked_by: str,
) -> tuple[str, Blocks]:
    """Fallback text and blocks: who asked, the card's facts, the failure or blocker if
    any, the tasks' last stop, and the last ``LAST_EVENTS`` replies with their times."""
    title = card_title(migration)
    blocks: Blocks = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(f"<@{escape(asked_by)}> asked for the status of *{title}*", 3000),
            },
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip(f, 2000)}
                for f in card_fields(migration, tasks)[:10]
            ],
        },
    ]
    trouble = []
    if migration.failure:
        trouble.append(f":x: *Failure:* {escape(migration.failure)}")
    if migration.edge_blocker and migration.stage == Stage.HEALTHY:
        trouble.append(f":no_entry: *Cutover not offered:* {escape(migration.edge_blocker)}")
    if tasks is not None and tasks.stopped:
        trouble.append(last_stop_line(tasks))
    if trouble:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(trouble), 3000)}}
        )
    told = [
        (ts, first_line(text))
        for ts, event in replies[-LAST_EVENTS:]
        if (text := render_milestone(event)) is not None
    ]
    lines = [f"`{reply_time(ts)}` {text}" for ts, text in told] or ["Nothing yet."]
    blocks.append(
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip("*Last events in this thread*\n" + "\n".join(lines), 3000),
            },
        }
    )
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"version {migration.version} · the buttons are on the card at the "
                    "top of this thread",
                }
            ],
        }
    )
    return f"Status of {title}", blocks
