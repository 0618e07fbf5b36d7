"""Read-modify-write of a migration under optimistic locking."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.migration import Migration
from bot.ports import StaleVersionError, Store

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
