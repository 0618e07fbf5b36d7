"""Settings from the environment: every problem named at once, empty means unset."""

from __future__ import annotations

import pytest

from bot.config import (
    SLACK_DEFAULT_API_URL,
    BuildSettings,
    ConfigError,
    InstallationSettings,
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


def test_the_installation_is_read_with_an_optional_enterprise() -> None:
    settings = InstallationSettings.from_env(
        {"SLACK_TEAM_ID": "T0ABC", "SLACK_APP_ID": "A0ABC", "SLACK_ENTERPRISE_ID": ""}
    )
    assert (settings.slack_team_id, settings.slack_app_id) == ("T0ABC", "A0ABC")
    assert settings.slack_enterprise_id is None  # the template's empty default: no Grid
    grid = InstallationSettings.from_env(
        {"SLACK_TEAM_ID": "E0ORG", "SLACK_APP_ID": "A0ABC", "SLACK_ENTERPRISE_ID": "E0ORG"}
    )
    assert grid.slack_enterprise_id == "E0ORG"


def test_a_missing_installation_is_named() -> None:
    with pytest.raises(ConfigError) as error:
        InstallationSettings.from_env({"SLACK_TEAM_ID": "", "SLACK_ENTERPRISE_ID": "E0ORG"})
    assert str(error.value) == "bad or missing settings: SLACK_TEAM_ID, SLACK_APP_ID"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"SLACK_TEAM_ID": "t0abc", "SLACK_APP_ID": "A0ABC"}, "SLACK_TEAM_ID"),
        ({"SLACK_TEAM_ID": "U0ABC", "SLACK_APP_ID": "A0ABC"}, "SLACK_TEAM_ID"),
        ({"SLACK_TEAM_ID": "T0ABC\n", "SLACK_APP_ID": "A0ABC"}, "SLACK_TEAM_ID"),
        ({"SLACK_TEAM_ID": "T0ABC", "SLACK_APP_ID": "T0ABC"}, "SLACK_APP_ID"),
        (
            {"SLACK_TEAM_ID": "T0ABC", "SLACK_APP_ID": "A0ABC", "SLACK_ENTERPRISE_ID": "T0ABC"},
            "SLACK_ENTERPRISE_ID",
        ),
    ],
)
def test_an_installation_id_not_shaped_as_slacks_is_refused(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as error:
        InstallationSettings.from_env(environ)
    assert str(error.value) == f"bad or missing settings: {named}"
