"""API Gateway proxy events ↔ Bolt requests and responses, without Bolt's Lambda adapter.

``slack_bolt.adapter.aws_lambda`` imports boto3 for its lazy-listener runner (it invokes the
function again through the Lambda API). This app has no lazy listeners
(``process_before_response``), so it keeps only the translation and saves that import at cold
start. Payload formats, as API Gateway documents them
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):

- 2.0 (HTTP API, what template.yaml wires): ``rawQueryString``, lower-cased ``headers`` with
  repeated values comma-joined, ``cookies`` apart, ``requestContext.http.method``;
  the response may carry ``cookies``.
- 1.0 (REST API, or an HTTP API set to 1.0): ``httpMethod``, ``multiValueHeaders`` and
  ``multiValueQueryStringParameters``; the response may carry ``multiValueHeaders``.

Either may have a base64 body (``isBase64Encoded``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from slack_bolt.request import BoltRequest

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.response import BoltResponse

NOT_FOUND: dict[str, Any] = {"statusCode": 404, "headers": {}, "body": "Not Found"}


class BoltLambdaHandler:
    """Hands each POST to the Bolt app and turns its answer into a proxy response."""

    def __init__(self, app: App) -> None:
        self.app = app

    def handle(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        """Dispatch one API Gateway event (payload 1.0 or 2.0); anything but POST is 404."""
        if method(event) != "POST":
            return dict(NOT_FOUND)
        request = to_bolt_request(event)
        request.context["aws_lambda_function_name"] = getattr(context, "function_name", None)
        request.context["aws_lambda_invoked_function_arn"] = getattr(
            context, "invoked_function_arn", None
        )
        return to_lambda_response(self.app.dispatch(request), version=version(event))


def version(event: Mapping[str, Any]) -> str:
    """The payload format version ("1.0" when the event does not say)."""
    return str(event.get("version") or "1.0")


def method(event: Mapping[str, Any]) -> str | None:
    """The HTTP method, where each payload format puts it."""
    context = event.get("requestContext") or {}
    found = (
        (context.get("http") or {}).get("method")  # 2.0
        or event.get("httpMethod")  # 1.0
        or context.get("httpMethod")
    )
    return str(found) if found else None


def to_bolt_request(event: Mapping[str, Any]) -> BoltRequest:
    """The request Bolt verifies and dispatches: raw body, headers (with cookies), query."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    headers: dict[str, str | Sequence[str]] = {
        name.lower(): value for name, value in (event.get("headers") or {}).items()
    }
    query: str | dict[str, Sequence[str]] | dict[str, str]
    if version(event) == "2.0":
        query = event.get("rawQueryString") or ""
        cookies = list(event.get("cookies") or [])
    else:
        for name, values in (event.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = list(values)
        query = dict(
            event.get("multiValueQueryStringParameters") or event.get("queryStringParameters") or {}
        )
        cookies = _split_cookie_header(headers.pop("cookie", []))
    if cookies:
        headers["cookie"] = cookies  # one "name=value" per item, as Bolt's own adapter gives
    return BoltRequest(body=body, query=query, headers=headers)


def to_lambda_response(response: BoltResponse, *, version: str) -> dict[str, Any]:
    """The proxy response: first value of each header; Set-Cookie as the format allows."""
    answer: dict[str, Any] = {
        "statusCode": response.status,
        "headers": response.first_headers_without_set_cookie(),
        "body": response.body,
    }
    set_cookie = list(response.headers.get("set-cookie", []))
    if set_cookie and version == "2.0":
        answer["cookies"] = set_cookie
    elif set_cookie:
        answer["multiValueHeaders"] = {"set-cookie": set_cookie}
    return answer


def _split_cookie_header(values: str | Sequence[str]) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(";") if part.strip()]
