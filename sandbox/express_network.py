"""What ECS Express Mode creates in the account for its services, made in moto's EC2, ELBv2 and
ACM so that the ELBv2 and ACM APIs (and the load balancer stand-ins, which read them) see it.

The ECS Developer Guide, "Resources created by Amazon ECS Express Mode services", lists an
"Application Load Balancer with HTTPS listener, listener rules, and target groups", "Security
groups with minimal required ingress" and an "ACM certificate". AWS's announcement ("Build
production-ready applications without infrastructure complexity using Amazon ECS Express
Mode", AWS News Blog) adds that the ALB "is automatically shared among up to 25 ECS services
using host header-based listener rules". So, per network (the services' subnets):

- an ALB ``ecs-express-gateway-alb-<8 hex>`` in those subnets (internet-facing in public
  subnets, internal in private ones: ``sandbox.express_checks.access_type``), with its own
  security group admitting HTTPS (443) only;
- one HTTPS:443 listener whose default certificate is an ACM certificate for
  ``*.ecs.<region>.on.aws`` and whose default action is a fixed-response 404 (an endpoint no
  rule names gets nothing);

and per service:

- a target group ``ecs-gateway-tg-<17 hex>`` of target type ``ip`` (Fargate tasks use awsvpc
  networking, so they are registered by IP: ELB User Guide, "Target type") on the container
  port with the service's health check path;
- an ACM certificate for the service's endpoint (``ManagedIngressPath.certificate``: "The ACM
  certificate for the Express service's domain"), added to the listener's certificate list;
- a listener rule whose host-header condition is the endpoint, forwarding to the target group;
- a security group for the tasks admitting the container port from the ALB's group.

ECS registers a running task with its service's target group by the task's IP and deregisters
it when the task stops (ECS Developer Guide, "Use load balancing to distribute Amazon ECS
service traffic"). Which names Express gives its security groups, which rule priorities it
picks, the security policy of its listener and the ALB security group's sources are not
documented: the choices here are the sandbox's (README, known limits).
"""

from __future__ import annotations

import ipaddress
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from moto.acm.models import acm_backends
from moto.ec2.models import ec2_backends
from moto.elbv2.exceptions import (
    ListenerNotFoundError,
    LoadBalancerNotFoundError,
    TargetGroupNotFoundError,
)
from moto.elbv2.models import elbv2_backends

from sandbox.acm import issued_certificate

#: "shared among up to 25 ECS services" (AWS News Blog, Express Mode announcement).
SERVICES_PER_LOAD_BALANCER = 25
#: The listener's TLS policy: the console's default for new HTTPS listeners (ELB User Guide,
#: "Security policies for your Application Load Balancer"); Express's own is not documented.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_NOT_FOUND = (LoadBalancerNotFoundError, ListenerNotFoundError, TargetGroupNotFoundError)


@dataclass(frozen=True)
class GatewayNetwork:
    """The shared ALB of one network, as ELBv2, EC2 and ACM hold it."""

    load_balancer_arn: str
    listener_arn: str
    security_group_id: str
    certificate_arn: str
    vpc_id: str
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class ServiceNetwork:
    """One service's target group, listener rule, certificate and task security group."""

    target_group_arn: str
    rule_arn: str
    certificate_arn: str
    security_group_id: str


def create_gateway(
    account: str, region: str, subnets: Sequence[str], *, internet_facing: bool
) -> GatewayNetwork:
    """Create a network's ALB, its security group, HTTPS listener and default certificate.

    With no subnets, Express uses the default VPC's (API Reference,
    ExpressGatewayServiceNetworkConfiguration): its default subnets.
    """
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    found = [ec2.get_subnet(subnet) for subnet in subnets]
    if not found:
        found = sorted(ec2.get_default_subnets().values(), key=lambda s: s.availability_zone)
    vpc_id = found[0].vpc_id
    name = f"ecs-express-gateway-alb-{secrets.token_hex(4)}"
    group = ec2.create_security_group(
        name, "ECS Express Mode load balancer: HTTPS from its clients", vpc_id=vpc_id
    )
    source = "0.0.0.0/0" if internet_facing else ec2.get_vpc(vpc_id).cidr_block
    ec2.authorize_security_group_ingress(
        group.id, "tcp", "443", "443", [{"CidrIp": source}], vpc_id=vpc_id
    )
    balancer = elbv2.create_load_balancer(
        name,
        [group.id],
        [subnet.id for subnet in found],
        scheme="internet-facing" if internet_facing else "internal",
        loadbalancer_type="application",
    )
    certificate = issued_certificate(account, region, [f"*.ecs.{region}.on.aws"])
    listener = elbv2.create_listener(
        balancer.arn,
        "HTTPS",
        443,  # type: ignore[arg-type]  (moto keeps the port as the API gives it: an int)
        SSL_POLICY,
        certificate,
        [
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )
    return GatewayNetwork(
        balancer.arn, listener.arn, group.id, certificate, vpc_id, tuple(s.id for s in found)
    )


def create_service(
    gateway: GatewayNetwork,
    account: str,
    region: str,
    *,
    service: str,
    endpoint: str,
    port: int,
    health_check_path: str,
) -> ServiceNetwork:
    """Create one service's target group, certificate, host rule and task security group."""
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    group = elbv2.create_target_group(
        f"ecs-gateway-tg-{secrets.token_hex(9)[:17]}",
        vpc_id=gateway.vpc_id,
        protocol="HTTP",
        port=port,
        healthcheck_protocol="HTTP",
        healthcheck_path=health_check_path,
        target_type="ip",
    )
    certificate = issued_certificate(account, region, [endpoint])
    elbv2.add_listener_certificates(gateway.listener_arn, [{"CertificateArn": certificate}])
    listener = elbv2.describe_listeners(None, [gateway.listener_arn])[0]
    taken = {str(rule.priority) for rule in listener.rules.values()}
    priority = next(str(n) for n in range(1, 50001) if str(n) not in taken)
    rule = elbv2.create_rule(
        gateway.listener_arn,
        [{"Field": "host-header", "HostHeaderConfig": {"Values": [endpoint]}}],
        priority,  # type: ignore[arg-type]  (moto keeps the priority as the API gives it)
        [{"Type": "forward", "TargetGroupArn": group.arn}],
    )
    tasks = ec2.create_security_group(
        f"ecs-express-{service}-{secrets.token_hex(4)}",
        f"ECS Express Mode tasks of {service}: the container port from its load balancer",
        vpc_id=gateway.vpc_id,
    )
    ec2.authorize_security_group_ingress(
        tasks.id,
        "tcp",
        str(port),
        str(port),
        [],
        source_groups=[{"GroupId": gateway.security_group_id}],
        vpc_id=gateway.vpc_id,
    )
    return ServiceNetwork(group.arn, rule.arn, certificate, tasks.id)


def update_health_check(account: str, region: str, target_group_arn: str, path: str) -> None:
    """A new revision's health check path, on the service's target group."""
    elbv2_backends[account][region].modify_target_group(target_group_arn, health_check_path=path)


def register_task(
    account: str, region: str, gateway: GatewayNetwork, target_group_arn: str, port: int
) -> str:
    """Register a new task with the target group in place of the old ones; return its IP.

    The task's IP is an address of its subnet, past the four AWS reserves at the start of
    every subnet (VPC User Guide, "Subnet CIDR reservations").
    """
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    deregister_tasks(account, region, target_group_arn)
    network = ipaddress.ip_network(ec2.get_subnet(gateway.subnets[0]).cidr_block)
    address = str(network[random.randrange(4, network.num_addresses - 1)])
    elbv2.register_targets(target_group_arn, [{"Id": address, "Port": port}])
    return address


def deregister_tasks(account: str, region: str, target_group_arn: str) -> None:
    """The service's tasks stopped: ECS deregisters them from its target group."""
    elbv2 = elbv2_backends[account][region]
    group = elbv2.target_groups.get(target_group_arn)
    if group is not None and group.targets:
        elbv2.deregister_targets(target_group_arn, list(group.targets.values()))


def delete_service(
    account: str, region: str, gateway: GatewayNetwork, network: ServiceNetwork
) -> None:
    """Remove what a drained service had: its rule, target group, certificate and group."""
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    elbv2.delete_rule(network.rule_arn)
    try:
        elbv2.remove_listener_certificates(
            gateway.listener_arn, [{"CertificateArn": network.certificate_arn}]
        )
    except _NOT_FOUND:
        pass  # the listener is already gone (someone deleted it outside Express): nothing to do
    if network.target_group_arn in elbv2.target_groups:
        elbv2.delete_target_group(network.target_group_arn)
    acm_backends[account][region]._certificates.pop(network.certificate_arn, None)
    if ec2.get_security_group_from_id(network.security_group_id) is not None:
        ec2.delete_security_group(group_id=network.security_group_id)


def delete_gateway(account: str, region: str, gateway: GatewayNetwork) -> None:
    """Remove a network's ALB once no service uses it: listener, ALB, group, certificate."""
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    elbv2.delete_load_balancer(gateway.load_balancer_arn)  # its listeners go with it
    acm_backends[account][region]._certificates.pop(gateway.certificate_arn, None)
    if ec2.get_security_group_from_id(gateway.security_group_id) is not None:
        ec2.delete_security_group(group_id=gateway.security_group_id)
