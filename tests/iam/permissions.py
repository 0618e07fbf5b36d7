"""What IAM authorises for one AWS call: the action, its dependent actions, the resources.

The default is ``<prefix>:<OperationName>`` on the resource the request names. The tables
below hold only the exceptions, each from the page cited beside it. "SAR" is AWS's
Service Authorization Reference ("Actions, resources, and condition keys for …", column
"Dependent actions"; read here from its machine-readable copy in iann0036/iam-dataset,
aws/iam_definition.json, which mirrors those pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.domain.access import TASK_ROLE_PATH, TASK_ROLE_PREFIX
from tests.iam.recording import Call
from tests.iam.template_policies import ACCOUNT, PARTITION, REGION

#: botocore service name → IAM service prefix, where they differ.
#: SAR, "Actions, resources, and condition keys for Elastic Load Balancing V2" (prefix
#: elasticloadbalancing).
PREFIXES = {"elbv2": "elasticloadbalancing"}

#: Calls that need no permission. STS API Reference, GetCallerIdentity: "No permissions
#: are required to perform this operation."
NO_PERMISSION = {("sts", "GetCallerIdentity")}

#: TransactWriteItems has no action of its own: "Permissions for Put, Update, Delete, and
#: Get actions are governed by the permissions used for the underlying PutItem,
#: UpdateItem, DeleteItem, and GetItem operations. For the ConditionCheck action, you can
#: use the dynamodb:ConditionCheckItem permission" (DynamoDB Developer Guide, "Using IAM
#: with DynamoDB transactions").
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}

#: iam:PassRole's iam:PassedToService for each role a request passes: the service
#: principal the role's trust policy names (template.yaml: CodeBuildServiceRole trusts
#: codebuild.amazonaws.com, EcsTaskExecutionRole ecs-tasks.amazonaws.com,
#: EcsInfrastructureRole ecs.amazonaws.com; a task role is assumed by ecs-tasks).
PASSED_ROLES: dict[tuple[str, str], dict[str, str]] = {
    ("codebuild", "CreateProject"): {"serviceRole": "codebuild.amazonaws.com"},
    ("codebuild", "UpdateProject"): {"serviceRole": "codebuild.amazonaws.com"},
    ("ecs", "CreateExpressGatewayService"): {
        "executionRoleArn": "ecs-tasks.amazonaws.com",
        "taskRoleArn": "ecs-tasks.amazonaws.com",
        "infrastructureRoleArn": "ecs.amazonaws.com",
    },
    ("ecs", "UpdateExpressGatewayService"): {
        "executionRoleArn": "ecs-tasks.amazonaws.com",
        "taskRoleArn": "ecs-tasks.amazonaws.com",
        "infrastructureRoleArn": "ecs.amazonaws.com",
    },
}


@dataclass(frozen=True)
class Need:
    """One action on one resource that a call needs."""

    action: str
    resource: str
    why: str
    context: dict[str, str] = field(default_factory=dict)


def _arn(service: str, rest: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{account}:{rest}"


def _ecs_service(params: dict[str, Any]) -> str:
    if "serviceArn" in params:
        return str(params["serviceArn"])
    if str(params.get("service", "")).startswith("arn:"):  # ListServiceDeployments
        return str(params["service"])
    cluster = str(params.get("cluster") or "default").rsplit("/", 1)[-1]
    return _arn("ecs", f"service/{cluster}/{params['serviceName']}")


def _bus(name: str) -> str:
    return name if name.startswith("arn:") else _arn("events", f"event-bus/{name}")


def _zone(zone_id: str) -> str:
    return f"arn:{PARTITION}:route53:::hostedzone/{zone_id.rsplit('/', 1)[-1]}"


def _secret(name_or_arn: str) -> str:
    # A secret's ARN ends in its name and six random characters (Secrets Manager User Guide,
    # "Secret ARN"); policies match the name with a wildcard for them.
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    return _arn("secretsmanager", f"secret:{name_or_arn}-AbCdEf")


def _queue(url: str) -> str:
    return _arn("sqs", url.rstrip("/").rsplit("/", 1)[-1])


#: Where the resource of a call comes from, per service (then per operation); "*" for the
#: calls the SAR lists without a resource type (Describe/List calls of EC2, ELBv2, Route 53).
_RESOURCES: dict[str, Callable[[str, dict[str, Any]], list[str]]] = {
    "dynamodb": lambda op, p: [
        _arn("dynamodb", f"table/{p['TableName']}")
        + (f"/index/{p['IndexName']}" if p.get("IndexName") else "")
    ],
    "events": lambda op, p: sorted(
        {_bus(e.get("EventBusName") or "default") for e in p.get("Entries", [])}
    ),
    "ec2": lambda op, p: _ec2_resources(op, p),
    # SAR, ELBv2: AddListenerCertificates on the listener, ModifyRule on the listener rule;
    # the Describe calls list no resource type.
    # RemoveListenerCertificates on the listener too; DeregisterTargets and RegisterTargets
    # on the target group.
    "elbv2": lambda op, p: (
        [str(p["ListenerArn"])]
        if op in ("AddListenerCertificates", "RemoveListenerCertificates")
        else [str(p["RuleArn"])]
        if op == "ModifyRule"
        else [str(p["TargetGroupArn"])]
        if op in ("DeregisterTargets", "RegisterTargets")
        else ["*"]
    ),
    # SAR, Route 53: GetChange on the change (arn:aws:route53:::change/<id>).
    "route53": lambda op, p: (
        [_zone(p["HostedZoneId"])]
        if "HostedZoneId" in p
        else [f"arn:{PARTITION}:route53:::change/{str(p['Id']).rsplit('/', 1)[-1]}"]
        if op == "GetChange"
        else ["*"]
    ),
    # SAR, ACM: RequestCertificate lists no resource type; the other calls act on the
    # certificate.
    "acm": lambda op, p: ["*"] if op == "RequestCertificate" else [str(p["CertificateArn"])],
    # SAR, CloudWatch: PutMetricAlarm on the alarm, DeleteAlarms on each alarm named;
    # GetMetricData lists no resource type. DescribeAlarms is checked against "*" (the
    # template grants that read on every alarm).
    "cloudwatch": lambda op, p: (
        [_arn("cloudwatch", f"alarm:{p['AlarmName']}")]
        if op == "PutMetricAlarm"
        else [_arn("cloudwatch", f"alarm:{name}") for name in p["AlarmNames"]]
        if op == "DeleteAlarms"
        else ["*"]
    ),
    # SAR, EventBridge Scheduler: CreateSchedule and DeleteSchedule on the schedule (in its
    # group); ListSchedules lists no resource type.
    "scheduler": lambda op, p: (
        ["*"]
        if op == "ListSchedules"
        else [_arn("scheduler", f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}")]
    ),
    "ecr": lambda op, p: [
        _arn("ecr", f"repository/{name}")
        for name in (p.get("repositoryNames") or [p["repositoryName"]])
    ],
    "s3": lambda op, p: [f"arn:{PARTITION}:s3:::{p['Bucket']}/{p['Key']}"],
    "codebuild": lambda op, p: sorted(
        {
            _arn("codebuild", f"project/{name}")
            for name in (
                [str(i).split(":", 1)[0] for i in p["ids"]]
                if "ids" in p
                else [str(n) for n in p["names"]]
                if "names" in p
                else [str(p["id"]).split(":", 1)[0]]  # StopBuild names one build
                if "id" in p
                else [p.get("projectName") or p["name"]]
            )
        }
    ),
    # SAR, Amazon ECS: DescribeServiceRevisions on each service revision.
    "ecs": lambda op, p: (
        [str(a) for a in p["serviceRevisionArns"]]
        if op == "DescribeServiceRevisions"
        else [_ecs_service(p)]
    ),
    "secretsmanager": lambda op, p: [_secret(p["SecretId"] if "SecretId" in p else p["Name"])],
    # SAR, AWS Systems Manager: SendCommand is authorized on the document and on each
    # instance; DescribeInstanceInformation, ListCommands and GetCommandInvocation list no
    # resource type. An AWS-owned document's ARN has no account.
    "ssm": lambda op, p: (
        [f"arn:{PARTITION}:ssm:{REGION}::document/{p['DocumentName']}"]
        + [_arn("ec2", f"instance/{i}") for i in p.get("InstanceIds", [])]
        if op == "SendCommand"
        else ["*"]
    ),
    # SAR, AWS IAM: GetInstanceProfile on the instance profile, GetPolicy and
    # GetPolicyVersion on the policy, the role calls on the role (whose ARN holds its path).
    "iam": lambda op, p: [
        f"arn:{PARTITION}:iam::{ACCOUNT}:instance-profile/{p['InstanceProfileName']}"
        if op == "GetInstanceProfile"
        else str(p["PolicyArn"])
        if op in ("GetPolicy", "GetPolicyVersion")
        else _role(p["RoleName"], p.get("Path"))
    ],
    "sqs": lambda op, p: [_queue(p["QueueUrl"])],
}


def _role(name: str, path: str | None = None) -> str:
    # A role's ARN holds its path (IAM User Guide, "IAM identifiers"); the bot creates its
    # task roles under /migrate-bot/ (bot.domain.access), and reads other roles by name.
    if path is None:
        path = TASK_ROLE_PATH if name.startswith(TASK_ROLE_PREFIX) else "/"
    return f"arn:{PARTITION}:iam::{ACCOUNT}:role{path}{name}"


def _ec2_resources(op: str, p: dict[str, Any]) -> list[str]:
    # SAR, Amazon EC2: DescribeInstanceAttribute on the instance; CreateSecurityGroup on the
    # VPC and the new group; AuthorizeSecurityGroupIngress on the group; Describe* on "*".
    if op == "DescribeInstanceAttribute":
        return [_arn("ec2", f"instance/{p['InstanceId']}")]
    if op == "CreateSecurityGroup":
        return [_arn("ec2", f"vpc/{p['VpcId']}"), _arn("ec2", "security-group/*")]
    if op in ("AuthorizeSecurityGroupIngress", "DeleteSecurityGroup"):
        return [_arn("ec2", f"security-group/{p['GroupId']}")]
    # StopInstances, StartInstances and TerminateInstances on each instance; CreateImage on
    # the instance, the new image and its snapshots (an image's and a snapshot's ARN have no
    # account).
    if op in ("StopInstances", "StartInstances", "TerminateInstances"):
        return [_arn("ec2", f"instance/{i}") for i in p["InstanceIds"]]
    if op == "CreateImage":
        return [
            _arn("ec2", f"instance/{p['InstanceId']}"),
            _arn("ec2", "image/*", account=""),
            _arn("ec2", "snapshot/*", account=""),
        ]
    return ["*"]


@dataclass
class Known:
    """What earlier calls of the run established that a later call's authorisation reads.

    IAM evaluates conditions on the resource as it is: ``iam:PermissionsBoundary`` on
    PutRolePolicy and AttachRolePolicy is the boundary the role has (set by its CreateRole),
    ``aws:ResourceTag/…`` on AuthorizeSecurityGroupIngress the tags the group was created
    with (its id is in CreateSecurityGroup's answer).
    """

    boundaries: dict[str, str] = field(default_factory=dict)  # role name → boundary ARN
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # resource id → tags

    @classmethod
    def of(cls, calls: Iterable[Call]) -> Known:
        known = cls()
        for call in calls:
            p = call.params
            if (call.service, call.operation) == ("iam", "CreateRole") and p.get(
                "PermissionsBoundary"
            ):
                known.boundaries[p["RoleName"]] = p["PermissionsBoundary"]
            if (call.service, call.operation) == ("ec2", "CreateSecurityGroup") and (
                call.response.get("GroupId")
            ):
                known.tags[call.response["GroupId"]] = {
                    t["Key"]: t["Value"]
                    for spec in p.get("TagSpecifications", [])
                    for t in spec.get("Tags", [])
                }
        return known


def _context(call: Call, known: Known) -> dict[str, str]:
    """Condition keys a call's request or its resource carries (SAR, "Condition keys")."""
    p, key = call.params, (call.service, call.operation)
    if key == ("iam", "CreateRole") and p.get("PermissionsBoundary"):
        return {"iam:PermissionsBoundary": p["PermissionsBoundary"]}
    if key in (("iam", "PutRolePolicy"), ("iam", "AttachRolePolicy")):
        boundary = known.boundaries.get(p["RoleName"])
        return {"iam:PermissionsBoundary": boundary} if boundary else {}
    if key in (("ec2", "AuthorizeSecurityGroupIngress"), ("ec2", "DeleteSecurityGroup")):
        tags = known.tags.get(p["GroupId"], {})
        return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}
    if call.service == "dynamodb":
        return _leading_keys(p)
    if key == ("acm", "RequestCertificate") and p.get("Tags"):
        # SAR, ACM: RequestCertificate takes aws:TagKeys (and aws:RequestTag/…). This context
        # holds one value per key: a request with several tag keys carries none (fail closed).
        keys = {t["Key"] for t in p["Tags"]}
        return {"aws:TagKeys": keys.pop()} if len(keys) == 1 else {}
    return {}


#: The partition key attribute of both of the template's tables (their KeySchema HASH).
_PARTITION_KEY = "pk"


def _leading_keys(item_request: dict[str, Any]) -> dict[str, str]:
    """``dynamodb:LeadingKeys`` of a single-item request: its partition key value (DynamoDB
    Developer Guide, "Using IAM policy conditions for fine-grained access control"). Calls
    over many keys (Query, batches) carry none here, so a LeadingKeys condition fails them."""
    key = item_request.get("Key") or item_request.get("Item") or {}
    value = key.get(_PARTITION_KEY, {})
    found = value.get("S") or value.get("N")
    return {"dynamodb:LeadingKeys": str(found)} if found else {}


class UnmappedCallError(LookupError):
    """A call whose resource this module cannot name: add a rule to ``_RESOURCES``."""


def resources(call: Call) -> list[str]:
    """The resource ARNs a call touches, computed from its request."""
    try:
        rule = _RESOURCES[call.service]
    except KeyError:
        raise UnmappedCallError(
            f"{call}: no resource rule for service {call.service!r} in tests/iam/permissions.py"
        ) from None
    try:
        return rule(call.operation, call.params)
    except KeyError as missing:
        raise UnmappedCallError(
            f"{call}: the request lacks {missing} that its resource rule reads"
        ) from None


def _dependent(call: Call, resource: str) -> list[Need]:
    """The dependent actions a call needs (SAR), with the resource each one applies to."""
    p, key, out = call.params, (call.service, call.operation), []
    label = f"{call.service}.{call.operation}"
    if key == ("ecr", "CreateRepository") and p.get("tags"):
        # SAR, Amazon ECR: CreateRepository → dependent ecr:TagResource (tags on create).
        out.append(Need("ecr:TagResource", resource, f"{label} with tags"))
    if key == ("iam", "CreateRole") and p.get("Tags"):
        # SAR, AWS IAM: CreateRole → dependent iam:TagRole (tags on create).
        out.append(Need("iam:TagRole", resource, f"{label} with tags"))
    if key == ("ec2", "CreateSecurityGroup") and p.get("TagSpecifications"):
        # EC2 User Guide, "Grant permission to tag Amazon EC2 resources during creation":
        # ec2:CreateTags on the new resource, with ec2:CreateAction the creating call.
        if resource.endswith(":security-group/*"):
            out.append(
                Need(
                    "ec2:CreateTags",
                    resource,
                    f"{label} with tags",
                    {"ec2:CreateAction": "CreateSecurityGroup"},
                )
            )
    if key == ("ec2", "CreateImage") and p.get("TagSpecifications"):
        # EC2 User Guide, "Grant permission to tag Amazon EC2 resources during creation":
        # ec2:CreateTags on the new image and snapshots, ec2:CreateAction CreateImage.
        if resource.endswith((":image/*", ":snapshot/*")):
            out.append(
                Need(
                    "ec2:CreateTags",
                    resource,
                    f"{label} with tags",
                    {"ec2:CreateAction": "CreateImage"},
                )
            )
    if key == ("secretsmanager", "CreateSecret") and p.get("Tags"):
        # Secrets Manager API Reference, CreateSecret, "Required permissions": "If you
        # include tags in the secret, you also need secretsmanager:TagResource."
        out.append(Need("secretsmanager:TagResource", resource, f"{label} with tags"))
    if key == ("ecs", "CreateExpressGatewayService"):
        # SAR, Amazon ECS: CreateExpressGatewayService → dependent ecs:CreateCluster,
        # ecs:RegisterTaskDefinition, ecs:TagResource, iam:PassRole. Express creates the
        # cluster when it is missing and registers the service's task definition (its
        # family is Express's choice, so any family of this account is the resource).
        cluster = str(p.get("cluster") or "default").rsplit("/", 1)[-1]
        out.append(Need("ecs:CreateCluster", _arn("ecs", f"cluster/{cluster}"), label))
        out.append(
            Need(
                "ecs:RegisterTaskDefinition",
                _arn("ecs", "task-definition/express-managed-family:1"),
                label,
            )
        )
        if p.get("tags"):
            out.append(Need("ecs:TagResource", resource, f"{label} with tags"))
    if key == ("ecs", "UpdateExpressGatewayService"):
        # SAR, Amazon ECS: UpdateExpressGatewayService → ecs:RegisterTaskDefinition, iam:PassRole.
        out.append(
            Need(
                "ecs:RegisterTaskDefinition",
                _arn("ecs", "task-definition/express-managed-family:2"),
                label,
            )
        )
    if key == ("scheduler", "CreateSchedule"):
        # SAR, EventBridge Scheduler: CreateSchedule → dependent iam:PassRole (the role the
        # schedule's target is invoked with).
        out.append(
            Need(
                "iam:PassRole",
                str(p["Target"]["RoleArn"]),
                f"{label} passes Target.RoleArn",
                {"iam:PassedToService": "scheduler.amazonaws.com"},
            )
        )
    # SAR, AWS CodeBuild: CreateProject (and UpdateProject) → dependent iam:PassRole; SAR,
    # Amazon ECS: the Express calls above → iam:PassRole. One PassRole per role passed.
    for member, service in PASSED_ROLES.get(key, {}).items():
        if p.get(member):
            out.append(
                Need(
                    "iam:PassRole",
                    str(p[member]),
                    f"{label} passes {member}",
                    {"iam:PassedToService": service},
                )
            )
    return out


def needs(call: Call, known: Known | None = None) -> list[Need]:
    """Every action on every resource that AWS authorises for this call.

    ``known`` holds what earlier calls established (a role's boundary, a group's tags); a
    condition on a resource the run did not create is false (the check fails closed).
    """
    key = (call.service, call.operation)
    if key in NO_PERMISSION:
        return []
    label = f"{call.service}.{call.operation}"
    if key == ("dynamodb", "TransactWriteItems"):
        return [
            Need(action, _arn("dynamodb", f"table/{body['TableName']}"), label, _leading_keys(body))
            for item in call.params["TransactItems"]
            for kind, body in item.items()
            for action in [TRANSACT_ITEM_ACTIONS[kind]]
        ]
    prefix = PREFIXES.get(call.service, call.service)
    context = _context(call, known or Known())
    out = []
    for resource in resources(call):
        out.append(Need(f"{prefix}:{call.operation}", resource, label, context))
        out += _dependent(call, resource)
    return out
