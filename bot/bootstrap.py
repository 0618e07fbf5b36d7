"""The composition root: the one place that builds real adapters (once per cold start).

boto3 clients honour ``AWS_ENDPOINT_URL`` (and per-service variants), so a local
emulator stands in for AWS without code changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler

from bot.adapters.aws_build import AwsBuild
from bot.adapters.aws_discovery import AwsDiscovery
from bot.adapters.aws_express import AwsExpress
from bot.adapters.clock import SystemClock
from bot.adapters.dynamodb_store import DynamoStore
from bot.adapters.eventbridge import EventBridgePublisher
from bot.adapters.route53_traffic import Route53Traffic
from bot.adapters.slack_web import SlackWebNotifier, web_client
from bot.config import BuildSettings, ConfigError, DeploySettings, SlackSettings, StoreSettings
from bot.ports import Clock, Publisher, Store
from bot.slack.app import IngressDeps, build_app

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20
)


@dataclass(frozen=True)
class Core:
    """Ports every consumer uses."""

    store: Store
    publisher: Publisher
    clock: Clock


@cache
def client(service: str) -> Any:
    """A boto3 client with standard retries (endpoint from ``AWS_ENDPOINT_URL`` if set)."""
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def core() -> Core:
    """Store, publisher and clock from the function's environment."""
    settings = StoreSettings.from_env()
    return Core(
        store=DynamoStore(
            client("dynamodb"), settings.migrations_table, settings.idempotency_table
        ),
        publisher=EventBridgePublisher(client("events"), settings.event_bus_name),
        clock=SystemClock(),
    )


@cache
def discovery_aws() -> AwsDiscovery:
    """EC2, ELBv2 and Route 53 reads."""
    return AwsDiscovery(client("ec2"), client("elbv2"), client("route53"))


@cache
def build_aws() -> AwsBuild:
    """ECR, S3 and CodeBuild."""
    settings = BuildSettings.from_env()
    return AwsBuild(
        client("ecr"),
        client("s3"),
        client("codebuild"),
        settings.artifacts_bucket,
        settings.codebuild_role_arn,
    )


@cache
def deploy_aws() -> AwsExpress:
    """ECS Express Mode."""
    settings = DeploySettings.from_env()
    return AwsExpress(
        client("ecs"), client("sts"), settings.execution_role_arn, settings.infrastructure_role_arn
    )


@cache
def traffic_aws() -> Route53Traffic:
    """Route 53 weighted records."""
    return Route53Traffic(client("route53"))


@cache
def slack_credentials() -> tuple[str, str]:
    """(bot token, signing secret): from the environment locally, Secrets Manager in AWS."""
    settings = SlackSettings.from_env()
    if settings.slack_bot_token and settings.slack_signing_secret:
        return settings.slack_bot_token, settings.slack_signing_secret
    if not settings.slack_secret_arn:
        raise ConfigError(
            "set SLACK_CREDENTIALS_SECRET_ARN, or SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"
        )
    secret = client("secretsmanager").get_secret_value(SecretId=settings.slack_secret_arn)
    values = json.loads(secret["SecretString"])
    try:
        return values["bot_token"], values["signing_secret"]
    except KeyError as error:
        raise ConfigError(f"the Slack secret lacks {error.args[0]!r}") from error


@cache
def slack_notifier() -> SlackWebNotifier:
    """The notifier's Slack writer."""
    token, _ = slack_credentials()
    return SlackWebNotifier(web_client(token, SlackSettings.from_env().slack_api_url))


@cache
def ingress_app() -> App:
    """The Bolt app with real adapters."""
    token, signing_secret = slack_credentials()
    base = core()
    deps = IngressDeps(base.store, base.publisher, base.clock, discovery_aws())
    return build_app(
        deps,
        token=token,
        signing_secret=signing_secret,
        client=web_client(token, SlackSettings.from_env().slack_api_url),
    )


@cache
def ingress_handler() -> SlackRequestHandler:
    """Bolt's Lambda adapter around the app (API Gateway v1 and v2 events)."""
    return SlackRequestHandler(app=ingress_app())


def reset() -> None:
    """Forget every cached adapter (tests and the sandbox switch environments)."""
    for built in (
        client,
        core,
        discovery_aws,
        build_aws,
        deploy_aws,
        traffic_aws,
        slack_credentials,
        slack_notifier,
        ingress_app,
        ingress_handler,
    ):
        built.cache_clear()
