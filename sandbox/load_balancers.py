"""Stand-ins for the two load balancers real users go through, serving real HTTP on loopback.

- **The legacy ALB** (HTTP): each request is routed as the ALB's listener routes it, from the
  listener's rules as ELBv2 holds them (``DescribeRules``): rules in priority order, a rule
  matching when all its conditions do (``host-header`` and ``path-pattern`` values with ``*``
  and ``?`` wildcards, case-insensitive for hosts), its ``forward`` action sending the request
  to a registered target of the target group, and the default action answering when no rule
  matches (ELB User Guide, "Listener rules for your Application Load Balancer"). A target is an
  instance; its app is the process ``sandbox.tasks`` runs for that instance.
- **The Express load balancer** (HTTPS only, port 443 on AWS): a request is routed by its Host
  header to the service whose endpoint it names, and anything else gets the listener's default
  404, as Express's host-header rules do (ECS Developer Guide, Express Mode: the load balancer
  routes each service's endpoint host to its target group). Its certificate is for
  ``*.ecs.<region>.on.aws``, made by ``trustme`` (a test CA, pinned in the dev dependencies).

Both proxy the whole request (method, path, headers, body) to the target and its whole answer
back, adding ``X-Forwarded-For``/``-Proto``/``-Port`` as an ALB does. A target that does not
answer gets 502, as an ALB gives.
"""

from __future__ import annotations

import fnmatch
import http.client
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import trustme

from sandbox import tasks

#: Headers that belong to one connection, never forwarded (RFC 9110, section 7.6.1).
_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


@dataclass(frozen=True)
class Answer:
    """What one side answered."""

    status: int
    body: bytes
    content_type: str = ""


#: Where a request goes: ``(port, None)`` to a target, ``(None, Answer)`` for a fixed response.
Route = Callable[[str, str], tuple[int | None, Answer | None]]


class _Proxy(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass

    def _handle(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        port, fixed = self.server.route(host, self.path.split("?")[0])
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if port is None:
            answer = fixed or Answer(404, b"", "text/plain")
            self._reply(answer.status, [("Content-Type", answer.content_type)], answer.body)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["X-Forwarded-For"] = self.client_address[0]
        headers["X-Forwarded-Proto"] = self.server.scheme
        headers["X-Forwarded-Port"] = str(self.server.public_port)
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
            upstream.close()
        except OSError:
            self._reply(502, [("Content-Type", "text/html")], b"<h1>502 Bad Gateway</h1>")
            return
        self._reply(response.status, kept, data)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, route: Route, scheme: str, public_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _Proxy)
        self.route, self.scheme, self.public_port = route, scheme, public_port


class LoadBalancer:
    """One load balancer stand-in: a threaded proxy on a free loopback port."""

    def __init__(self, route: Route, *, tls: ssl.SSLContext | None = None) -> None:
        scheme, public = ("https", 443) if tls else ("http", 80)
        self._server = _Server(route, scheme, public)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> LoadBalancer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _matches(values: list[str], text: str, *, fold: bool) -> bool:
    text = text.lower() if fold else text
    return any(fnmatch.fnmatchcase(text, v.lower() if fold else v) for v in values)


def legacy_route(elbv2: Any, load_balancer_arn: str, port: int = 80) -> Route:
    """Route requests as the ALB's listener on ``port`` does, from its rules in ELBv2."""

    def route(host: str, path: str) -> tuple[int | None, Answer | None]:
        listeners = elbv2.describe_listeners(LoadBalancerArn=load_balancer_arn)["Listeners"]
        listener = next(item for item in listeners if item["Port"] == port)
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        ordered = sorted(
            rules,
            key=lambda r: (r["IsDefault"], int(r["Priority"]) if r["Priority"].isdigit() else 0),
        )
        for rule in ordered:
            if rule["IsDefault"] or all(_condition(c, host, path) for c in rule["Conditions"]):
                return _act(elbv2, rule["Actions"][0])
        return None, Answer(503, b"no rule")

    return route


def _condition(condition: dict[str, Any], host: str, path: str) -> bool:
    field = condition["Field"]
    if field == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition["Values"]
        return _matches(values, host, fold=True)
    if field == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition["Values"]
        return _matches(values, path, fold=False)
    return False  # conditions the stand-in does not evaluate never match


def _act(elbv2: Any, action: dict[str, Any]) -> tuple[int | None, Answer | None]:
    if action["Type"] == "fixed-response":
        fixed = action["FixedResponseConfig"]
        body = (fixed.get("MessageBody") or "").encode()
        return None, Answer(int(fixed["StatusCode"]), body, fixed.get("ContentType", "text/plain"))
    if action["Type"] == "forward":
        group = (
            action.get("TargetGroupArn")
            or action["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
        )
        health = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        for target in health:
            running = tasks.RUNNING.get(f"legacy/{target['Target']['Id']}")
            if running is not None and running.outcome == "healthy":
                return running.port, None
        return None, Answer(503, b"<h1>503 Service Temporarily Unavailable</h1>", "text/html")
    return None, Answer(500, b"unsupported action")


def express_route(endpoints: Callable[[], dict[str, str]]) -> Route:
    """Route by Host to the task of the service whose endpoint it is; else the default 404."""

    def route(host: str, path: str) -> tuple[int | None, Answer | None]:
        service = endpoints().get(host)
        running = tasks.RUNNING.get(service) if service else None
        if running is None or running.outcome != "healthy":
            if service is not None:
                return None, Answer(
                    503, b"<h1>503 Service Temporarily Unavailable</h1>", "text/html"
                )
            return None, Answer(404, b"", "text/plain")
        return running.port, None

    return route


class ExpressCertificates:
    """A test CA and the Express load balancer's certificate for ``*.ecs.<region>.on.aws``."""

    def __init__(self, region: str) -> None:
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert(f"*.ecs.{region}.on.aws")

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def fetch(
    port: int, host: str, path: str, tls: ssl.SSLContext | None = None, timeout: float = 10
) -> Answer:
    """GET ``path`` from a stand-in on ``port`` as a user of ``host`` would (Host, and SNI)."""
    if tls is None:
        connection: http.client.HTTPConnection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=timeout
        )
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
        # Connect to the stand-in on loopback while TLS names ``host`` (SNI, verification).
        connection._create_connection = (  # type: ignore[attr-defined]
            lambda address, *args, **kwargs: socket.create_connection(
                ("127.0.0.1", port), *args, **kwargs
            )
        )
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return Answer(response.status, response.read(), response.getheader("Content-Type") or "")
    finally:
        connection.close()
