"""The health report's window, figures and Slack rendering (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.domain.costs import CostComparison, ec2_side, fargate_side
from bot.domain.gates import Side
from bot.domain.health_report import (
    REPORT_HOURS,
    HealthReport,
    MigrationHealth,
    SideSeries,
    chart_data,
    report_queries,
    report_window,
    reportable,
    side_series,
)
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.slack.health_report import (
    MAX_MIGRATIONS,
    chart_alt_text,
    chart_filename,
    render_health_report,
)

NINE = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEGACY = Side(
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/blog/abc",
    target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blog/def",
)


def test_the_window_is_the_24_whole_hours_up_to_the_report() -> None:
    assert report_window(NINE).model_dump() == {"start": NINE - timedelta(hours=24), "end": NINE}
    later = report_window(NINE + timedelta(minutes=37, seconds=5))
    assert later.end == NINE + timedelta(hours=1) and len(later.hours()) == REPORT_HOURS


def test_one_request_reads_hourly_counts_and_the_days_p95_of_each_side() -> None:
    queries = report_queries({"legacy": LEGACY})
    by_id = {q["Id"]: q["MetricStat"] for q in queries}
    assert set(by_id) == {"legacy_requests", "legacy_errors", "legacy_p95"}
    assert by_id["legacy_requests"]["Period"] == 3600 and by_id["legacy_requests"]["Stat"] == "Sum"
    assert by_id["legacy_p95"]["Period"] == 86400 and by_id["legacy_p95"]["Stat"] == "p95"
    assert by_id["legacy_errors"]["Metric"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert by_id["legacy_p95"]["Metric"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/blog/abc"},
        {"Name": "TargetGroup", "Value": "targetgroup/blog/def"},
    ]


def test_datapoints_land_in_their_hour_and_missing_hours_count_zero() -> None:
    window = report_window(NINE)
    points = {
        "legacy_requests": [(NINE - timedelta(hours=2), 40.0), (NINE - timedelta(hours=1), 60.0)],
        "legacy_errors": [(NINE - timedelta(hours=1), 3.0), (NINE, 99.0)],  # NINE: outside
        "legacy_p95": [(NINE - timedelta(hours=24), 0.2)],
    }
    series = side_series(points, "legacy", window)
    assert series.requests[-2:] == [40, 60] and sum(series.requests) == 100
    assert series.errors_5xx[-1] == 3 and series.total_errors == 3
    assert series.error_percent == 3.0 and series.p95_seconds == 0.2
    assert series.first_hour() == REPORT_HOURS - 2
    empty = side_series({}, "express", window)
    assert empty.total_requests == 0 and empty.error_percent is None and empty.p95_seconds is None


def _migration(stage: Stage, ended_days_ago: float) -> Migration:
    at = NINE - timedelta(days=ended_days_ago)
    return Migration(
        migration_id="mig-0000abcd",
        stage=stage,
        target="blog",
        channel_id="C1",
        requested_by="U1",
        created_at=at - timedelta(days=1),
        updated_at=at,
    )


def test_live_migrations_and_those_ended_within_a_week_are_reported() -> None:
    assert reportable(_migration(Stage.CUT_OVER, 30), NINE)
    assert reportable(_migration(Stage.ROLLED_BACK, 6.9), NINE)
    assert not reportable(_migration(Stage.ROLLED_BACK, 7.1), NINE)
    assert not reportable(_migration(Stage.CANCELLED, 8), NINE)


def _series(requests: int, errors: int, p95: float | None, from_hour: int = 20) -> SideSeries:
    hourly = [0] * REPORT_HOURS
    bad = [0] * REPORT_HOURS
    hourly[from_hour], hourly[-1] = requests - requests // 2, requests // 2
    bad[-1] = errors
    return SideSeries(requests=hourly, errors_5xx=bad, p95_seconds=p95)


def _report(*migrations: MigrationHealth) -> HealthReport:
    return HealthReport(
        channel_id="C0PLATFORM",
        key="health-report:C0PLATFORM:2026-12-07T09:00:00Z",
        window=report_window(NINE),
        compiled_at=NINE,
        scheduled=True,
        migrations=list(migrations),
    )


def _blog(name: str = "secure-blog") -> MigrationHealth:
    return MigrationHealth(
        migration_id="mig-0000abcd",
        name=name,
        stage=Stage.CUTTING_OVER,
        weight=50,
        legacy_healthy=1,
        legacy_unhealthy=0,
        express_running=1,
        express_desired=1,
        legacy=_series(1200, 0, 0.012),
        express=_series(1180, 6, 0.018),
        cost=CostComparison(
            ec2=ec2_side("t3.small", True, [], 2),
            fargate=fargate_side("1024", "2048", "X86_64", 1, 3),
            region="us-east-1",
        ),
    )


def test_the_report_shows_stage_split_health_traffic_and_costs() -> None:
    text, blocks = render_health_report(_report(_blog()))
    assert text == "Health report, 24 hours to Mon 07 Dec 09:00 UTC: 1 migration"
    assert blocks[0]["type"] == "header"
    origin = blocks[1]["elements"][0]["text"]
    assert origin.startswith("Scheduled report · ")
    assert "data since 05:00 UTC only, not the whole 24 hours" in origin
    section = next(b for b in blocks if b["type"] == "section")
    assert "*secure-blog* `mig-0000abcd`" in section["text"]["text"]
    assert "traffic 50% EC2 · 50% ECS" in section["text"]["text"]
    ec2, ecs = (f["text"] for f in section["fields"])
    assert "targets 1 healthy · 0 unhealthy" in ec2 and "1,200 requests · 0 5xx (0.00 %)" in ec2
    assert "p95 12 ms" in ec2 and "*~$23.40/month*" in ec2  # 15.184 + 0 + 16.425 / 2
    assert "tasks 1 of 1 running" in ecs and "1,180 requests · 6 5xx (0.51 %)" in ecs
    assert "*~$41.52/month*" in ecs  # (0.04048 + 2 × 0.004445) × 730 + 16.425 / 3
    parts = blocks[blocks.index(section) + 1]["elements"][0]["text"]
    assert "EC2/month: t3.small $15.18 + volumes $0.00 + ALB share $8.21." in parts
    assert "Fargate/month: 1 task × 1 vCPU, 2 GB (X86_64) $36.04 + ALB share $5.48." in parts
    footer = blocks[-1]["elements"][0]["text"]
    assert "pinned price table (us-east-1, Linux, as of 2026-12-07" in footer
    assert "<https://aws.amazon.com/fargate/pricing/|Fargate>" in footer
    assert len(json.dumps(blocks)) < 40_000 and len(blocks) <= 50


def test_names_are_escaped_and_a_long_channel_is_cut_at_slacks_block_limit() -> None:
    _, blocks = render_health_report(_report(*[_blog("<b>&co") for _ in range(12)]))
    assert len(blocks) <= 50
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == MAX_MIGRATIONS
    assert "*&lt;b&gt;&amp;co*" in sections[0]["text"]["text"]
    assert "…and 2 more" in json.dumps(blocks, ensure_ascii=False)


def test_a_channel_without_migrations_and_a_read_that_failed_are_said() -> None:
    _, blocks = render_health_report(_report())
    assert "No live migration in this channel" in json.dumps(blocks)
    assert "has no load balancer data" in blocks[1]["elements"][0]["text"]
    partial = _blog().model_copy(
        update={"legacy": None, "legacy_healthy": None, "not_available": ["CloudWatch metrics"]}
    )
    _, blocks = render_health_report(_report(partial))
    text = json.dumps(blocks)
    assert "targets not available" in text and "requests, 5xx, p95 not available" in text
    assert "Not available: CloudWatch metrics." in text


def test_the_chart_sums_each_side_hourly_over_the_channels_migrations() -> None:
    report = _report(_blog(), _blog("orders"))
    chart = chart_data(report)
    assert chart.hours[0] == NINE - timedelta(hours=24) and len(chart.hours) == 24
    assert sum(chart.requests["EC2"]) == 2400 and sum(chart.errors_5xx["ECS"]) == 12
    assert not chart.empty
    assert chart_filename(report) == "health-C0PLATFORM-20261207T0900Z.png"
    assert "secure-blog EC2: 1200 requests, 0 5xx" in chart_alt_text(report)
