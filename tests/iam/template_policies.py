"""Each function's role in ``template.yaml``, resolved to the names the sandbox uses.

Intrinsic functions are resolved as the sandbox provisions the stack
(``sandbox/cloud.py``): tables are named by logical id, the bucket
``migrate-bot-<logical id>-<account>``, roles ``migrate-bot-<logical id>``, queues by
logical id, schedule groups ``migrate-bot-<logical id in lower case>``; parameters take
their defaults; pseudo parameters are moto's account and the sandbox's region. Resources
the sandbox does not create (log groups, the secret) get wildcard-free placeholders, used
the same way wherever they appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sandbox.template import Template

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
PARTITION = "aws"
STACK = "migrate-bot"
_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::StackName": STACK,
    "AWS::URLSuffix": "amazonaws.com",
}
_SUB = re.compile(r"\$\{([^}]+)\}")


class TemplateResolutionError(ValueError):
    """A template value the resolver does not understand."""


@dataclass(frozen=True)
class Statement:
    """One resolved policy statement, with where it comes from."""

    source: str  # "BuildRole" or "StateAccessPolicy"
    sid: str
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, dict[str, tuple[str, ...]]]


class Resolver:
    """Resolves ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and ``Fn::Join`` to strings."""

    def __init__(self, template: Template) -> None:
        self.template = template

    def value(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its value."""
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            return self.ref(node["Ref"])
        if "Fn::GetAtt" in node:
            return self.get_att(*node["Fn::GetAtt"])
        if "Fn::Sub" in node:
            return self.sub(node["Fn::Sub"])
        if "Fn::Join" in node:
            separator, parts = node["Fn::Join"]
            return separator.join(str(self.value(p)) for p in parts)
        return {k: self.value(v) for k, v in node.items()}

    def ref(self, name: str) -> str:
        """What ``!Ref name`` returns."""
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name in self.template.parameters:
            return str(self.template.parameter_default(name))
        kind, props = self._resource(name)
        if kind == "AWS::DynamoDB::Table":
            return name
        if kind == "AWS::S3::Bucket":
            return f"migrate-bot-{name.lower()}-{ACCOUNT}"
        if kind == "AWS::Events::EventBus":
            return str(self.value(props["Name"]))
        if kind == "AWS::Logs::LogGroup":
            return str(self.value(props["LogGroupName"]))
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        if kind == "AWS::IAM::ManagedPolicy":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{STACK}-{name}"
        if kind == "AWS::Scheduler::ScheduleGroup":
            return f"{STACK}-{name.lower()}"
        return f"{STACK}-{name}"

    def get_att(self, name: str, attribute: str) -> str:
        """What ``!GetAtt name.attribute`` returns."""
        kind, _ = self._resource(name)
        arns = {
            "AWS::DynamoDB::Table": f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/",
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::",
            "AWS::Events::EventBus": f"arn:{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:",
            "AWS::Logs::LogGroup": f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:",
        }
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/migrate-bot-{name}"
        if attribute == "Arn" and kind == "AWS::SQS::Queue":
            return arns[kind] + name
        if attribute == "Arn" and kind in arns:
            return arns[kind] + self.ref(name)
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return name
        raise TemplateResolutionError(f"cannot resolve !GetAtt {name}.{attribute}")

    def sub(self, spec: Any) -> str:
        """What ``!Sub`` returns (with or without a variables map)."""
        text, variables = (spec, {}) if isinstance(spec, str) else (spec[0], spec[1])

        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(self.value(variables[key]))
            if "." in key and not key.startswith("AWS::"):
                return self.get_att(*key.split(".", 1))
            return self.ref(key)

        return _SUB.sub(replace, text)

    def _resource(self, name: str) -> tuple[str, dict[str, Any]]:
        try:
            resource = self.template.resources[name]
        except KeyError:
            raise TemplateResolutionError(f"no resource or parameter {name}") from None
        return str(resource["Type"]), resource.get("Properties", {})


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _statements(source: str, document: dict[str, Any], resolver: Resolver) -> list[Statement]:
    out = []
    for raw in resolver.value(document.get("Statement", [])):
        if "NotAction" in raw or "NotResource" in raw:
            raise TemplateResolutionError(f"{source}: NotAction/NotResource are not modelled")
        out.append(
            Statement(
                source=source,
                sid=str(raw.get("Sid", "")),
                effect=str(raw["Effect"]),
                actions=_as_tuple(raw["Action"]),
                resources=_as_tuple(raw.get("Resource", "*")),
                condition={
                    op: {key: _as_tuple(v) for key, v in pairs.items()}
                    for op, pairs in raw.get("Condition", {}).items()
                },
            )
        )
    return out


def role_of(template: Template, function: str) -> str:
    """The logical id of the role a function runs as (``Role: !GetAtt X.Arn``)."""
    role = template.resources[function]["Properties"].get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        raise TemplateResolutionError(f"{function} has no Role: !GetAtt <Role>.Arn")
    return str(role["Fn::GetAtt"][0])


def role_statements(template: Template, role: str) -> list[Statement]:
    """Every statement of a role: its inline policies and the template's managed policies."""
    resolver = Resolver(template)
    props = template.resources[role]["Properties"]
    statements: list[Statement] = []
    for policy in props.get("Policies", []):
        statements += _statements(role, policy["PolicyDocument"], resolver)
    for managed in props.get("ManagedPolicyArns", []):
        if isinstance(managed, dict) and "Ref" in managed:
            name = managed["Ref"]
            document = template.resources[name]["Properties"]["PolicyDocument"]
            statements += _statements(name, document, resolver)
        # An AWS managed policy (arn:aws:iam::aws:policy/...) is not modelled: none of the
        # functions' roles uses one, and the check would then report the calls it covers.
    return statements


def function_statements(template: Template) -> dict[str, list[Statement]]:
    """Each function's statements, by function logical id."""
    return {
        f.logical_id: role_statements(template, role_of(template, f.logical_id))
        for f in template.functions()
    }
