"""The ingress's API Gateway ↔ Bolt translation, with a real Bolt app and signed requests.

Payload shapes from https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
(2.0) and the REST API proxy format (1.0).
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.adapters.bolt_lambda import BoltLambdaHandler, to_bolt_request, to_lambda_response
from sandbox.slack_client import sign, slash_command, slash_command_form

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bolt-lambda-secret"
CONTEXT = SimpleNamespace(function_name="SlackIngress", invoked_function_arn="arn:ingress")


@pytest.fixture
def seen() -> dict[str, Any]:
    return {}


@pytest.fixture
def handler(seen: dict[str, Any]) -> BoltLambdaHandler:
    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-x")

    app = App(
        signing_secret=SECRET,
        authorize=authorize,
        process_before_response=True,
        client=WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/"),
    )

    @app.command("/migrate")
    def migrate(ack: Any, command: dict[str, Any], context: Any) -> None:
        seen["text"] = command["text"]
        seen["function"] = context["aws_lambda_function_name"]
        ack(f"heard {command['text']}")

    return BoltLambdaHandler(app)


def command(text: str = "help") -> dict[str, Any]:
    return slash_command(
        "/migrate",
        text,
        user_id="U0ALICE",
        channel_id="C0PLATFORM",
        response_url="http://127.0.0.1:9/r",
        signing_secret=SECRET,
    )


def test_a_signed_v2_command_reaches_the_listener_with_the_lambda_context(
    handler: BoltLambdaHandler, seen: dict[str, Any]
) -> None:
    answer = handler.handle(command("i-0abc1234"), CONTEXT)
    assert (answer["statusCode"], answer["body"]) == (200, "heard i-0abc1234")
    assert answer["headers"]["content-type"].startswith("text/plain")
    assert seen == {"text": "i-0abc1234", "function": "SlackIngress"}


def test_a_base64_body_is_decoded_before_the_signature_is_checked(
    handler: BoltLambdaHandler,
) -> None:
    event = command("secure-blog")
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    assert handler.handle(event, CONTEXT)["body"] == "heard secure-blog"


def test_a_bad_signature_is_refused_and_other_methods_are_not_found(
    handler: BoltLambdaHandler, seen: dict[str, Any]
) -> None:
    forged = command()
    forged["headers"]["x-slack-signature"] = "v0=" + "0" * 64
    get = command()
    get["requestContext"]["http"]["method"] = "GET"
    no_method = command()
    del no_method["requestContext"]

    assert handler.handle(forged, CONTEXT)["statusCode"] == 401
    assert handler.handle(get, CONTEXT)["statusCode"] == 404
    assert handler.handle(no_method, CONTEXT)["statusCode"] == 404
    assert seen == {}


def test_v2_cookies_headers_and_repeated_query_values_reach_bolt() -> None:
    event = command()
    event["cookies"] = ["session=abc", "theme=dark"]
    event["rawQueryString"] = "x=1&x=2&y=3"
    event["queryStringParameters"] = {"x": "1,2", "y": "3"}  # API Gateway's comma-joined view
    before = copy.deepcopy(event)

    request = to_bolt_request(event)

    assert request.headers["cookie"] == ["session=abc", "theme=dark"]
    assert request.headers["x-slack-request-timestamp"] == [
        event["headers"]["x-slack-request-timestamp"]
    ]
    assert request.query == {"x": ["1", "2"], "y": ["3"]}
    assert request.body["command"] == "/migrate"
    assert event == before  # the Lambda event is not changed


def test_a_v1_event_with_multi_value_headers_and_query_is_dispatched(
    handler: BoltLambdaHandler, seen: dict[str, Any]
) -> None:
    body = urlencode(
        slash_command_form(
            "/migrate", "list", user_id="U0ALICE", channel_id="C0P", response_url="http://x/r"
        )
    )
    signed = sign(body, SECRET)
    event = {
        "version": "1.0",
        "httpMethod": "POST",
        "path": "/slack/events",
        "headers": {"Content-Type": "application/x-www-form-urlencoded", **signed},
        "multiValueHeaders": {
            "Content-Type": ["application/x-www-form-urlencoded"],
            "Cookie": ["a=1; b=2"],
            **{name: [value] for name, value in signed.items()},
        },
        "queryStringParameters": {"x": "2"},
        "multiValueQueryStringParameters": {"x": ["1", "2"]},
        "requestContext": {"httpMethod": "POST"},
        "body": body,
        "isBase64Encoded": False,
    }

    request = to_bolt_request(event)
    answer = handler.handle(event, CONTEXT)

    assert request.headers["cookie"] == ["a=1", "b=2"]
    assert request.query == {"x": ["1", "2"]}
    assert (answer["statusCode"], answer["body"]) == (200, "heard list")
    assert seen["text"] == "list"


def test_responses_carry_set_cookie_the_way_each_payload_format_allows() -> None:
    response = BoltResponse(
        status=302,
        body="",
        headers={"Location": "https://example.com/", "Set-Cookie": ["a=1; Secure", "b=2"]},
    )
    v2 = to_lambda_response(response, version="2.0")
    v1 = to_lambda_response(response, version="1.0")

    assert v2["statusCode"] == v1["statusCode"] == 302
    assert v2["headers"]["location"] == "https://example.com/"
    assert "set-cookie" not in v2["headers"] and "set-cookie" not in v1["headers"]
    assert v2["cookies"] == ["a=1; Secure", "b=2"]
    assert v1["multiValueHeaders"] == {"set-cookie": ["a=1; Secure", "b=2"]}
    json_answer = to_lambda_response(BoltResponse(status=200, body={"text": "hi"}), version="2.0")
    assert json.loads(json_answer["body"]) == {"text": "hi"}
    assert "cookies" not in json_answer


COLD_HELP = """
import json, sys
from handlers.slack_ingress import handler
from types import SimpleNamespace
context = SimpleNamespace(function_name="f", memory_limit_in_mb=256,
    invoked_function_arn="arn:f", aws_request_id="r")
answer = handler(json.loads(sys.stdin.read()), context)
print(json.dumps({"status": answer["statusCode"], "body": answer["body"],
                  "modules": sorted(sys.modules)}))
"""


def test_a_cold_help_loads_no_aws_sdk_no_service_and_no_model() -> None:
    """The cold-start levers hold: help is answered before boto3, pydantic, services, models."""
    event = command("help")
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_TEAM_ID": "T0SANDBOX",
        "SLACK_APP_ID": "A0SANDBOX",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "MIGRATIONS_TABLE": "m",
        "IDEMPOTENCY_TABLE": "i",
        "EVENT_BUS_NAME": "b",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", COLD_HELP],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    loaded = set(result["modules"])

    assert result["status"] == 200 and "Usage" in result["body"]
    heavy = {
        "boto3",
        "pydantic",
        "botocore.client",
        "botocore.session",
        "bot.slack.listeners",
        "bot.slack.blocks",
        "bot.services",
        "bot.ports",
        "bot.domain.migration",
        "bot.events.models",
        "slack_bolt.adapter.aws_lambda",
    }
    assert heavy & loaded == set()
