"""What ECS Express Mode provisions for a service, as DescribeServiceRevisions reports it.

A ``ServiceRevision`` of an Express service carries ``ecsManagedResources`` (botocore's
``ECSManagedResources`` shape). The resources follow the Amazon ECS Developer Guide, "Resources
created by Amazon ECS Express Mode services": an Application Load Balancer with an HTTPS listener,
a listener rule and a target group, security groups, an ACM certificate, an Application Auto
Scaling scalable target with a target tracking policy, a service log group and metric alarms.
The ALB (with its listener and security group) is shared by the Express services of one network,
as AWS does; everything else belongs to one service and is shared by all its revisions.

The load balancer, listener, rule, target group, security groups and certificates exist in moto's
ELBv2, EC2 and ACM (``sandbox.express_network`` makes them), so ``ecsManagedResources`` reports
their real ARNs; the scaling, alarm and log resources are reported only.

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

from sandbox import express_network
from sandbox.express_network import SERVICES_PER_LOAD_BALANCER, GatewayNetwork, ServiceNetwork

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
    in private ones; see ``sandbox.express_checks.access_type``. The ALB, listener, group and
    default certificate exist in moto's ELBv2, EC2 and ACM (``sandbox.express_network``).
    """

    account: str
    region: str
    subnets: tuple[str, ...]  # as the services asked for them (none: the default VPC's)
    clock: Clock
    network: GatewayNetwork
    access_type: str = "PUBLIC"
    users: list[Managed] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return self.network.load_balancer_arn

    @property
    def listener_arn(self) -> str:
        return self.network.listener_arn

    @property
    def security_group_id(self) -> str:
        return self.network.security_group_id

    def status(self) -> str:
        """The most alive status among the services that use this gateway."""
        statuses = {user.service_status() for user in self.users} or {"INACTIVE"}
        return next(s for s in _LIVENESS if s in statuses)

    def accepts(self, subnets: tuple[str, ...]) -> bool:
        """Whether a new service of these subnets joins this gateway (live, not full)."""
        live = [u for u in self.users if u.service_status() != "INACTIVE"]
        return (
            self.subnets == subnets
            and self.status() == "ACTIVE"
            and len(live) < SERVICES_PER_LOAD_BALANCER
        )

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
    network: ServiceNetwork
    service_status: Callable[[], str] = lambda: "ACTIVE"
    released: bool = False  # its ELBv2, EC2 and ACM resources are gone
    log_suffix: str = field(default_factory=lambda: _hex(4))
    scalable_target_id: str = field(default_factory=lambda: _hex(36))
    policy_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    alarm_ids: tuple[str, str, str] = field(
        default_factory=lambda: (_hex(8), str(uuid.uuid4()), str(uuid.uuid4()))
    )

    @property
    def target_group_arn(self) -> str:
        return self.network.target_group_arn

    @property
    def rule_arn(self) -> str:
        return self.network.rule_arn

    @property
    def certificate_arn(self) -> str:
        return self.network.certificate_arn

    @property
    def security_group_id(self) -> str:
        return self.network.security_group_id

    @property
    def _prefix(self) -> tuple[str, str]:
        return self.gateway.region, self.gateway.account

    @property
    def log_group_name(self) -> str:
        return f"/aws/ecs/{self.cluster}/{self.service}-{self.log_suffix}"

    def deprovision(self, at: datetime, drain_seconds: float) -> None:
        """The service was deleted at ``at``: its resources go once it has drained."""
        self.clock.deleting_at = at
        self.clock.deleted_at = at + timedelta(seconds=drain_seconds)

    def release(self) -> None:
        """The service has drained: delete its resources, and the gateway's after its last."""
        if self.released:
            return
        gateway = self.gateway
        express_network.delete_service(
            gateway.account, gateway.region, gateway.network, self.network
        )
        self.released = True
        if all(user.released for user in gateway.users):
            express_network.delete_gateway(gateway.account, gateway.region, gateway.network)

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
        load_balancer["subnetIds"] = list(self.gateway.network.subnets)
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
                    "certificate": own(self.certificate_arn, domainName=self.endpoint),
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
    port: int,
    health_check_path: str,
    now: datetime,
    time_scale: float,
    access_type: str = "PUBLIC",
) -> Managed:
    """Create a service's resources, joining the live gateway of its network or making one."""
    network = tuple(sorted(subnets))
    gateway = next((g for g in gateways if g.accepts(network)), None)
    if gateway is None:
        made = express_network.create_gateway(
            account, region, network, internet_facing=access_type == "PUBLIC"
        )
        gateway = Gateway(account, region, network, Clock.start(now, time_scale), made, access_type)
        gateways.append(gateway)
    own = express_network.create_service(
        gateway.network,
        account,
        region,
        service=service,
        endpoint=endpoint,
        port=port,
        health_check_path=health_check_path,
    )
    managed = Managed(gateway, cluster, service, endpoint, Clock.start(now, time_scale), own)
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
