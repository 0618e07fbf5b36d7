"""A health report's handler time and its AWS calls per migration.

moto runs in process: the template's tables, the sandbox's seeded secure-blog account (an ALB,
its target group, the instance and its root volume) and an hour of its ALB metrics. A channel
holds N migrations of that app cut over to 50 % (N = 0, the baseline, then 1, 5 and 20); the
real ``handlers.report.handler`` is invoked with the schedule's event (the EventBridge
envelope Lambda receives), warm (a first call outside the figures loads the modules), each
size repeated and its median taken. AWS calls are counted at botocore for the handler's own
thread, by ``service:Operation``.

Then the notifier's part, apart: ``notify`` of the ``HealthReportReady`` the consumer
published, posting into the Slack stand-in (chat.postMessage, the chart drawn with matplotlib
and uploaded with files_upload_v2), cold (matplotlib's first import, as a new notifier
container pays it) and warm.

The figures: per migration, the handler time and AWS calls of 20 migrations above those of 1
(the baseline, same run); what each channel's report costs besides (the Scan of every
migration, its stored report, its marker and its event, each load balancer's target groups
once); and the notifier's time to post a report with its chart.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any bot module builds the Logger
os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib")

SIZES = (1, 5, 20)
CHANNEL = "C0PLATFORM"


def _envelope(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "HealthReportRequested",
        "source": "migration-bot",
        "account": "123456789012",
        "time": detail["scheduled_time"],
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def measure(repeats: int) -> list[str]:
    """Time the handler at every size; return the printed lines."""
    import boto3
    from moto import mock_aws
    from slack_sdk import WebClient

    from bot import bootstrap
    from bot.adapters.slack_web import SlackWebNotifier
    from bot.events.models import HealthReportReady
    from bot.services.notifier import notify
    from handlers import report
    from sandbox import metric_data
    from sandbox.aws_calls import counting_calls
    from sandbox.legacy import seed_legacy
    from sandbox.slack_standin import SlackStandIn
    from sandbox.template import Template
    from tests.fakes import RecordingPublisher
    from tests.functional.test_health_reports import _migration, _publish_metrics

    lines = []
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MIGRATIONS_TABLE": "MigrationsTable",
        "IDEMPOTENCY_TABLE": "IdempotencyTable",
        "EVENT_BUS_NAME": "migration-bot",
    }.items():
        os.environ[name] = value
    with mock_aws():

        def clients(service: str) -> Any:
            return boto3.client(service, region_name="us-east-1")

        keys = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes")
        for table, resource in Template.load().of_type("AWS::DynamoDB::Table").items():
            props = resource["Properties"]
            clients("dynamodb").create_table(
                TableName=table, **{k: props[k] for k in keys if k in props}
            )
        clients("events").create_event_bus(Name="migration-bot")
        legacy = seed_legacy(clients)
        metric_data.install()
        _publish_metrics(clients, legacy, datetime.now(UTC) - timedelta(minutes=30))
        bootstrap.reset()
        store = bootstrap.store()
        created = 0

        def run(size: int, at: datetime) -> tuple[float, list[str]]:
            nonlocal created
            while created < size:
                created += 1
                migration = _migration(legacy, migration_id=f"mig-{created:08x}")
                store.create(migration.model_copy(update={"target": f"i-{created:08x}"}))
            stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
            event = _envelope(
                {"idempotency_key": f"health-report:{stamp}", "scheduled_time": stamp}
            )
            started = time.perf_counter()
            _, calls = counting_calls(lambda: report.handler(event, _Context()))
            return time.perf_counter() - started, calls

        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        window = iter(range(1, 10_000))
        run(0, base + timedelta(hours=next(window)))  # warm: modules and clients loaded
        rows: dict[int, tuple[float, collections.Counter[str]]] = {}
        for size in (0, *SIZES):
            seconds = []
            counted: collections.Counter[str] = collections.Counter()
            for _ in range(repeats):
                elapsed, calls = run(size, base + timedelta(hours=next(window)))
                seconds.append(elapsed)
                counted = collections.Counter(calls)
            rows[size] = (statistics.median(seconds), counted)
            aws = sum(n for c, n in counted.items() if not c.startswith("dynamodb:"))
            lines.append(
                f"{size:3} migrations: handler {statistics.median(seconds) * 1000:7.1f} ms "
                f"(median of {repeats}), AWS calls {sum(counted.values()):3} "
                f"({aws} outside DynamoDB)"
            )
        largest = SIZES[-1]
        per_time = (rows[largest][0] - rows[1][0]) / (largest - 1)
        per_calls = rows[largest][1] - rows[1][1]
        per_migration = {c: n / (largest - 1) for c, n in sorted(per_calls.items())}
        fixed = rows[1][1] - collections.Counter({c: round(n) for c, n in per_migration.items()})
        lines.append(
            f"per migration ({largest} against 1): {per_time * 1000:.1f} ms of handler time; "
            "AWS calls " + ", ".join(f"{c} {n:g}" for c, n in per_migration.items())
        )
        lines.append(
            f"per channel report (1 migration less the above; {rows[0][0] * 1000:.1f} ms with "
            f"none): " + ", ".join(f"{c} {n}" for c, n in sorted(fixed.items()))
        )
        # The notifier's part: post the report and upload its chart into the stand-in.
        with SlackStandIn("xoxb-sandbox-token") as slack_standin:
            slack = SlackWebNotifier(
                WebClient(token="xoxb-sandbox-token", base_url=slack_standin.url)
            )
            publisher = RecordingPublisher()
            from bot.services import reports

            for label in ("cold: matplotlib imported first", "warm"):
                at = base + timedelta(hours=next(window))
                reports.compile_reports(
                    _event(at),
                    store=store,
                    reports=bootstrap.report_store(),
                    aws=bootstrap.health_aws(),
                    publisher=publisher,
                    now=at,
                )
                ready = publisher.events[-1]
                assert isinstance(ready, HealthReportReady)
                started = time.perf_counter()
                notify(ready, store=store, slack=slack, reports=bootstrap.report_store())
                lines.append(
                    f"notifier, report and chart posted ({label}): "
                    f"{(time.perf_counter() - started) * 1000:.0f} ms"
                )
            size = len(slack_standin.file_content(slack_standin.files_in(CHANNEL)[-1]["id"]))
            lines.append(f"chart PNG: {size:,} bytes")
    return lines


def _event(at: datetime) -> Any:
    from bot.events.models import HealthReportRequested

    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return HealthReportRequested(idempotency_key=f"health-report:{stamp}", scheduled_time=at)


class _Context:
    """The parts of Lambda's context Powertools reads."""

    function_name = "ReportFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:report"
    aws_request_id = "bench"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    for line in measure(parser.parse_args().repeats):
        print(line, flush=True)


if __name__ == "__main__":
    main()
