"""What ECS Express Mode refuses, and the visibility its subnets give: the stand-in's checks.

``sandbox.express`` calls these before it creates or changes a service; each rule names the
AWS documentation (or the botocore model) it follows.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.ecs.exceptions import InvalidParameterException


def access_type(account: str, region: str, subnets: list[str]) -> str:
    """PUBLIC when every subnet routes to an internet gateway, else PRIVATE.

    How the subnets decide an Express service's load balancer scheme: public subnets give
    an internet-facing ALB (``accessType`` PUBLIC), private subnets an internal one
    (PRIVATE); with no subnets, Express uses the default VPC's, which are public. AWS's
    Express pages say only that the network configuration defaults to the default VPC
    (API Reference, ExpressGatewayServiceNetworkConfiguration); the subnet rule is reported
    by dev.classmethod.jp ("ECS Express Mode ALB creation timing") and is a known limit in the
    README. A subnet is public when its route table (its explicit association, else the
    VPC's main table) routes to an ``igw-`` (VPC User Guide, "Subnet types").
    """
    if not subnets:
        return "PUBLIC"
    ec2 = ec2_backends[account][region]
    tables = list(ec2.route_tables.values())

    def public(subnet_id: str) -> bool:
        subnet = _subnet(account, region, subnet_id)
        explicit = [t for t in tables if subnet_id in t._associations.values()]
        main = [t for t in tables if t.vpc_id == subnet.vpc_id and t.main_association_id]
        table = (explicit or main or [None])[0]
        return table is not None and any(
            route.gateway is not None and str(route.gateway.id).startswith("igw-")
            for route in table.routes
        )

    return "PUBLIC" if all(public(s) for s in subnets) else "PRIVATE"


def _subnet(account: str, region: str, subnet_id: str) -> Any:
    """The moto subnet of an id; ECS refuses a network configuration naming an unknown one."""
    try:
        return ec2_backends[account][region].get_subnet(subnet_id)
    except InvalidSubnetIdError:
        raise InvalidParameterException(
            f"Error retrieving subnet information for [{subnet_id}]: "
            f"The subnet ID '{subnet_id}' does not exist"
        ) from None


# Fargate's valid Linux task sizes, cpu units -> memory MiB: the "Task CPU and memory" table of
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
# (also task-cpu-memory-error.html).
_FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
# Express's own range, which AWS's ECS pages do not state. The Terraform AWS provider's
# aws_ecs_express_gateway_service reference does: "cpu ... Valid values are powers of 2 between
# 256 and 4096", "memory ... Valid values are between 512 and 8192" (MiB),
# https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_express_gateway_service
_EXPRESS_CPU, _EXPRESS_MEMORY = (256, 4096), (512, 8192)


def check_request(
    account: str,
    region: str,
    operation: str,
    params: dict[str, Any],
    previous: dict[str, Any],
    defaults: dict[str, str],
) -> None:
    """Refuse, as ``InvalidParameterException``, the sizes, architectures and subnets Express does.

    Each member is checked as the request leaves it (a member the request omits keeps
    ``previous`` or the documented ``defaults``), so Update checks what it changes:

    - cpu/memory (integers: cpu units and MiB, as the botocore model describes them; the
      "1 vCPU"/"2 GB" forms RegisterTaskDefinition also takes are not documented for Express
      and are refused) must be a Fargate task size (``_FARGATE_SIZES``) inside Express's range
      (``_EXPRESS_CPU``/``_EXPRESS_MEMORY``). The wording is RegisterTaskDefinition's Fargate
      refusal ("No Fargate configuration exists for given values", task-cpu-memory-error.html)
      with the values added.
    - cpuArchitecture must be in the operation's botocore enum (``ExpressCpuArchitecture``:
      X86_64, ARM64), which botocore does not check client-side. The wording is AWS's
      model-validation message.
    - subnets must exist and span at least two Availability Zones: Express creates an
      Application Load Balancer, which needs subnets in two or more zones (ELB User Guide,
      "Subnets for your load balancer"; ELB API Reference and botocore's elbv2 model,
      CreateLoadBalancer ``Subnets``). Whether Express refuses this at create time or accepts
      it and fails the deployment later is not documented; the stand-in refuses at create time
      with ELB's wording. No subnets at all means the default VPC, which is accepted.
    """
    merged = {**defaults, **previous, **{k: v for k, v in params.items() if v is not None}}
    cpu, memory = str(merged["cpu"]), str(merged["memory"])
    if not _express_size(cpu, memory):
        raise InvalidParameterException(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )
    architecture = params.get("cpuArchitecture")
    allowed = _enum(operation, "cpuArchitecture")
    if architecture is not None and architecture not in allowed:
        raise InvalidParameterException(
            f"1 validation error detected: Value '{architecture}' at 'cpuArchitecture' failed "
            f"to satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    subnets = list((params.get("networkConfiguration") or {}).get("subnets") or ())
    zones = {_subnet(account, region, s).availability_zone for s in subnets}
    if subnets and len(zones) < 2:
        raise InvalidParameterException(
            "At least two subnets in two different Availability Zones must be specified"
        )


def _express_size(cpu: str, memory: str) -> bool:
    """Whether (cpu units, memory MiB) is a Fargate task size within Express's range."""
    if not (re.fullmatch("[0-9]+", cpu) and re.fullmatch("[0-9]+", memory)):
        return False
    units, mib = int(cpu), int(memory)
    return (
        _EXPRESS_CPU[0] <= units <= _EXPRESS_CPU[1]
        and _EXPRESS_MEMORY[0] <= mib <= _EXPRESS_MEMORY[1]
        and mib in _FARGATE_SIZES.get(units, ())
    )


@functools.cache
def _enum(operation: str, member: str) -> tuple[str, ...]:
    """The enum of one request member, read from botocore's ECS model."""
    model = botocore.session.get_session().get_service_model("ecs")
    return tuple(model.operation_model(operation).input_shape.members[member].enum)
