"""Settings from the environment: every problem named at once, empty means unset."""

from __future__ import annotations

import pytest

from bot.config import (
    SLACK_DEFAULT_API_URL,
    BuildSettings,
    ConfigError,
    SlackSettings,
    StoreSettings,
)

STORE = {"MIGRATIONS_TABLE": "m", "IDEMPOTENCY_TABLE": "i", "EVENT_BUS_NAME": "b"}


def test_settings_read_their_variables_and_keep_defaults() -> None:
    slack = SlackSettings.from_env(STORE | {"SLACK_BOT_TOKEN": "xoxb-1", "OTHER": "ignored"})
    assert (slack.migrations_table, slack.event_bus_name) == ("m", "b")
    assert slack.slack_bot_token == "xoxb-1"
    assert (slack.slack_api_url, slack.slack_secret_arn) == (SLACK_DEFAULT_API_URL, None)


def test_every_missing_or_empty_required_variable_is_named() -> None:
    with pytest.raises(ConfigError) as error:
        BuildSettings.from_env({"MIGRATIONS_TABLE": "m", "EVENT_BUS_NAME": ""})
    assert str(error.value) == (
        "bad or missing settings: IDEMPOTENCY_TABLE, EVENT_BUS_NAME, "
        "ARTIFACTS_BUCKET, CODEBUILD_ROLE_ARN"
    )


def test_settings_are_frozen() -> None:
    settings = StoreSettings.from_env(STORE)
    with pytest.raises(AttributeError):
        settings.migrations_table = "other"  # type: ignore[misc]
