"""`/migrate <target>` where the bot cannot post: an ephemeral "invite me", nothing written.

Through the real Bolt app and the ingress's Lambda translation, against the Slack stand-in
granted exactly the manifest's scopes (so a missing scope would fail here as on Slack).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from slack_sdk import WebClient

from bot.adapters.bolt_lambda import BoltLambdaHandler
from bot.domain.policy import stack_default
from bot.slack.app import ChannelAccess, IngressDeps, build_app
from bot.slack.installation import Installation
from bot.slack.replies import NOT_IN_CHANNEL
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import APP_ID, TEAM_ID, slash_command
from sandbox.slack_standin import SlackStandIn
from tests.fakes import FakeClock, FakeDiscovery, FakeStore, RecordingPublisher

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
SCOPES = MANIFEST["oauth_config"]["scopes"]["bot"]
TOKEN = "xoxb-membership"
SECRET = "membership-secret"
INSTANCE = "i-0abc1234def567890"


@dataclass
class Ingress:
    """The ingress wired to fakes, with the stand-in as Slack."""

    slack: SlackStandIn
    store: FakeStore
    publisher: RecordingPublisher
    handler: BoltLambdaHandler
    now: list[float]

    def migrate(self, text: str, channel_id: str, channel_name: str = "platform-migrations") -> str:
        """The ack's text: plain text, or JSON with ``text`` (both ephemeral unless told)."""
        event = slash_command(
            "/migrate",
            text,
            user_id="U0ALICE",
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=self.slack.new_response_url(channel_id, user_id="U0ALICE"),
            signing_secret=SECRET,
        )
        answer = self.handler.handle(event, LocalContext(function_name="ingress"))
        assert answer["statusCode"] == 200
        body = str(answer["body"])
        if not body.startswith("{"):
            return body
        payload = json.loads(body)
        assert payload.get("response_type", "ephemeral") == "ephemeral"
        return str(payload["text"])

    def methods(self) -> list[str]:
        return [call.method for call in self.slack.calls]


@pytest.fixture
def ingress() -> Iterator[Ingress]:
    with SlackStandIn(TOKEN, channels={}, scopes=SCOPES) as slack:
        slack.add_channel("C0MEMBER", "platform")
        slack.add_channel("C0PUBLIC", "general", bot_member=False)
        slack.add_channel("C0SECRET", "ops-private", private=True, bot_member=False)
        store, publisher, now = FakeStore(), RecordingPublisher(), [0.0]
        app = build_app(
            IngressDeps(
                store, publisher, FakeClock(), FakeDiscovery(), policy=stack_default("S0APPROVERS")
            ),
            token=TOKEN,
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=slack.url),
            installation=Installation(team_id=TEAM_ID, app_id=APP_ID),
            channels=ChannelAccess(ttl=300.0, clock=lambda: now[0]),
        )
        yield Ingress(slack, store, publisher, BoltLambdaHandler(app), now)


@pytest.mark.parametrize("channel_id", ["C0PUBLIC", "C0SECRET"])
def test_a_channel_without_the_bot_gets_an_invite_hint_and_nothing_is_written(
    ingress: Ingress, channel_id: str
) -> None:
    answer = ingress.migrate(INSTANCE, channel_id)

    assert answer == NOT_IN_CHANNEL
    assert "`/invite @migrate-bot`" in answer
    assert ingress.store.migrations == {} and ingress.store.locks == {}
    assert ingress.store.audit == []
    assert ingress.publisher.events == []
    assert ingress.methods() == ["conversations.info"]  # one Slack call, no post


def test_after_invite_the_same_command_starts_the_migration(ingress: Ingress) -> None:
    assert ingress.migrate(INSTANCE, "C0PUBLIC") == NOT_IN_CHANNEL

    ingress.slack.invite_bot("C0PUBLIC")  # a refusal is not remembered
    answer = ingress.migrate(INSTANCE, "C0PUBLIC")

    assert "started" in answer
    assert [m.channel_id for m in ingress.store.migrations.values()] == ["C0PUBLIC"]
    assert ingress.publisher.types() == ["MigrationRequested"]


def test_a_channel_known_good_is_asked_once_per_warm_container(ingress: Ingress) -> None:
    ingress.migrate(INSTANCE, "C0MEMBER")
    ingress.migrate("secure-blog", "C0MEMBER")  # refused as busy, after the channel check
    # One channel check and one look at who is asking (kept) for both requests.
    assert ingress.methods() == ["conversations.info", "users.info"]

    ingress.now[0] = 301.0  # past the TTL: asked again
    ingress.migrate("secure-blog", "C0MEMBER")
    # The person is still known (People keeps its own clock, five minutes of real time).
    assert ingress.methods() == ["conversations.info", "users.info", "conversations.info"]


def test_a_direct_message_is_refused_without_asking_slack(ingress: Ingress) -> None:
    assert ingress.migrate(INSTANCE, "D0ALICE") == NOT_IN_CHANNEL
    assert ingress.methods() == []
    assert ingress.store.migrations == {} and ingress.publisher.events == []


def test_help_list_and_status_need_no_membership(ingress: Ingress) -> None:
    assert "Usage" in ingress.migrate("help", "C0SECRET")
    assert "No migrations" in ingress.migrate("list", "C0SECRET")
    assert "No migration" in ingress.migrate("status", "C0SECRET")
    assert ingress.methods() == []


def test_a_group_direct_message_is_refused_without_asking_slack(ingress: Ingress) -> None:
    # Slack names a group DM "mpdm-…" in the command payload; asking conversations.info about
    # it would need mpim:read, which the app does not ask for.
    answer = ingress.migrate(INSTANCE, "G0GROUPDM", channel_name="mpdm-alice--bob--carol-1")
    assert answer == NOT_IN_CHANNEL
    assert ingress.store.migrations == {} and ingress.publisher.events == []
    assert ingress.methods() == []
