"""The ingress serves one Slack installation: another team, enterprise or app is refused.

Correctly signed requests (the signature is not what is wrong) through the real Bolt app and
the ingress's Lambda translation, with the Slack stand-in as Slack. A refused command gets
401, a refused click an ephemeral refusal; nothing is written or emitted, the card is left
as it was, and the refusal is logged with the ids. Without the settings, the ingress built by
the composition root refuses every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk import WebClient

from bot import bootstrap
from bot.adapters.bolt_lambda import BoltLambdaHandler
from bot.domain.policy import stack_default
from bot.domain.state import Stage
from bot.slack.app import ChannelAccess, IngressDeps, build_app
from bot.slack.blocks import render_status_card
from bot.slack.installation import Installation
from bot.slack.replies import OTHER_INSTALLATION
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import APP_ID, TEAM_ID, block_action, slash_command
from sandbox.slack_standin import SlackStandIn
from tests.fakes import FakeClock, FakeDiscovery, FakeStore, RecordingPublisher

TOKEN = "xoxb-installation"
SECRET = "installation-secret"
CHANNEL = "C0MEMBER"
INSTANCE = "i-0abc1234def567890"
GRID = "E0SANDBOX"


@dataclass
class Ingress:
    """The ingress for one installation, wired to fakes, with the stand-in as Slack."""

    slack: SlackStandIn
    store: FakeStore
    publisher: RecordingPublisher
    handler: BoltLambdaHandler

    def command(self, text: str, **ids: Any) -> dict[str, Any]:
        """Send ``/migrate <text>`` signed with the right secret, naming ``ids``."""
        event = slash_command(
            "/migrate",
            text,
            user_id="U0ALICE",
            channel_id=CHANNEL,
            response_url=self.slack.new_response_url(CHANNEL, user_id="U0ALICE"),
            signing_secret=SECRET,
            **ids,
        )
        return self.handler.handle(event, LocalContext(function_name="ingress"))

    def click(self, action_id: str, card: dict[str, Any], **ids: Any) -> dict[str, Any]:
        """Click ``action_id`` on ``card`` as U0BOB, naming ``ids``."""
        value = next(
            element["value"]
            for block in card["blocks"]
            for element in block.get("elements", [])
            if element.get("action_id") == action_id
        )
        event = block_action(
            action_id,
            value,
            user_id="U0BOB",
            channel_id=CHANNEL,
            message_ts=card["ts"],
            message=card,
            response_url=self.slack.new_response_url(
                CHANNEL, user_id="U0BOB", message_ts=card["ts"]
            ),
            signing_secret=SECRET,
            **ids,
        )
        return self.handler.handle(event, LocalContext(function_name="ingress"))

    def post_card(self) -> dict[str, Any]:
        """Start a migration as the configured team, plan it, and post its card with buttons."""
        assert self.command(INSTANCE)["statusCode"] == 200
        (requested,) = self.store.migrations.values()
        migration = requested.model_copy(update={"stage": Stage.PLANNED})
        self.store.migrations[migration.migration_id] = migration
        # Drawn by the notifier an hour before the fake clock's now: the buttons are valid.
        text, blocks = render_status_card(
            migration, buttons_until=datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
        )
        client = WebClient(token=TOKEN, base_url=self.slack.url)
        ts = client.chat_postMessage(channel=CHANNEL, text=text, blocks=blocks)["ts"]
        self.publisher.events.clear()
        return {"ts": ts, "text": text, "blocks": blocks}


def _ingress(installation: Installation | None) -> Iterator[Ingress]:
    with SlackStandIn(TOKEN, channels={}) as slack:
        slack.add_channel(CHANNEL, "platform")
        store, publisher = FakeStore(), RecordingPublisher()
        app = build_app(
            IngressDeps(
                store, publisher, FakeClock(), FakeDiscovery(), policy=stack_default("S0APPROVERS")
            ),
            token=TOKEN,
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=slack.url),
            installation=installation,
            unconfigured="the installation is not configured (test)",
            channels=ChannelAccess(),
        )
        yield Ingress(slack, store, publisher, BoltLambdaHandler(app))


@pytest.fixture
def ingress() -> Iterator[Ingress]:
    yield from _ingress(Installation(team_id=TEAM_ID, app_id=APP_ID))


@pytest.fixture
def grid_ingress() -> Iterator[Ingress]:
    yield from _ingress(Installation(team_id=TEAM_ID, app_id=APP_ID, enterprise_id=GRID))


def _refusal_logged(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The one refusal logged since ``caplog`` was last cleared, as its structured keys."""
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(refusals) == 1, [r.getMessage() for r in caplog.records]
    record = refusals[0]
    keys = ("request", "installation", "mismatched")
    found = {key: getattr(record, key) for key in keys if hasattr(record, key)}
    caplog.clear()
    return {"level": record.levelname, "message": record.getMessage(), **found}


@pytest.mark.parametrize(
    ("ids", "mismatched"),
    [
        ({"team_id": "T0OTHER"}, ["team_id"]),
        ({"app_id": "A0OTHER"}, ["app_id"]),
        ({"enterprise_id": "E0OTHER"}, ["enterprise_id"]),
    ],
)
def test_a_command_from_another_installation_gets_401_and_nothing_happens(
    ingress: Ingress,
    caplog: pytest.LogCaptureFixture,
    ids: dict[str, str],
    mismatched: list[str],
) -> None:
    answer = ingress.command(INSTANCE, **ids)

    assert answer["statusCode"] == 401
    assert ingress.store.migrations == {} and ingress.store.locks == {}
    assert ingress.store.audit == [] and ingress.publisher.events == []
    assert ingress.slack.calls == [] and ingress.slack.responses == []
    logged = _refusal_logged(caplog)
    assert logged["level"] == "WARNING" and logged["mismatched"] == mismatched
    expected = {"team_id": TEAM_ID, "enterprise_id": None, "app_id": APP_ID} | ids
    assert logged["request"] == expected
    assert logged["installation"] == {"team_id": TEAM_ID, "enterprise_id": None, "app_id": APP_ID}


def test_even_help_is_refused_to_another_team(ingress: Ingress) -> None:
    answer = ingress.command("help", team_id="T0OTHER")
    assert answer["statusCode"] == 401 and "Usage" not in answer["body"]


def test_the_configured_installation_is_served_as_before(ingress: Ingress) -> None:
    assert "Usage" in ingress.command("help")["body"]
    answer = ingress.command(INSTANCE)

    assert answer["statusCode"] == 200 and "started" in answer["body"]
    assert [m.channel_id for m in ingress.store.migrations.values()] == [CHANNEL]
    assert ingress.publisher.types() == ["MigrationRequested"]


def test_a_grid_installation_serves_its_enterprise_only(
    grid_ingress: Ingress, caplog: pytest.LogCaptureFixture
) -> None:
    assert grid_ingress.command(INSTANCE)["statusCode"] == 401  # no enterprise named
    assert grid_ingress.command(INSTANCE, enterprise_id="E0OTHER")["statusCode"] == 401
    assert grid_ingress.store.migrations == {} and grid_ingress.publisher.events == []

    answer = grid_ingress.command(INSTANCE, enterprise_id=GRID)
    assert answer["statusCode"] == 200 and "started" in answer["body"]
    assert grid_ingress.publisher.types() == ["MigrationRequested"]


@pytest.mark.parametrize(
    "ids", [{"team_id": "T0OTHER"}, {"app_id": "A0OTHER"}, {"enterprise_id": "E0OTHER"}]
)
def test_a_click_from_another_installation_is_refused_ephemerally_and_the_card_stays(
    ingress: Ingress, caplog: pytest.LogCaptureFixture, ids: dict[str, str]
) -> None:
    card = ingress.post_card()
    (before,) = ingress.store.migrations.values()
    caplog.clear()

    answer = ingress.click("cancel_migration", card, **ids)

    assert answer["statusCode"] == 200
    (after,) = ingress.store.migrations.values()
    assert (after.version, after.stage) == (before.version, before.stage)
    assert ingress.publisher.events == []
    shown = ingress.slack.channel(CHANNEL).message(card["ts"])
    assert (shown.edits, shown.text, shown.deleted) == (0, card["text"], False)
    ephemerals = ingress.slack.channel(CHANNEL).ephemerals
    assert [(e.visible_to, e.text) for e in ephemerals] == [("U0BOB", OTHER_INSTALLATION)]
    assert (
        _refusal_logged(caplog)["request"]
        == {
            "team_id": TEAM_ID,
            "enterprise_id": None,
            "app_id": APP_ID,
        }
        | ids
    )


def test_a_click_from_the_configured_installation_still_acts(ingress: Ingress) -> None:
    card = ingress.post_card()

    assert ingress.click("cancel_migration", card)["statusCode"] == 200

    assert ingress.publisher.events != []  # the control: the same click, our team, acts
    assert not any(e.text == OTHER_INSTALLATION for e in ingress.slack.channel(CHANNEL).ephemerals)


def test_without_an_installation_every_request_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for ingress in _ingress(None):
        for text in ("help", INSTANCE):
            assert ingress.command(text)["statusCode"] == 401
            logged = _refusal_logged(caplog)
            assert logged["level"] == "ERROR" and "not configured" in logged["message"]
        assert ingress.store.migrations == {} and ingress.publisher.events == []
        assert ingress.slack.calls == []


# The composition root: settings from the environment, as the Lambda gets them ----------------
BASE_ENV = {
    "SLACK_BOT_TOKEN": TOKEN,
    "SLACK_SIGNING_SECRET": SECRET,
    "MIGRATIONS_TABLE": "m",
    "IDEMPOTENCY_TABLE": "i",
    "EVENT_BUS_NAME": "b",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("SLACK_TEAM_ID", "SLACK_APP_ID", "SLACK_ENTERPRISE_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    bootstrap.reset()
    yield monkeypatch
    bootstrap.reset()


def _help() -> dict[str, Any]:
    event = slash_command(
        "/migrate",
        "help",
        user_id="U0ALICE",
        channel_id=CHANNEL,
        response_url="http://127.0.0.1:9/r",
        signing_secret=SECRET,
    )
    return bootstrap.ingress_handler().handle(event, LocalContext(function_name="ingress"))


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"SLACK_TEAM_ID": TEAM_ID},
        {"SLACK_APP_ID": APP_ID},
        {"SLACK_TEAM_ID": "", "SLACK_APP_ID": ""},
        {"SLACK_TEAM_ID": "t0sandbox", "SLACK_APP_ID": APP_ID},
        {"SLACK_TEAM_ID": TEAM_ID, "SLACK_APP_ID": APP_ID, "SLACK_ENTERPRISE_ID": "T0NOTGRID"},
    ],
)
def test_the_deployed_ingress_fails_closed_without_its_installation(
    environment: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, str],
) -> None:
    for name, value in settings.items():
        environment.setenv(name, value)

    assert _help()["statusCode"] == 401

    logged = _refusal_logged(caplog)
    assert logged["level"] == "ERROR" and "SLACK_" in logged["message"]


def test_the_deployed_ingress_serves_its_configured_installation(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("SLACK_TEAM_ID", TEAM_ID)
    environment.setenv("SLACK_APP_ID", APP_ID)
    environment.setenv("SLACK_ENTERPRISE_ID", "")  # the template's default: no Grid

    answer = _help()

    assert answer["statusCode"] == 200 and "Usage" in answer["body"]
