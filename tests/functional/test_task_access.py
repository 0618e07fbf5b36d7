"""The instance's access read from IAM and EC2, and given to the tasks, against moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.adapters.aws_access import AccessReader
from bot.adapters.aws_task_access import AwsTaskAccess, security_group_name
from bot.domain.access import BOUNDARY_SERVICES, InstanceRole, RolePolicy, task_role_plan
from bot.domain.facts import InstanceFacts
from sandbox.legacy import SSM_CORE
from sandbox.orders import instance_profile
from sandbox.template import Template

REGION = "us-east-1"
Clients = Callable[[str], Any]

TABLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem"],
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
        }
    ],
}


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def _network(ec2: Any) -> tuple[str, str, str, str]:
    """A VPC with the app's group, a database group admitting it, and an unrelated group."""
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]

    def group(name: str) -> str:
        return str(
            ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        )

    app, db, other = group("app"), group("db"), group("other")
    for target, source, port in ((db, app, 5432), (other, db, 22), (app, app, 8080)):
        ec2.authorize_security_group_ingress(
            GroupId=target,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "UserIdGroupPairs": [{"GroupId": source}],
                }
            ],
        )
    ec2.create_network_interface(SubnetId=subnet, Groups=[db], Description="RDSNetworkInterface")
    return vpc, subnet, app, db


def test_discovery_reads_the_role_policies_and_the_groups_that_admit_the_instance(
    clients: Clients,
) -> None:
    profile = instance_profile(clients)  # the sandbox's orders role
    vpc, subnet, app, db = _network(clients("ec2"))
    instance = InstanceFacts(
        instance_id="i-0abc1234def567890",
        instance_type="t4g.small",
        architecture="arm64",
        state="running",
        vpc_id=vpc,
        subnet_id=subnet,
        security_group_ids=[app],
        instance_profile_arn=profile,
    )

    access = AccessReader(clients("ec2"), clients("iam")).read(instance)

    assert access.role is not None and access.role.role_name == "orders-instance"
    by_name = {p.name: p for p in access.role.policies}
    data = by_name["data"]
    assert data.arn is None
    assert data.document["Statement"][0]["Resource"].endswith(":table/orders-table")
    assert by_name["team-metrics"].document["Statement"][0]["Action"] == "cloudwatch:PutMetricData"
    assert by_name[SSM_CORE].arn == f"arn:aws:iam::aws:policy/{SSM_CORE}"
    # The database group admits the app's; the app's own self-rule and a group admitting
    # only the database are not the instance's paths.
    assert [(p.security_group_id, p.ports, p.used_by) for p in access.network_paths] == [
        (db, ["5432/tcp"], ["RDSNetworkInterface"])
    ]
    assert access.notes == []


def test_an_unreadable_role_is_a_note_not_a_failure(clients: Clients) -> None:
    instance = InstanceFacts(
        instance_id="i-0abc1234def567890",
        instance_type="t3.small",
        architecture="x86_64",
        state="running",
        vpc_id="vpc-1",
        subnet_id="subnet-1",
        security_group_ids=[],
        instance_profile_arn="arn:aws:iam::123456789012:instance-profile/gone",
    )
    access = AccessReader(clients("ec2"), clients("iam")).read(instance)
    assert access.role is None
    assert access.notes and "NoSuchEntity" in access.notes[0]


def _boundary(iam: Any) -> str:
    return str(
        iam.create_policy(
            PolicyName="boundary",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
                }
            ),
        )["Policy"]["Arn"]
    )


def test_the_task_role_is_created_bounded_under_the_bot_path_and_a_retry_finds_it(
    clients: Clients,
) -> None:
    iam = clients("iam")
    shared = iam.create_policy(
        PolicyName="team-metrics",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    boundary = _boundary(iam)
    plan = task_role_plan(
        InstanceRole(
            role_name="orders-instance",
            role_arn="arn:aws:iam::123456789012:role/orders-instance",
            policies=[
                RolePolicy(name="data", document=TABLE_POLICY),
                RolePolicy(name="team-metrics", arn=shared),
            ],
        )
    )
    access = AwsTaskAccess(iam, clients("ec2"), boundary)

    arn = access.ensure_task_role("mig-0000abcd", plan)
    again = access.ensure_task_role("mig-0000abcd", plan)

    assert arn == again and arn.endswith(":role/migrate-bot/migrate-bot-task-mig-0000abcd")
    role = iam.get_role(RoleName="migrate-bot-task-mig-0000abcd")["Role"]
    assert role["Path"] == "/migrate-bot/"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    inline = iam.get_role_policy(RoleName=role["RoleName"], PolicyName="data")
    assert inline["PolicyDocument"] == TABLE_POLICY
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [shared]


def test_the_tasks_group_admits_the_vpc_on_the_container_port_once(clients: Clients) -> None:
    ec2 = clients("ec2")
    vpc, _, _, _ = _network(ec2)
    access = AwsTaskAccess(clients("iam"), ec2, _boundary(clients("iam")))

    group = access.ensure_task_security_group("mig-0000abcd", vpc, 8080)
    again = access.ensure_task_security_group("mig-0000abcd", vpc, 8080)

    assert group == again
    (described,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert described["GroupName"] == security_group_name("mig-0000abcd")
    assert described["VpcId"] == vpc
    (rule,) = described["IpPermissions"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 8080, 8080)
    assert [r["CidrIp"] for r in rule["IpRanges"]] == ["10.40.0.0/16"]
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags == {"managed-by": "migrate-bot", "migrate-bot:migration-id": "mig-0000abcd"}


def test_the_template_boundary_allows_exactly_the_services_the_plan_names() -> None:
    resource = Template.load().document["Resources"]["TaskRoleBoundary"]
    statements = resource["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert {a.split(":", 1)[0] for a in allow["Action"]} == BOUNDARY_SERVICES
    assert all(a.endswith(":*") for a in allow["Action"])
    denied = [s for s in statements if s["Effect"] == "Deny"]
    assert denied and all(s["Action"] == "*" for s in denied)  # never the bot's own state
