"""The Express endpoint is the ingress path of the visibility asked for, or the deploy says why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.adapters.aws_express import AwsExpress
from bot.domain.facts import ServiceSpec
from bot.ports import DeployError
from sandbox import express
from sandbox.cloud import BotStack
from sandbox.template import Template
from tests.functional.network import two_subnets

REGION = "us-east-1"
Clients = Callable[[str], Any]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        express.install()
        express.reset()
        yield lambda service: boto3.client(service, region_name=REGION)
        express.reset()


def test_asking_for_a_private_endpoint_of_a_public_service_fails_with_the_reason(
    clients: Clients,
) -> None:
    account = str(clients("sts").get_caller_identity()["Account"])
    stack = BotStack(Template.load(), clients, account)
    stack.provision()
    adapter = AwsExpress(
        clients("ecs"),
        clients("sts"),
        execution_role_arn=stack.physical["EcsTaskExecutionRole.Arn"],
        infrastructure_role_arn=stack.physical["EcsInfrastructureRole.Arn"],
    )
    spec = ServiceSpec(
        service_name="migrate-bot-internal-mig-0000abcd",
        image_uri=f"{account}.dkr.ecr.{REGION}.amazonaws.com/migrate-bot/mig-0000abcd:1",
        port=8080,
        health_check_path="/healthz",
        cpu="512",
        memory="1024",
        subnet_ids=two_subnets(clients("ec2"), public=True),
        security_group_ids=["sg-1"],
        access_type="PRIVATE",
        tags={"migrate-bot:migration-id": "mig-0000abcd"},
    )

    with pytest.raises(DeployError, match=r"no PRIVATE ingress path .*it has: PUBLIC"):
        adapter.create_service(spec)
