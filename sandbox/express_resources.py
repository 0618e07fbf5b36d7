"""What ECS Express Mode provisions for a service, as DescribeServiceRevisions reports it.

A ``ServiceRevision`` of an Express service carries ``ecsManagedResources`` (botocore's
``ECSManagedResources`` shape). The resources follow the Amazon ECS Developer Guide, "Resources
created by Amazon ECS Express Mode services": an Application Load Balancer with an HTTPS listener,
a listener rule and a target group, security groups, an ACM certificate, an Application Auto
Scaling scalable target with a target tracking policy, a service log group and metric alarms.
The ALB (with its listener and security group) is shared by the Express services of one network,
as AWS does; everything else belongs to one service and is shared by all its revisions.

Names follow what Express creates in real accounts: ALBs ``ecs-express-gateway-alb-<8 hex>``,
target groups ``ecs-gateway-tg-<17 hex>``, log groups ``/aws/ecs/<cluster>/<service>-<4 hex>``.
Target tracking alarms use Application Auto Scaling's ``TargetTracking-<resource id>-AlarmHigh/Low``
names. The deployment alarm's and the scaling policy's names are this sandbox's own.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import InvalidParameterException

MAX_REVISION_ARNS = 20  # "You can specify a maximum of 20 ARNs." (DescribeServiceRevisions)
PROVISION_SECONDS = 20.0  # simulated seconds until new resources are ACTIVE
_METRICS = {  # ExpressGatewayScalingTarget.autoScalingMetric -> Application Auto Scaling metric
    "AVERAGE_CPU": "ECSServiceAverageCPUUtilization",
    "AVERAGE_MEMORY": "ECSServiceAverageMemoryUtilization",
    "REQUEST_COUNT_PER_TARGET": "ALBRequestCountPerTarget",
}
_LIVENESS = ("ACTIVE", "DRAINING", "INACTIVE")  # service statuses, most alive first


def _hex(digits: int) -> str:
    return secrets.token_hex((digits + 1) // 2)[:digits]


@dataclass
class Clock:
    """When resources were created and became ACTIVE, and when their owner was deleted."""

    created_at: datetime
    active_at: datetime
    active_by: float  # time.monotonic() at which they turn ACTIVE
    deleting_at: datetime | None = None
    deleted_at: datetime | None = None

    @classmethod
    def start(cls, now: datetime, time_scale: float) -> Clock:
        delay = PROVISION_SECONDS * time_scale
        return cls(now, now + timedelta(seconds=delay), time.monotonic() + delay)

    def state(self, service_status: str) -> tuple[str, datetime]:
        """The ManagedResourceStatus and updatedAt for an owner in ``service_status``."""
        if service_status == "INACTIVE":
            return "DELETED", self.deleted_at or self.active_at
        if service_status == "DRAINING":
            return "DEPROVISIONING", self.deleting_at or self.active_at
        if time.monotonic() < self.active_by:
            return "PROVISIONING", self.created_at
        return "ACTIVE", self.active_at


@dataclass
class Gateway:
    """An ALB with its HTTPS listener and security group, shared by services of one network.

    Internet-facing (ingress ``accessType`` PUBLIC) in public subnets, internal (PRIVATE)
    in private ones; see ``sandbox.express_checks.access_type``.
    """

    account: str
    region: str
    subnets: tuple[str, ...]
    clock: Clock
    access_type: str = "PUBLIC"
    name: str = field(default_factory=lambda: f"ecs-express-gateway-alb-{_hex(8)}")
    lb_id: str = field(default_factory=lambda: _hex(16))
    listener_id: str = field(default_factory=lambda: _hex(16))
    security_group_id: str = field(default_factory=lambda: f"sg-{_hex(17)}")
    users: list[Managed] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"{self._elb}:loadbalancer/app/{self.name}/{self.lb_id}"

    @property
    def listener_arn(self) -> str:
        return f"{self._elb}:listener/app/{self.name}/{self.lb_id}/{self.listener_id}"

    @property
    def _elb(self) -> str:
        return f"arn:aws:elasticloadbalancing:{self.region}:{self.account}"

    def status(self) -> str:
        """The most alive status among the services that use this gateway."""
        statuses = {user.service_status() for user in self.users} or {"INACTIVE"}
        return next(s for s in _LIVENESS if s in statuses)

    def state(self) -> tuple[str, datetime]:
        status = self.status()
        if status == "ACTIVE" or not self.users:
            return self.clock.state(status)
        ends = replace(  # deprovisioned along with the last service that used it
            self.clock,
            deleting_at=max(u.clock.deleting_at or u.clock.active_at for u in self.users),
            deleted_at=max(u.clock.deleted_at or u.clock.active_at for u in self.users),
        )
        return ends.state(status)


@dataclass
class Managed:
    """The resources Express provisioned for one service."""

    gateway: Gateway
    cluster: str
    service: str
    endpoint: str
    clock: Clock
    service_status: Callable[[], str] = lambda: "ACTIVE"
    rule_id: str = field(default_factory=lambda: _hex(16))
    target_group: str = field(default_factory=lambda: f"ecs-gateway-tg-{_hex(17)}/{_hex(16)}")
    certificate_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    security_group_id: str = field(default_factory=lambda: f"sg-{_hex(17)}")
    log_suffix: str = field(default_factory=lambda: _hex(4))
    scalable_target_id: str = field(default_factory=lambda: _hex(36))
    policy_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    alarm_ids: tuple[str, str, str] = field(
        default_factory=lambda: (_hex(8), str(uuid.uuid4()), str(uuid.uuid4()))
    )

    @property
    def _prefix(self) -> tuple[str, str]:
        return self.gateway.region, self.gateway.account

    @property
    def target_group_arn(self) -> str:
        region, account = self._prefix
        return f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{self.target_group}"

    @property
    def rule_arn(self) -> str:
        gateway = self.gateway
        return gateway.listener_arn.replace(":listener/", ":listener-rule/") + f"/{self.rule_id}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/ecs/{self.cluster}/{self.service}-{self.log_suffix}"

    def deprovision(self, at: datetime, drain_seconds: float) -> None:
        """The service was deleted at ``at``: its resources go once it has drained."""
        self.clock.deleting_at = at
        self.clock.deleted_at = at + timedelta(seconds=drain_seconds)

    def describe(self, config: dict[str, Any], revision_created: datetime) -> dict[str, Any]:
        """``ECSManagedResources`` as of the revision whose configuration is ``config``."""
        region, account = self._prefix
        own_status, own_at = self.clock.state(self.service_status())
        lb_status, lb_at = self.gateway.state()
        # resources a revision reconfigures were updated when that revision was created
        changed_at = max(own_at, revision_created) if own_status == "ACTIVE" else own_at

        def own(arn: str, at: datetime | None = None, **extra: Any) -> dict[str, Any]:
            return {"arn": arn, "status": own_status, "updatedAt": at or own_at, **extra}

        def shared(arn: str, **extra: Any) -> dict[str, Any]:
            return {"arn": arn, "status": lb_status, "updatedAt": lb_at, **extra}

        load_balancer = shared(
            self.gateway.arn,
            scheme="internet-facing" if self.gateway.access_type == "PUBLIC" else "internal",
            securityGroupIds=[self.gateway.security_group_id],
        )
        if self.gateway.subnets:
            load_balancer["subnetIds"] = list(self.gateway.subnets)
        port = int(config["primaryContainer"]["containerPort"])
        scaling = config["scalingTarget"]
        minimum = int(scaling.get("minTaskCount") or 1)
        resource_id = f"service/{self.cluster}/{self.service}"
        ec2 = f"arn:aws:ec2:{region}:{account}:security-group"
        cloudwatch = f"arn:aws:cloudwatch:{region}:{account}:alarm"
        deployment_alarm, high, low = self.alarm_ids
        return {
            "ingressPaths": [
                {
                    "accessType": self.gateway.access_type,
                    "endpoint": self.endpoint,
                    "loadBalancer": load_balancer,
                    "loadBalancerSecurityGroups": [
                        shared(f"{ec2}/{self.gateway.security_group_id}")
                    ],
                    "certificate": own(
                        f"arn:aws:acm:{region}:{account}:certificate/{self.certificate_id}",
                        domainName=self.endpoint,
                    ),
                    "listener": shared(self.gateway.listener_arn),
                    "rule": own(self.rule_arn),
                    "targetGroups": [
                        own(
                            self.target_group_arn,
                            changed_at,
                            healthCheckPath=config["healthCheckPath"],
                            healthCheckPort=port,
                            port=port,
                        )
                    ],
                }
            ],
            "autoScaling": {
                "scalableTarget": own(
                    f"arn:aws:application-autoscaling:{region}:{account}:scalable-target/"
                    f"{self.scalable_target_id}",
                    changed_at,
                    minCapacity=minimum,
                    maxCapacity=max(minimum, int(scaling.get("maxTaskCount") or minimum)),
                ),
                "applicationAutoScalingPolicies": [
                    own(
                        f"arn:aws:autoscaling:{region}:{account}:scalingPolicy:{self.policy_id}:"
                        f"resource/ecs/{resource_id}:policyName/{self.service}-target-tracking",
                        changed_at,
                        policyType="TargetTrackingScaling",
                        targetValue=float(scaling["autoScalingTargetValue"]),
                        metric=_METRICS[scaling["autoScalingMetric"]],
                    )
                ],
            },
            "metricAlarms": [
                own(f"{cloudwatch}:ecs-express-{self.service}-deployment-{deployment_alarm}"),
                own(f"{cloudwatch}:TargetTracking-{resource_id}-AlarmHigh-{high}"),
                own(f"{cloudwatch}:TargetTracking-{resource_id}-AlarmLow-{low}"),
            ],
            "serviceSecurityGroups": [own(f"{ec2}/{self.security_group_id}")],
            "logGroups": [
                own(
                    f"arn:aws:logs:{region}:{account}:log-group:{self.log_group_name}",
                    logGroupName=self.log_group_name,
                )
            ],
        }


def provision(
    gateways: list[Gateway],
    *,
    account: str,
    region: str,
    cluster: str,
    service: str,
    endpoint: str,
    subnets: Iterable[str],
    now: datetime,
    time_scale: float,
    access_type: str = "PUBLIC",
) -> Managed:
    """Create a service's resources, joining the live gateway of its network or making one."""
    network = tuple(sorted(subnets))
    gateway = next(
        (g for g in gateways if g.subnets == network and g.status() == "ACTIVE"),
        None,
    )
    if gateway is None:
        gateway = Gateway(account, region, network, Clock.start(now, time_scale), access_type)
        gateways.append(gateway)
    managed = Managed(gateway, cluster, service, endpoint, Clock.start(now, time_scale))
    gateway.users.append(managed)
    return managed


def service_revision(
    managed: Managed,
    *,
    service_arn: str,
    cluster_arn: str,
    config: dict[str, Any],
    task_definition: str,
) -> dict[str, Any]:
    """A ``ServiceRevision`` of an Express service, with what Express provisioned for it."""
    container = config["primaryContainer"]
    port = int(container["containerPort"])
    revision: dict[str, Any] = {
        "serviceRevisionArn": config["serviceRevisionArn"],
        "serviceArn": service_arn,
        "clusterArn": cluster_arn,
        "taskDefinition": task_definition,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "loadBalancers": [
            {
                "targetGroupArn": managed.target_group_arn,
                "containerName": managed.service,
                "containerPort": port,
            }
        ],
        "containerImages": [{"containerName": managed.service, "image": container["image"]}],
        "createdAt": config["createdAt"],
        "resolvedConfiguration": {
            "loadBalancers": [
                {
                    "targetGroupArn": managed.target_group_arn,
                    "productionListenerRule": managed.rule_arn,
                }
            ]
        },
        "ecsManagedResources": managed.describe(config, config["createdAt"]),
    }
    network = config.get("networkConfiguration") or {}
    if network.get("subnets"):
        revision["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": list(network["subnets"]),
                "securityGroups": [*network.get("securityGroups", []), managed.security_group_id],
            }
        }
    return revision


def describe_service_revisions(
    arns: list[str],
    lookup: Callable[[str], dict[str, Any] | None],
    fallback: Callable[[], Any] | None,
) -> dict[str, Any]:
    """The DescribeServiceRevisions body: revisions ``lookup`` knows, the rest from ``fallback``
    (moto's own operation, when it has one) or failures with reason MISSING, as ECS reports
    revisions it cannot find."""
    arns = list(dict.fromkeys(arns))
    if len(arns) > MAX_REVISION_ARNS:
        raise InvalidParameterException(
            f"serviceRevisionArns can have at most {MAX_REVISION_ARNS} items."
        )
    found = {arn: lookup(arn) for arn in arns}
    others = [arn for arn, revision in found.items() if revision is None]
    answered: dict[str, dict[str, Any]] = {}
    failures = [{"arn": arn, "reason": "MISSING"} for arn in others]
    if others and fallback is not None:
        body = _result_body(fallback())
        answered = {r["serviceRevisionArn"]: r for r in body.get("serviceRevisions", [])}
        failures = [f for f in body.get("failures", []) if f.get("arn") in others]
    revisions = [found[arn] or answered.get(arn) for arn in arns]
    return {"serviceRevisions": [r for r in revisions if r], "failures": failures}


def _result_body(result: Any) -> dict[str, Any]:
    """The response body of a moto action, whichever way moto returned it."""
    if isinstance(result, ActionResult):
        return dict(result.result)  # type: ignore[call-overload]
    if isinstance(result, tuple):
        result = result[-1]
    return dict(json.loads(result or "{}"))
