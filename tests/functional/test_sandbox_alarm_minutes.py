"""The sandbox's CloudWatch publishes and evaluates every minute, however late its thread runs.

At the tests' time scale (0.005) a simulated minute lasts 0.3 real seconds, less than one
tick takes on a busy machine. CloudWatch evaluates a one-minute alarm every minute, so each
minute's datapoint is once the newest one an evaluation looks at; a tick that comes late
must catch up on the minutes it missed, and publish them before it evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.domain.gates import Side, alarms
from sandbox.metrics import AlarmEvaluator, AlbCloudWatch, AlbMetricsPublisher
from sandbox.request_log import RequestLog, RequestRecord

ACCOUNT, REGION = "123456789012", "us-east-1"
_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
EXPRESS = Side(
    load_balancer_arn=f"{_ARN}:loadbalancer/app/ecs-express-gateway-alb-1/1a",
    target_group_arn=f"{_ARN}:targetgroup/ecs-express-tg/2b",
)
LEGACY = Side(
    load_balancer_arn=f"{_ARN}:loadbalancer/app/blog/3c",
    target_group_arn=f"{_ARN}:targetgroup/blog/4d",
)


@pytest.fixture
def cloudwatch() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("cloudwatch", region_name=REGION)


def _requests(log: RequestLog, minute: datetime, side: Side, status: int, count: int) -> None:
    for i in range(count):
        log.append(
            RequestRecord(
                at=minute + timedelta(seconds=5 + i),
                load_balancer_arn=side.load_balancer_arn,
                target_group_arn=side.target_group_arn,
                host="blog.example.com",
                path="/",
                elb_status=status,
                target_status=status,
                target_seconds=0.01,
            )
        )


def test_a_late_tick_publishes_and_evaluates_each_minute_it_missed(cloudwatch: Any) -> None:
    start = datetime(2026, 12, 7, 10, 0, 10, tzinfo=UTC)
    now = [start]
    # A one-minute alarm: the bot's 5xx metric math at 1 out of 1, whose every minute must be
    # the newest one evaluated once (the bot's own is 1 out of 3, see below).
    rate_alarm = {**alarms("mig-1", EXPRESS, LEGACY)[0], "EvaluationPeriods": 1}
    cloudwatch.put_metric_alarm(**rate_alarm)
    log = RequestLog()
    events: list[dict[str, Any]] = []
    pipeline = AlbCloudWatch(
        AlbMetricsPublisher(cloudwatch, log=log, clock=lambda: now[0]),
        AlarmEvaluator(
            cloudwatch, events.append, account=ACCOUNT, region=REGION, clock=lambda: now[0]
        ),
    )
    pipeline.tick()  # 10:00:10: no request yet, and FILL gives 0, a datapoint: OK
    # 10:00: the Express side answers 500; 10:01: it gets no request (EC2 alone does).
    ten = start.replace(second=0)
    _requests(log, ten, EXPRESS, 500, 4)
    _requests(log, ten, LEGACY, 200, 4)
    _requests(log, ten + timedelta(minutes=1), LEGACY, 200, 8)
    now[0] = start + timedelta(minutes=2)  # the next tick comes two minutes late

    pipeline.tick()

    states = [e["detail"]["state"]["value"] for e in events]
    # Then evaluated at 10:01 (10:00 breaches) and at 10:02 (10:01: FILL makes it 0 again).
    assert states == ["OK", "ALARM", "OK"]
    reason = events[1]["detail"]["state"]["reason"]
    assert "1 out of the last 1 datapoints [100.0 (07/12/26 10:00:00)]" in reason
    assert events[1]["time"] == "2026-12-07T10:01:00Z"


@pytest.mark.parametrize(("periods", "ends"), [(3, "ALARM"), (1, "OK")])
def test_the_bots_5xx_alarm_catches_a_minute_published_late(
    cloudwatch: Any, periods: int, ends: str
) -> None:
    """A breaching minute published after CloudWatch first evaluated at it. "Using metric
    math" (FILL): with metrics published late the newest datapoint is always the FILL value
    and a 1-out-of-1 alarm can stay OK; the bot's 1 out of 3 still sees the late minute."""
    alarm = {**alarms("mig-1", EXPRESS, LEGACY)[0], "EvaluationPeriods": periods}
    assert alarms("mig-1", EXPRESS, LEGACY)[0]["EvaluationPeriods"] == 3
    cloudwatch.put_metric_alarm(**alarm)
    ten = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    now = [ten + timedelta(minutes=1, seconds=5)]
    log = RequestLog()
    events: list[dict[str, Any]] = []
    publisher = AlbMetricsPublisher(cloudwatch, log=log, clock=lambda: now[0], since=ten)
    evaluator = AlarmEvaluator(
        cloudwatch, events.append, account=ACCOUNT, region=REGION, clock=lambda: now[0]
    )
    _requests(log, ten, EXPRESS, 500, 4)  # 10:00: the Express side answers 500
    _requests(log, ten, LEGACY, 200, 4)
    _requests(log, ten + timedelta(minutes=1), LEGACY, 200, 8)  # 10:01: EC2 only

    evaluator.evaluate()  # 10:01:05: 10:00 is not published yet
    now[0] = ten + timedelta(minutes=1, seconds=40)
    publisher.tick()  # 10:01:40: 10:00 arrives, late
    now[0] = ten + timedelta(minutes=2, seconds=5)
    publisher.tick()
    evaluator.evaluate()  # 10:02:05: the newest minute, 10:01, does not breach

    states = [e["detail"]["state"]["value"] for e in events]
    assert states[0] == "OK" and states[-1] == ends
