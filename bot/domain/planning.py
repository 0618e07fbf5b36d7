"""Turning discovered facts into a migration plan (pure)."""

from __future__ import annotations

import re
import shlex

from bot.domain.facts import DnsRecordFacts, InstanceFacts, LoadBalancingFacts
from bot.domain.plan import Plan
from bot.domain.sizing import fargate_size

# (runtime, pattern over user data) in order of precedence; first match wins.
_RUNTIME_HINTS: list[tuple[str, re.Pattern[str]]] = [
    ("node", re.compile(r"\b(node|npm|pm2|nodejs)\b")),
    ("python", re.compile(r"\b(python3?|gunicorn|uvicorn|pip3?)\b")),
    ("java", re.compile(r"\b(java|\.jar|corretto)\b")),
    ("go", re.compile(r"\bgo (run|build)\b|golang")),
    ("ruby", re.compile(r"\b(ruby|bundle|puma|rails)\b")),
    ("php", re.compile(r"\b(php|php-fpm)\b")),
    ("static", re.compile(r"\b(nginx|httpd|apache2)\b")),
]
_NODE_START = re.compile(r"^\s*(?:exec\s+|nohup\s+)?(node\s+\S+\.m?js|npm\s+(?:run\s+)?start)\b")
_PORT = re.compile(r"\bPORT=(\d{2,5})\b")


def detect_runtime(user_data: str) -> str:
    """Return the runtime the user data suggests, or ``unknown``."""
    for runtime, pattern in _RUNTIME_HINTS:
        if pattern.search(user_data):
            return runtime
    return "unknown"


def detect_start_command(user_data: str, runtime: str) -> list[str]:
    """Return the command that starts the app, from the user data where it is visible."""
    if runtime == "node":
        for line in user_data.splitlines():
            match = _NODE_START.match(line)
            if match:
                return shlex.split(match.group(1))
        return ["npm", "start"]
    return []


def detect_port(user_data: str) -> int | None:
    """Return the port the user data sets with ``PORT=...``, if any."""
    match = _PORT.search(user_data)
    return int(match.group(1)) if match else None


def make_plan(
    instance: InstanceFacts,
    load_balancing: LoadBalancingFacts | None,
    dns: DnsRecordFacts | None,
) -> Plan:
    """Propose a plan for moving ``instance`` (and what routes to it) to Express Mode."""
    warnings: list[str] = []
    runtime = detect_runtime(instance.user_data)
    port = load_balancing.port if load_balancing else (detect_port(instance.user_data) or 80)
    cpu, memory = fargate_size(instance.instance_type)
    if instance.architecture != "x86_64":
        warnings.append(
            f"The instance is {instance.architecture}; Express Mode runs x86_64 only, "
            "so the image is built for linux/amd64 — check native dependencies."
        )
    if load_balancing is None:
        warnings.append("No load balancer sends traffic to this instance; cutover needs one.")
    elif dns is None:
        warnings.append("No Route 53 record points at the load balancer; cutover needs one.")
    if runtime == "unknown":
        warnings.append("Could not tell the runtime from user data; edit the plan.")
    subnets = (load_balancing.subnet_ids if load_balancing else []) or [instance.subnet_id]
    return Plan(
        instance_id=instance.instance_id,
        instance_type=instance.instance_type,
        architecture=instance.architecture,
        name=instance.name or instance.instance_id,
        vpc_id=instance.vpc_id,
        subnet_ids=subnets,
        security_group_ids=instance.security_group_ids,
        port=port,
        health_check_path=load_balancing.health_check_path if load_balancing else "/",
        target_group_arn=load_balancing.target_group_arn if load_balancing else None,
        load_balancer_arn=load_balancing.load_balancer_arn if load_balancing else None,
        load_balancer_dns=load_balancing.load_balancer_dns if load_balancing else None,
        load_balancer_zone_id=load_balancing.load_balancer_zone_id if load_balancing else None,
        listener_arn=load_balancing.listener_arn if load_balancing else None,
        hosted_zone_id=dns.hosted_zone_id if dns else None,
        record_name=dns.record_name if dns else None,
        cpu=cpu,
        memory=memory,
        runtime=runtime,
        start_command=detect_start_command(instance.user_data, runtime),
        instance_profile_arn=instance.instance_profile_arn,
        warnings=warnings,
    )
