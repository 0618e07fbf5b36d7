"""A channel's health report: each live or recent migration, both sides over the last 24
hours, and what each side costs a month (pure).

**Which migrations.** Live ones (every stage but the ended ones) and recent ones: ended
(rolled back, failed, cancelled, cleaned up) within ``RECENT`` (7 days) of the report.

**The window.** The 24 whole hours up to the report's time rounded up to the hour (a report
scheduled at 09:00 covers 09:00 yesterday to 09:00 today; one asked for at 14:37 covers
15:00 yesterday to 15:00 today), in UTC.

**The figures** come from the Application Load Balancer metrics both sides publish (ELB
User Guide, "CloudWatch metrics for your Application Load Balancer", namespace
``AWS/ApplicationELB``, dimensions ``LoadBalancer`` and ``TargetGroup`` as ``gates.Side``
names them), read in one GetMetricData request per migration: ``RequestCount`` and
``HTTPCode_Target_5XX_Count`` summed per hour (Period 3600, 24 datapoints at most), and the
window's p95 ``TargetResponseTime`` as one period of 86,400 seconds (a percentile of a day
cannot be folded from hourly ones). A load balancer reports nothing for an hour without
requests (the guide's "Reporting criteria"): an hour without a datapoint counts 0, and the
report says from which hour on it had data ("data since 14:00"), so a short history is not
read as a quiet day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from bot.domain.costs import PRICES, CostComparison
from bot.domain.gates import Side
from bot.domain.migration import Migration
from bot.domain.side_by_side import side_queries
from bot.domain.state import Stage

HOUR = timedelta(hours=1)
REPORT_HOURS = 24
#: How long after it ended a migration still appears in its channel's reports.
RECENT = timedelta(days=7)
ENDED = frozenset({Stage.ROLLED_BACK, Stage.FAILED, Stage.CANCELLED, Stage.CLEANED_UP})
#: The sides, as the request's query ids and the report name them.
LEGACY, EXPRESS = "legacy", "express"
P95_PERIOD = REPORT_HOURS * 3600


def reportable(migration: Migration, at: datetime) -> bool:
    """Whether a migration belongs in a report made at ``at``: live, or ended recently."""
    return migration.stage not in ENDED or at - migration.updated_at <= RECENT


class ReportWindow(BaseModel):
    """The 24 whole hours a report covers (UTC)."""

    start: datetime = Field(description="The first hour's start.")
    end: datetime = Field(description="The last hour's end (exclusive).")

    def hours(self) -> list[datetime]:
        """The start of each hour of the window, oldest first."""
        return [self.start + i * HOUR for i in range(REPORT_HOURS)]


def report_window(at: datetime) -> ReportWindow:
    """The 24 hours up to ``at`` rounded up to the whole hour."""
    at = at.astimezone(UTC)
    floor = at.replace(minute=0, second=0, microsecond=0)
    end = floor if floor == at else floor + HOUR
    return ReportWindow(start=end - REPORT_HOURS * HOUR, end=end)


#: (query id suffix, metric, statistic, period) per side.
_QUERIES = (
    ("requests", "RequestCount", "Sum", 3600),
    ("errors", "HTTPCode_Target_5XX_Count", "Sum", 3600),
    ("p95", "TargetResponseTime", "p95", P95_PERIOD),
)


def report_queries(sides: Mapping[str, Side]) -> list[dict[str, Any]]:
    """GetMetricData ``MetricDataQueries`` for a report: hourly requests and 5xx and the
    day's p95 of each side, ids ``<side>_<figure>``."""
    return side_queries(sides, _QUERIES)


class SideSeries(BaseModel):
    """One side over the window: hourly requests and 5xx, and the day's p95."""

    requests: list[int] = Field(description="RequestCount per hour, oldest first (24).")
    errors_5xx: list[int] = Field(description="HTTPCode_Target_5XX_Count per hour (24).")
    p95_seconds: float | None = Field(
        default=None, description="TargetResponseTime p95 over the window; None: no requests."
    )

    @property
    def total_requests(self) -> int:
        """Requests over the window."""
        return sum(self.requests)

    @property
    def total_errors(self) -> int:
        """Target 5xx over the window."""
        return sum(self.errors_5xx)

    @property
    def error_percent(self) -> float | None:
        """5xx as a share of requests, in percent; None without requests."""
        total = self.total_requests
        return 100 * self.total_errors / total if total else None

    def first_hour(self) -> int | None:
        """The index of the first hour with any datapoint; None: none at all."""
        return next(
            (
                i
                for i, (r, e) in enumerate(zip(self.requests, self.errors_5xx, strict=True))
                if r or e
            ),
            None,
        )


def side_series(
    points: Mapping[str, Sequence[tuple[datetime, float]]], side: str, window: ReportWindow
) -> SideSeries:
    """A side's series from the answer's (timestamp, value) pairs by query id.

    Each hourly datapoint lands in the hour its timestamp (the period's start) falls in;
    one outside the window is left out. The p95 is the day's single datapoint (the highest,
    should there be more).
    """

    def hourly(figure: str) -> list[int]:
        buckets = [0.0] * REPORT_HOURS
        for at, value in points.get(f"{side}_{figure}") or []:
            index = math.floor((at.astimezone(UTC) - window.start) / HOUR)
            if 0 <= index < REPORT_HOURS:
                buckets[index] += value
        return [round(v) for v in buckets]

    p95 = [value for _, value in points.get(f"{side}_p95") or []]
    return SideSeries(
        requests=hourly("requests"),
        errors_5xx=hourly("errors"),
        p95_seconds=max(p95) if p95 else None,
    )


class MigrationHealth(BaseModel):
    """One migration in a report."""

    migration_id: str
    name: str = Field(description="The app's name (the plan's), else what was asked for.")
    stage: Stage
    weight: int = Field(description="Percent of traffic on ECS.")
    legacy_healthy: int | None = Field(default=None, description="None: not available.")
    legacy_unhealthy: int | None = Field(default=None, description="None: not available.")
    express_running: int | None = Field(default=None, description="None: no service yet.")
    express_desired: int | None = Field(default=None, description="None: no service yet.")
    legacy: SideSeries | None = Field(default=None, description="None: not available.")
    express: SideSeries | None = Field(default=None, description="None: not available.")
    cost: CostComparison | None = Field(default=None, description="None: no plan yet.")
    not_available: list[str] = Field(
        default_factory=list, description="What could not be read, and why, in a few words."
    )


class HealthReport(BaseModel):
    """What a channel's report shows, stored by the report consumer for the notifier."""

    channel_id: str
    key: str = Field(description="The report's idempotency key (its schedule window).")
    window: ReportWindow
    compiled_at: datetime
    scheduled: bool = Field(description="Made by the schedule (else asked for with a command).")
    requested_by: str | None = Field(default=None, description="Who asked, for /migrate report.")
    migrations: list[MigrationHealth] = Field(default_factory=list)
    price_region: str = PRICES.region
    price_as_of: str = PRICES.as_of.isoformat()
    price_sources: tuple[str, ...] = PRICES.sources

    def data_since(self) -> datetime | None:
        """The first hour any side of any migration has data for; None: no data at all."""
        firsts = [
            s.first_hour()
            for m in self.migrations
            for s in (m.legacy, m.express)
            if s is not None and s.first_hour() is not None
        ]
        hours = [f for f in firsts if f is not None]
        return self.window.start + min(hours) * HOUR if hours else None


class ChartData(BaseModel):
    """The report's chart: requests and 5xx per side, hourly, over the window."""

    title: str
    hours: list[datetime]
    requests: dict[str, list[int]] = Field(description="By side label (EC2, ECS).")
    errors_5xx: dict[str, list[int]] = Field(description="By side label (EC2, ECS).")

    @property
    def empty(self) -> bool:
        """No request at all on either side."""
        return not any(any(v) for v in self.requests.values())


SIDE_LABELS = {LEGACY: "EC2", EXPRESS: "ECS"}


def chart_data(report: HealthReport) -> ChartData:
    """Both sides' hourly requests and 5xx, summed over the channel's migrations."""
    requests = {label: [0] * REPORT_HOURS for label in SIDE_LABELS.values()}
    errors = {label: [0] * REPORT_HOURS for label in SIDE_LABELS.values()}
    for migration in report.migrations:
        for side, label in SIDE_LABELS.items():
            series: SideSeries | None = getattr(migration, side)
            if series is None:
                continue
            requests[label] = [a + b for a, b in zip(requests[label], series.requests, strict=True)]
            errors[label] = [a + b for a, b in zip(errors[label], series.errors_5xx, strict=True)]
    return ChartData(
        title=(
            f"Requests and 5xx per side, hourly, {report.window.start:%Y-%m-%d %H:%M}–"
            f"{report.window.end:%Y-%m-%d %H:%M} UTC"
        ),
        hours=report.window.hours(),
        requests=requests,
        errors_5xx=errors,
    )
