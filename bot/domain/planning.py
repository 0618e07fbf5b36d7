"""Turning discovered facts into a migration plan (pure)."""

from __future__ import annotations

import re

from bot.domain.access import AccessFacts, beyond_boundary, data_reached, task_role_plan
from bot.domain.architecture import UnsupportedArchitectureError, target_for
from bot.domain.facts import DnsRecordFacts, InstanceFacts, LoadBalancingFacts
from bot.domain.placement import choose_subnets
from bot.domain.plan import Plan
from bot.domain.sizing import TaskSize, express_size

_PORT = re.compile(r"\bPORT=(\d{2,5})\b")


def detect_port(user_data: str) -> int | None:
    """Return the port the user data sets with ``PORT=...``, if any."""
    match = _PORT.search(user_data)
    return int(match.group(1)) if match else None


def describe_architecture(architecture: str) -> tuple[str, str | None]:
    """Return (Express cpuArchitecture, the plan's sentence) for an EC2 architecture.

    The sentence is ``None`` when Fargate has no counterpart (i386, Mac instances).
    """
    try:
        target = target_for(architecture)
    except UnsupportedArchitectureError:
        return "X86_64", None
    return target.cpu_architecture, (
        f"{target.label}: the image is built for {target.platform} "
        f"and tasks run on {target.cpu_architecture}"
    )


def _mib(value: int) -> str:
    return f"{value // 1024} GiB" if value % 1024 == 0 else f"{value} MiB"


def _capped_warning(instance_type: str, size: TaskSize) -> str:
    return (
        f"{instance_type} has {size.instance_vcpus} vCPU and {_mib(size.instance_memory)}; "
        f"Express Mode accepts at most {size.cpu // 1024} vCPU and {_mib(size.memory)} per task, "
        f"so each task gets {size.cpu // 1024} vCPU / {_mib(size.memory)}. Check the app's "
        "memory use; scaling out adds tasks, not memory."
    )


def _access_warnings(instance: InstanceFacts, access: AccessFacts) -> list[str]:
    warnings = list(access.notes)
    if not instance.instance_profile_arn:
        warnings.append(
            "The instance has no instance profile, so the tasks get no task role: an app that "
            "calls AWS with the instance's credentials will be refused."
        )
    elif access.role is None and not access.notes:
        warnings.append("The instance profile holds no role, so the tasks get no task role.")
    if access.role is not None:
        for policy, services in beyond_boundary(access.role).items():
            warnings.append(
                f"The instance role's policy {policy} allows {', '.join(services)}, which the "
                "task role's permissions boundary does not: the tasks will not have it."
            )
    return warnings


def make_plan(
    instance: InstanceFacts,
    load_balancing: LoadBalancingFacts | None,
    dns: DnsRecordFacts | None,
    access: AccessFacts | None = None,
) -> Plan:
    """Propose a plan for moving ``instance`` (and what routes to it) to Express Mode."""
    warnings: list[str] = []
    port = load_balancing.port if load_balancing else (detect_port(instance.user_data) or 80)
    size = express_size(instance.instance_type)
    if size.capped:
        warnings.append(_capped_warning(instance.instance_type, size))
    cpu_architecture, runs_on = describe_architecture(instance.architecture)
    if runs_on is None:
        warnings.append(
            f"The instance is {instance.architecture}; Fargate runs x86_64 and arm64 Linux only. "
            "Build an image yourself and use --image."
        )
    if load_balancing is None:
        warnings.append(
            "No load balancer was found sending traffic to this instance (discovery follows its "
            "security groups' rules to the load balancers they admit, else looks through a "
            "bounded number of the VPC's target groups); cutover needs one."
        )
    else:
        warnings.extend(load_balancing.notes)
        if dns is None:
            warnings.append("No Route 53 record points at the load balancer; cutover needs one.")
    placement = choose_subnets(instance, load_balancing)
    warnings.extend(placement.warnings)
    if access is not None:  # None: not read (a caller that plans only the network)
        warnings.extend(_access_warnings(instance, access))
    else:
        access = AccessFacts()
    return Plan(
        instance_id=instance.instance_id,
        instance_type=instance.instance_type,
        architecture=instance.architecture,
        cpu_architecture=cpu_architecture,
        runs_on=runs_on,
        name=instance.name or instance.instance_id,
        vpc_id=instance.vpc_id,
        subnet_ids=placement.subnet_ids,
        placement=placement.description,
        security_group_ids=instance.security_group_ids,
        port=port,
        health_check_path=load_balancing.health_check_path if load_balancing else "/",
        target_group_arn=load_balancing.target_group_arn if load_balancing else None,
        load_balancer_arn=load_balancing.load_balancer_arn if load_balancing else None,
        load_balancer_dns=load_balancing.load_balancer_dns if load_balancing else None,
        load_balancer_zone_id=load_balancing.load_balancer_zone_id if load_balancing else None,
        load_balancer_scheme=(load_balancing.scheme if load_balancing else None)
        or placement.scheme,
        express_scheme=placement.scheme,
        listener_arn=load_balancing.listener_arn if load_balancing else None,
        listener_rule_arn=load_balancing.rule_arn if load_balancing else None,
        host_names=load_balancing.host_names if load_balancing else [],
        hosted_zone_id=dns.hosted_zone_id if dns else None,
        record_name=dns.record_name if dns else None,
        cpu=str(size.cpu),
        memory=str(size.memory),
        runtime="unknown",  # read from the captured files (app_plan), never from user data
        start_command=[],
        instance_profile_arn=instance.instance_profile_arn,
        task_role=task_role_plan(access.role) if access.role else None,
        data=data_reached(access.role, {}, access.network_paths),
        warnings=warnings,
    )
