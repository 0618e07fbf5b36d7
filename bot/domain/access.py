"""What the app may reach and how the tasks keep that access (pure).

The instance reaches its data two ways: with its instance profile's role (DynamoDB tables, S3
buckets…) and over the network (a database whose security group admits the instance's). Both
must keep working from the tasks:

- **The task role** is a new role, ``migrate-bot-task-<migration id>`` under the path
  ``/migrate-bot/``, trusted by ``ecs-tasks.amazonaws.com``, carrying the instance role's
  policies (inline ones copied as they were when the plan was made, managed ones attached by
  ARN) except the agents' policies a task has no use for, and created with the stack's
  permissions boundary, so whatever the bot copies it never grants more than that boundary
  (README, "Why a new task role").
- **The network**: the tasks join the instance's security groups, so every group that admits
  the instance's admits the tasks; one more group the bot creates admits the Express load
  balancer on the container port.

``data_reached`` lists the data the approver should know about: tables and buckets the role's
policies name, those the environment names, and the security groups that admit the
instance's (databases, caches) with the network interfaces that use them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field

#: Path and name prefix of every role the bot creates; its deploy role may create, change and
#: pass only roles under this path (template.yaml, DeployRole) and only with the boundary.
TASK_ROLE_PATH = "/migrate-bot/"
TASK_ROLE_PREFIX = "migrate-bot-task-"

#: The managed policies of agents that run on an instance and not in a task: the SSM agent's
#: (AWS, "Configure instance permissions required for Systems Manager") and the CloudWatch
#: agent's (CloudWatch User Guide, "Create IAM roles and users for use with the CloudWatch
#: agent"). A task's logs go through the execution role, and SSM does not manage tasks.
AGENT_POLICIES = frozenset(
    {
        "AmazonSSMManagedInstanceCore",
        "AmazonEC2RoleforSSM",
        "AmazonSSMManagedEC2InstanceDefaultPolicy",
        "CloudWatchAgentServerPolicy",
        "CloudWatchAgentAdminPolicy",
    }
)

#: The services a task role's permissions may reach: template.yaml's TaskRoleBoundary allows
#: these prefixes (and denies IAM, STS role chaining and Organizations); a test keeps the two
#: in step. An action of another service in the instance role's policies is cut by the
#: boundary, and the plan says so.
BOUNDARY_SERVICES = frozenset(
    {
        "dynamodb",
        "s3",
        "sqs",
        "sns",
        "kinesis",
        "firehose",
        "secretsmanager",
        "ssm",
        "kms",
        "logs",
        "cloudwatch",
        "xray",
        "ses",
        "events",
        "states",
        "lambda",
        "rds-db",
        "execute-api",
        "elasticache",
        "es",
        "bedrock",
    }
)

_TABLE_ARN = re.compile(r"^arn:[\w-]+:dynamodb:[^:]*:[^:]*:table/([^/]+)")
_BUCKET_ARN = re.compile(r"^arn:[\w-]+:s3:::([^/]+)")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")


class RolePolicy(BaseModel):
    """One policy of the instance role: inline (no ARN) or managed (its default version)."""

    name: str
    arn: str | None = Field(default=None, description="A managed policy's ARN; None if inline.")
    document: dict[str, Any] = Field(default_factory=dict, description="The policy document.")


class InstanceRole(BaseModel):
    """The role of the instance's profile and its policies, as discovery read them."""

    role_name: str
    role_arn: str
    policies: list[RolePolicy] = Field(default_factory=list)


class NetworkPath(BaseModel):
    """A security group that admits the instance's, on some ports."""

    security_group_id: str
    group_name: str = ""
    admits: list[str] = Field(description="The instance's groups it admits.")
    ports: list[str] = Field(description="What it admits them on: '5432/tcp', 'all traffic'.")
    used_by: list[str] = Field(
        default_factory=list,
        description="The network interfaces in the group, as AWS describes them.",
    )


class AccessFacts(BaseModel):
    """What discovery read about the instance's access: its role and its network paths."""

    role: InstanceRole | None = None
    network_paths: list[NetworkPath] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="What could not be read, and why.")


class TaskRolePlan(BaseModel):
    """The task role the deployment creates: what it copies from the instance role."""

    source_role: str = Field(description="The instance role's name.")
    inline: dict[str, str] = Field(
        default_factory=dict, description="Inline policy name → its document (JSON) to copy."
    )
    managed: list[str] = Field(default_factory=list, description="Managed policy ARNs to attach.")
    left_out: list[str] = Field(
        default_factory=list, description="Agent policies not carried over."
    )


class DataStore(BaseModel):
    """Something the app reaches, and how the plan knows."""

    kind: str = Field(description="DynamoDB table, S3 bucket or security group.")
    name: str
    via: list[str] = Field(description="Where it was read: a policy, a variable, a rule.")


def role_name(migration_id: str) -> str:
    """The task role's name (at most 64 characters: ids are ``mig-`` and 8 hex digits)."""
    return f"{TASK_ROLE_PREFIX}{migration_id}"


def trust_policy() -> dict[str, Any]:
    """The task role's trust policy (ECS Developer Guide, "Amazon ECS task IAM role")."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def task_role_plan(role: InstanceRole) -> TaskRolePlan:
    """What the task role copies from the instance role."""
    inline: dict[str, str] = {}
    managed: list[str] = []
    left_out: list[str] = []
    for policy in role.policies:
        if policy.arn is None:
            inline[policy.name] = json.dumps(policy.document, sort_keys=True)
        elif policy.name in AGENT_POLICIES:
            left_out.append(policy.name)
        else:
            managed.append(policy.arn)
    return TaskRolePlan(
        source_role=role.role_name, inline=inline, managed=managed, left_out=sorted(left_out)
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _allow_statements(document: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for statement in _as_list(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield statement


def _services(actions: Iterable[Any]) -> set[str]:
    return {str(a).split(":", 1)[0].lower() for a in actions if ":" in str(a)} | (
        {"*"} if "*" in actions else set()
    )


def beyond_boundary(role: InstanceRole) -> dict[str, list[str]]:
    """Policy name → the services its Allow statements name that the boundary cuts."""
    out: dict[str, list[str]] = {}
    for policy in role.policies:
        if policy.name in AGENT_POLICIES:
            continue
        cut: set[str] = set()
        for statement in _allow_statements(policy.document):
            if "NotAction" in statement:
                cut.add("NotAction (everything but some actions)")
            cut |= _services(_as_list(statement.get("Action"))) - BOUNDARY_SERVICES
        if cut:
            out[policy.name] = sorted(cut)
    return out


def _add(found: dict[tuple[str, str], list[str]], kind: str, name: str, via: str) -> None:
    entry = found.setdefault((kind, name), [])
    if via not in entry:
        entry.append(via)


def _from_policies(role: InstanceRole, found: dict[tuple[str, str], list[str]]) -> None:
    for policy in role.policies:
        if policy.name in AGENT_POLICIES:
            continue
        where = f"policy {policy.name}"
        for statement in _allow_statements(policy.document):
            services = _services(_as_list(statement.get("Action")))
            for resource in (str(r) for r in _as_list(statement.get("Resource"))):
                if table := _TABLE_ARN.match(resource):
                    _add(found, "DynamoDB table", table.group(1), where)
                elif bucket := _BUCKET_ARN.match(resource):
                    if bucket.group(1) != "*":
                        _add(found, "S3 bucket", bucket.group(1), where)
                elif resource == "*":
                    if services & {"dynamodb", "*"}:
                        _add(found, "DynamoDB table", "every table", where)
                    if services & {"s3", "*"}:
                        _add(found, "S3 bucket", "every bucket", where)


def _from_environment(
    environment: Mapping[str, str], found: dict[tuple[str, str], list[str]]
) -> None:
    for name, value in sorted(environment.items()):
        where = f"variable {name}"
        upper = name.upper()
        if table := _TABLE_ARN.match(value):
            _add(found, "DynamoDB table", table.group(1), where)
        elif bucket := _BUCKET_ARN.match(value):
            _add(found, "S3 bucket", bucket.group(1), where)
        elif value.startswith("s3://"):
            _add(found, "S3 bucket", value[5:].split("/", 1)[0], where)
        elif "TABLE" in upper and _TABLE_NAME.match(value):
            _add(found, "DynamoDB table", value, where)
        elif "BUCKET" in upper and _BUCKET_NAME.match(value):
            _add(found, "S3 bucket", value, where)


def data_reached(
    role: InstanceRole | None,
    environment: Mapping[str, str],
    paths: Iterable[NetworkPath],
) -> list[DataStore]:
    """The data the app reaches: tables and buckets (policies, environment), network paths."""
    found: dict[tuple[str, str], list[str]] = {}
    if role is not None:
        _from_policies(role, found)
    _from_environment(environment, found)
    stores = [DataStore(kind=k, name=n, via=via) for (k, n), via in found.items()]
    for path in paths:
        label = f'{path.security_group_id} "{path.group_name}"' if path.group_name else ""
        used = f"; used by {', '.join(path.used_by)}" if path.used_by else "; no interface uses it"
        stores.append(
            DataStore(
                kind="security group",
                name=label or path.security_group_id,
                via=[f"admits {', '.join(path.admits)} on {', '.join(path.ports)}{used}"],
            )
        )
    return sorted(stores, key=lambda s: (s.kind, s.name))


def merge(stores: Iterable[DataStore], environment: Mapping[str, str]) -> list[DataStore]:
    """``stores`` with what ``environment`` names added (a captured environment, later)."""
    found: dict[tuple[str, str], list[str]] = {}
    for store in stores:
        for via in store.via:
            _add(found, store.kind, store.name, via)
    _from_environment(environment, found)
    return sorted(
        (DataStore(kind=k, name=n, via=via) for (k, n), via in found.items()),
        key=lambda s: (s.kind, s.name),
    )


def port_range(permission: Mapping[str, Any]) -> str:
    """An EC2 IpPermission's protocol and ports as a person reads them."""
    protocol = str(permission.get("IpProtocol", "-1"))
    if protocol == "-1":
        return "all traffic"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    ports = f"{low}" if low == high else f"{low}-{high}"
    return f"{ports}/{protocol}"
