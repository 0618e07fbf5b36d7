"""The composition root: the one place that builds real adapters (once per cold start).

Everything is built on first use, and only what a request needs: importing this module loads
no AWS SDK, no adapter and no domain model, so a cold ``/migrate help`` costs what a bare Bolt app
does. Each AWS client is created the first time a port that needs it is read.

boto3 clients honour ``AWS_ENDPOINT_URL`` (and per-service variants), so a local
emulator stands in for AWS without code changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.config import (
    BakeSettings,
    BuildSettings,
    ButtonSettings,
    CaptureSettings,
    ConfigError,
    DeploySettings,
    DiscoverySettings,
    InstallationSettings,
    PolicySettings,
    SchedulerSettings,
    SlackSettings,
    StoreSettings,
)

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.adapters.aws_build import AwsBuild
    from bot.adapters.aws_capture import AwsCapture
    from bot.adapters.aws_certificates import AwsCertificates
    from bot.adapters.aws_cleanup import AwsCleanup
    from bot.adapters.aws_decommission import AwsDecommission
    from bot.adapters.aws_discovery import AwsDiscovery
    from bot.adapters.aws_edge import AwsEdge
    from bot.adapters.aws_express import AwsExpress
    from bot.adapters.aws_health import AwsHealth
    from bot.adapters.aws_reconcile import AwsReconcile
    from bot.adapters.aws_side_by_side import AwsSideBySide
    from bot.adapters.bolt_lambda import BoltLambdaHandler
    from bot.adapters.route53_traffic import Route53Traffic
    from bot.adapters.scheduler import EventBridgeScheduler
    from bot.adapters.slack_web import SlackWebNotifier
    from bot.domain.policy import Policy
    from bot.ports import Clock, Publisher, ReportStore, Store
    from bot.slack.installation import Installation

SLACK_TIMEOUT_SECONDS = 10
SLACK_RATE_LIMIT_RETRIES = 3


@dataclass(frozen=True)
class Core:
    """Ports every consumer uses."""

    store: Store
    publisher: Publisher
    clock: Clock


@cache
def client(service: str) -> Any:
    """A boto3 client with standard retries (endpoint from ``AWS_ENDPOINT_URL`` if set)."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=20
    )
    return boto3.client(service, config=config)  # type: ignore[call-overload]


@cache
def best_effort_client(service: str) -> Any:
    """A boto3 client for reads a step can do without (the side-by-side figures): two
    attempts and short waits, so a slow endpoint costs seconds, never the function's timeout."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5
    )
    return boto3.client(service, config=config)  # type: ignore[call-overload]


@cache
def store() -> Store:
    """Migrations, audit and idempotency claims in DynamoDB."""
    from bot.adapters.dynamodb_store import DynamoStore

    settings = StoreSettings.from_env()
    return DynamoStore(client("dynamodb"), settings.migrations_table, settings.idempotency_table)


@cache
def publisher() -> Publisher:
    """Domain events onto the custom bus."""
    from bot.adapters.eventbridge import EventBridgePublisher

    return EventBridgePublisher(client("events"), StoreSettings.from_env().event_bus_name)


@cache
def clock() -> Clock:
    """The system clock."""
    from bot.adapters.clock import SystemClock

    return SystemClock()


@cache
def core() -> Core:
    """Store, publisher and clock from the function's environment."""
    return Core(store=store(), publisher=publisher(), clock=clock())


@cache
def discovery_aws() -> AwsDiscovery:
    """EC2, ELBv2 and Route 53 reads."""
    from bot.adapters.aws_discovery import AwsDiscovery

    zone = DiscoverySettings.from_env().traffic_hosted_zone_id
    return AwsDiscovery(
        client("ec2"), client("elbv2"), client("route53"), hosted_zone_id=zone, iam=client("iam")
    )


@cache
def capture_aws() -> AwsCapture:
    """SSM Run Command, S3 (bundles, presigned uploads), IAM reads and Secrets Manager."""
    from bot.adapters.aws_capture import AwsCapture

    bucket = CaptureSettings.from_env().artifacts_bucket
    return AwsCapture(client("ssm"), client("s3"), client("iam"), client("secretsmanager"), bucket)


@cache
def build_aws() -> AwsBuild:
    """ECR, S3 and CodeBuild."""
    from bot.adapters.aws_build import AwsBuild

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
    from bot.adapters.aws_express import AwsExpress
    from bot.adapters.aws_task_access import AwsTaskAccess

    settings = DeploySettings.from_env()
    return AwsExpress(
        client("ecs"),
        client("sts"),
        settings.execution_role_arn,
        settings.infrastructure_role_arn,
        access=AwsTaskAccess(client("iam"), client("ec2"), settings.task_role_boundary_arn),
    )


@cache
def traffic_aws() -> Route53Traffic:
    """Route 53 weighted records."""
    from bot.adapters.route53_traffic import Route53Traffic

    return Route53Traffic(client("route53"))


@cache
def edge_aws() -> AwsEdge:
    """ECS (managed resources), ELBv2 (listener certificates, rules) and CloudWatch (alarms)."""
    from bot.adapters.aws_edge import AwsEdge

    return AwsEdge(client("ecs"), client("elbv2"), client("cloudwatch"))


@cache
def reconcile_aws() -> AwsReconcile:
    """CodeBuild, ECS, Systems Manager and ACM reads for the reconciler (and a cancel's stops)."""
    from bot.adapters.aws_reconcile import AwsReconcile

    return AwsReconcile(client("codebuild"), client("ecs"), client("ssm"), client("acm"))


@cache
def certificate_aws() -> AwsCertificates:
    """ELBv2 (the legacy listener's certificates), ACM and Route 53 (validation records)."""
    from bot.adapters.aws_certificates import AwsCertificates

    return AwsCertificates(client("elbv2"), client("acm"), client("route53"))


@cache
def side_by_side_aws() -> AwsSideBySide:
    """CloudWatch (both sides' ALB metrics) and ELBv2 (the legacy targets' health) reads."""
    from bot.adapters.aws_side_by_side import AwsSideBySide

    return AwsSideBySide(best_effort_client("cloudwatch"), best_effort_client("elbv2"))


@cache
def cleanup_aws() -> AwsCleanup:
    """The removals of Clean up (ECS, ELBv2, CloudWatch, Scheduler, Secrets Manager, ACM,
    Route 53, IAM, EC2, ECR, CodeBuild), each client made when first used."""
    from bot.adapters.aws_cleanup import AwsCleanup

    return AwsCleanup(client, SchedulerSettings.from_env().schedule_group)


@cache
def decommission_aws() -> AwsDecommission:
    """EC2 (stop, start, image, terminate) and ELBv2 (the legacy target group)."""
    from bot.adapters.aws_decommission import AwsDecommission

    return AwsDecommission(client("ec2"), client("elbv2"))


def terminate_after() -> timedelta:
    """How long after a decommission Terminate is offered (``TerminateAfterDays``)."""
    from bot.config import DecommissionSettings

    return timedelta(days=int(DecommissionSettings.from_env().terminate_after_days))


@cache
def health_aws() -> AwsHealth:
    """CloudWatch, ELBv2 and EC2 reads of a health report (best effort: a failed read is
    said in the report, never fatal)."""
    from bot.adapters.aws_health import AwsHealth

    return AwsHealth(
        best_effort_client("cloudwatch"), best_effort_client("elbv2"), best_effort_client("ec2")
    )


@cache
def report_store() -> ReportStore:
    """Compiled health reports (idempotency table) and every channel's migrations."""
    from bot.adapters.dynamodb_reports import DynamoReports

    settings = StoreSettings.from_env()
    return DynamoReports(client("dynamodb"), settings.migrations_table, settings.idempotency_table)


def bake() -> timedelta:
    """How long each cutover step bakes (``BakeMinutes``)."""
    return timedelta(minutes=int(BakeSettings.from_env().bake_minutes))


@cache
def scheduler() -> EventBridgeScheduler:
    """One-time schedules in the stack's schedule group."""
    from bot.adapters.scheduler import EventBridgeScheduler

    settings = SchedulerSettings.from_env()
    return EventBridgeScheduler(
        client("scheduler"),
        group=settings.schedule_group,
        bus_arn=settings.event_bus_arn,
        role_arn=settings.scheduler_role_arn,
    )


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
def slack_client() -> WebClient:
    """The bot's Web API client: base URL from the settings, Retry-After honoured on 429."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    token, _ = slack_credentials()
    web = WebClient(
        token=token,
        base_url=SlackSettings.from_env().slack_api_url,
        timeout=SLACK_TIMEOUT_SECONDS,
    )
    web.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=SLACK_RATE_LIMIT_RETRIES))
    return web


@cache
def slack_notifier() -> SlackWebNotifier:
    """The notifier's Slack writer."""
    from bot.adapters.slack_web import SlackWebNotifier

    hours = int(ButtonSettings.from_env().button_validity_hours)
    return SlackWebNotifier(slack_client(), buttons_valid_for=timedelta(hours=hours))


class LazyIngressPorts:
    """The ingress's ports, each built on first read (``/migrate list`` builds the store only)."""

    @property
    def store(self) -> Store:
        """DynamoDB."""
        return store()

    @property
    def publisher(self) -> Publisher:
        """EventBridge."""
        return publisher()

    @property
    def clock(self) -> Clock:
        """The system clock."""
        return clock()

    @property
    def discovery(self) -> AwsDiscovery:
        """EC2, ELBv2 and Route 53 reads."""
        return discovery_aws()

    @property
    def policy(self) -> Policy | None:
        """The stack's default policy (``Approvers``); ``None`` if unusable (all is denied)."""
        return ingress_policy()

    @property
    def uploads_bucket(self) -> str | None:
        """The artifacts bucket (``--source`` bundles live under its ``uploads/``)."""
        try:
            return CaptureSettings.from_env().artifacts_bucket
        except ConfigError:
            return None


@cache
def ingress_policy() -> Policy | None:
    """The stack's default policy from ``APPROVERS``; missing or malformed: ``None`` (denies)."""
    from bot.domain.policy import PolicyError, stack_default
    from bot.observability import logger

    try:
        settings = PolicySettings.from_env()
        return stack_default(settings.approvers, settings.policy_admins)
    except (ConfigError, PolicyError) as error:
        logger.error(f"no usable policy, so every request and click is denied: {error}")
        return None


def slack_installation() -> tuple[Installation | None, str]:
    """The installation the ingress serves, or ``None`` and why (then it refuses every request)."""
    from bot.slack.installation import Installation

    try:
        settings = InstallationSettings.from_env()
    except ConfigError as error:
        return None, f"the installation is not configured ({error})"
    installation = Installation(
        team_id=settings.slack_team_id,
        app_id=settings.slack_app_id,
        enterprise_id=settings.slack_enterprise_id,
    )
    return installation, ""


@cache
def ingress_app() -> App:
    """The Bolt app; its ports are built when a listener first needs them."""
    from bot.slack.app import build_app

    token, signing_secret = slack_credentials()
    installation, unconfigured = slack_installation()
    return build_app(
        LazyIngressPorts(),
        token=token,
        signing_secret=signing_secret,
        client=slack_client(),
        installation=installation,
        unconfigured=unconfigured,
    )


@cache
def ingress_handler() -> BoltLambdaHandler:
    """API Gateway events (payload 2.0 or 1.0) in, Bolt's answers out; no boto3 on the way."""
    from bot.adapters.bolt_lambda import BoltLambdaHandler

    return BoltLambdaHandler(ingress_app())


def reset() -> None:
    """Forget every cached adapter (tests and the sandbox switch environments): every
    ``@cache`` function of this module, so a new one cannot be forgotten here."""
    for built in list(globals().values()):
        if getattr(built, "__module__", None) == __name__ and hasattr(built, "cache_clear"):
            built.cache_clear()
