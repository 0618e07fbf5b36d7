"""manifest.yml declares exactly the commands, interactivity and scopes the code needs (both ways)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient

from bot.adapters.bolt_lambda import BoltLambdaHandler
from bot.domain.facts import AliasTarget
from bot.domain.migration import Migration
from bot.domain.policy import stack_default
from bot.domain.state import Stage
from bot.slack.app import ACTION_IDS, COMMAND, MENTION_EVENT, IngressDeps, build_app
from bot.slack.blocks import card_buttons
from bot.slack.installation import Installation
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import (
    APP_ID,
    TEAM_ID,
    app_mention_envelope,
    block_action,
    signed_event,
    slash_command,
)
from sandbox.slack_standin import SlackStandIn
from tests.fakes import FakeClock, FakeDiscovery, FakeStore, RecordingPublisher

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
SECRET = "manifest-test-secret"
DOCS = "https://docs.slack.dev/reference/methods/"

#: Each Web API method the product calls → the bot scopes this app needs for it, from the
#: "Scopes" (bot token) entry of the method's page. conversations.info takes the read scope of
#: the conversation's type: channels:read for public channels, groups:read for private ones
#: (/migrate runs in either); im:read and mpim:read are not asked, migrations live in channels.
METHOD_SCOPES: dict[str, tuple[str, frozenset[str]]] = {
    "chat.postMessage": (DOCS + "chat.postMessage", frozenset({"chat:write"})),
    "chat.update": (DOCS + "chat.update", frozenset({"chat:write"})),
    # A notice only the person who mentioned the bot sees (the mention it cannot answer).
    "chat.postEphemeral": (DOCS + "chat.postEphemeral", frozenset({"chat:write"})),
    "conversations.info": (
        DOCS + "conversations.info",
        frozenset({"channels:read", "groups:read"}),
    ),
    "users.info": (DOCS + "users.info", frozenset({"users:read"})),
    "usergroups.users.list": (DOCS + "usergroups.users.list", frozenset({"usergroups:read"})),
    # A DM only: the page lists im:write for a direct message (channels:manage, groups:write
    # and mpim:write are for the other conversation types, which the bot never opens).
    "conversations.open": (DOCS + "conversations.open", frozenset({"im:write"})),
    # slack_sdk's files_upload_v2 calls files.getUploadURLExternal, POSTs the bytes to the
    # URL it returns, then files.completeUploadExternal; both methods' pages name files:write.
    "files.upload.v2": (DOCS + "files.completeUploadExternal", frozenset({"files:write"})),
    # The plan's Edit modal; the page says "No scopes required" (the click's trigger_id is
    # the person's consent).
    "views.open": (DOCS + "views.open", frozenset()),
}
#: Features that need a scope of their own, not a method call.
FEATURE_SCOPES = {
    # https://docs.slack.dev/reference/scopes/commands: "Add shortcuts and/or slash commands"
    "slash_commands": "commands",
}
#: Each Events API event the app subscribes to → the scope its page names
#: (https://docs.slack.dev/reference/events/app_mention: "app_mentions:read").
EVENT_SCOPES = {"app_mention": "app_mentions:read"}
#: WebClient's own helpers, which are not Web API methods.
CLIENT_HELPERS = frozenset(dir(BaseClient))


@pytest.fixture
def handler() -> BoltLambdaHandler:
    deps = IngressDeps(
        FakeStore(),
        RecordingPublisher(),
        FakeClock(),
        FakeDiscovery(),
        policy=stack_default("S0APPROVERS"),
    )
    app = build_app(
        deps,
        token="xoxb-x",
        signing_secret=SECRET,
        client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/"),
        installation=Installation(team_id=TEAM_ID, app_id=APP_ID),
    )
    return BoltLambdaHandler(app)


def send(handler: BoltLambdaHandler, event: dict[str, Any]) -> int:
    return int(handler.handle(event, LocalContext(function_name="ingress"))["statusCode"])


def test_manifest_commands_are_exactly_the_registered_ones(handler: BoltLambdaHandler) -> None:
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


def _plan() -> Any:
    from tests.unit.test_retirement import _plan as plan

    return plan()


def _terminable() -> Any:
    from bot.domain.retirement import DecommissionRecord

    return DecommissionRecord(
        instance_id="i-0abc1234",
        target_group_arn="arn:tg",
        port=3000,
        requested_by="U2",
        image_id="ami-1",
        terminable=True,
    )


def test_interactivity_matches_the_buttons_the_code_handles(handler: BoltLambdaHandler) -> None:
    slack = SlackStandIn(token="xoxb-x")
    slack.start()
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is bool(ACTION_IDS)
    offered: set[str] = set()
    # Cutover and gradual buttons show only once the Express side serves the name; the
    # gradual ones depend on whether a gradual cutover runs, and whether it is paused.
    serving = AliasTarget(
        dns_name="ecs-express-gateway-alb-1.elb.amazonaws.com", hosted_zone_id="Z1"
    )
    variants: list[dict[str, Any]] = [
        {},
        {"express_alias": serving},
        {"express_alias": serving, "gradual_until": 100},
        {"express_alias": serving, "gradual_until": 100, "paused": True},
        # Decommission (100 % baked, a target group to leave) and Terminate (its wait over).
        {"weight": 100, "plan": _plan(), "decommission": _terminable()},
    ]
    for stage in Stage:
        for variant in variants:
            migration = Migration(
                migration_id="mig-00000000",
                stage=stage,
                target="i-0abc1234",
                channel_id="C1",
                requested_by="U1",
                created_at=FakeClock().now(),
                updated_at=FakeClock().now(),
                service_arn="arn:svc",
                **variant,
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


def _mention(event_type: str) -> dict[str, Any]:
    envelope = app_mention_envelope(
        "status", user_id="U0ALICE", channel_id="C0MIGRATE", ts="1700000000.000100"
    )
    envelope["event"]["type"] = event_type
    return signed_event(json.dumps(envelope), SECRET, content_type="application/json")


def test_manifest_events_are_exactly_the_ones_the_code_handles(
    handler: BoltLambdaHandler,
) -> None:
    subscribed = MANIFEST["settings"]["event_subscriptions"]
    assert subscribed["bot_events"] == [MENTION_EVENT]
    assert subscribed["request_url"] == MANIFEST["settings"]["interactivity"]["request_url"]
    assert set(EVENT_SCOPES) == set(subscribed["bot_events"])
    # The subscribed event reaches a listener; one the manifest does not subscribe to has none
    # (Bolt answers an unhandled request 404).
    assert send(handler, _mention(MENTION_EVENT)) == 200
    assert send(handler, _mention("reaction_added")) == 404


def web_api_methods_called() -> dict[str, list[str]]:
    """Every ``<x>.<web_api_method>(...)`` call in bot/ → where it is made."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            if name in CLIENT_HELPERS or not callable(getattr(WebClient, name, None)):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            found.setdefault(name.replace("_", "."), []).append(where)
    return found


def test_every_web_api_call_has_its_scopes_mapped() -> None:
    called = web_api_methods_called()
    assert "chat.postMessage" in called  # the scan sees the notifier's calls
    unmapped = {m: where for m, where in called.items() if m not in METHOD_SCOPES}
    assert unmapped == {}, "add each method's bot scopes (from its Slack page) to METHOD_SCOPES"
    assert set(METHOD_SCOPES) == set(called), "METHOD_SCOPES names a method nothing calls"


def test_manifest_scopes_are_exactly_what_the_calls_and_features_need() -> None:
    needed = {scope for _, scopes in METHOD_SCOPES.values() for scope in scopes}
    needed |= {
        scope for feature, scope in FEATURE_SCOPES.items() if MANIFEST["features"].get(feature)
    }
    needed |= {EVENT_SCOPES[e] for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])

    assert needed - granted == set(), "the manifest lacks scopes the bot's calls need"
    assert granted - needed == set(), "the manifest grants scopes no call needs"
    assert "chat:write.public" not in granted  # the bot posts only where it was invited


def test_the_events_request_url_answers_slacks_url_verification(
    handler: BoltLambdaHandler,
) -> None:
    """Saving the manifest's event request URL makes Slack send a signed ``url_verification``
    with a ``challenge`` that must come back (Slack, "The Events API", URL verification)."""
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    answer = handler.handle(
        signed_event(body, SECRET, content_type="application/json"),
        LocalContext(function_name="ingress"),
    )
    assert answer["statusCode"] == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer["body"]
