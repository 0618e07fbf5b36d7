"""The status card's side-by-side block: EC2 | ECS over the last step (pure, its wording).

Shown while traffic is split or has been taken back (cutting over, cut over, rolling back,
rolled back): a section whose two fields Slack lays out as two columns, EC2 on the left and ECS
on the right. The figures are the stored snapshot (``SideBySide``); ECS's running tasks are
the card's live task summary.
"""

from __future__ import annotations

from typing import Any

from bot.domain.migration import Migration
from bot.domain.side_by_side import SideFigures
from bot.domain.state import Stage
from bot.domain.tasks import TaskSummary

SHOWN = frozenset({Stage.CUTTING_OVER, Stage.CUT_OVER, Stage.ROLLING_BACK, Stage.ROLLED_BACK})
NOT_AVAILABLE = "not available"
_TAKEN = {"baked": "when it had baked", "rollback": "when the bot rolled back"}


def side_by_side_block(migration: Migration, tasks: TaskSummary | None) -> dict[str, Any] | None:
    """The block for the card, or None when there is nothing to put side by side yet."""
    if migration.stage not in SHOWN:
        return None
    taken = migration.side_by_side
    if taken is None:
        if migration.stage == Stage.CUTTING_OVER and migration.bake_ends_at is not None:
            return {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"EC2 | ECS side by side once the {migration.weight}% step "
                        "has baked.",
                    }
                ],
            }
        return None
    heading = (
        f"*Side by side* over the {taken.weight}% step, {taken.start:%H:%M}–{taken.end:%H:%M} "
        f"UTC ({_TAKEN[taken.moment]})"
    )
    if taken.legacy_healthy is None or taken.legacy_unhealthy is None:
        targets = f"targets {NOT_AVAILABLE}"
    else:
        targets = f"targets {taken.legacy_healthy} healthy · {taken.legacy_unhealthy} unhealthy"
    running = (
        f"tasks {tasks.running} of {tasks.desired} running"
        if tasks is not None
        else f"tasks {NOT_AVAILABLE}"
    )
    ec2 = ["*EC2*", targets, *_traffic(taken.legacy)]
    ecs = ["*ECS*", running, *_traffic(taken.express)]
    return {
        "type": "section",
        "text": {"type": "mrkdwn", "text": heading},
        "fields": [{"type": "mrkdwn", "text": "\n".join(lines)} for lines in (ec2, ecs)],
    }


def _traffic(side: SideFigures | None) -> list[str]:
    """Requests and 5xx on one line, p99 on the next."""
    if side is None:
        return [f"requests, 5xx, p99 {NOT_AVAILABLE}"]
    return traffic_lines(
        side.requests, side.errors_5xx, side.error_percent, "p99", side.p99_seconds
    )


def traffic_lines(
    requests: int,
    errors_5xx: int,
    error_percent: float | None,
    percentile: str,
    seconds: float | None,
    *,
    share_digits: int = 1,
) -> list[str]:
    """A side's column lines (here and in the health report): requests and target 5xx with
    their share (``share_digits`` decimals) on one line, the response time's ``percentile``
    on the next."""
    share = f" ({error_percent:.{share_digits}f} %)" if error_percent is not None else ""
    plural = "" if requests == 1 else "s"
    return [
        f"{requests:,} request{plural} · {errors_5xx:,} 5xx{share}",
        f"{percentile} {_seconds(seconds)}",
    ]


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
