"""Notifier: the only Slack writer. Keeps the status card current and posts milestones."""

from __future__ import annotations

from bot.events.models import DomainEvent
from bot.ports import MigrationNotFoundError, SlackPort, Store


def notify(event: DomainEvent, *, store: Store, slack: SlackPort) -> None:
    """Post or edit the status card from the stored migration, then reply for milestones."""
    try:
        migration = store.get(event.migration_id)
    except MigrationNotFoundError:
        return  # an event for a migration this installation never stored
    if migration.slack_ts is None:
        ts = slack.post_card(migration)
        if not store.set_slack_ts(migration.migration_id, ts):
            # Another delivery posted a card first; thread under the recorded one.
            ts = store.get(migration.migration_id).slack_ts or ts
        migration = migration.model_copy(update={"slack_ts": ts})
        store.mark_card(migration.migration_id, migration.version)
    elif (migration.card_version or 0) < migration.version:
        slack.update_card(migration)
        store.mark_card(migration.migration_id, migration.version)
    # else: the card already shows this version; bursts and duplicates cost no chat.update
    if not slack.is_milestone(event):
        return
    key = f"reply:{event.idempotency_key}"
    if not store.claim(key):
        return  # this milestone was already posted
    try:
        slack.post_milestone(migration, event)
    except Exception:
        store.release(key)  # let the retry post it
        raise
