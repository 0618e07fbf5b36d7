"""The task role copied from the instance role, and the data the app reaches (pure)."""

from __future__ import annotations

import json

from bot.domain.access import (
    AccessFacts,
    InstanceRole,
    NetworkPath,
    RolePolicy,
    beyond_boundary,
    data_reached,
    merge,
    port_range,
    role_name,
    task_role_plan,
    trust_policy,
)
from bot.domain.planning import make_plan
from tests.fakes import ACCESS, INSTANCE, LOAD_BALANCING

DATA = RolePolicy(
    name="data",
    document={
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": [
                    "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
                    "arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-day",
                ],
            },
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::receipts/*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::secret-bucket/*"},
        ],
    },
)
ADMIN = RolePolicy(
    name="AdministratorAccess",
    arn="arn:aws:iam::aws:policy/AdministratorAccess",
    document={
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    },
)
SSM_CORE = RolePolicy(
    name="AmazonSSMManagedInstanceCore",
    arn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    document={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssmmessages:*", "Resource": "*"}],
    },
)


def _role(*policies: RolePolicy) -> InstanceRole:
    return InstanceRole(
        role_name="orders-instance",
        role_arn="arn:aws:iam::123456789012:role/orders-instance",
        policies=list(policies),
    )


def test_the_task_role_copies_inline_documents_and_managed_arns_but_not_agents_policies() -> None:
    plan = task_role_plan(_role(DATA, ADMIN, SSM_CORE))
    assert plan.source_role == "orders-instance"
    assert json.loads(plan.inline["data"]) == DATA.document
    assert plan.managed == ["arn:aws:iam::aws:policy/AdministratorAccess"]
    assert plan.left_out == ["AmazonSSMManagedInstanceCore"]


def test_the_task_role_is_named_after_the_migration_and_trusts_ecs_tasks_only() -> None:
    assert role_name("mig-3f9c2a1b") == "migrate-bot-task-mig-3f9c2a1b"
    assert len(role_name("mig-3f9c2a1b")) <= 64  # IAM's limit on a role name
    (statement,) = trust_policy()["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_what_the_boundary_cuts_is_named_per_policy() -> None:
    iam = RolePolicy(
        name="deployer",
        document={
            "Statement": [
                {"Effect": "Allow", "Action": ["iam:PassRole", "s3:GetObject"], "Resource": "*"},
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            ]
        },
    )
    cut = beyond_boundary(_role(DATA, ADMIN, SSM_CORE, iam))
    assert cut == {
        "AdministratorAccess": ["*"],
        "deployer": ["NotAction (everything but some actions)", "iam"],
    }  # DATA stays within the boundary; the SSM agent's policy is not copied at all


def test_data_comes_from_allow_statements_the_environment_and_network_paths() -> None:
    path = NetworkPath(
        security_group_id="sg-db",
        group_name="orders-db",
        admits=["sg-app"],
        ports=["5432/tcp"],
        used_by=["RDSNetworkInterface"],
    )
    stores = data_reached(
        _role(DATA, SSM_CORE),
        {"ORDERS_TABLE": "orders", "ARCHIVE": "s3://archive-bucket/2026/", "LANG": "C.UTF-8"},
        [path],
    )
    assert [(s.kind, s.name, s.via) for s in stores] == [
        ("DynamoDB table", "orders", ["policy data", "variable ORDERS_TABLE"]),
        ("S3 bucket", "archive-bucket", ["variable ARCHIVE"]),
        ("S3 bucket", "receipts", ["policy data"]),
        (
            "security group",
            'sg-db "orders-db"',
            ["admits sg-app on 5432/tcp; used by RDSNetworkInterface"],
        ),
    ]  # the Deny statement's bucket is not something the app reaches


def test_a_star_resource_means_every_table_and_bucket() -> None:
    stores = data_reached(_role(ADMIN), {}, [])
    assert {(s.kind, s.name) for s in stores} == {
        ("DynamoDB table", "every table"),
        ("S3 bucket", "every bucket"),
    }


def test_merge_adds_what_a_later_environment_names_once() -> None:
    first = data_reached(_role(DATA), {}, [])
    merged = merge(first, {"ORDERS_TABLE": "orders", "RECEIPTS_BUCKET": "receipts"})
    assert [(s.name, s.via) for s in merged] == [
        ("orders", ["policy data", "variable ORDERS_TABLE"]),
        ("receipts", ["policy data", "variable RECEIPTS_BUCKET"]),
    ]
    assert merge(merged, {"ORDERS_TABLE": "orders"}) == merged


def test_port_ranges_read_as_people_read_them() -> None:
    assert port_range({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432}) == "5432/tcp"
    assert port_range({"IpProtocol": "udp", "FromPort": 1, "ToPort": 99}) == "1-99/udp"
    assert port_range({"IpProtocol": "-1"}) == "all traffic"


def test_the_plan_carries_the_task_role_and_data_and_warns_what_it_cannot_copy() -> None:
    plan = make_plan(INSTANCE, LOAD_BALANCING, None, ACCESS)
    assert plan.task_role is not None and sorted(plan.task_role.inline) == ["data"]
    assert [(s.kind, s.name) for s in plan.data] == [
        ("DynamoDB table", "posts"),
        ("security group", 'sg-db "posts-db"'),
    ]
    admin = AccessFacts(role=_role(ADMIN))
    warned = make_plan(INSTANCE, LOAD_BALANCING, None, admin).warnings
    assert any("AdministratorAccess allows *" in w and "boundary" in w for w in warned)
    bare = INSTANCE.model_copy(update={"instance_profile_arn": None})
    warned = make_plan(bare, LOAD_BALANCING, None, AccessFacts()).warnings
    assert any("no instance profile" in w and "no task role" in w for w in warned)
    assert make_plan(bare, LOAD_BALANCING, None, AccessFacts()).task_role is None
