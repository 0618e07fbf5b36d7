"""slack_sdk implementation of the ``SlackPort`` (the notifier's only way to Slack)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.domain.health_report import HealthReport, chart_data
from bot.domain.migration import Migration
from bot.domain.tasks import TaskSummary
from bot.events.models import DomainEvent
from bot.slack.blocks import render_milestone, render_status_card
from bot.slack.health_report import (
    chart_alt_text,
    chart_filename,
    chart_title,
    render_health_report,
)
from bot.slack.status_reply import render_status_reply


def web_client(token: str, base_url: str) -> WebClient:
    """A WebClient that honours Slack's Retry-After on HTTP 429."""
    client = WebClient(token=token, base_url=base_url, timeout=10)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SlackWebNotifier:
    """Renders cards and replies with the Block Kit builders and sends them.

    Every card drawn carries buttons valid for ``buttons_valid_for`` from the moment it is
    drawn (template parameter ``ButtonValidityHours``); the ingress refuses a later click.
    """

    def __init__(
        self,
        client: WebClient,
        buttons_valid_for: timedelta = timedelta(hours=24),
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._client = client
        self._valid_for = buttons_valid_for
        self._now = now

    def _card(self, migration: Migration, tasks: TaskSummary | None) -> tuple[str, list[dict]]:
        return render_status_card(migration, tasks, buttons_until=self._now() + self._valid_for)

    def post_card(self, migration: Migration, tasks: TaskSummary | None = None) -> str:
        """Post the status card as a new thread root; return its ts."""
        text, blocks = self._card(migration, tasks)
        response = self._client.chat_postMessage(
            channel=migration.channel_id, text=text, blocks=blocks
        )
        return str(response["ts"])

    def update_card(self, migration: Migration, tasks: TaskSummary | None = None) -> None:
        """Edit the status card in place."""
        text, blocks = self._card(migration, tasks)
        self._client.chat_update(
            channel=migration.channel_id, ts=str(migration.slack_ts), text=text, blocks=blocks
        )

    def is_milestone(self, event: DomainEvent) -> bool:
        """Whether ``event`` deserves a thread reply (the renderer decides)."""
        return render_milestone(event) is not None

    def send_file(
        self, user_id: str, *, filename: str, title: str, content: str, comment: str
    ) -> None:
        """Open the DM with ``user_id`` (``conversations.open``, scope ``im:write``) and upload
        the file there with ``files_upload_v2`` (``files.getUploadURLExternal``, the upload,
        ``files.completeUploadExternal``; scope ``files:write``): only that person sees it."""
        dm = self._client.conversations_open(users=user_id)["channel"]["id"]
        self._client.files_upload_v2(
            channel=dm, filename=filename, title=title, content=content, initial_comment=comment
        )

    def post_report(self, report: HealthReport) -> str:
        """Post a channel's health report as a channel message (``chat.postMessage``)."""
        text, blocks = render_health_report(report)
        response = self._client.chat_postMessage(
            channel=report.channel_id, text=text, blocks=blocks
        )
        return str(response["ts"])

    def upload_chart(self, report: HealthReport) -> None:
        """Draw the report's chart (matplotlib, Agg) and share it in the report's channel with
        ``files_upload_v2`` (``files.getUploadURLExternal``, the upload,
        ``files.completeUploadExternal`` with ``channel_id``; scope ``files:write``)."""
        from bot.adapters.chart_png import render_png

        png = render_png(chart_data(report))
        self._client.files_upload_v2(
            channel=report.channel_id,
            filename=chart_filename(report),
            title=chart_title(report),
            content=png,
            alt_txt=chart_alt_text(report),
        )

    def post_milestone(self, migration: Migration, event: DomainEvent) -> str | None:
        """Reply in the migration's thread; the reply's ts."""
        text = render_milestone(event)
        if text is None:
            return None
        response = self._client.chat_postMessage(
            channel=migration.channel_id, text=text, thread_ts=migration.slack_ts
        )
        return str(response["ts"])

    def post_status(
        self,
        migration: Migration,
        tasks: TaskSummary | None,
        replies: list[tuple[str, DomainEvent]],
        asked_by: str,
    ) -> None:
        """Answer ``@migrate-bot status`` in the thread (``chat.postMessage`` with
        ``thread_ts``; scope ``chat:write``)."""
        text, blocks = render_status_reply(migration, tasks, replies, asked_by)
        self._client.chat_postMessage(
            channel=migration.channel_id, text=text, blocks=blocks, thread_ts=migration.slack_ts
        )

    def post_notice(self, channel_id: str, user_id: str, text: str, thread_ts: str) -> None:
        """``chat.postEphemeral`` in the thread: only ``user_id`` sees it, and only while
        they are in the channel (https://docs.slack.dev/reference/methods/chat.postEphemeral;
        scope ``chat:write``)."""
        self._client.chat_postEphemeral(
            channel=channel_id, user=user_id, text=text, thread_ts=thread_ts
        )
