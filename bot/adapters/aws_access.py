"""IAM and EC2 reads of what the instance may reach: its role's policies, its network paths.

Read-only (Get, List and Describe calls), so ``migrate-bot plan`` runs it with the user's own
credentials too. The role comes from the instance profile (a profile holds at most one role:
IAM User Guide, "Use instance profiles"); its inline policies with ``GetRolePolicy``, its
managed ones with ``GetPolicy`` and ``GetPolicyVersion`` of their default version. The network
paths are the security groups whose rules name one of the instance's groups as the source
(``DescribeSecurityGroups`` filter ``ip-permission.group-id``, EC2 API Reference), with the
network interfaces in them (``DescribeNetworkInterfaces`` filter ``group-id``): an RDS
database or an ElastiCache cluster shows there with the description AWS gives its interface.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from bot.domain.access import AccessFacts, InstanceRole, NetworkPath, RolePolicy, port_range
from bot.domain.facts import InstanceFacts

#: Network interfaces named per path (an account's busiest group may hold hundreds).
_INTERFACES_SHOWN = 5


def _document(value: Any) -> dict[str, Any]:
    """A policy document: boto3 decodes IAM's URL-encoded JSON; a raw client may not."""
    if isinstance(value, dict):
        return value
    return dict(json.loads(unquote(str(value))))


class AccessReader:
    """Reads the instance role's policies and the security groups that admit the instance."""

    def __init__(self, ec2: Any, iam: Any | None) -> None:
        self._ec2 = ec2
        self._iam = iam

    def read(self, instance: InstanceFacts) -> AccessFacts:
        notes: list[str] = []
        role = None
        if instance.instance_profile_arn and self._iam is None:
            notes.append("The instance role was not read (no IAM client).")
        elif instance.instance_profile_arn:
            try:
                role = self._role(instance.instance_profile_arn.rsplit("/", 1)[-1])
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("AccessDenied", "NoSuchEntity"):
                    raise
                notes.append(
                    f"The instance role could not be read ({error.response['Error']['Code']}: "
                    f"{error.response['Error'].get('Message', '')}); the plan cannot list "
                    "its policies or copy them to the task role."
                )
        return AccessFacts(role=role, network_paths=self._paths(instance), notes=notes)

    def _role(self, profile_name: str) -> InstanceRole | None:
        assert self._iam is not None
        roles = self._iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"][
            "Roles"
        ]
        if not roles:
            return None
        role = roles[0]
        name = str(role["RoleName"])
        policies: list[RolePolicy] = []
        for page in self._iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page["PolicyNames"]:
                document = self._iam.get_role_policy(RoleName=name, PolicyName=policy_name)
                policies.append(
                    RolePolicy(name=policy_name, document=_document(document["PolicyDocument"]))
                )
        for page in self._iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
            for attached in page["AttachedPolicies"]:
                arn = str(attached["PolicyArn"])
                version = self._iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                document = self._iam.get_policy_version(PolicyArn=arn, VersionId=version)
                policies.append(
                    RolePolicy(
                        name=str(attached["PolicyName"]),
                        arn=arn,
                        document=_document(document["PolicyVersion"]["Document"]),
                    )
                )
        return InstanceRole(role_name=name, role_arn=str(role["Arn"]), policies=policies)

    def _paths(self, instance: InstanceFacts) -> list[NetworkPath]:
        own = set(instance.security_group_ids)
        if not own:
            return []
        paths: list[NetworkPath] = []
        pages = self._ec2.get_paginator("describe_security_groups").paginate(
            Filters=[
                {"Name": "vpc-id", "Values": [instance.vpc_id]},
                {"Name": "ip-permission.group-id", "Values": sorted(own)},
            ]
        )
        for page in pages:
            for group in page["SecurityGroups"]:
                if group["GroupId"] in own:
                    continue  # the instance's own groups admitting each other
                admits: set[str] = set()
                ports: list[str] = []
                for permission in group.get("IpPermissions", []):
                    sources = {p.get("GroupId") for p in permission.get("UserIdGroupPairs", [])}
                    if sources & own:
                        admits |= sources & own
                        ports.append(port_range(permission))
                if admits:
                    paths.append(
                        NetworkPath(
                            security_group_id=str(group["GroupId"]),
                            group_name=str(group.get("GroupName", "")),
                            admits=sorted(a for a in admits if a),
                            ports=ports,
                            used_by=self._interfaces(str(group["GroupId"])),
                        )
                    )
        return paths

    def _interfaces(self, group_id: str) -> list[str]:
        found = self._ec2.describe_network_interfaces(
            Filters=[{"Name": "group-id", "Values": [group_id]}],
            MaxResults=_INTERFACES_SHOWN + 1,
        )["NetworkInterfaces"]
        named = [
            str(i.get("Description") or i.get("InterfaceType") or i["NetworkInterfaceId"])
            for i in found[:_INTERFACES_SHOWN]
        ]
        if len(found) > _INTERFACES_SHOWN:
            named.append("and more")
        return named
