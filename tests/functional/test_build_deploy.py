"""Build and deploy adapters against moto: architecture, idempotency beyond the token, refusals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bot.adapters.aws_build import AwsBuild
from bot.adapters.aws_errors import refusal
from bot.adapters.aws_express import AwsExpress
from bot.adapters.aws_task_access import AwsTaskAccess
from bot.domain.architecture import UnsupportedArchitectureError, target_for
from bot.domain.facts import ServiceSpec
from bot.ports import AwsRefusedError, DeployError
from sandbox import codebuild, express
from sandbox.cloud import BotStack
from sandbox.template import Template
from tests.functional.bundles import put_bundle
from tests.functional.network import two_subnets

REGION = "us-east-1"
Clients = Callable[[str], Any]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        codebuild.install_operations()
        express.install()
        express.reset()
        yield lambda service: boto3.client(service, region_name=REGION)
        express.reset()


@pytest.fixture
def stack(clients: Clients) -> BotStack:
    account = str(clients("sts").get_caller_identity()["Account"])
    bot_stack = BotStack(Template.load(), clients, account)
    bot_stack.provision()
    return bot_stack


@pytest.fixture
def build(clients: Clients, stack: BotStack) -> AwsBuild:
    return AwsBuild(
        clients("ecr"),
        clients("s3"),
        clients("codebuild"),
        bucket=stack.physical["ArtifactsBucket"],
        role_arn=stack.physical["CodeBuildServiceRole.Arn"],
    )


def _source(build: AwsBuild, clients: Clients, stack: BotStack) -> str:
    key = put_bundle(
        clients("s3"),
        stack.physical["ArtifactsBucket"],
        {"server.js": "x"},
        "captures/m/source.tgz",
    )
    return build.upload_source("mig-0000abcd", {"Dockerfile": "FROM scratch\n"}, key)


def _variables(environment: dict[str, Any]) -> dict[str, str]:
    return {v["name"]: v["value"] for v in environment["environmentVariables"]}


def test_an_arm64_image_is_built_on_an_arm64_codebuild_image(
    build: AwsBuild, clients: Clients, stack: BotStack
) -> None:
    uri = build.ensure_repository("migrate-bot/mig-0000abcd")
    source = _source(build, clients, stack)

    build.start_build("migrate-bot-mig-0000abcd", source, uri, "mig-0000abcd", "linux/arm64")

    project = clients("codebuild").batch_get_projects(names=["migrate-bot-mig-0000abcd"])[
        "projects"
    ][0]
    environment = project["environment"]
    assert environment["type"] == "ARM_CONTAINER"
    assert environment["image"] == "aws/codebuild/amazonlinux2-aarch64-standard:3.0"
    assert _variables(environment)["IMAGE_PLATFORM"] == "linux/arm64"


def test_a_retry_after_the_token_lapsed_finds_its_build_instead_of_starting_another(
    build: AwsBuild, clients: Clients, stack: BotStack
) -> None:
    uri = build.ensure_repository("migrate-bot/mig-0000abcd")
    source = _source(build, clients, stack)
    args = ("migrate-bot-mig-0000abcd", source, uri, "mig-0000abcd", "linux/amd64")

    first = build.start_build(*args)
    within_token = build.start_build(*args)
    codebuild.expire_tokens()  # more than 5 minutes later (a Lambda retry after a crash)
    after_token = build.start_build(*args)

    ids = clients("codebuild").list_builds_for_project(projectName="migrate-bot-mig-0000abcd")[
        "ids"
    ]
    assert first == within_token == after_token
    assert ids == [first]


def test_the_sandbox_honours_the_start_build_token_like_codebuild(
    build: AwsBuild, clients: Clients, stack: BotStack
) -> None:
    uri = build.ensure_repository("migrate-bot/mig-0000abcd")
    source = _source(build, clients, stack)
    build.start_build("migrate-bot-mig-0000abcd", source, uri, "mig-0000abcd", "linux/amd64")
    raw = clients("codebuild")

    again = raw.start_build(projectName="migrate-bot-mig-0000abcd", idempotencyToken="t-1")
    same = raw.start_build(projectName="migrate-bot-mig-0000abcd", idempotencyToken="t-1")
    other = raw.start_build(projectName="migrate-bot-mig-0000abcd", idempotencyToken="t-2")

    assert again["build"]["id"] == same["build"]["id"] != other["build"]["id"]
    # The build carries the project's environment, as CodeBuild reports it.
    assert _variables(again["build"]["environment"])["IMAGE_URI"] == f"{uri}:mig-0000abcd"


def _spec(stack: BotStack, **changes: Any) -> ServiceSpec:
    base = ServiceSpec(
        service_name="migrate-bot-secure-blog-mig-0000abcd",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/migrate-bot/mig-0000abcd:1",
        port=3000,
        health_check_path="/health",
        cpu="1024",
        memory="2048",
        subnet_ids=["subnet-a", "subnet-b"],
        security_group_ids=["sg-1"],
        tags={"migrate-bot:migration-id": "mig-0000abcd"},
    )
    return base.model_copy(update=changes)


def _express(clients: Clients, stack: BotStack) -> AwsExpress:
    return AwsExpress(
        clients("ecs"),
        clients("sts"),
        execution_role_arn=stack.physical["EcsTaskExecutionRole.Arn"],
        infrastructure_role_arn=stack.physical["EcsInfrastructureRole.Arn"],
        access=AwsTaskAccess(clients("iam"), clients("ec2"), stack.physical["TaskRoleBoundary"]),
    )


def test_a_graviton_app_runs_on_arm64_and_the_endpoint_is_read_back(
    clients: Clients, stack: BotStack
) -> None:
    facts = _express(clients, stack).create_service(
        _spec(stack, cpu_architecture="ARM64", subnet_ids=two_subnets(clients("ec2"), public=True))
    )

    described = clients("ecs").describe_express_gateway_service(serviceArn=facts.service_arn)[
        "service"
    ]
    active = described["activeConfigurations"][0]
    assert active["cpuArchitecture"] == "ARM64"
    public = [p for p in active["ingressPaths"] if p["accessType"] == "PUBLIC"]
    assert facts.endpoint == f"https://{public[0]['endpoint']}"


def test_an_express_refusal_names_the_call_and_is_not_retried(
    clients: Clients, stack: BotStack
) -> None:
    with pytest.raises(AwsRefusedError, match=r"AWS refused CreateExpressGatewayService"):
        _express(clients, stack).create_service(_spec(stack, service_name="bad name!"))


def _client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def test_access_denied_names_the_missing_permission() -> None:
    error = _client_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/build/fn is not authorized to perform: "
        "ecr:TagResource on resource: arn:aws:ecr:us-east-1:123456789012:repository/x "
        "because no identity-based policy allows the ecr:TagResource action",
        "CreateRepository",
    )
    refused = refusal(error)
    assert refused is not None
    assert str(refused) == (
        "AWS refused CreateRepository (AccessDeniedException): the bot's role lacks "
        "ecr:TagResource; add it to the function's role"
    )


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "InternalFailure", "ServiceUnavailable", "RequestLimitExceeded"]
)
def test_throttling_and_server_errors_stay_retryable(code: str) -> None:
    assert refusal(_client_error(code, "slow down", "DescribeInstances")) is None


def test_architectures_map_to_platform_and_express_cpu() -> None:
    assert (target_for("arm64").platform, target_for("arm64").cpu_architecture) == (
        "linux/arm64",
        "ARM64",
    )
    assert target_for("x86_64").cpu_architecture == "X86_64"
    with pytest.raises(UnsupportedArchitectureError, match="i386"):
        target_for("i386")


def test_an_internal_app_gets_the_private_endpoint(clients: Clients, stack: BotStack) -> None:
    private = two_subnets(clients("ec2"), public=False)
    facts = _express(clients, stack).create_service(
        _spec(stack, subnet_ids=private, access_type="PRIVATE")
    )

    paths = clients("ecs").describe_express_gateway_service(serviceArn=facts.service_arn)[
        "service"
    ]["activeConfigurations"][0]["ingressPaths"]
    assert [p["accessType"] for p in paths] == ["PRIVATE"]
    assert facts.endpoint == f"https://{paths[0]['endpoint']}"


def test_asking_for_a_private_endpoint_of_a_public_service_fails_with_the_reason(
    clients: Clients, stack: BotStack
) -> None:
    spec = _spec(
        stack,
        service_name="migrate-bot-internal-mig-0000abcd",
        port=8080,
        health_check_path="/healthz",
        cpu="512",
        memory="1024",
        subnet_ids=two_subnets(clients("ec2"), public=True),
        access_type="PRIVATE",
    )

    with pytest.raises(DeployError, match=r"no PRIVATE ingress path .*it has: PUBLIC"):
        _express(clients, stack).create_service(spec)
