"""The Slack stand-in and the user-side client, exercised with the real slack_sdk and Bolt."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_handlers
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from sandbox import slack_client, slack_triggers
from sandbox.slack_client import SlackUser
from sandbox.slack_standin import SlackStandIn

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
CHANNEL = "C0TEST"
CONTEXT = SimpleNamespace(function_name="SlackIngress", invoked_function_arn="arn:test")

CARD = [
    {"type": "header", "text": {"type": "plain_text", "text": "Migrating secure-blog"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Plan ready* for `i-0abc123`"},
        "fields": [
            {"type": "mrkdwn", "text": "*CPU*\n0.5 vCPU"},
            {"type": "mrkdwn", "text": "*Memory*\n1 GB"},
        ],
    },
    {"type": "divider"},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "requested by <@U0ALICE>"}]},
    {
        "type": "actions",
        "block_id": "plan",
        "elements": [
            {
                "type": "button",
                "action_id": "approve_plan",
                "value": "mig-1:3",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve plan"},
            },
            {
                "type": "button",
                "action_id": "cancel",
                "value": "mig-1:3",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Cancel"},
                "confirm": {
                    "title": {"type": "plain_text", "text": "Cancel this migration?"},
                    "text": {"type": "plain_text", "text": "Nothing has been changed yet."},
                    "confirm": {"type": "plain_text", "text": "Cancel it"},
                    "deny": {"type": "plain_text", "text": "Keep"},
                },
            },
        ],
    },
]


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(TOKEN) as running:
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=standin.url)


def test_start_returns_a_loopback_api_url(standin: SlackStandIn) -> None:
    assert standin.url.startswith("http://127.0.0.1:")
    assert standin.url.endswith("/api/")


def test_post_thread_and_update_are_recorded_per_channel_and_thread(
    standin: SlackStandIn, client: WebClient
) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="Migrating secure-blog", blocks=CARD)
    reply = client.chat_postMessage(channel=CHANNEL, text="Discovery started", thread_ts=root["ts"])
    second = client.chat_postMessage(channel=CHANNEL, text="Plan ready", thread_ts=reply["ts"])
    updated = client.chat_update(channel=CHANNEL, ts=root["ts"], text="Plan approved", blocks=[])

    assert root["ok"] and root["channel"] == CHANNEL
    assert root["message"]["blocks"] == CARD
    # A ts is the posting time, epoch seconds with six decimals.
    assert re.fullmatch(r"\d{10}\.\d{6}", root["ts"]) and abs(float(root["ts"]) - time.time()) < 60
    assert float(root["ts"]) < float(reply["ts"]) < float(second["ts"])
    assert updated["ts"] == root["ts"] and updated["text"] == "Plan approved"
    view = standin.channel(CHANNEL)
    assert [m.ts for m in view.messages] == [root["ts"]]
    card = view.messages[0]
    assert (card.text, card.blocks, card.edits) == ("Plan approved", [], 1)
    # A reply to a reply lands in the root's thread, as in Slack.
    assert [r.text for r in card.replies] == ["Discovery started", "Plan ready"]
    assert all(r.thread_ts == root["ts"] for r in card.replies)
    assert [c.method for c in standin.calls] == ["chat.postMessage"] * 3 + ["chat.update"]


def test_update_keeps_blocks_when_only_text_is_sent(
    standin: SlackStandIn, client: WebClient
) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="card", blocks=CARD)
    client.chat_update(channel=CHANNEL, ts=root["ts"], text="card v2")
    client.chat_update(channel=CHANNEL, ts=root["ts"], text="card v3")
    card = standin.channel(CHANNEL).message(root["ts"])
    assert (card.text, card.blocks, card.edits) == ("card v3", CARD, 2)


def test_update_errors_are_the_ones_slack_returns(client: WebClient) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="card")
    with pytest.raises(SlackApiError) as unknown_channel:
        client.chat_update(channel="C0NOWHERE", ts=root["ts"], text="x")
    with pytest.raises(SlackApiError) as unknown_message:
        client.chat_update(channel=CHANNEL, ts="1600000000.000100", text="x")
    assert unknown_channel.value.response["error"] == "channel_not_found"
    assert unknown_message.value.response["error"] == "message_not_found"


def test_configured_channels_refuse_others() -> None:
    with SlackStandIn(TOKEN, channels={CHANNEL: "platform"}) as standin:
        web = WebClient(token=TOKEN, base_url=standin.url)
        assert web.conversations_info(channel=CHANNEL)["channel"]["name"] == "platform"
        with pytest.raises(SlackApiError) as refused:
            web.chat_postMessage(channel="C0OTHER", text="hi")
    assert refused.value.response["error"] == "channel_not_found"


def _error(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as refused:
        call()
    return dict(refused.value.response.data)  # type: ignore[arg-type]


def test_conversations_info_answers_membership_as_slack_documents() -> None:
    """https://docs.slack.dev/reference/methods/conversations.info"""
    with SlackStandIn(TOKEN, channels={}) as standin:
        standin.add_channel("C0IN", "platform")
        standin.add_channel("C0OUT", "general", bot_member=False)
        standin.add_channel("C0PRIV", "ops", private=True, bot_member=False)
        web = WebClient(token=TOKEN, base_url=standin.url)

        member = web.conversations_info(channel="C0IN")["channel"]
        outsider = web.conversations_info(channel="C0OUT")["channel"]
        hidden = _error(lambda: web.conversations_info(channel="C0PRIV"))
        unknown = _error(lambda: web.conversations_info(channel="C0NONE"))
        standin.invite_bot("C0PRIV")
        private = web.conversations_info(channel="C0PRIV")["channel"]

    assert (member["id"], member["name"], member["is_member"], member["is_private"]) == (
        "C0IN",
        "platform",
        True,
        False,
    )
    assert member["is_channel"] and not member["is_im"] and not member["is_archived"]
    assert (outsider["is_member"], outsider["is_private"]) == (False, False)
    assert hidden["error"] == unknown["error"] == "channel_not_found"
    assert (private["is_member"], private["is_private"]) == (True, True)


def test_conversations_info_needs_the_read_scope_of_the_channel_type() -> None:
    with SlackStandIn(TOKEN, channels={}, scopes={"chat:write", "channels:read"}) as standin:
        standin.add_channel("C0PUB", "general")
        standin.add_channel("C0PRIV", "ops", private=True)
        web = WebClient(token=TOKEN, base_url=standin.url)
        assert web.conversations_info(channel="C0PUB")["channel"]["is_member"] is True
        refused = _error(lambda: web.conversations_info(channel="C0PRIV"))
    assert (refused["error"], refused["needed"]) == ("missing_scope", "groups:read")
    assert refused["provided"] == "channels:read,chat:write"


def test_post_message_needs_the_bot_in_the_channel_as_on_slack() -> None:
    """chat.postMessage: not_in_channel (public), channel_not_found (private), unless invited."""
    with SlackStandIn(TOKEN, channels={}, scopes={"chat:write"}) as standin:
        standin.add_channel("C0OUT", "general", bot_member=False)
        standin.add_channel("C0PRIV", "ops", private=True, bot_member=False)
        web = WebClient(token=TOKEN, base_url=standin.url)
        public = _error(lambda: web.chat_postMessage(channel="C0OUT", text="hi"))
        private = _error(lambda: web.chat_postMessage(channel="C0PRIV", text="hi"))
        ephemeral = _error(
            lambda: web.chat_postEphemeral(channel="C0OUT", user="U0ALICE", text="hi")
        )
        assert standin.channel("C0OUT").messages == []
        standin.invite_bot("C0OUT")
        posted = web.chat_postMessage(channel="C0OUT", text="hi")
        assert standin.channel("C0OUT").message(posted["ts"]).text == "hi"
    assert public["error"] == ephemeral["error"] == "not_in_channel"
    assert private["error"] == "channel_not_found"


def test_chat_write_public_lets_the_bot_post_in_public_channels_only() -> None:
    """https://docs.slack.dev/reference/scopes/chat.write.public"""
    with SlackStandIn(TOKEN, channels={}, scopes={"chat:write", "chat:write.public"}) as standin:
        standin.add_channel("C0OUT", "general", bot_member=False)
        standin.add_channel("C0PRIV", "ops", private=True, bot_member=False)
        web = WebClient(token=TOKEN, base_url=standin.url)
        assert web.chat_postMessage(channel="C0OUT", text="hi")["ok"] is True
        private = _error(lambda: web.chat_postMessage(channel="C0PRIV", text="hi"))
    assert private["error"] == "channel_not_found"


def test_a_method_without_its_scope_is_refused_with_missing_scope() -> None:
    with SlackStandIn(TOKEN, scopes={"commands"}) as standin:
        web = WebClient(token=TOKEN, base_url=standin.url)
        refused = _error(lambda: web.chat_postMessage(channel=CHANNEL, text="hi"))
    assert (refused["error"], refused["needed"], refused["provided"]) == (
        "missing_scope",
        "chat:write",
        "commands",
    )


def test_a_response_url_answers_where_the_bot_is_not_a_member() -> None:
    """Slack lets an app answer a command through its response_url in any channel."""
    with SlackStandIn(TOKEN, channels={}) as standin:
        standin.add_channel("C0OUT", "general", bot_member=False)
        url = standin.new_response_url("C0OUT", user_id="U0ALICE")
        sent = WebhookClient(url).send(text="only you can see this")
        in_channel = WebhookClient(url).send(text="for all", response_type="in_channel")
        channel = standin.channel("C0OUT")
    assert (sent.status_code, in_channel.status_code) == (200, 200)
    assert [m.text for m in channel.ephemerals] == ["only you can see this"]
    assert [m.text for m in channel.messages] == ["for all"]


def test_invalid_token_surfaces_as_slack_api_error(standin: SlackStandIn) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=standin.url)
    with pytest.raises(SlackApiError) as error:
        wrong.chat_postMessage(channel=CHANNEL, text="hi")
    assert error.value.response["error"] == "invalid_auth"
    with pytest.raises(KeyError):
        standin.channel(CHANNEL)  # nothing was written


def test_auth_test_and_form_encoded_calls(client: WebClient, standin: SlackStandIn) -> None:
    # auth.test goes form-encoded; the stand-in reads both form and JSON bodies.
    assert client.auth_test()["user_id"] == "U0BOT"
    info = client.conversations_info(channel=CHANNEL)
    assert info["channel"]["id"] == CHANNEL
    form = client.api_call(
        "chat.postMessage",
        params={"channel": CHANNEL, "text": "form", "blocks": json.dumps(CARD[:1])},
    )
    assert standin.channel(CHANNEL).message(form["ts"]).blocks == CARD[:1]


def test_rate_limit_answers_429_with_retry_after(
    monkeypatch: pytest.MonkeyPatch, standin: SlackStandIn
) -> None:
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(builtin_handlers, "time", SimpleNamespace(sleep=sleep))
    with SlackStandIn(TOKEN, rate_limit_per_channel_per_second=1, clock=lambda: now[0]) as limited:
        plain = WebClient(token=TOKEN, base_url=limited.url)
        plain.chat_postMessage(channel=CHANNEL, text="first")
        with pytest.raises(SlackApiError) as limited_error:
            plain.chat_postMessage(channel=CHANNEL, text="second")
        plain.chat_postMessage(channel="C0ELSEWHERE", text="other channels are not limited")

        retrying = WebClient(token=TOKEN, base_url=limited.url)
        retrying.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
        third = retrying.chat_postMessage(channel=CHANNEL, text="third")

        texts = [m.text for m in limited.channel(CHANNEL).messages]
    response = limited_error.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response["error"] == "ratelimited"
    assert third["ok"] and slept and slept[0] >= 1
    assert texts == ["first", "third"]
    assert [c.status for c in limited.calls if c.args.get("channel") == CHANNEL] == [
        200,
        429,
        429,
        200,
    ]


def test_render_thread_reads_like_slack(standin: SlackStandIn, client: WebClient) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="Migrating secure-blog", blocks=CARD)
    client.chat_postMessage(channel=CHANNEL, text="Discovery done\nsee plan", thread_ts=root["ts"])
    client.chat_update(channel=CHANNEL, ts=root["ts"], text="Migrating", blocks=CARD)

    rendered = standin.render_thread(CHANNEL, root["ts"])

    assert rendered.splitlines()[:2] == ["Migrating secure-blog", "====================="]
    assert "*Plan ready* for `i-0abc123`" in rendered  # mrkdwn left as is
    assert "*CPU*" in rendered and "1 GB" in rendered
    assert "requested by <@U0ALICE>" in rendered
    assert "[ Approve plan ]  [ Cancel ] (confirm: Cancel this migration?)" in rendered
    assert "(edited 1x)" in rendered
    assert "    > Discovery done\n      see plan" in rendered
    assert standin.render_channel(CHANNEL).startswith(rendered)


def test_ephemeral_and_response_url_replies(standin: SlackStandIn, client: WebClient) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="card", blocks=CARD)
    client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you")
    url = standin.new_response_url(CHANNEL, user_id="U0BOB", message_ts=root["ts"])
    assert url.startswith(standin.url.removesuffix("api/") + "response/")

    hook = WebhookClient(url)
    assert hook.send(text="Not allowed", response_type="ephemeral").body == "ok"
    assert hook.send(text="Approved by <@U0BOB>", replace_original=True).status_code == 200
    assert hook.send(text="Plan approved", response_type="in_channel").status_code == 200
    assert WebhookClient(url.replace("/response/", "/response/x")).send(text="?").status_code == 404

    view = standin.channel(CHANNEL)
    assert [(e.visible_to, e.text) for e in view.ephemerals] == [
        ("U0ALICE", "only you"),
        ("U0BOB", "Not allowed"),
    ]
    assert view.message(root["ts"]).text == "Approved by <@U0BOB>"
    assert [m.text for m in view.messages] == ["Approved by <@U0BOB>", "Plan approved"]
    assert [r.payload["text"] for r in standin.responses] == [
        "Not allowed",
        "Approved by <@U0BOB>",
        "Plan approved",
    ]
    assert "(only visible to <@U0BOB>)\nNot allowed" in standin.render_channel(CHANNEL)


# --- the user's side -------------------------------------------------------------------


def test_api_gateway_event_has_the_http_api_v2_shape() -> None:
    event = slack_client.slash_command(
        "/migrate",
        "i-0abc123",
        user_id="U0ALICE",
        channel_id=CHANNEL,
        response_url="http://127.0.0.1/response/1",
        signing_secret=SECRET,
    )
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /slack/events"
    assert event["rawPath"] == "/slack/events" and event["rawQueryString"] == ""
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["http"]["path"] == "/slack/events"
    assert all(name == name.lower() for name in event["headers"])
    assert event["headers"]["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(event["body"]).items()}
    assert form["command"] == "/migrate" and form["text"] == "i-0abc123"
    assert form["user_id"] == "U0ALICE" and form["channel_id"] == CHANNEL
    assert set(form) >= {"token", "team_id", "team_domain", "api_app_id", "trigger_id"}


def test_signature_verifies_and_tampering_does_not() -> None:
    body = "command=%2Fmigrate&text=status"
    headers = slack_client.sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert signature.startswith("v0=")
    assert verifier.is_valid(body, timestamp, signature)
    assert not verifier.is_valid(body + "x", timestamp, signature)
    assert not SignatureVerifier("another-secret").is_valid(body, timestamp, signature)


def test_block_action_payload_carries_the_clicked_button() -> None:
    message = {"type": "message", "ts": "1700000000.000100", "text": "card", "blocks": CARD}
    event = slack_client.block_action(
        "cancel",
        "mig-1:3",
        user_id="U0BOB",
        channel_id=CHANNEL,
        message_ts=message["ts"],
        message=message,
        response_url="http://127.0.0.1/response/2",
        signing_secret=SECRET,
    )
    payload = json.loads(parse_qs(event["body"])["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    }
    assert payload["user"]["id"] == "U0BOB" and payload["channel"]["id"] == CHANNEL
    assert payload["message"] == message
    (action,) = payload["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "cancel",
        "mig-1:3",
        "plan",
    )
    assert action["type"] == "button" and action["text"]["text"] == "Cancel"


# --- a tiny Bolt app behind the Lambda adapter ------------------------------------------


def _bolt_app(standin: SlackStandIn) -> App:
    app = App(
        token=TOKEN,
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,
        client=WebClient(base_url=standin.url, token=TOKEN),
    )

    @app.command("/migrate")
    def migrate(ack: Any, command: dict[str, Any]) -> None:
        ack(f"Looking for {command['text']}")

    @app.action("approve_plan")
    def approve(ack: Any, respond: Any, body: dict[str, Any]) -> None:
        ack()
        respond(text=f"Approved by <@{body['user']['id']}>", replace_original=True)

    @app.event("app_mention")
    def mention(event: dict[str, Any], say: Any) -> None:
        say(text="status: planning", thread_ts=event.get("thread_ts") or event["ts"])

    return app


def test_bolt_accepts_a_signed_slash_command_and_rejects_a_bad_signature(
    standin: SlackStandIn,
) -> None:
    handler = SlackRequestHandler(_bolt_app(standin))
    url = standin.new_response_url(CHANNEL, user_id="U0ALICE")
    good = slack_client.slash_command(
        "/migrate",
        "secure-blog",
        user_id="U0ALICE",
        channel_id=CHANNEL,
        response_url=url,
        signing_secret=SECRET,
    )
    bad = slack_client.slash_command(
        "/migrate",
        "secure-blog",
        user_id="U0ALICE",
        channel_id=CHANNEL,
        response_url=url,
        signing_secret="not-the-secret",
    )
    stale = slack_client.slash_command(
        "/migrate",
        "secure-blog",
        user_id="U0ALICE",
        channel_id=CHANNEL,
        response_url=url,
        signing_secret=SECRET,
        timestamp=int(time.time()) - 3600,
    )

    accepted = handler.handle(good, CONTEXT)
    assert accepted["statusCode"] == 200
    assert accepted["body"] == "Looking for secure-blog"  # ack(text) answers plain text
    assert handler.handle(bad, CONTEXT)["statusCode"] == 401
    assert handler.handle(stale, CONTEXT)["statusCode"] == 401
    # Bolt's authorization asked the stand-in who the bot is.
    assert "auth.test" in [c.method for c in standin.calls]


def test_slack_user_clicks_and_mentions_through_bolt(
    standin: SlackStandIn, client: WebClient
) -> None:
    handler = SlackRequestHandler(_bolt_app(standin))
    bob = SlackUser(
        signing_secret=SECRET,
        user_id="U0BOB",
        send=lambda event: handler.handle(event, CONTEXT),
        new_response_url=standin.new_response_url,
    )
    root = client.chat_postMessage(channel=CHANNEL, text="card", blocks=CARD)

    typed = bob.command("/migrate", "i-0abc123", channel_id=CHANNEL)
    clicked = bob.click("approve_plan", "mig-1:3", channel_id=CHANNEL, message=root["message"])
    mentioned = bob.mention("status", channel_id=CHANNEL, thread_ts=root["ts"])

    assert (typed.status, typed.body, typed.data) == (200, "Looking for i-0abc123", {})
    assert clicked.status == 200 and mentioned.status == 200
    card = standin.channel(CHANNEL).message(root["ts"])
    assert (card.text, card.edits) == ("Approved by <@U0BOB>", 1)
    assert [r.text for r in card.replies] == ["status: planning"]


# --- direct messages and file uploads ----------------------------------------------------

AUDIT = "migration,step,at\nmig-1234abcd,plan_approved,2024-05-01T10:00:00Z\n"


def _post_upload(url: str, body: bytes, content_type: str | None = None) -> tuple[int, str]:
    """POST bytes to an upload URL the way a client does; answer (status, body)."""
    headers = {"Content-Type": content_type} if content_type else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers)) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_conversations_open_gives_each_person_one_dm_the_bot_is_in(
    standin: SlackStandIn, client: WebClient
) -> None:
    """https://docs.slack.dev/reference/methods/conversations.open"""
    first = client.conversations_open(users="U0BOB")
    again = client.conversations_open(users="U0BOB")
    resumed = client.conversations_open(channel=first["channel"]["id"], return_im=True)
    other = client.conversations_open(users=["U0ALICE"])
    dm = first["channel"]["id"]
    posted = client.chat_postMessage(channel=dm, text="Your audit trail is coming")
    info = client.conversations_info(channel=dm)["channel"]

    assert dm.startswith("D") and first.data == {"ok": True, "channel": {"id": dm}}
    assert again.data == {"ok": True, "no_op": True, "already_open": True, "channel": {"id": dm}}
    assert resumed["channel"]["id"] == dm and resumed["already_open"] is True
    assert (resumed["channel"]["is_im"], resumed["channel"]["user"]) == (True, "U0BOB")
    assert other["channel"]["id"] not in (dm, CHANNEL)
    assert standin.dm_channel("U0BOB") == dm and standin.dm_channel("U0ALICE") != dm
    assert standin.channel(dm).message(posted["ts"]).text == "Your audit trail is coming"
    assert (info["is_im"], info["is_channel"], info["user"], info["is_member"]) == (
        True,
        False,
        "U0BOB",
        True,
    )
    with pytest.raises(KeyError):
        standin.dm_channel("U0CAROL")  # never opened


def test_conversations_open_refuses_as_slack_documents(client: WebClient) -> None:
    """The page's errors; cannot_dm_bot is not on it but is what Slack answers for a bot."""
    client.chat_postMessage(channel=CHANNEL, text="a channel, not a DM")
    errors = [
        _error(lambda: client.conversations_open(users="U0NOBODY")),
        _error(lambda: client.conversations_open(users="U0GONE")),
        _error(lambda: client.conversations_open(users="U0DEPLOYBOT")),
        _error(lambda: client.api_call("conversations.open", params={})),
        _error(lambda: client.conversations_open(channel=CHANNEL)),
        _error(lambda: client.conversations_open(channel="D0NEVER")),
        _error(lambda: client.conversations_open(users=[f"U0{n}" for n in range(9)])),
        _error(lambda: client.conversations_open(users="U0BOB,U0CAROL")),
    ]
    assert [e["error"] for e in errors] == [
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "users_list_not_supplied",
        "method_not_supported_for_channel_type",
        "channel_not_found",
        "too_many_users",
        "invalid_arguments",  # an MPIM: not modelled, and said so
    ]
    assert "multi-person" in errors[-1]["response_metadata"]["messages"][0]


def test_conversations_open_needs_im_write() -> None:
    with SlackStandIn(TOKEN, scopes={"chat:write"}) as standin:
        web = WebClient(token=TOKEN, base_url=standin.url)
        refused = _error(lambda: web.conversations_open(users="U0BOB"))
        assert (refused["error"], refused["needed"]) == ("missing_scope", "im:write")
        with pytest.raises(KeyError):
            standin.dm_channel("U0BOB")


def test_files_upload_v2_puts_the_exact_bytes_in_the_dm_with_the_comment(
    standin: SlackStandIn, client: WebClient
) -> None:
    """files.getUploadURLExternal, the POST to its URL, files.completeUploadExternal."""
    dm = client.conversations_open(users="U0BOB")["channel"]["id"]

    done = client.files_upload_v2(
        channel=dm,
        filename="audit-mig-1234abcd.csv",
        content=AUDIT,
        title="Audit trail",
        initial_comment="Audit trail for mig-1234abcd",
    )

    (file,) = done["files"]
    assert (file["name"], file["title"], file["size"], file["filetype"]) == (
        "audit-mig-1234abcd.csv",
        "Audit trail",
        len(AUDIT),
        "csv",
    )
    assert file["ims"] == [dm] and file["channels"] == [] and file["is_public"] is False
    assert standin.file_content(file["id"]) == AUDIT.encode()
    assert standin.files_in(dm) == [file]
    (message,) = standin.channel(dm).messages
    assert (message.text, [f["id"] for f in message.files]) == (
        "Audit trail for mig-1234abcd",
        [file["id"]],
    )
    assert message.as_slack()["files"] == [file]
    assert standin.render_channel(dm) == (
        f"Audit trail for mig-1234abcd\n[file: audit-mig-1234abcd.csv (csv, {len(AUDIT)} bytes)]"
    )
    assert [c.method for c in standin.calls][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_a_file_shared_with_thread_ts_is_a_reply_and_without_a_channel_stays_private(
    standin: SlackStandIn, client: WebClient
) -> None:
    root = client.chat_postMessage(channel=CHANNEL, text="Migration done")
    client.files_upload_v2(
        channel=CHANNEL, filename="a.txt", content=b"\x00\xff", thread_ts=root["ts"]
    )
    private = client.files_upload_v2(filename="draft.txt", content="not shared")

    (reply,) = standin.channel(CHANNEL).message(root["ts"]).replies
    assert [(f["name"], f["filetype"], f["size"]) for f in reply.files] == [("a.txt", "text", 2)]
    assert reply.thread_ts == root["ts"] and reply.text == ""
    assert "    > [file: a.txt (text, 2 bytes)]" in standin.render_channel(CHANNEL)
    assert standin.file_content(private["file"]["id"]) == b"not shared"
    assert private["file"]["channels"] == private["file"]["ims"] == []
    assert [f["name"] for f in standin.files_in(CHANNEL)] == ["a.txt"]


def test_channels_shares_once_per_channel_and_a_user_id_means_their_dm(
    standin: SlackStandIn, client: WebClient
) -> None:
    """files.completeUploadExternal: ``channels`` is "channel IDs or user IDs"."""
    done = client.files_upload_v2(
        channels=[CHANNEL, "U0CAROL"],
        filename="audit.csv",
        content="a,b\n",
        initial_comment="Audit",
    )

    dm = standin.dm_channel("U0CAROL")
    assert (done["file"]["channels"], done["file"]["ims"]) == ([CHANNEL], [dm])
    assert [m.text for m in standin.channel(CHANNEL).messages] == ["Audit"]
    assert [m.text for m in standin.channel(dm).messages] == ["Audit"]
    assert standin.files_in(CHANNEL) == standin.files_in(dm) == [done["file"]]


def test_uploading_files_needs_files_write() -> None:
    with SlackStandIn(TOKEN, scopes={"chat:write", "im:write"}) as standin:
        web = WebClient(token=TOKEN, base_url=standin.url)
        dm = web.conversations_open(users="U0BOB")["channel"]["id"]
        refused = _error(lambda: web.files_upload_v2(channel=dm, filename="a.csv", content="a"))
        assert standin.channel(dm).messages == []
    assert (refused["error"], refused["needed"]) == ("missing_scope", "files:write")
    assert refused["provided"] == "chat:write,im:write"


def test_completing_an_upload_that_was_never_made_is_file_not_found(client: WebClient) -> None:
    """https://docs.slack.dev/reference/methods/files.completeUploadExternal: file_not_found."""
    ticket = client.files_getUploadURLExternal(filename="a.csv", length=1)
    unknown = _error(lambda: client.files_completeUploadExternal(files=[{"id": "F0NOSUCH"}]))
    no_bytes = _error(
        lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}])
    )
    assert _post_upload(ticket["upload_url"], b"a") == (200, "OK - 1")
    client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=CHANNEL)
    twice = _error(lambda: client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}]))
    malformed = [
        _error(lambda p=params: client.api_call("files.completeUploadExternal", params=p))
        for params in ({}, {"files": "[{"}, {"files": "[]"}, {"files": '[{"title": "no id"}]'})
    ]

    assert unknown["error"] == no_bytes["error"] == twice["error"] == "file_not_found"
    assert [e["error"] for e in malformed] == ["invalid_arguments"] * 4


def test_sharing_a_file_where_the_bot_is_not_is_refused_as_slack_documents() -> None:
    """not_in_channel; a private channel without the bot, or none, is channel_not_found
    (invalid_channel when named in ``channels``)."""
    with SlackStandIn(TOKEN, channels={CHANNEL: "platform"}) as standin:
        standin.add_channel("C0OUT", "general", bot_member=False)
        standin.add_channel("C0PRIV", "ops", private=True, bot_member=False)
        web = WebClient(token=TOKEN, base_url=standin.url)

        def upload(**where: Any) -> dict[str, Any]:
            return _error(lambda: web.files_upload_v2(filename="a.csv", content="a", **where))

        errors = [
            upload(channel="C0OUT"),
            upload(channel="C0PRIV"),
            upload(channel="C0NONE"),
            upload(channels=["C0NONE"]),
            upload(channels=[CHANNEL, "C0OUT"]),
        ]
        shared = [standin.files_in(c) for c in (CHANNEL, "C0OUT", "C0PRIV")]
    assert [e["error"] for e in errors] == [
        "not_in_channel",
        "channel_not_found",
        "channel_not_found",
        "invalid_channel",
        "not_in_channel",
    ]
    assert shared == [[], [], []]  # nothing is shared unless every channel checks out


def test_the_upload_url_takes_raw_or_multipart_bytes_of_the_declared_length(
    standin: SlackStandIn, client: WebClient
) -> None:
    """files.getUploadURLExternal: HTTP 200 on success, non-200 a failure."""
    raw = client.files_getUploadURLExternal(filename="a.bin", length=3)
    form = client.files_getUploadURLExternal(filename="b.bin", length=4)
    boundary = "sandbox-boundary"
    multipart = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="filename"; filename="b.bin"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\r\n\x00\xff"
        + f"\r\n--{boundary}--\r\n".encode()
    )

    assert raw["upload_url"] == f"{standin.url.removesuffix('api/')}upload/v1/{raw['file_id']}"
    assert _post_upload(raw["upload_url"], b"ab")[0] == 400  # declared 3
    assert _post_upload(raw["upload_url"], b"abc") == (200, "OK - 3")
    assert _post_upload(raw["upload_url"], b"abc")[0] == 409  # once only
    assert _post_upload(raw["upload_url"].replace(raw["file_id"], "F0NOSUCH"), b"a")[0] == 404
    assert _post_upload(
        form["upload_url"], multipart, f"multipart/form-data; boundary={boundary}"
    ) == (
        200,
        "OK - 4",
    )
    assert standin.file_content(raw["file_id"]) == b"abc"
    assert standin.file_content(form["file_id"]) == b"\r\n\x00\xff"


def test_asking_for_an_upload_url_refuses_as_slack_documents(client: WebClient) -> None:
    """https://docs.slack.dev/reference/methods/files.getUploadURLExternal"""
    call = client.api_call
    errors = [
        _error(lambda: client.files_getUploadURLExternal(filename="a.csv", length=0)),
        _error(lambda: call("files.getUploadURLExternal", params={"filename": "a.csv"})),
        _error(lambda: call("files.getUploadURLExternal", params={"length": 3})),
        _error(lambda: call("files.getUploadURLExternal", params={"filename": "a", "length": "x"})),
        _error(
            lambda: client.files_getUploadURLExternal(filename="a", length=1, alt_txt="x" * 1001)
        ),
        _error(
            lambda: client.files_getUploadURLExternal(
                filename="a.py", length=2 * 1024 * 1024, snippet_type="python"
            )
        ),
    ]
    assert [e["error"] for e in errors] == [
        "missing_argument",
        "missing_argument",
        "missing_argument",
        "invalid_arguments",
        "alt_txt_too_large",
        "snippet_too_large",
    ]


# --- modals: views.open and the submit ------------------------------------------------------

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "edit",
    "private_metadata": "mig-1:3",
    "title": {"type": "plain_text", "text": "Edit cutover"},
    "submit": {"type": "plain_text", "text": "Save"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "blocks": [
        {
            "type": "input",
            "block_id": "steps",
            "label": {"type": "plain_text", "text": "Steps"},
            "element": {"type": "plain_text_input", "action_id": "in", "initial_value": "10"},
        },
        {
            "type": "input",
            "block_id": "note",
            "optional": True,
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "in"},
        },
    ],
}


def test_views_open_exchanges_a_fresh_trigger_once_for_its_person(
    standin: SlackStandIn, client: WebClient
) -> None:
    """https://docs.slack.dev/reference/methods/views.open; https://api.slack.com/docs/triggers"""
    trigger = slack_client.block_action_payload(
        "edit",
        "v",
        user_id="U0BOB",
        channel_id=CHANNEL,
        message_ts="1.1",
        message=None,
        response_url="http://127.0.0.1:9/r",
    )["trigger_id"]

    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]

    assert opened["id"].startswith("V") and opened["root_view_id"] == opened["id"]
    assert opened["state"] == {"values": {}} and opened["hash"]
    assert (opened["team_id"], opened["app_id"], opened["bot_id"]) == (
        "T0SANDBOX",
        "A0SANDBOX",
        "B0BOT",
    )
    assert (opened["callback_id"], opened["private_metadata"]) == ("edit", "mig-1:3")
    modal = standin.open_modal("U0BOB")
    assert modal is not None and modal.view["id"] == opened["id"]
    assert standin.open_modal("U0ALICE") is None
    assert _error(lambda: client.views_open(trigger_id=trigger, view=MODAL))["error"] == (
        "exchanged_trigger_id"
    )
    late = slack_triggers.issue("U0BOB", at=time.time() - 3.5)
    assert _error(lambda: client.views_open(trigger_id=late, view=MODAL))["error"] == (
        "expired_trigger_id"
    )
    for made_up in ("12345.98765.abcd2358fdea", "not-a-trigger", ""):
        assert _error(lambda t=made_up: client.views_open(trigger_id=t, view=MODAL))["error"] == (
            "invalid_trigger_id"
        )


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"title": {"type": "plain_text", "text": "A title of twenty-five ch"}},
            "/view/title/text",
        ),
        ({"title": {"type": "mrkdwn", "text": "Edit"}}, "/view/title"),
        (
            {"submit": None},
            "must define `submit` to use input block [json-pointer:/view/blocks/0/input]",
        ),
        ({"type": "home"}, "must be modal"),
        ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
    ],
)
def test_views_open_refuses_a_view_slack_refuses(
    standin: SlackStandIn, client: WebClient, change: dict[str, Any], says: str
) -> None:
    """https://docs.slack.dev/reference/views/modal-views: the view's fields and their limits."""
    view = {k: v for k, v in {**MODAL, **change}.items() if v is not None}
    trigger = slack_triggers.issue("U0BOB")
    refused = _error(lambda: client.views_open(trigger_id=trigger, view=view))
    assert refused["error"] == "invalid_arguments"
    assert says in refused["response_metadata"]["messages"][0]
    # The trigger is not spent on a view Slack refused.
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]


def _modal_app(standin: SlackStandIn, answer: Any) -> SlackRequestHandler:
    app = _bolt_app(standin)
    app.view("edit")(answer)
    return SlackRequestHandler(app)


def test_a_submit_is_signed_as_slack_signs_interactions_and_carries_the_state(
    standin: SlackStandIn, client: WebClient
) -> None:
    """https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload"""
    seen: list[dict[str, Any]] = []

    def answer(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body)
        ack()

    handler = _modal_app(standin, answer)
    sent: list[dict[str, Any]] = []

    def send(event: dict[str, Any]) -> dict[str, Any]:
        sent.append(event)
        return handler.handle(event, CONTEXT)

    client.views_open(trigger_id=slack_triggers.issue("U0BOB"), view=MODAL)
    done = standin.submit_view("U0BOB", {"note": "slowly"}, send=send, signing_secret=SECRET)

    assert (done.status, done.closed, done.errors, done.trouble) == (200, True, {}, None)
    assert standin.open_modal("U0BOB") is None
    (event,) = sent
    headers = event["headers"]
    assert SignatureVerifier(SECRET).is_valid(
        event["body"], headers["x-slack-request-timestamp"], headers["x-slack-signature"]
    )
    (payload,) = parse_qs(event["body"])["payload"]
    assert json.loads(payload) == seen[0]
    body = seen[0]
    assert (body["type"], body["user"]["id"], body["api_app_id"]) == (
        "view_submission",
        "U0BOB",
        "A0SANDBOX",
    )
    assert body["view"]["state"]["values"] == {
        "steps": {"in": {"type": "plain_text_input", "value": "10"}},  # as prefilled
        "note": {"in": {"type": "plain_text_input", "value": "slowly"}},
    }
    assert body["view"]["private_metadata"] == "mig-1:3" and body["trigger_id"]


def test_errors_keep_the_modal_open_with_the_input_and_only_input_blocks_take_them(
    standin: SlackStandIn, client: WebClient
) -> None:
    """https://docs.slack.dev/surfaces/modals: response_action errors, keyed by block_id."""
    answers = iter(
        [
            {"response_action": "errors", "errors": {"steps": "Must end at 100."}},
            {"response_action": "errors", "errors": {"nowhere": "Not a block of this view."}},
        ]
    )

    def answer(ack: Any) -> None:
        ack(**next(answers))

    handler = _modal_app(standin, answer)
    client.views_open(trigger_id=slack_triggers.issue("U0BOB"), view=MODAL)

    def send(event: dict[str, Any]) -> dict[str, Any]:
        return handler.handle(event, CONTEXT)

    first = standin.submit_view("U0BOB", {"steps": "10, 50"}, send=send, signing_secret=SECRET)
    second = standin.submit_view("U0BOB", {}, send=send, signing_secret=SECRET)

    assert (first.closed, first.errors, first.trouble) == (
        False,
        {"steps": "Must end at 100."},
        None,
    )
    modal = standin.open_modal("U0BOB")
    assert modal is not None
    assert modal.view["state"]["values"]["steps"]["in"]["value"] == "10, 50"  # kept
    assert second.trouble == "errors not keyed by this view's input blocks"
    assert not second.closed and second.errors == {"steps": "Must end at 100."}


def test_a_late_or_failed_answer_leaves_the_modal_open(
    standin: SlackStandIn, client: WebClient
) -> None:
    """Slack waits three seconds for the answer to a submit."""
    client.views_open(trigger_id=slack_triggers.issue("U0BOB"), view=MODAL)

    def slow(event: dict[str, Any]) -> dict[str, Any]:
        time.sleep(3.1)
        return {"statusCode": 200, "body": ""}

    late = standin.submit_view("U0BOB", {}, send=slow, signing_secret=SECRET)
    failed = standin.submit_view(
        "U0BOB", {}, send=lambda e: {"statusCode": 500, "body": ""}, signing_secret=SECRET
    )
    cleared = standin.submit_view(
        "U0BOB",
        {},
        send=lambda e: {"statusCode": 200, "body": '{"response_action": "clear"}'},
        signing_secret=SECRET,
    )

    assert late.trouble is not None and late.trouble.startswith("no answer within 3 s")
    assert failed.trouble == "the app answered HTTP 500" and not failed.closed
    assert cleared.closed and standin.open_modal("U0BOB") is None
