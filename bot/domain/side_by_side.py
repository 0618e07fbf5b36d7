"""Both sides of a cutover, side by side over one step (pure).

The card puts the legacy side (EC2 behind its load balancer) beside the Express side over the
step now on ECS: requests, target 5xx and p99 response time of each side from the Application
Load Balancer metrics both load balancers publish (ELB User Guide, "CloudWatch metrics for your
Application Load Balancer": ``RequestCount``, ``HTTPCode_Target_5XX_Count`` and
``TargetResponseTime``, namespace ``AWS/ApplicationELB``, dimensions ``LoadBalancer`` and
``TargetGroup`` as ``gates.Side`` names them), and the legacy target group's healthy and
unhealthy targets. A snapshot is taken when a step's bake ends and when the bot rolls back on
an alarm, never by polling.

The window runs from the step's traffic shift to the snapshot, read as **one period** with one
GetMetricData request for both sides, so the p99 is the window's own, not a figure folded from
minutes. GetMetricData rounds ``StartTime`` down to the whole minute (API Reference,
GetMetricData, StartTime) and a period must be a multiple of 60 seconds (MetricStat, Period):
the period is the window from that minute, rounded up to whole minutes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.domain.gates import NAMESPACE, Side

MINUTE_SECONDS = 60
#: The sides, as the request's query ids and the snapshot name them.
LEGACY, EXPRESS = "legacy", "express"
#: (query id suffix, metric, statistic) per side.
_METRICS = (
    ("requests", "RequestCount", "Sum"),
    ("errors", "HTTPCode_Target_5XX_Count", "Sum"),
    ("p99", "TargetResponseTime", "p99"),
)

Moment = Literal["baked", "rollback"]


class SideFigures(BaseModel):
    """One side's traffic over the window, from its load balancer's metrics."""

    requests: int = Field(description="RequestCount, summed over the window.")
    errors_5xx: int = Field(description="HTTPCode_Target_5XX_Count (the targets' 5xx), summed.")
    p99_seconds: float | None = Field(
        default=None, description="TargetResponseTime p99 over the window; None: none recorded."
    )

    @property
    def error_percent(self) -> float | None:
        """5xx as a share of requests, in percent; None without requests."""
        return 100 * self.errors_5xx / self.requests if self.requests else None


class SideBySide(BaseModel):
    """Both sides over one step, as CloudWatch and ELB reported them when it was taken."""

    weight: int = Field(description="Percent of traffic on ECS during the window.")
    moment: Moment = Field(
        description="What took it: the step's bake ending, or an automatic rollback."
    )
    start: datetime = Field(description="The step's traffic shift: the window's start (UTC).")
    end: datetime = Field(description="When the snapshot was taken: the window's end (UTC).")
    legacy: SideFigures | None = Field(
        default=None, description="EC2's figures; None: not available (the read failed)."
    )
    express: SideFigures | None = Field(
        default=None,
        description="ECS's figures; None: not available (the read failed, or the Express "
        "target group is not known).",
    )
    legacy_healthy: int | None = Field(
        default=None, description="Healthy targets of the legacy group; None: not available."
    )
    legacy_unhealthy: int | None = Field(
        default=None, description="Unhealthy targets of the legacy group; None: not available."
    )


class Window(BaseModel):
    """One GetMetricData request's time span: one period from the step's shift."""

    start: datetime = Field(description="StartTime: the shift (CloudWatch rounds it down).")
    end: datetime = Field(description="EndTime (exclusive): the shift's minute plus the period.")
    period: int = Field(description="Seconds; one period covers the whole window.")


def window(shifted_at: datetime, now: datetime) -> Window:
    """The request's span from ``shifted_at`` to ``now``, as one period of whole minutes."""
    minute = shifted_at.replace(second=0, microsecond=0)
    elapsed = (now - minute).total_seconds()
    period = max(MINUTE_SECONDS, math.ceil(elapsed / MINUTE_SECONDS) * MINUTE_SECONDS)
    return Window(start=shifted_at, end=minute + timedelta(seconds=period), period=period)


def metric_queries(sides: Mapping[str, Side], period: int) -> list[dict[str, Any]]:
    """GetMetricData ``MetricDataQueries``: requests, 5xx and p99 of each side over one
    period, ids ``<side>_<figure>``."""
    return side_queries(
        sides, [(figure, metric, stat, period) for figure, metric, stat in _METRICS]
    )


def side_queries(
    sides: Mapping[str, Side], metrics: Sequence[tuple[str, str, str, int]]
) -> list[dict[str, Any]]:
    """GetMetricData ``MetricDataQueries``: each (figure, metric, statistic, period) of
    ``metrics`` for each side's load balancer and target group, ids ``<side>_<figure>``."""
    return [
        {
            "Id": f"{name}_{figure}",
            "Label": f"{name} {metric} {stat}",
            "ReturnData": True,
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": metric,
                    "Dimensions": side.dimensions(),
                },
                "Period": period,
                "Stat": stat,
            },
        }
        for name, side in sides.items()
        for figure, metric, stat, period in metrics
    ]


def figures(values: Mapping[str, Sequence[float]], side: str) -> SideFigures:
    """A side's figures from the answer's values by query id.

    A load balancer reports nothing for an interval without requests and no count that is
    zero (the ELB guide's "Reporting criteria"): a metric without datapoints is 0 requests,
    0 errors, no p99. Counts add up over datapoints; the p99 is the highest one (there is
    one datapoint when the window is one period).
    """
    p99 = values.get(f"{side}_p99") or []
    return SideFigures(
        requests=round(sum(values.get(f"{side}_requests") or [])),
        errors_5xx=round(sum(values.get(f"{side}_errors") or [])),
        p99_seconds=max(p99) if p99 else None,
    )
