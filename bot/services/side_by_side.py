"""Take both sides' figures over the step now on ECS (when its bake ends, or on an alarm)."""

from __future__ import annotations

from datetime import datetime

from bot.domain.gates import Side
from bot.domain.migration import Migration
from bot.domain.side_by_side import EXPRESS, LEGACY, Moment, SideBySide, SideFigures, window
from bot.observability import logger
from bot.ports import SideBySideAws, SideBySideReadError


def snapshot(
    migration: Migration, aws: SideBySideAws, now: datetime, moment: Moment
) -> SideBySide | None:
    """Both sides from the step's traffic shift to ``now``; None when no step has shifted
    traffic or the legacy side's load balancer is not known.

    A read that fails is logged and its figures are left out (the card says "not
    available"): it never fails the step it informs.
    """
    plan = migration.plan
    if (
        migration.shifted_at is None
        or plan is None
        or not plan.load_balancer_arn
        or not plan.target_group_arn
    ):
        return None
    sides = {
        LEGACY: Side(
            load_balancer_arn=plan.load_balancer_arn, target_group_arn=plan.target_group_arn
        )
    }
    ingress = migration.express_ingress
    if ingress is not None and ingress.target_group_arn:
        sides[EXPRESS] = Side(
            load_balancer_arn=ingress.load_balancer_arn, target_group_arn=ingress.target_group_arn
        )
    else:
        logger.warning(
            "side by side: the Express target group is not known, so ECS's figures are not "
            "available",
            extra={"migration_id": migration.migration_id},
        )
    read: dict[str, SideFigures] = {}
    try:
        read = aws.side_metrics(sides, window(migration.shifted_at, now))
    except SideBySideReadError as error:
        _not_available(migration, "metrics", error)
    healthy: int | None = None
    unhealthy: int | None = None
    try:
        healthy, unhealthy = aws.target_health(plan.target_group_arn)
    except SideBySideReadError as error:
        _not_available(migration, "legacy target health", error)
    return SideBySide(
        weight=migration.weight,
        moment=moment,
        start=migration.shifted_at,
        end=now,
        legacy=read.get(LEGACY),
        express=read.get(EXPRESS),
        legacy_healthy=healthy,
        legacy_unhealthy=unhealthy,
    )


def _not_available(migration: Migration, what: str, error: Exception) -> None:
    logger.warning(
        f"side by side: {what} not available; the card says so and the step goes on",
        extra={"migration_id": migration.migration_id, "error": str(error)[:500]},
    )
