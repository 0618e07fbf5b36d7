"""Use cases behind /migrate: starting a migration and reading migrations back."""

from __future__ import annotations

from bot.domain.migration import Migration, fail
from bot.domain.state import Stage
from bot.events.models import MigrationRequested
from bot.ports import (
    AuditRecord,
    Clock,
    DiscoveryAws,
    InstanceBusyError,
    MigrationNotFoundError,
    Publisher,
    Store,
)
from bot.services.changes import mutate
from bot.services.ids import new_migration_id


class RequestNotQueuedError(RuntimeError):
    """The migration was recorded but could not be queued; it was closed as failed."""


class SourceNotAllowedError(ValueError):
    """A ``--source`` bundle outside the bucket prefix the bot reads (nothing was written)."""


UPLOADS_PREFIX = "uploads/"


def source_key(source: str, uploads_bucket: str | None) -> str:
    """The artifacts-bucket key of a ``--source s3://bucket/key``; refuse other places."""
    bucket, _, key = source.removeprefix("s3://").partition("/")
    if uploads_bucket is None:
        raise SourceNotAllowedError("this deployment has no artifacts bucket for --source")
    if bucket != uploads_bucket or not key.startswith(UPLOADS_PREFIX):
        raise SourceNotAllowedError(
            f"the bot reads bundles only from s3://{uploads_bucket}/{UPLOADS_PREFIX}; upload "
            f"yours there (e.g. s3://{uploads_bucket}/{UPLOADS_PREFIX}{key.rsplit('/', 1)[-1]})"
        )
    return key


def request_migration(
    target: str,
    channel_id: str,
    user_id: str,
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
    aws: DiscoveryAws,
    image: str | None = None,
    source: str | None = None,
    uploads_bucket: str | None = None,
) -> Migration:
    """Check the target exists, persist a new migration and emit ``MigrationRequested``.

    Raises ``InstanceNotFoundError`` (nothing written) when no instance matches,
    ``InstanceBusyError`` (nothing written) when the instance is already being migrated, and
    ``SourceNotAllowedError`` (nothing read or written) for a bundle outside ``uploads/``.
    """
    key = source_key(source, uploads_bucket) if source else None
    instance_id = aws.resolve_instance(target)
    holder = store.lock_holder(instance_id)
    if holder is not None:
        previous = store.get(holder)
        if not previous.frees_instance:
            raise InstanceBusyError(
                f"{instance_id} is already being migrated by {holder} "
                f"({previous.stage.value}); finish, cancel or roll that one back first"
            )
    now = clock.now()
    migration_id = new_migration_id()
    # The migration, the instance lock and the audit record: one transaction, one call.
    migration = store.create(
        Migration(
            migration_id=migration_id,
            stage=Stage.REQUESTED,
            target=instance_id,
            channel_id=channel_id,
            requested_by=user_id,
            created_at=now,
            updated_at=now,
        ),
        replaces=holder,
        audit=AuditRecord(
            migration_id=migration_id,
            actor=user_id,
            action="request",
            decision=f"accepted: {target}"
            + (f" --image {image}" if image else "")
            + (f" --source {source}" if source else ""),
            at=now,
        ),
    )
    try:
        publisher.publish(
            [
                MigrationRequested(
                    migration_id=migration.migration_id,
                    idempotency_key=f"{migration.migration_id}:requested",
                    target=instance_id,
                    channel_id=channel_id,
                    requested_by=user_id,
                    image_uri=image,
                    source_key=key,
                )
            ]
        )
    except Exception as error:
        # Nothing will pick the request up: close it, keep the record, tell the user.
        reason = f"the request could not be queued ({error})"
        mutate(store, migration.migration_id, lambda m: fail(m, Stage.REQUESTED, reason, now))
        raise RequestNotQueuedError(
            f"could not start migration {migration.migration_id}; please try again"
        ) from error
    return migration


def channel_migrations(channel_id: str, *, store: Store) -> list[Migration]:
    """Return the channel's migrations, newest first."""
    return sorted(store.list_by_channel(channel_id), key=lambda m: m.created_at, reverse=True)


def thread_migration(channel_id: str, thread_ts: str, *, store: Store) -> Migration | None:
    """The channel's migration whose status card is the root of the thread ``thread_ts``."""
    return next((m for m in store.list_by_channel(channel_id) if m.slack_ts == thread_ts), None)


def channel_migration(channel_id: str, migration_id: str, store: Store) -> Migration | None:
    """The migration with that id if it lives in this channel (no peeking across channels)."""
    try:
        migration = store.get(migration_id)
    except MigrationNotFoundError:
        return None
    return migration if migration.channel_id == channel_id else None
