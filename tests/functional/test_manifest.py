"""manifest.yml declares exactly the commands and interactivity the code registers (both ways)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk import WebClient

from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.slack.app import ACTION_IDS, COMMAND, IngressDeps, build_app
from bot.slack.blocks import card_buttons
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import block_action, slash_command
from sandbox.slack_standin import SlackStandIn
from tests.fakes import FakeClock, FakeDiscovery, FakeStore, RecordingPublisher

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
SECRET = "manifest-test-secret"


@pytest.fixture
def handler() -> SlackRequestHandler:
    deps = IngressDeps(FakeStore(), RecordingPublisher(), FakeClock(), FakeDiscovery())
    app = build_app(
        deps,
        token="xoxb-x",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/"),
    )
    return SlackRequestHandler(app)


def send(handler: SlackRequestHandler, event: dict[str, Any]) -> int:
    return int(handler.handle(event, LocalContext(function_name="ingress"))["statusCode"])


def test_manifest_commands_are_exactly_the_registered_ones(handler: SlackRequestHandler) -> None:
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == {COMMAND}
    for command in declared:
        event = slash_command(
            command,
            "help",
            user_id="U1",
            channel_id="C1",
            response_url="http://127.0.0.1:9/r",
            signing_secret=SECRET,
        )
        assert send(handler, event) == 200
    unknown = slash_command(
        "/other",
        "",
        user_id="U1",
        channel_id="C1",
        response_url="http://127.0.0.1:9/r",
        signing_secret=SECRET,
    )
    assert send(handler, unknown) == 404  # Bolt answers 404 for what nothing listens to


def test_interactivity_matches_the_buttons_the_code_handles(handler: SlackRequestHandler) -> None:
    slack = SlackStandIn(token="xoxb-x")
    slack.start()
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is bool(ACTION_IDS)
    offered: set[str] = set()
    for stage in Stage:
        migration = Migration(
            migration_id="mig-00000000",
            stage=stage,
            target="i-0abc1234",
            channel_id="C1",
            requested_by="U1",
            created_at=FakeClock().now(),
            updated_at=FakeClock().now(),
            service_arn="arn:svc",
        )
        offered |= {b["action_id"] for b in card_buttons(migration)}
    assert offered == set(ACTION_IDS)
    value = json.dumps({"m": "mig-00000000", "v": 1})
    for action_id in ACTION_IDS:
        event = block_action(
            action_id,
            value,
            user_id="U1",
            channel_id="C1",
            message_ts="1.1",
            message=None,
            response_url=slack.new_response_url("C1", user_id="U1"),
            signing_secret=SECRET,
        )
        assert send(handler, event) == 200, action_id
        # The migration does not exist: the clicker is told so, privately.
        assert "No migration mig-00000000" in slack.responses[-1].payload["text"]
    stray = block_action(
        "launch_rockets",
        value,
        user_id="U1",
        channel_id="C1",
        message_ts="1.1",
        message=None,
        response_url="http://127.0.0.1:9/r",
        signing_secret=SECRET,
    )
    assert send(handler, stray) == 404
    slack.stop()


def test_manifest_subscribes_to_no_events_the_code_does_not_handle() -> None:
    assert "event_subscriptions" not in MANIFEST.get("settings", {})
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write"}
