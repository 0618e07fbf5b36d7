"""Read-modify-write of a migration under optimistic locking."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.migration import Migration
from bot.events.models import DomainEvent
from bot.ports import Publisher, StaleVersionError, Store

MAX_ATTEMPTS = 5


def mutate(
    store: Store, migration_id: str, change: Callable[[Migration], Migration | None]
) -> Migration | None:
    """Apply ``change`` to the stored migration and save it; None when ``change`` declines.

    ``change`` must be a pure function of the migration it is given: on a lost
    optimistic lock it is re-run on the fresh record, up to ``MAX_ATTEMPTS`` times.
    """
    for _ in range(MAX_ATTEMPTS):
        current = store.get(migration_id)
        changed = change(current)
        if changed is None:
            return None
        try:
            return store.save(changed)
        except StaleVersionError:
            continue
    raise StaleVersionError(f"{migration_id}: gave up after {MAX_ATTEMPTS} conflicting writes")


def publish_step(store: Store, publisher: Publisher, event: DomainEvent) -> None:
    """Publish a step's event the first time, and mark it published (by its key)."""
    publisher.publish([event])
    store.claim(_published(event))


def republish_step(store: Store, publisher: Publisher, event: DomainEvent) -> None:
    """Publish a step's event again only if its first publish never completed.

    A redelivery after a crash between saving and publishing finds no mark and
    publishes; any later duplicate (or a periodic AWS event) finds the mark and
    stays quiet, so nothing loops and nobody is told the same thing twice.
    """
    marker = _published(event)
    if not store.claim(marker):
        return
    try:
        publisher.publish([event])
    except Exception:
        store.release(marker)
        raise


def _published(event: DomainEvent) -> str:
    return f"published:{event.idempotency_key}"


def transition_and_emit(
    store: Store,
    publisher: Publisher,
    migration_id: str,
    change: Callable[[Migration], Migration | None],
    done: Callable[[Migration], bool],
    event: Callable[[Migration], DomainEvent],
) -> Migration | None:
    """Apply ``change`` and publish ``event`` of the result; return the saved migration.

    When ``change`` declines but ``done`` says the change was already made (a
    redelivery after a crash between saving and publishing), the event is
    published again from the stored migration, unless its first publish is on
    record. Its idempotency key is stable, so consumers see a duplicate at worst.
    """
    saved = mutate(store, migration_id, change)
    if saved is not None:
        publish_step(store, publisher, event(saved))
        return saved
    current = store.get(migration_id)
    if done(current):
        republish_step(store, publisher, event(current))
    return None
