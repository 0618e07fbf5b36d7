"""Settings, validated once per cold start. The only module that reads ``os.environ``.

Each Lambda function has one settings model; ``template.yaml`` sets the same
variable names. Locally, Slack credentials come from ``SLACK_BOT_TOKEN`` and
``SLACK_SIGNING_SECRET``; in AWS from the Secrets Manager secret named by
``SLACK_CREDENTIALS_SECRET_ARN`` (JSON with ``bot_token`` and ``signing_secret``).

Frozen stdlib dataclasses rather than pydantic models: every setting is a string, required
(non-empty) or defaulted, and the ingress reads these on a cold ``/migrate help``, which
must not pay for pydantic before any model is needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Self

SLACK_DEFAULT_API_URL = "https://slack.com/api/"
#: Slack's id shapes, as template.yaml's AllowedPattern for the installation parameters.
TEAM_ID_PATTERN = r"^[TE][A-Z0-9]{2,}$"
ENTERPRISE_ID_PATTERN = r"^E[A-Z0-9]{2,}$"
APP_ID_PATTERN = r"^A[A-Z0-9]{2,}$"


class ConfigError(RuntimeError):
    """The function's environment is missing or has a malformed setting."""


def _env(variable: str, default: str | None | Any = MISSING) -> Any:
    """A setting read from ``variable``; required (non-empty) unless it has a default."""
    return field(default=default, metadata={"env": variable})


@dataclass(frozen=True, kw_only=True)
class _Settings:
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Build the settings from environment variables, failing with every problem named."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        missing: list[str] = []
        for setting in fields(cls):
            variable = setting.metadata["env"]
            value = environ.get(variable)  # empty counts as unset
            if value:
                values[setting.name] = value
            elif setting.default is MISSING:
                missing.append(variable)
        if missing:
            raise ConfigError(f"bad or missing settings: {', '.join(missing)}")
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class StoreSettings(_Settings):
    """Every consumer: the migrations table and the bus."""

    migrations_table: str = _env("MIGRATIONS_TABLE")
    idempotency_table: str = _env("IDEMPOTENCY_TABLE")
    event_bus_name: str = _env("EVENT_BUS_NAME")


@dataclass(frozen=True, kw_only=True)
class SlackSettings(StoreSettings):
    """Functions that talk to Slack: ingress and notifier."""

    slack_api_url: str = _env("SLACK_API_URL", SLACK_DEFAULT_API_URL)
    slack_secret_arn: str | None = _env("SLACK_CREDENTIALS_SECRET_ARN", None)
    slack_bot_token: str | None = _env("SLACK_BOT_TOKEN", None)
    slack_signing_secret: str | None = _env("SLACK_SIGNING_SECRET", None)


@dataclass(frozen=True, kw_only=True)
class InstallationSettings(_Settings):
    """The ingress: the one Slack installation it serves; missing or malformed, it refuses all.

    Set from the template parameters ``SlackTeamId``, ``SlackEnterpriseId`` (empty: not in
    an Enterprise Grid) and ``SlackAppId``.
    """

    slack_team_id: str = _env("SLACK_TEAM_ID")
    slack_app_id: str = _env("SLACK_APP_ID")
    slack_enterprise_id: str | None = _env("SLACK_ENTERPRISE_ID", None)

    def __post_init__(self) -> None:
        """Refuse ids that are not Slack's shapes (``T…``/``E…``, ``E…``, ``A…``)."""
        shapes = {
            "SLACK_TEAM_ID": (self.slack_team_id, TEAM_ID_PATTERN),
            "SLACK_APP_ID": (self.slack_app_id, APP_ID_PATTERN),
            "SLACK_ENTERPRISE_ID": (self.slack_enterprise_id, ENTERPRISE_ID_PATTERN),
        }
        bad = [
            name
            for name, (value, shape) in shapes.items()
            if value and not re.fullmatch(shape, value)
        ]
        if bad:
            raise ConfigError(f"bad or missing settings: {', '.join(bad)}")


@dataclass(frozen=True, kw_only=True)
class BuildSettings(StoreSettings):
    """The build consumer: where sources go and which role CodeBuild uses."""

    artifacts_bucket: str = _env("ARTIFACTS_BUCKET")
    codebuild_role_arn: str = _env("CODEBUILD_ROLE_ARN")


@dataclass(frozen=True, kw_only=True)
class DeploySettings(StoreSettings):
    """The deploy consumer: roles Express Mode needs."""

    execution_role_arn: str = _env("ECS_EXECUTION_ROLE_ARN")
    infrastructure_role_arn: str = _env("ECS_INFRASTRUCTURE_ROLE_ARN")
    task_role_boundary_arn: str = _env("TASK_ROLE_BOUNDARY_ARN")


@dataclass(frozen=True, kw_only=True)
class BakeSettings(_Settings):
    """The traffic consumer: how long each cutover step bakes (``BakeMinutes``)."""

    bake_minutes: str = _env("BAKE_MINUTES", "10")

    def __post_init__(self) -> None:
        """Refuse anything but a whole number of minutes from 0 (no bake) to 1440 (a day)."""
        value = self.bake_minutes
        if not value.isdigit() or not 0 <= int(value) <= 1440:
            raise ConfigError("bad or missing settings: BAKE_MINUTES")


@dataclass(frozen=True, kw_only=True)
class SchedulerSettings(_Settings):
    """Functions that schedule events: the stack's schedule group, the role EventBridge
    Scheduler assumes, and the bus the events go to."""

    schedule_group: str = _env("SCHEDULE_GROUP")
    scheduler_role_arn: str = _env("SCHEDULER_ROLE_ARN")
    event_bus_arn: str = _env("EVENT_BUS_ARN")


@dataclass(frozen=True, kw_only=True)
class PolicySettings(_Settings):
    """The ingress: the stack's default policy, template parameters ``Approvers`` and
    ``PolicyAdmins`` (who may set a channel's own policy; empty: nobody)."""

    approvers: str = _env("APPROVERS")
    policy_admins: str = _env("POLICY_ADMINS", "")


@dataclass(frozen=True, kw_only=True)
class ButtonSettings(_Settings):
    """The notifier: how long a card's buttons stay valid (``ButtonValidityHours``)."""

    button_validity_hours: str = _env("BUTTON_VALIDITY_HOURS", "24")

    def __post_init__(self) -> None:
        """Refuse anything but a whole number of hours from 1 to 720 (30 days)."""
        value = self.button_validity_hours
        if not value.isdigit() or not 1 <= int(value) <= 720:
            raise ConfigError("bad or missing settings: BUTTON_VALIDITY_HOURS")


@dataclass(frozen=True, kw_only=True)
class DiscoverySettings(_Settings):
    """Discovery: the one hosted zone DNS records are looked up in, if the stack pins one."""

    traffic_hosted_zone_id: str | None = _env("TRAFFIC_HOSTED_ZONE_ID", None)


@dataclass(frozen=True, kw_only=True)
class CaptureSettings(_Settings):
    """Discovery and the capture consumer: the bucket bundles are uploaded to."""

    artifacts_bucket: str = _env("ARTIFACTS_BUCKET")


@dataclass(frozen=True, kw_only=True)
class DecommissionSettings(_Settings):
    """The decommission consumer: the days after a decommission before Terminate is offered
    (template parameter ``TerminateAfterDays``)."""

    terminate_after_days: str = _env("TERMINATE_AFTER_DAYS", "7")

    def __post_init__(self) -> None:
        """Refuse anything but a whole number of days from 0 to 365."""
        value = self.terminate_after_days
        if not value.isdigit() or not 0 <= int(value) <= 365:
            raise ConfigError("bad or missing settings: TERMINATE_AFTER_DAYS")
