"""IAM and EC2 writes that give the tasks the instance's access: a task role, a security group.

Both are idempotent (a retried deploy finds what the first attempt made) and named after the
migration, so clean up finds them:

- the role ``/migrate-bot/migrate-bot-task-<id>``: ``CreateRole`` with the trust policy of
  ``access.trust_policy`` and the stack's permissions boundary (the deploy role may create,
  change and pass only such roles: template.yaml, DeployRole), then ``PutRolePolicy`` for
  each inline policy the plan copied and ``AttachRolePolicy`` for each managed one;
- the security group ``migrate-bot-<id>-tasks`` in the instance's VPC, admitting TCP on the
  container port from the VPC's IPv4 CIDR blocks, where the Express load balancer's
  addresses are (README, known limits: the load balancer's own group is not known before
  the service exists).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals
from bot.domain.access import TASK_ROLE_PATH, TaskRolePlan, role_name, trust_policy
from bot.domain.deployments import OWNER_TAG


def security_group_name(migration_id: str) -> str:
    """The tasks' own security group."""
    return f"migrate-bot-{migration_id}-tasks"


class AwsTaskAccess:
    """Creates the migration's task role and its tasks' security group."""

    def __init__(self, iam: Any, ec2: Any, boundary_arn: str) -> None:
        self._iam = iam
        self._ec2 = ec2
        self._boundary = boundary_arn

    @translate_refusals
    def ensure_task_role(self, migration_id: str, role: TaskRolePlan) -> str:
        """Create (or find) the task role with the plan's policies; return its ARN."""
        name = role_name(migration_id)
        try:
            arn = self._iam.create_role(
                Path=TASK_ROLE_PATH,
                RoleName=name,
                AssumeRolePolicyDocument=json.dumps(trust_policy()),
                Description=f"Task role of {migration_id}, copied from {role.source_role}"[:1000],
                PermissionsBoundary=self._boundary,
                Tags=[
                    {"Key": "managed-by", "Value": "migrate-bot"},
                    {"Key": OWNER_TAG, "Value": migration_id},
                ],
            )["Role"]["Arn"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
            arn = self._iam.get_role(RoleName=name)["Role"]["Arn"]
        for policy_name, document in sorted(role.inline.items()):
            self._iam.put_role_policy(
                RoleName=name, PolicyName=policy_name, PolicyDocument=document
            )
        for policy_arn in role.managed:
            self._iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return str(arn)

    @translate_refusals
    def ensure_task_security_group(self, migration_id: str, vpc_id: str, port: int) -> str:
        """Create (or find) the group admitting the VPC on ``port``; return its id."""
        name = security_group_name(migration_id)
        found = self._ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": [name]},
            ]
        )["SecurityGroups"]
        if found:
            group_id = str(found[0]["GroupId"])
        else:
            group_id = str(
                self._ec2.create_security_group(
                    GroupName=name,
                    Description=f"Express load balancer to the tasks of {migration_id}",
                    VpcId=vpc_id,
                    TagSpecifications=[
                        {
                            "ResourceType": "security-group",
                            "Tags": [
                                {"Key": "managed-by", "Value": "migrate-bot"},
                                {"Key": OWNER_TAG, "Value": migration_id},
                            ],
                        }
                    ],
                )["GroupId"]
            )
        vpc = self._ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        blocks = [
            b["CidrBlock"]
            for b in vpc.get("CidrBlockAssociationSet", [])
            if b.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ] or [vpc["CidrBlock"]]
        try:
            self._ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [
                            {"CidrIp": block, "Description": "Express load balancer"}
                            for block in blocks
                        ],
                    }
                ],
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "InvalidPermission.Duplicate":
                raise
        return group_id
