"""Notifier: the only Slack writer. Keeps the status card current and posts milestones."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.domain.migration import Migration
from bot.domain.tasks import RUNNING, STOPPED, TaskSummary, stop_digest, summarize
from bot.events.models import (
    AuditExportRequested,
    CardRefreshRequested,
    DomainEvent,
    HealthReportReady,
    HealthReportRequested,
    MentionNotUnderstood,
    StatusRequested,
    TaskStateChanged,
)
from bot.ports import MigrationNotFoundError, ReportStore, SlackPort, Store
from bot.services.audit_csv import audit_csv
from bot.services.deploy import service_spec
from bot.services.report_post import post_report

T = TypeVar("T")
#: How many of the thread's last replies a status answer repeats.
LAST_REPLIES = 5


def notify(
    event: DomainEvent, *, store: Store, slack: SlackPort, reports: ReportStore | None = None
) -> None:
    """Post or edit the status card from the stored migration, then reply for milestones.

    The card is edited only when what it would show differs from what it shows: a newer
    stored version, or another task summary. The summary is read from the store when the
    notifier runs, not taken from the event, so a burst of task events queued behind the
    notifier (it runs one at a time) costs one edit for the state they add up to.

    ``CardRefreshRequested`` redraws the card whatever it shows (its buttons expired), and
    ``AuditExportRequested`` sends the trail as a CSV file to the asker's direct messages.
    ``HealthReportReady`` posts a channel's stored health report and its chart (``reports``);
    ``HealthReportRequested`` is the report consumer's alone. ``StatusRequested`` answers
    ``@migrate-bot status`` in the thread (the card's facts and the last ``LAST_REPLIES``
    replies, which are recorded as they are posted); ``MentionNotUnderstood`` tells the person
    who mentioned the bot why it cannot answer, visible to them only.
    """
    if isinstance(event, HealthReportReady):
        if reports is None:
            raise ValueError("a health report needs the report store")
        post_report(event, store=store, reports=reports, slack=slack)
        return
    if isinstance(event, HealthReportRequested):
        return  # not about one migration; the report consumer answers it
    if isinstance(event, MentionNotUnderstood):
        _once(
            store,
            f"reply:{event.idempotency_key}",
            lambda: slack.post_notice(
                event.channel_id, event.requested_by, event.reason, event.thread_ts
            ),
        )
        return
    try:
        migration = store.get(event.migration_id)
    except MigrationNotFoundError:
        return  # an event for a migration this installation never stored
    if isinstance(event, AuditExportRequested):
        _export_audit(event, store, slack)
        return
    if isinstance(event, StatusRequested):
        _answer_status(event, migration, store, slack)
        return
    tasks = task_summary(store, migration)
    tasks_key = tasks.key() if tasks is not None else None
    if migration.slack_ts is None:
        ts = slack.post_card(migration, tasks)
        if not store.set_slack_ts(migration.migration_id, ts):
            # Another delivery posted a card first; thread under the recorded one.
            ts = store.get(migration.migration_id).slack_ts or ts
        migration = migration.model_copy(update={"slack_ts": ts})
        store.mark_card(migration.migration_id, migration.version, tasks_key)
    elif (
        (migration.card_version or 0) < migration.version
        or tasks_key != migration.card_tasks
        or isinstance(event, CardRefreshRequested)
    ):
        slack.update_card(migration, tasks)
        store.mark_card(migration.migration_id, migration.version, tasks_key)
    # else: the card already shows this; duplicates and settled bursts cost no chat.update
    key = reply_key(event)
    if key is None or not slack.is_milestone(event):
        return
    reply_ts = _once(store, key, lambda: slack.post_milestone(migration, event))
    if reply_ts is not None:
        # Remembered for @migrate-bot status. Should this write fail, the retry finds the
        # reply claimed and the answer to a later status lacks this one line.
        store.record_reply(migration.migration_id, reply_ts, event)


def _once(store: Store, key: str, send: Callable[[], T]) -> T | None:
    """``send`` unless ``key`` is claimed already (None); a failed send releases it for the
    retry."""
    if not store.claim(key):
        return None  # already sent
    try:
        return send()
    except Exception:
        store.release(key)  # let the retry send it
        raise


def _answer_status(
    event: StatusRequested, migration: Migration, store: Store, slack: SlackPort
) -> None:
    """Answer in the thread once per mention (a Slack retry of it carries the same key)."""
    _once(
        store,
        f"reply:{event.idempotency_key}",
        lambda: slack.post_status(
            migration,
            task_summary(store, migration),
            store.last_replies(migration.migration_id, LAST_REPLIES),
            event.requested_by,
        ),
    )


def _export_audit(event: AuditExportRequested, store: Store, slack: SlackPort) -> None:
    """The trail as a CSV file in the asker's DM, once per request (a retry sends it again
    only if the first attempt failed)."""
    key = reply_key(event)
    assert key is not None  # every event but a task's has one
    _once(
        store,
        key,
        lambda: slack.send_file(
            event.requested_by,
            filename=f"audit-{event.migration_id}.csv",
            title=f"Audit trail of {event.migration_id}",
            content=audit_csv(store.audit_trail(event.migration_id)),
            comment=f"The audit trail of {event.migration_id} you asked for (times UTC).",
        ),
    )


def reply_key(event: DomainEvent) -> str | None:
    """The claim that makes a milestone reply appear once; None when the event gets none.

    A task's events are milestones only twice over: the migration's first running task
    (once), and each distinct stop reason (once per reason). Every other task change is
    shown on the card only.
    """
    if isinstance(event, TaskStateChanged):
        if event.last_status == RUNNING:
            return f"reply:{event.migration_id}:first-task-running"
        if event.last_status == STOPPED:
            digest = stop_digest(event.stop_code, event.stopped_reason)
            return f"reply:{event.migration_id}:task-stopped:{digest}"
        return None
    return f"reply:{event.idempotency_key}"


def task_summary(store: Store, migration: Migration) -> TaskSummary | None:
    """The service's tasks as the card shows them; None until the service exists.

    ECS Task State Change events do not carry the service's desired count, so the desired
    count shown is the minimum task count of the scaling target the bot gave the Express
    service (``ServiceSpec.min_tasks``, as ``deploy.service_spec`` builds it from the
    plan): what the service runs when it is not scaled out.
    """
    if migration.service_arn is None or migration.plan is None:
        return None
    desired = service_spec(migration.migration_id, migration.plan, migration.image_uri or "")
    return summarize(store.tasks(migration.migration_id), desired.min_tasks)
