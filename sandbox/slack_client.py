"""The user's side of Slack: signed requests, as Slack sends them, wrapped as API Gateway events.

Each builder returns an API Gateway HTTP API (payload format 2.0) Lambda event whose body is
exactly what Slack posts to the app, signed with the v0 scheme, ready for the ingress handler.
Commands and interactions carry a ``trigger_id`` issued by ``sandbox.slack_triggers`` for the
person acting, which the stand-in's ``views.open`` honours for three seconds, once.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox import slack_triggers

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "sandbox"
APP_ID = "A0SANDBOX"
BOT_USER_ID = "U0BOT"
VERIFICATION_TOKEN = "sandbox-verification-token"  # deprecated by Slack, still sent
ROUTE_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_sequence = itertools.count(1)


def _action_ts() -> str:
    return f"{time.time():.6f}"


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request-signing headers for `body`."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def api_gateway_event(body: str, headers: Mapping[str, str], *, path: str = ROUTE_PATH) -> dict:
    """Wrap a POST as API Gateway HTTP API (payload format 2.0) delivers it to Lambda."""
    now = datetime.now(UTC)
    request_id = f"sandbox-{next(_sequence)}"
    lowered = {
        "accept": "application/json,*/*",
        "accept-encoding": "gzip,deflate",
        "content-length": str(len(body.encode())),
        "host": "sandbox.execute-api.us-east-1.amazonaws.com",
        "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "x-amzn-trace-id": f"Root=1-{int(now.timestamp()):08x}-{request_id:0>24}",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    } | {name.lower(): value for name, value in headers.items()}
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "sandbox",
            "domainName": lowered["host"],
            "domainPrefix": "sandbox",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": lowered["user-agent"],
            },
            "requestId": request_id,
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def signed_event(
    body: str, secret: str, *, content_type: str = FORM, timestamp: int | None = None
) -> dict:
    """Sign `body` and wrap it as the API Gateway event the ingress Lambda receives."""
    return api_gateway_event(body, {"Content-Type": content_type, **sign(body, secret, timestamp)})


def slash_command_form(
    command: str,
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
    enterprise_id: str | None = None,
    channel_name: str = "platform-migrations",
    user_name: str = "sandbox-user",
    trigger_id: str | None = None,
) -> dict[str, str]:
    """The form fields Slack posts for a slash command.

    ``enterprise_id`` (and ``enterprise_name``) are sent only from an Enterprise Grid
    workspace (Slack, "Implementing slash commands").
    """
    grid = {"enterprise_id": enterprise_id, "enterprise_name": "Sandbox Grid"}
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        **(grid if enterprise_id else {}),
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or slack_triggers.issue(user_id),
    }


def slash_command(
    command: str,
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    signing_secret: str,
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
    enterprise_id: str | None = None,
    trigger_id: str | None = None,
    timestamp: int | None = None,
    channel_name: str = "platform-migrations",
) -> dict:
    """A signed slash-command request, as the API Gateway event the ingress receives."""
    form = slash_command_form(
        command,
        text,
        user_id=user_id,
        channel_id=channel_id,
        channel_name=channel_name,
        response_url=response_url,
        team_id=team_id,
        app_id=app_id,
        enterprise_id=enterprise_id,
        trigger_id=trigger_id,
    )
    return signed_event(urlencode(form), signing_secret, timestamp=timestamp)


def _find_button(message: Mapping[str, Any] | None, action_id: str) -> tuple[str, dict] | None:
    for block in (message or {}).get("blocks", []):
        elements = list(block.get("elements", [])) + [block.get("accessory") or {}]
        for element in elements:
            if element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    return None


def block_action_payload(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    message: Mapping[str, Any] | None,
    response_url: str,
    block_id: str = "actions",
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
    enterprise_id: str | None = None,
    user_name: str = "sandbox-user",
    channel_name: str = "platform-migrations",
) -> dict[str, Any]:
    """The interaction payload Slack sends when a user clicks a button on a message.

    ``team``, ``enterprise`` (``null`` outside an Enterprise Grid) and ``api_app_id`` name
    the installation (Slack, "block_actions payload").
    """
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "type": "button",
        "action_ts": _action_ts(),
    }
    found = _find_button(message, action_id)
    if found is not None:
        action["block_id"] = found[0] or block_id
        action["text"] = found[1].get("text", {"type": "plain_text", "text": action_id})
        if "style" in found[1]:
            action["style"] = found[1]["style"]
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    if message and message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": slack_triggers.issue(user_id),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": {"id": enterprise_id, "name": "Sandbox Grid"} if enterprise_id else None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }
    if message is not None:
        payload["message"] = dict(message)
    return payload


def block_action(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    message: Mapping[str, Any] | None,
    response_url: str,
    signing_secret: str,
    block_id: str = "actions",
    timestamp: int | None = None,
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
    enterprise_id: str | None = None,
) -> dict:
    """A signed button click (form body `payload=<json>`), as the API Gateway event."""
    payload = block_action_payload(
        action_id,
        value,
        user_id=user_id,
        channel_id=channel_id,
        message_ts=message_ts,
        message=message,
        response_url=response_url,
        block_id=block_id,
        team_id=team_id,
        app_id=app_id,
        enterprise_id=enterprise_id,
    )
    body = urlencode({"payload": json.dumps(payload)})
    return signed_event(body, signing_secret, timestamp=timestamp)


def view_state(view: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """``view.state`` as Slack sends it on submit: per input block, per element, what is in
    the field: ``values[block_id]`` if the person typed it, else what the field held (typed
    before, or its ``initial_value``); an empty field is ``null``. Only ``plain_text_input``
    is modelled ("A full state on view submission", https://api.slack.com/changelog/
    2020-09-full-state-on-view-submisson-and-block-actions: ``{"type": "plain_text_input",
    "value": …}`` under ``values[block_id][action_id]``)."""
    held = (view.get("state") or {}).get("values") or {}
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if block.get("type") != "input" or element.get("type") != "plain_text_input":
            continue
        block_id, action_id = str(block.get("block_id", "")), str(element.get("action_id", ""))
        before = (held.get(block_id) or {}).get(action_id, {}).get("value", None)
        if block_id in values:
            typed: str | None = values[block_id]
        elif block_id in held:
            typed = before
        else:
            typed = element.get("initial_value")
        state[block_id] = {action_id: {"type": "plain_text_input", "value": typed or None}}
    return {"values": state}


def view_submission_payload(
    view: Mapping[str, Any],
    values: Mapping[str, str],
    *,
    user_id: str,
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
    enterprise_id: str | None = None,
    user_name: str = "sandbox-user",
) -> dict[str, Any]:
    """The interaction payload Slack sends when a person submits a modal (Slack, "View
    interaction payloads", https://docs.slack.dev/reference/interaction-payloads/
    view-interactions-payload): ``type``, ``team``, ``user``, ``api_app_id``, ``trigger_id``,
    ``view`` (the open view with its ``state``), ``response_urls`` and ``enterprise``."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": slack_triggers.issue(user_id),
        "view": {**view, "state": view_state(view, values)},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": {"id": enterprise_id, "name": "Sandbox Grid"} if enterprise_id else None,
    }


def view_submission(
    view: Mapping[str, Any],
    values: Mapping[str, str],
    *,
    user_id: str,
    signing_secret: str,
    timestamp: int | None = None,
    team_id: str = TEAM_ID,
    app_id: str = APP_ID,
) -> dict:
    """A signed modal submission: the form body ``payload=<json>`` signed as every
    interaction is (Slack, "Verifying requests from Slack"), as the API Gateway event."""
    payload = view_submission_payload(view, values, user_id=user_id, team_id=team_id, app_id=app_id)
    body = urlencode({"payload": json.dumps(payload)})
    return signed_event(body, signing_secret, timestamp=timestamp)


def app_mention_envelope(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    ts: str,
    thread_ts: str | None = None,
    bot_user_id: str = BOT_USER_ID,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """The Events API envelope for `@bot <text>` posted at `ts` (in a thread if `thread_ts`);
    a `text` that already mentions the bot (`<@bot_user_id>` anywhere) is sent as it is."""
    n = next(_sequence)
    mention = f"<@{bot_user_id}>"
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user_id,
        "text": text if mention in text else f"{mention} {text}",
        "ts": ts,
        "team": team_id,
        "channel": channel_id,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev0SANDBOX{n:06d}",
        "event_time": int(float(ts)),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-sandbox-{n}",
    }


def app_mention(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    signing_secret: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    timestamp: int | None = None,
) -> dict:
    """A signed `app_mention` event_callback (JSON body), as the API Gateway event."""
    envelope = app_mention_envelope(
        text, user_id=user_id, channel_id=channel_id, ts=ts or _action_ts(), thread_ts=thread_ts
    )
    return signed_event(
        json.dumps(envelope), signing_secret, content_type=JSON, timestamp=timestamp
    )


@dataclass(frozen=True)
class IngressReply:
    """The app's HTTP answer to one request, decoded."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        """The JSON body, or {} when the body is empty or not JSON."""
        try:
            parsed = json.loads(self.body) if self.body else {}
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}


@dataclass
class SlackUser:
    """A person in Slack: sends signed commands, clicks and mentions to the app via `send`."""

    signing_secret: str
    user_id: str
    send: Callable[[dict], dict]
    new_response_url: Callable[..., str]
    team_id: str = TEAM_ID
    app_id: str = APP_ID

    def command(self, command: str, text: str, *, channel_id: str) -> IngressReply:
        """Type `<command> <text>` in a channel."""
        url = self.new_response_url(channel_id, user_id=self.user_id)
        return self._deliver(
            slash_command(
                command,
                text,
                user_id=self.user_id,
                channel_id=channel_id,
                response_url=url,
                signing_secret=self.signing_secret,
                team_id=self.team_id,
                app_id=self.app_id,
            )
        )

    def click(
        self, action_id: str, value: str, *, channel_id: str, message: Mapping[str, Any]
    ) -> IngressReply:
        """Click the button `action_id` on `message` (confirm dialogs answered yes)."""
        ts = str(message["ts"])
        url = self.new_response_url(channel_id, user_id=self.user_id, message_ts=ts)
        return self._deliver(
            block_action(
                action_id,
                value,
                user_id=self.user_id,
                channel_id=channel_id,
                message_ts=ts,
                message=message,
                response_url=url,
                signing_secret=self.signing_secret,
                team_id=self.team_id,
                app_id=self.app_id,
            )
        )

    def mention(self, text: str, *, channel_id: str, thread_ts: str | None = None) -> IngressReply:
        """Post `@bot <text>` in a channel or thread."""
        return self._deliver(
            app_mention(
                text,
                user_id=self.user_id,
                channel_id=channel_id,
                signing_secret=self.signing_secret,
                thread_ts=thread_ts,
            )
        )

    def _deliver(self, event: dict) -> IngressReply:
        answer = self.send(event)
        return IngressReply(
            int(answer.get("statusCode", 0)),
            str(answer.get("body") or ""),
            dict(answer.get("headers") or {}),
        )
