"""Live traffic in the sandbox: the resolver, the load generator, ALB metrics and alarms.

Against moto in-process and small real HTTPS servers on 127.0.0.1 (trustme certificates).
"""

from __future__ import annotations

import json
import random
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import trustme
from moto import mock_aws

from sandbox.aws_bus import default_bus_emitter
from sandbox.loadgen import LoadGenerator
from sandbox.metrics import (
    AlarmEvaluator,
    AlbMetricsPublisher,
    decide,
    evaluate_expression,
    load_balancer_dimension,
    period_statistic,
    target_group_dimension,
)
from sandbox.request_log import RequestLog, RequestRecord
from sandbox.resolver import ResolutionError, Resolver

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
NAME = "blog.example.com"


@dataclass
class Account:
    route53: Any
    elbv2: Any
    cloudwatch: Any
    zone_id: str
    legacy: dict[str, Any]  # the legacy ALB as ELBv2 describes it
    express: dict[str, Any]
    legacy_group: str
    express_group: str


def _balancer(elbv2: Any, name: str, subnets: list[str], vpc: str) -> tuple[dict[str, Any], str]:
    balancer = elbv2.create_load_balancer(Name=name, Subnets=subnets, Type="application")
    group = elbv2.create_target_group(Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc)
    return balancer["LoadBalancers"][0], group["TargetGroups"][0]["TargetGroupArn"]


@pytest.fixture
def aws() -> Iterator[Account]:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}"
            )["Subnet"]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        elbv2 = boto3.client("elbv2", region_name=REGION)
        legacy, legacy_group = _balancer(elbv2, "Legacy-Blog", subnets, vpc)
        express, express_group = _balancer(elbv2, "express-blog", subnets, vpc)
        route53 = boto3.client("route53", region_name=REGION)
        zone = route53.create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]
        yield Account(
            route53,
            elbv2,
            boto3.client("cloudwatch", region_name=REGION),
            zone["Id"].removeprefix("/hostedzone/"),
            legacy,
            express,
            legacy_group,
            express_group,
        )


def _upsert(aws: Account, *records: dict[str, Any], zone_id: str | None = None) -> None:
    aws.route53.change_resource_record_sets(
        HostedZoneId=zone_id or aws.zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in records]},
    )


def _weighted_cname(identifier: str, target: str, weight: int, ttl: int = 60) -> dict[str, Any]:
    return {
        "Name": f"{NAME}.",
        "Type": "CNAME",
        "SetIdentifier": identifier,
        "Weight": weight,
        "TTL": ttl,
        "ResourceRecords": [{"Value": target}],
    }


def _weighted_alias(identifier: str, balancer: dict[str, Any], weight: int) -> dict[str, Any]:
    return {
        "Name": f"{NAME}.",
        "Type": "A",
        "SetIdentifier": identifier,
        "Weight": weight,
        "AliasTarget": {
            "HostedZoneId": balancer["CanonicalHostedZoneId"],
            "DNSName": f"dualstack.{balancer['DNSName']}.",
            "EvaluateTargetHealth": True,
        },
    }


def _dns(balancer: dict[str, Any]) -> str:
    return str(balancer["DNSName"]).lower()


# --- the resolver ----------------------------------------------------------------------


def test_weighted_records_are_chosen_in_proportion_to_their_weights(aws: Account) -> None:
    legacy, express = _dns(aws.legacy), _dns(aws.express)
    _upsert(
        aws, _weighted_cname("legacy-ec2", legacy, 90), _weighted_cname("ecs-express", express, 10)
    )
    resolver = Resolver(aws.route53, rng=random.Random(7))
    counts = Counter(resolver.lookup(NAME).target for _ in range(1000))
    assert set(counts) == {legacy, express}
    assert abs(counts[express] / 1000 - 0.10) < 0.03  # three standard deviations

    _upsert(
        aws, _weighted_cname("legacy-ec2", legacy, 0), _weighted_cname("ecs-express", express, 255)
    )
    assert {resolver.lookup(NAME).target for _ in range(100)} == {express}  # weight 0: no traffic

    _upsert(
        aws, _weighted_cname("legacy-ec2", legacy, 0), _weighted_cname("ecs-express", express, 0)
    )
    counts = Counter(resolver.lookup(NAME).target for _ in range(400))
    assert abs(counts[express] / 400 - 0.5) < 0.075  # all weights 0: equal chance


def test_an_alias_to_an_alb_answers_that_load_balancer_with_elbs_ttl(aws: Account) -> None:
    _upsert(
        aws,
        {
            "Name": f"{NAME}.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": aws.legacy["CanonicalHostedZoneId"],
                "DNSName": f"dualstack.{aws.legacy['DNSName']}.",
                "EvaluateTargetHealth": True,
            },
        },
    )
    answer = Resolver(aws.route53).lookup(NAME.upper() + ".")
    assert (answer.name, answer.target, answer.ttl, answer.record) == (
        NAME,
        _dns(aws.legacy),
        60,
        None,
    )


def test_unhealthy_alias_targets_are_skipped_while_another_is_healthy(aws: Account) -> None:
    legacy, express = _dns(aws.legacy), _dns(aws.express)
    _upsert(
        aws,
        _weighted_alias("legacy-ec2", aws.legacy, 50),
        _weighted_alias("ecs-express", aws.express, 50),
    )
    down: set[str] = {express}
    resolver = Resolver(
        aws.route53, healthy=lambda target: target not in down, rng=random.Random(1)
    )
    assert {resolver.lookup(NAME).target for _ in range(100)} == {legacy}
    down = {express, legacy}  # none healthy: Route 53 treats all as healthy
    assert {resolver.lookup(NAME).target for _ in range(100)} == {legacy, express}


def test_the_cache_keeps_an_answer_for_the_ttl_in_scaled_time(aws: Account) -> None:
    legacy, express = _dns(aws.legacy), _dns(aws.express)
    _upsert(
        aws,
        _weighted_cname("legacy-ec2", legacy, 100, ttl=60),
        _weighted_cname("ecs-express", express, 0),
    )
    now = [1000.0]
    resolver = Resolver(aws.route53, time_scale=0.5, monotonic=lambda: now[0])
    assert resolver.resolve(NAME).target == legacy
    _upsert(
        aws,
        _weighted_cname("legacy-ec2", legacy, 0, ttl=60),
        _weighted_cname("ecs-express", express, 100),
    )
    now[0] += 29.0  # 58 simulated seconds: still cached
    assert resolver.resolve(NAME).target == legacy
    assert resolver.resolve(NAME, client=2).target == express  # another user's cache is empty
    now[0] += 2.0  # past 60 simulated seconds
    assert resolver.resolve(NAME).target == express
    # Time scale 0: no waiting, the TTL counts as 0 and every lookup reads the records.
    unscaled = Resolver(aws.route53, time_scale=0.0, monotonic=lambda: now[0])
    assert unscaled.resolve(NAME).target == express
    _upsert(
        aws, _weighted_cname("legacy-ec2", legacy, 100), _weighted_cname("ecs-express", express, 0)
    )
    assert unscaled.resolve(NAME).target == legacy


def test_the_longest_zone_suffix_the_apex_and_one_cname_level(aws: Account) -> None:
    sub = aws.route53.create_hosted_zone(Name="shop.example.com", CallerReference="s")["HostedZone"]
    sub_id = sub["Id"].removeprefix("/hostedzone/")
    alias = {
        "HostedZoneId": aws.express["CanonicalHostedZoneId"],
        "DNSName": f"{aws.express['DNSName']}.",
        "EvaluateTargetHealth": False,
    }
    _upsert(aws, {"Name": "shop.example.com.", "Type": "A", "AliasTarget": alias}, zone_id=sub_id)
    _upsert(
        aws,
        {
            "Name": "www.shop.example.com.",
            "Type": "CNAME",
            "TTL": 300,
            "ResourceRecords": [{"Value": "shop.example.com"}],
        },
        zone_id=sub_id,
    )
    # A record for the same name in the parent zone is not what the delegated zone answers.
    _upsert(
        aws,
        {
            "Name": "shop.example.com.",
            "Type": "A",
            "TTL": 30,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        },
    )
    resolver = Resolver(aws.route53)
    apex = resolver.lookup("shop.example.com")
    assert (apex.target, apex.ttl) == (_dns(aws.express), 60)
    www = resolver.lookup("www.shop.example.com")
    assert (www.target, www.ttl, www.chain) == (
        _dns(aws.express),
        60,  # the least TTL along the chain
        ("www.shop.example.com", "shop.example.com"),
    )
    with pytest.raises(ResolutionError, match="NXDOMAIN"):
        resolver.lookup("nothing.shop.example.com")
    with pytest.raises(ResolutionError, match="NXDOMAIN"):
        resolver.lookup("blog.example.org")


# --- the load generator ----------------------------------------------------------------


class _App(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def do_GET(self) -> None:
        found = self.path in ("/", "/health")
        body = f"{self.headers.get('Host')} {self.path}".encode() if found else b"no"
        self.send_response(200 if found else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class _Server:
    port: int
    server: ThreadingHTTPServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(ca: trustme.CA) -> Iterator[Any]:
    started: list[_Server] = []

    def start(*names: str) -> int:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(*names).configure_cert(context)
        server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(_Server(int(server.server_address[1]), server))
        return started[-1].port

    yield start
    for server in started:
        server.stop()


def _client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _refusing_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed on exit: nothing listens there


def _sides(aws: Account) -> dict[str, str]:
    return {_dns(aws.legacy): "EC2", _dns(aws.express): "ECS"}


def test_counts_by_side_when_one_side_refuses_connections(
    aws: Account, ca: trustme.CA, https_server: Any
) -> None:
    _upsert(
        aws,
        _weighted_cname("legacy-ec2", _dns(aws.legacy), 50),
        _weighted_cname("ecs-express", _dns(aws.express), 50),
    )
    ports = {_dns(aws.legacy): https_server(NAME), _dns(aws.express): _refusing_port()}
    generator = LoadGenerator(
        NAME,
        resolver=Resolver(aws.route53, rng=random.Random(3)),
        port_for=lambda balancer, scheme_port: ports.get(balancer) if scheme_port == 443 else None,
        side_of=_sides(aws).__getitem__,
        tls=_client_context(ca),
        paths=("/", "/health"),
        failures_kept=5,
    )
    for _ in range(40):
        generator.send_one()
    summary = generator.stop()
    ec2, ecs = summary.answered("EC2"), summary.answered("ECS")
    assert ec2 > 0 and ecs > 0 and ec2 + ecs == 40
    assert (summary.failed, summary.failed_on("ECS"), summary.failed_on("EC2")) == (ecs, ecs, 0)
    assert summary.line() == f"requests: 40 sent, {ecs} failed (EC2 {ec2}, ECS {ecs})"
    assert len(summary.last_failures) == min(5, ecs)
    assert {(f.side, f.reason) for f in summary.last_failures} == {("ECS", "connection refused")}
    assert {f.url for f in summary.last_failures} <= {f"https://{NAME}/", f"https://{NAME}/health"}


def test_an_answer_that_is_not_the_apps_is_a_failure(
    aws: Account, ca: trustme.CA, https_server: Any
) -> None:
    _upsert(aws, _weighted_cname("legacy-ec2", _dns(aws.legacy), 1))
    port = https_server(NAME)
    generator = LoadGenerator(
        NAME,
        resolver=Resolver(aws.route53),
        port_for=lambda balancer, scheme_port: port,
        side_of=_sides(aws).__getitem__,
        tls=_client_context(ca),
        paths=("/", "/missing"),
        ok=lambda status, body: status == 200 and body.startswith(NAME.encode()),
    )
    assert generator.send_one() is None  # the Host header was the app's name
    failure = generator.send_one()
    assert failure is not None and failure.reason.startswith("HTTP 404")
    assert generator.stop().line() == "requests: 2 sent, 1 failed (EC2 2, ECS 0)"


def test_tls_fails_for_a_name_the_certificate_does_not_cover(
    aws: Account, ca: trustme.CA, https_server: Any
) -> None:
    _upsert(aws, _weighted_cname("ecs-express", _dns(aws.express), 1))
    port = https_server("zz.ecs.us-east-1.on.aws")
    generator = LoadGenerator(
        NAME,
        resolver=Resolver(aws.route53),
        port_for=lambda balancer, scheme_port: port,
        side_of=_sides(aws).__getitem__,
        tls=_client_context(ca),
    )
    failure = generator.send_one()
    assert failure is not None and failure.side == "ECS"
    assert "certificate verify failed" in failure.reason
    assert generator.stop().line() == "requests: 1 sent, 1 failed (EC2 0, ECS 1)"
    lax = _client_context(ca)
    lax.check_hostname = False
    lax.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="verify"):
        LoadGenerator(
            NAME, resolver=Resolver(aws.route53), port_for=lambda b, p: port, side_of=str, tls=lax
        )


def test_the_thread_sends_steadily_until_stopped(
    aws: Account, ca: trustme.CA, https_server: Any
) -> None:
    _upsert(aws, _weighted_cname("legacy-ec2", _dns(aws.legacy), 1))
    port = https_server(NAME)
    generator = LoadGenerator(
        NAME,
        resolver=Resolver(aws.route53),
        port_for=lambda balancer, scheme_port: port,
        side_of=_sides(aws).__getitem__,
        tls=_client_context(ca),
        rate_per_second=50,
    )
    assert not generator.wait_for_first(timeout=0.05)  # nothing sent before start()
    generator.start()
    assert generator.wait_for_first(timeout=10) and generator.summary().sent >= 1
    deadline = time.monotonic() + 10
    while generator.summary().sent < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    summary = generator.stop()
    after = generator.summary()
    assert summary.sent >= 5 and summary.failed == 0 and summary.answered("EC2") == summary.sent
    assert after.sent == summary.sent  # nothing is sent once stopped


# --- metrics and alarms ----------------------------------------------------------------


def _record(
    aws: Account,
    at: datetime,
    *,
    target: int | None,
    elb: int | None = None,
    seconds: float | None = 0.01,
    group: bool = True,
) -> RequestRecord:
    return RequestRecord(
        at=at,
        load_balancer_arn=aws.legacy["LoadBalancerArn"],
        target_group_arn=aws.legacy_group if group else None,
        host=NAME,
        path="/",
        elb_status=elb if elb is not None else (target or 404),
        target_status=target,
        target_seconds=seconds if target is not None else None,
    )


def _sum(aws: Account, metric: str, minute: datetime, *, group: bool) -> float | None:
    dims = {"LoadBalancer": load_balancer_dimension(aws.legacy["LoadBalancerArn"])}
    if group:
        dims["TargetGroup"] = target_group_dimension(aws.legacy_group)
    value, _ = period_statistic(
        ACCOUNT,
        REGION,
        namespace="AWS/ApplicationELB",
        metric_name=metric,
        dimensions=dims,
        stat="Sum",
        start=minute,
        period=timedelta(minutes=1),
    )
    return value


def test_published_datapoints_match_the_request_log(aws: Account) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    minute = now.replace(second=0) - timedelta(minutes=5)
    log = RequestLog()
    for i in range(8):
        log.append(_record(aws, minute + timedelta(seconds=i), target=200, seconds=0.01 * (i + 1)))
    for i in range(2):
        log.append(_record(aws, minute + timedelta(seconds=20 + i), target=503, seconds=0.5))
    log.append(_record(aws, minute + timedelta(seconds=30), target=None, elb=502))  # target down
    log.append(_record(aws, minute + timedelta(seconds=31), target=None, elb=404, group=False))
    log.append(_record(aws, minute + timedelta(minutes=1, seconds=1), target=200))  # next minute
    health = [(aws.legacy["LoadBalancerArn"], aws.legacy_group, 1, 2)]
    publisher = AlbMetricsPublisher(
        aws.cloudwatch, log=log, target_health=lambda: health, clock=lambda: now, since=minute
    )
    assert publisher.publish_since(minute) > 0
    assert publisher.publish_since(minute) == 0  # each minute is published once

    assert _sum(aws, "RequestCount", minute, group=False) == 12
    assert _sum(aws, "RequestCount", minute, group=True) == 11
    assert _sum(aws, "HTTPCode_Target_2XX_Count", minute, group=True) == 8
    assert _sum(aws, "HTTPCode_Target_5XX_Count", minute, group=False) == 2
    assert _sum(aws, "HTTPCode_ELB_5XX_Count", minute, group=False) == 1
    assert _sum(aws, "HTTPCode_ELB_4XX_Count", minute, group=False) == 1
    assert _sum(aws, "HTTPCode_ELB_5XX_Count", minute, group=True) is None  # not per target group
    assert _sum(aws, "RequestCount", minute + timedelta(minutes=1), group=False) == 1
    # Response times as values: the ALB guide's percentiles come out of them.
    dims = {
        "LoadBalancer": load_balancer_dimension(aws.legacy["LoadBalancerArn"]),
        "TargetGroup": target_group_dimension(aws.legacy_group),
    }
    p50, samples = period_statistic(
        ACCOUNT,
        REGION,
        namespace="AWS/ApplicationELB",
        metric_name="TargetResponseTime",
        dimensions=dims,
        stat="p50",
        start=minute,
        period=timedelta(minutes=1),
    )
    assert (p50, samples) == (0.05, 10)
    # Through the API (exact dimensions, GetMetricData): what the bot reads.
    response = aws.cloudwatch.get_metric_data(
        StartTime=minute,
        EndTime=minute + timedelta(minutes=2),
        MetricDataQueries=[
            {
                "Id": "healthy",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApplicationELB",
                        "MetricName": "UnHealthyHostCount",
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 60,
                    "Stat": "Maximum",
                },
            }
        ],
    )
    assert (
        response["MetricDataResults"][0]["Values"] == []
    )  # health is sampled for the last minute only
    last = now.replace(second=0) - timedelta(minutes=1)
    assert _health(aws, dims, last) == 2.0


def _health(aws: Account, dims: dict[str, str], minute: datetime) -> float | None:
    value, _ = period_statistic(
        ACCOUNT,
        REGION,
        namespace="AWS/ApplicationELB",
        metric_name="UnHealthyHostCount",
        dimensions=dims,
        stat="Maximum",
        start=minute,
        period=timedelta(minutes=1),
    )
    return value


def _queue_on_the_default_bus(region: str = REGION) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=region)
    url = sqs.create_queue(QueueName="alarm-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = boto3.client("events", region_name=region)
    events.put_rule(
        Name="alarms",
        EventPattern=json.dumps(
            {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"]}
        ),
    )
    events.put_targets(Rule="alarms", Targets=[{"Id": "q", "Arn": arn}])
    return sqs, url


def test_an_error_ratio_alarm_goes_to_alarm_and_the_event_reaches_the_default_bus(
    aws: Account,
) -> None:
    now = datetime.now(UTC).replace(second=30, microsecond=0)
    minute = now.replace(second=0) - timedelta(minutes=1)
    log = RequestLog()
    for i in range(100):
        log.append(
            _record(aws, minute + timedelta(seconds=i * 0.5), target=503 if i % 5 == 0 else 200)
        )
    AlbMetricsPublisher(aws.cloudwatch, log=log, clock=lambda: now).publish_since(minute)
    lb = [{"Name": "LoadBalancer", "Value": load_balancer_dimension(aws.legacy["LoadBalancerArn"])}]

    def stat(metric: str) -> dict[str, Any]:
        return {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": lb},
            "Period": 60,
            "Stat": "Sum",
        }

    aws.cloudwatch.put_metric_alarm(
        AlarmName="blog-5xx-ratio",
        AlarmDescription="5xx above 5 % of requests",
        ComparisonOperator="GreaterThanThreshold",
        EvaluationPeriods=1,
        Threshold=0.05,
        TreatMissingData="notBreaching",
        Metrics=[
            {
                "Id": "ratio",
                "Expression": "errors / requests",
                "Label": "5xx ratio",
                "ReturnData": True,
            },
            {"Id": "errors", "MetricStat": stat("HTTPCode_Target_5XX_Count"), "ReturnData": False},
            {"Id": "requests", "MetricStat": stat("RequestCount"), "ReturnData": False},
        ],
    )
    aws.cloudwatch.put_metric_alarm(
        AlarmName="blog-p99",
        Namespace="AWS/ApplicationELB",
        MetricName="TargetResponseTime",
        Dimensions=lb,
        Period=60,
        EvaluationPeriods=1,
        ExtendedStatistic="p99",
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    sqs, url = _queue_on_the_default_bus()
    evaluator = AlarmEvaluator(
        aws.cloudwatch, default_bus_emitter(), account=ACCOUNT, region=REGION, clock=lambda: now
    )
    transitions = {t.alarm_name: t for t in evaluator.evaluate()}
    assert (transitions["blog-5xx-ratio"].previous, transitions["blog-5xx-ratio"].state) == (
        "INSUFFICIENT_DATA",
        "ALARM",
    )
    assert transitions["blog-p99"].state == "OK"  # 10 ms answers
    assert evaluator.problems == []
    alarms = {a["AlarmName"]: a for a in aws.cloudwatch.describe_alarms()["MetricAlarms"]}
    assert alarms["blog-5xx-ratio"]["StateValue"] == "ALARM"
    assert alarms["blog-5xx-ratio"]["StateReason"] == transitions["blog-5xx-ratio"].reason
    assert "1 out of the last 1 datapoints [0.2 (" in transitions["blog-5xx-ratio"].reason
    assert evaluator.evaluate() == []  # no change, no event

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    events = {json.loads(m["Body"])["detail"]["alarmName"]: json.loads(m["Body"]) for m in messages}
    event = events["blog-5xx-ratio"]
    assert (event["source"], event["detail-type"]) == (
        "aws.cloudwatch",
        "CloudWatch Alarm State Change",
    )
    assert event["resources"] == [alarms["blog-5xx-ratio"]["AlarmArn"]]
    detail = event["detail"]
    assert detail["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert detail["previousState"]["reason"] == "Unchecked: Initial alarm creation"
    assert detail["state"]["value"] == "ALARM"
    reason_data = json.loads(detail["state"]["reasonData"])
    assert (reason_data["recentDatapoints"], reason_data["threshold"], reason_data["period"]) == (
        [0.2],
        0.05,
        60,
    )
    assert detail["configuration"]["description"] == "5xx above 5 % of requests"
    assert [m["id"] for m in detail["configuration"]["metrics"]] == ["ratio", "errors", "requests"]
    assert detail["configuration"]["metrics"][1]["metricStat"]["metric"] == {
        "dimensions": {"LoadBalancer": lb[0]["Value"]},
        "name": "HTTPCode_Target_5XX_Count",
        "namespace": "AWS/ApplicationELB",
    }
    assert (
        events["blog-p99"]["detail"]["configuration"]["metrics"][0]["metricStat"]["stat"] == "p99"
    )


# The CloudWatch User Guide's tables ("How alarm state is evaluated when data is missing"),
# oldest datapoint first: 0 not breaching, X breaching, - missing.
_TABLES = [
    (3, 3, "0-X-X", ("OK", "OK", "OK", "OK")),
    (3, 3, "0----", ("OK", "OK", "OK", "OK")),
    (3, 3, "-----", ("INSUFFICIENT_DATA", "retain", "ALARM", "OK")),
    (3, 3, "0XX-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (3, 3, "----X", ("INSUFFICIENT_DATA", "retain", "ALARM", "OK")),
    (2, 3, "0-X-X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, 3, "00X0X", ("ALARM", "ALARM", "ALARM", "ALARM")),
    (2, 3, "0-X--", ("OK", "OK", "ALARM", "OK")),
    (2, 3, "----0", ("OK", "OK", "ALARM", "OK")),
    (2, 3, "----X", ("INSUFFICIENT_DATA", "retain", "ALARM", "OK")),
]


@pytest.mark.parametrize(("m", "n", "points", "expected"), _TABLES)
def test_missing_data_is_treated_as_the_user_guide_tables_say(
    m: int, n: int, points: str, expected: tuple[str, ...]
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    values = [
        (start + timedelta(minutes=i), {"0": 0.0, "X": 1.0}.get(c)) for i, c in enumerate(points)
    ]
    for treatment, state in zip(
        ("missing", "ignore", "breaching", "notBreaching"), expected, strict=True
    ):
        decision = decide(
            values,
            lambda v: v > 0.5,
            evaluation_periods=n,
            datapoints_to_alarm=m,
            treat_missing=treatment,
            current="CURRENT",
        )
        assert decision.state == ("CURRENT" if state == "retain" else state), treatment


def test_metric_math_treats_missing_values_as_zero_and_drops_division_by_zero() -> None:
    t = [datetime(2026, 1, 1, 0, i, tzinfo=UTC) for i in range(3)]
    series = {"errors": {t[0]: 2.0, t[2]: 1.0}, "requests": {t[0]: 10.0, t[1]: 5.0}}
    assert evaluate_expression("errors / requests", series, t) == {t[0]: 0.2, t[1]: 0.0}
    # FILL fills the range; t[2] then divides by a missing (0) value and is dropped.
    assert evaluate_expression("100 * FILL(errors, 0) / (requests + 1)", series, t) == {
        t[0]: 200 / 11,
        t[1]: 0.0,
    }
