"""The health report consumer against moto (CloudWatch, ELBv2, EC2, DynamoDB), and the
notifier posting it into the Slack stand-in: one report per schedule window whatever the
retries, with its chart, and the template's schedule that asks for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.adapters.aws_health import AwsHealth
from bot.adapters.dynamodb_reports import DynamoReports
from bot.adapters.dynamodb_store import DynamoStore
from bot.adapters.slack_web import SlackWebNotifier
from bot.domain.health_report import report_window
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import HealthReportReady, HealthReportRequested
from bot.services import reports
from bot.services.notifier import notify
from sandbox import metric_data
from sandbox.aws_calls import counting_calls
from sandbox.legacy import LegacyApp, seed_legacy
from sandbox.recurring import cron_fields, names_time, next_time
from sandbox.slack_standin import SlackStandIn
from sandbox.template import Template
from tests.fakes import RecordingPublisher
from tests.functional import test_adapters
from tests.functional.test_adapters import full_migration

clients, tables, store = test_adapters.clients, test_adapters.tables, test_adapters.store
Clients = test_adapters.Clients
CHANNEL = "C0PLATFORM"
TOKEN = "xoxb-sandbox-token"


@pytest.fixture
def legacy(clients: Clients) -> LegacyApp:
    return seed_legacy(clients)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(TOKEN) as running:
        yield running


def _migration(legacy: LegacyApp, channel: str = CHANNEL, **changes: Any) -> Migration:
    base = full_migration("mig-0000beef")
    assert base.plan is not None
    plan = base.plan.model_copy(
        update={
            "instance_id": legacy.instance_id,
            "load_balancer_arn": legacy.load_balancer_arn,
            "target_group_arn": legacy.target_group_arn,
        }
    )
    values = {
        "stage": Stage.CUTTING_OVER,
        "weight": 50,
        "requested_weight": None,
        "channel_id": channel,
        "plan": plan,
        "express_ingress": None,
        "service_arn": None,
        **changes,
    }
    return base.model_copy(update=values)


def _publish_metrics(clients: Clients, legacy: LegacyApp, at: datetime) -> None:
    """An hour of the legacy side's ALB metrics, as the load balancer publishes them."""
    balancer = legacy.load_balancer_arn.split(":loadbalancer/", 1)[1]
    group = "targetgroup/" + legacy.target_group_arn.split(":targetgroup/", 1)[1]
    dimensions = [
        {"Name": "LoadBalancer", "Value": balancer},
        {"Name": "TargetGroup", "Value": group},
    ]
    clients("cloudwatch").put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {"MetricName": "RequestCount", "Dimensions": dimensions, "Timestamp": at, "Value": 400},
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": dimensions,
                "Timestamp": at,
                "Value": 4,
            },
            {
                "MetricName": "TargetResponseTime",
                "Dimensions": dimensions,
                "Timestamp": at,
                "Values": [0.01, 0.02, 0.2],
                "Counts": [90, 5, 5],
            },
        ],
    )


def _compile(
    clients: Clients, store: DynamoStore, event: HealthReportRequested
) -> tuple[list[str], RecordingPublisher, DynamoReports, list[str]]:
    publisher = RecordingPublisher()
    report_store = DynamoReports(clients("dynamodb"), "MigrationsTable", "IdempotencyTable")
    aws = AwsHealth(clients("cloudwatch"), clients("elbv2"), clients("ec2"))
    keys, calls = counting_calls(
        lambda: reports.compile_reports(
            event,
            store=store,
            reports=report_store,
            aws=aws,
            publisher=publisher,
            now=datetime.now(UTC),
        )
    )
    return keys, publisher, report_store, calls


def test_one_report_per_channel_per_window_with_both_sides_and_costs(
    clients: Clients, store: DynamoStore, legacy: LegacyApp, standin: SlackStandIn
) -> None:
    metric_data.install()  # GetMetricData's percentiles, as CloudWatch answers them
    now = datetime.now(UTC)
    _publish_metrics(clients, legacy, now - timedelta(minutes=30))
    store.create(_migration(legacy))
    ended = _migration(legacy, "C0OTHER", migration_id="mig-0000dead", stage=Stage.CANCELLED)
    store.create(
        ended.model_copy(update={"target": "i-other", "updated_at": now - timedelta(days=9)})
    )
    due = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    event = HealthReportRequested(
        idempotency_key=f"health-report:{due:%Y-%m-%dT%H:%M:%SZ}", scheduled_time=due
    )

    keys, publisher, report_store, calls = _compile(clients, store, event)

    # Only the channel with a live migration; the one ended 9 days ago is not reported.
    assert keys == [f"health-report:{CHANNEL}:{due:%Y-%m-%dT%H:%M:%SZ}"]
    assert [type(e) for e in publisher.events] == [HealthReportReady]
    report = report_store.get_report(keys[0])
    assert report is not None and report.window == report_window(due)
    (health,) = report.migrations
    assert health.legacy is not None and health.legacy.total_requests == 400
    assert health.legacy.total_errors == 4
    assert health.legacy.p95_seconds == 0.02  # the 95th of the 100 values (nearest rank)
    assert (health.legacy_healthy, health.legacy_unhealthy) == (1, 0)
    assert health.express is None  # no Express target group known yet
    assert health.cost is not None and health.cost.ec2 is not None
    assert health.cost.ec2.instance_type == "t3.small" and health.cost.ec2.running
    assert health.cost.fargate is not None and health.cost.fargate.tasks == 1
    assert health.not_available == []
    # The AWS calls of one migration's report.
    aws_calls = sorted(c for c in calls if not c.startswith(("dynamodb:", "events:")))
    assert aws_calls == [
        "cloudwatch:GetMetricData",
        "ec2:DescribeInstances",
        "ec2:DescribeVolumes",
        "elbv2:DescribeTargetGroups",
        "elbv2:DescribeTargetHealth",
    ]

    # A retried schedule run: the stored report stands, no AWS read, nothing published.
    again, republished, _, calls = _compile(clients, store, event)
    assert again == keys and republished.events == []
    assert not [c for c in calls if not c.startswith("dynamodb:")]

    # The notifier posts it with its chart once, however often the event comes.
    slack = SlackWebNotifier(WebClient(token=TOKEN, base_url=standin.url))
    ready = publisher.events[0]
    for _ in range(2):
        notify(ready, store=store, slack=slack, reports=report_store)
    messages = standin.channel(CHANNEL).messages
    assert len(messages) == 2  # the report, then the chart
    assert messages[0].blocks[0]["type"] == "header" and messages[1].files
    (chart,) = standin.files_in(CHANNEL)
    assert chart["name"].endswith(".png") and chart["alt_txt"].startswith("Hourly requests")
    assert standin.file_content(chart["id"]).startswith(b"\x89PNG\r\n\x1a\n")
    assert "secure-blog" in json.dumps(messages[0].blocks)


def test_a_command_reports_on_its_channel_even_without_migrations(
    clients: Clients, store: DynamoStore
) -> None:
    now = datetime.now(UTC)
    event = HealthReportRequested(
        idempotency_key="report:C0EMPTY:U0DAVE:1",
        scheduled_time=now,
        channel_id="C0EMPTY",
        requested_by="U0DAVE",
    )
    keys, publisher, report_store, _ = _compile(clients, store, event)
    assert keys == [f"health-report:C0EMPTY:{now:%Y-%m-%dT%H:%M:%SZ}:U0DAVE"]
    report = report_store.get_report(keys[0])
    assert report is not None and report.migrations == [] and report.requested_by == "U0DAVE"


def test_the_template_schedule_asks_for_the_report_on_weekdays_at_nine_in_its_time_zone() -> None:
    template = Template.load()
    schedule = template.resources["HealthReportSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == {"Ref": "ReportSchedule"}
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "ReportTimeZone"}
    expression = template.parameter_default("ReportSchedule")
    assert expression == "cron(0 9 ? * MON-FRI *)"
    assert template.parameter_default("ReportTimeZone") == "UTC"
    assert cron_fields(expression)[4] == {2, 3, 4, 5, 6}  # Monday..Friday (Sunday is 1)
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert names_time(expression, "UTC", monday)
    assert not names_time(expression, "UTC", monday + timedelta(days=5))  # Saturday
    assert next_time(expression, "UTC", monday + timedelta(days=4, minutes=1)) == monday + (
        timedelta(days=7)
    )  # Friday 09:01 → Monday 09:00
    # In a time zone with daylight saving time, 09:00 local moves in UTC.
    assert names_time(expression, "Europe/Paris", datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
    assert names_time(expression, "Europe/Paris", datetime(2026, 7, 6, 7, 0, tzinfo=UTC))
    target = schedule["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["MigrationBus", "Arn"]}
    assert target["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    assert target["EventBridgeParameters"] == {
        "DetailType": "HealthReportRequested",
        "Source": "migration-bot",
    }
    # Scheduler replaces the context attribute; the detail is then the event's model.
    detail = json.loads(
        target["Input"].replace("<aws.scheduler.scheduled-time>", "2026-12-07T09:00:00Z")
    )
    event = HealthReportRequested.model_validate(detail)
    assert event.scheduled_time == monday and event.channel_id is None
    assert event.idempotency_key == "health-report:2026-12-07T09:00:00Z"
    rule = next(f for f in template.functions() if f.logical_id == "ReportFunction").rules[0]
    assert rule.pattern == {"source": ["migration-bot"], "detail-type": ["HealthReportRequested"]}
