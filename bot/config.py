"""Settings, validated once per cold start. The only module that reads ``os.environ``.

Each Lambda function has one settings model; ``template.yaml`` sets the same
variable names. Locally, Slack credentials come from ``SLACK_BOT_TOKEN`` and
``SLACK_SIGNING_SECRET``; in AWS from the Secrets Manager secret named by
``SLACK_CREDENTIALS_SECRET_ARN`` (JSON with ``bot_token`` and ``signing_secret``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


class ConfigError(RuntimeError):
    """The function's environment is missing or has a malformed setting."""


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    #: Environment variable → field name.
    ENV: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Build the settings from environment variables, failing with every problem named."""
        environ = os.environ if environ is None else environ
        names: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            names.update(vars(klass).get("ENV", {}))
        values = {field: environ[var] for var, field in names.items() if environ.get(var)}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors()}
            missing = [var for var, field in names.items() if field in bad]
            raise ConfigError(f"bad or missing settings: {', '.join(missing)}") from error


class StoreSettings(_Settings):
    """Every consumer: the migrations table and the bus."""

    ENV: ClassVar[dict[str, str]] = {
        "MIGRATIONS_TABLE": "migrations_table",
        "IDEMPOTENCY_TABLE": "idempotency_table",
        "EVENT_BUS_NAME": "event_bus_name",
    }

    migrations_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    event_bus_name: str = Field(min_length=1)


class SlackSettings(StoreSettings):
    """Functions that talk to Slack: ingress and notifier."""

    ENV: ClassVar[dict[str, str]] = {
        "SLACK_API_URL": "slack_api_url",
        "SLACK_CREDENTIALS_SECRET_ARN": "slack_secret_arn",
        "SLACK_BOT_TOKEN": "slack_bot_token",
        "SLACK_SIGNING_SECRET": "slack_signing_secret",
    }

    slack_api_url: str = SLACK_DEFAULT_API_URL
    slack_secret_arn: str | None = None
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None


class BuildSettings(StoreSettings):
    """The build consumer: where sources go and which role CodeBuild uses."""

    ENV: ClassVar[dict[str, str]] = {
        "ARTIFACTS_BUCKET": "artifacts_bucket",
        "CODEBUILD_ROLE_ARN": "codebuild_role_arn",
    }

    artifacts_bucket: str = Field(min_length=1)
    codebuild_role_arn: str = Field(min_length=1)


class DeploySettings(StoreSettings):
    """The deploy consumer: roles Express Mode needs."""

    ENV: ClassVar[dict[str, str]] = {
        "ECS_EXECUTION_ROLE_ARN": "execution_role_arn",
        "ECS_INFRASTRUCTURE_ROLE_ARN": "infrastructure_role_arn",
    }

    execution_role_arn: str = Field(min_length=1)
    infrastructure_role_arn: str = Field(min_length=1)
