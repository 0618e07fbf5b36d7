"""Clean up: when it may be offered, and the migration as it starts and ends (pure).

Clean up removes the ECS side of a migration and keeps the EC2 side. It must never take
the Express service from users who are on it, so it is offered only when every user is on
EC2: a migration that is healthy but never cut over, one rolled back, or one that failed
with no weight on ECS (and either no weighted record written, or the original records kept,
which clean up restores first). A migration at any weight on ECS is not offered it.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.migration import Migration, advance
from bot.domain.retirement import CleanupRecord
from bot.domain.state import IllegalTransitionError, Stage

#: Stages whose users may all be on EC2 (the weight and records decide; ``offered``).
_FROM = frozenset({Stage.HEALTHY, Stage.ROLLED_BACK, Stage.FAILED})


def users_all_on_ec2(migration: Migration) -> bool:
    """Whether no user can be on the Express side: no weight on ECS, no step under way, and
    no weighted record left that clean up could not put back."""
    if migration.weight != 0 or migration.requested_weight is not None:
        return False
    return not migration.weighted_dns or migration.original_records is not None


def offered(migration: Migration) -> bool:
    """Whether the card offers Clean up."""
    return migration.stage in _FROM and users_all_on_ec2(migration)


def start(migration: Migration, by: str, keep_image: bool, now: datetime) -> Migration:
    """The migration cleaning up (``by`` pressed Clean up); refused unless ``offered``."""
    if migration.stage in _FROM and not users_all_on_ec2(migration):
        raise IllegalTransitionError(
            migration.stage,
            Stage.CLEANING_UP,
            f"{migration.weight}% of traffic is on ECS; roll back before cleaning up",
        )
    if migration.stage not in _FROM:
        raise IllegalTransitionError(migration.stage, Stage.CLEANING_UP)
    record = CleanupRecord(requested_by=by, keep_image=keep_image, started_at=now)
    return advance(migration, Stage.CLEANING_UP, now, cleanup=record, full_approvals=[])


def noted(migration: Migration, removed: list[str], problems: list[str]) -> Migration:
    """The migration with what a step removed and what AWS refused added (once each)."""
    assert migration.cleanup is not None
    record = migration.cleanup
    update = {
        "removed": record.removed + [r for r in removed if r not in record.removed],
        "problems": record.problems + [p for p in problems if p not in record.problems],
    }
    return migration.model_copy(update={"cleanup": record.model_copy(update=update)})


def finished(migration: Migration, now: datetime) -> Migration | None:
    """The migration cleaned up; None unless it is cleaning up."""
    if migration.stage != Stage.CLEANING_UP:
        return None
    return advance(migration, Stage.CLEANED_UP, now, weighted_dns=False)
