"""Real users for a sandbox run: steady traffic to the apps' names, and CloudWatch fed from it.

For each app name a ``LoadGenerator`` resolves the name from moto's Route 53 records
(``sandbox.resolver``, weighted choice per lookup, TTLs in scaled time) and sends GETs through
the load balancer stand-in the answer names, verifying TLS against the sandbox's test CA. The
stand-ins log every request (``sandbox.request_log``); ``AlbMetricsPublisher`` turns each
complete minute of that log into the ``AWS/ApplicationELB`` metrics an ALB publishes, with
the target groups' healthy and unhealthy host counts, and ``AlarmEvaluator`` evaluates the
alarms moto stores against them, emitting "CloudWatch Alarm State Change" on the default bus.

**CloudWatch's time is the sandbox's scaled time** (``ScaledClock``): at time scale ``s`` a
simulated minute lasts ``60·s`` real seconds, so the bot's one-minute alarms see as many
periods during a bake as they would on AWS. The request log is stamped with the same clock.
At time scale 0 (no waiting) CloudWatch runs on the real clock, so alarms rarely have a
complete minute to evaluate: scenarios that need alarms run at a positive time scale.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.config import Config

from sandbox.acm import sandbox_ca
from sandbox.aws_bus import default_bus_emitter
from sandbox.load_balancers import Balancers
from sandbox.loadgen import LoadGenerator, TrafficSummary
from sandbox.metrics import AlarmEvaluator, AlbCloudWatch, AlbMetricsPublisher
from sandbox.request_log import RequestLog
from sandbox.resolver import Resolver

EC2, ECS = "EC2", "ECS"


@dataclass
class ScaledClock:
    """The sandbox's simulated UTC time: real time, with each real second worth ``1/scale``."""

    scale: float
    _start: float = field(default_factory=time.monotonic)

    def now(self) -> datetime:
        """Simulated now (the real clock, moved clocks included, plus the time gained)."""
        real = datetime.now(UTC)
        if self.scale <= 0:
            return real
        elapsed = time.monotonic() - self._start
        return real + timedelta(seconds=elapsed * (1 / self.scale - 1))


def side_of(balancer_dns: str) -> str:
    """``ECS`` for a load balancer Express Mode made, ``EC2`` for any other."""
    name = balancer_dns.lower().rstrip(".").removeprefix("dualstack.")
    return ECS if name.startswith("ecs-express-gateway-alb-") else EC2


@dataclass
class LiveTraffic:
    """Load generators for the apps' names, ALB metrics and alarm evaluation, for one run."""

    clients: Any  # (service name) → boto3 client
    balancers: Balancers
    log: RequestLog
    clock: ScaledClock
    account: str
    region: str
    rate_per_second: float = 20.0
    generators: dict[str, LoadGenerator] = field(default_factory=dict)
    _cloudwatch: AlbCloudWatch | None = None

    def start_cloudwatch(self) -> None:
        """Publish the ALB metrics and evaluate the alarms once a simulated minute, as an ALB
        publishes (ELB User Guide, "CloudWatch metrics for your Application Load Balancer":
        reported in 60-second intervals) and CloudWatch evaluates a one-minute alarm."""
        # Uncompressed: botocore gzips large PutMetricData bodies, which moto 5.2.1's server
        # mode fails to read (500 "Not a gzipped file"); CloudWatch accepts both.
        cloudwatch = self.clients("cloudwatch", config=Config(disable_request_compression=True))
        interval = 60 * self.clock.scale if self.clock.scale > 0 else 5.0
        publisher = AlbMetricsPublisher(
            cloudwatch, log=self.log, target_health=self._target_health, clock=self.clock.now
        )
        evaluator = AlarmEvaluator(
            cloudwatch,
            default_bus_emitter(),
            account=self.account,
            region=self.region,
            clock=self.clock.now,
        )
        # One thread: each minute is published before the alarms are evaluated at it.
        self._cloudwatch = AlbCloudWatch(publisher, evaluator)
        self._cloudwatch.start(interval)

    def send_to(
        self, name: str, scheme: str, paths: tuple[str, ...], rate: float | None = None
    ) -> LoadGenerator:
        """Start steady traffic to ``name`` (``https`` or ``http``), cycling through ``paths``;
        a request fails unless the app answers 200 (the paths are pages that exist)."""
        generator = LoadGenerator(
            name,
            resolver=Resolver(self.clients("route53"), time_scale=self.clock.scale),
            port_for=self.balancers.port_for,
            side_of=side_of,
            tls=sandbox_ca().client_context(),
            scheme=scheme,
            paths=paths,
            rate_per_second=rate or self.rate_per_second,
            # A person waits longer than 2 s for a page; this machine's two cores, shared by
            # every stand-in, the bot and the apps, can stall a request that long.
            timeout_seconds=10.0,
            ok=lambda status, _body: status == 200,
        ).start()
        self.generators[name.lower().rstrip(".")] = generator
        return generator

    def summary(self) -> TrafficSummary:
        """Every generator's counts, added up."""
        total = TrafficSummary()
        for generator in self.generators.values():
            total = total.plus(generator.summary())
        return total

    def stop(self) -> TrafficSummary:
        """Stop the traffic (then CloudWatch); return the counts."""
        for generator in self.generators.values():
            generator.stop()
        if self._cloudwatch is not None:
            self._cloudwatch.stop()
        return self.summary()

    def _target_health(self) -> Iterator[tuple[str, str, int, int]]:
        """(load balancer ARN, target group ARN, healthy, unhealthy) for every target group
        behind a load balancer, as DescribeTargetHealth reports it."""
        elbv2 = self.balancers.recent_elbv2
        for group in elbv2.describe_target_groups()["TargetGroups"]:
            states = [
                d["TargetHealth"]["State"]
                for d in elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])[
                    "TargetHealthDescriptions"
                ]
            ]
            for balancer in group.get("LoadBalancerArns", []):
                yield (
                    balancer,
                    group["TargetGroupArn"],
                    states.count("healthy"),
                    states.count("unhealthy"),
                )


__all__ = ["EC2", "ECS", "LiveTraffic", "ScaledClock", "side_of"]
