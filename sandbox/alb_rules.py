"""How an Application Load Balancer's listener answers a request, read from ELBv2.

Everything here follows the ELB User Guide for Application Load Balancers:

- **Rules** ("Listener rules for your Application Load Balancer"): evaluated in priority order,
  lowest first, the default rule last; a rule applies when all its conditions match. Condition
  types evaluated here: ``host-header`` (case-insensitive; ``*`` matches 0 or more characters,
  ``?`` exactly one) and ``path-pattern`` (case-sensitive, same wildcards, the path without its
  query string). Rules with other condition types never match here (a known limit).
- **Actions** ("Rule action types"): the actions run in their ``Order``; the terminal one is
  ``fixed-response``, ``redirect`` or ``forward``. ``forward`` to several target groups picks one
  by ``Weight``. Authentication actions are not modelled (500).
- **Redirects** ("Redirect actions"): the URI's protocol, host, port, path and query default to
  ``#{protocol}``, ``#{host}``, ``#{port}``, ``/#{path}`` and ``#{query}``; ``#{path}`` is the
  original path without its leading slash; the status is ``HTTP_301`` or ``HTTP_302``.
- **Targets** ("Health checks for Application Load Balancer target groups"): requests go to
  registered healthy targets; "If a target group contains only unhealthy registered targets,
  the load balancer routes requests to all those targets, regardless of their health status"
  (fail open). A target group with no registered targets answers 503, and a target that
  refuses the connection 502 ("Troubleshoot your Application Load Balancers": HTTP 502 and
  HTTP 503).

A target is a process ``sandbox.tasks`` runs: an ``instance`` target (an ``i-`` id) is the
legacy app on that instance (``legacy/<instance id>``); an ``ip`` target of an Express service's
target group is that service's task (``sandbox.express.service_for_target_group``).
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass
from typing import Any

from sandbox import express, tasks

_TERMINAL = ("forward", "fixed-response", "redirect")
_BUSY = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


@dataclass(frozen=True)
class Request:
    """What the listener sees of one request."""

    scheme: str  # the listener's protocol, lower case
    port: int  # the listener's port
    host: str  # the Host header without its port, lower case
    path: str
    query: str  # without the "?"


@dataclass(frozen=True)
class Fixed:
    """The load balancer answers itself (a fixed response, a redirect, or an error)."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    location: str | None = None
    target_group_arn: str | None = None  # set when a forward found nothing to send to


@dataclass(frozen=True)
class Forward:
    """Send the request to a target: the process listening on ``port`` (None: none is)."""

    target_group_arn: str
    port: int | None


Decision = Fixed | Forward


def decide(elbv2: Any, listener_arn: str, request: Request) -> Decision:
    """What the listener does with ``request``, from its rules as ELBv2 holds them now."""
    rules = elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
    ordered = sorted(rules, key=lambda r: (r["IsDefault"], _priority(r)))
    for rule in ordered:
        if rule["IsDefault"] or all(_matches(c, request) for c in rule["Conditions"]):
            return _act(elbv2, rule["Actions"], request)
    return Fixed(503)  # a listener always has its default rule; unreachable on AWS


def _priority(rule: dict[str, Any]) -> int:
    return int(rule["Priority"]) if str(rule["Priority"]).isdigit() else 0


def _wildcard(values: list[str], text: str, *, fold: bool) -> bool:
    text = text.lower() if fold else text
    return any(fnmatch.fnmatchcase(text, v.lower() if fold else v) for v in values)


def _matches(condition: dict[str, Any], request: Request) -> bool:
    field = condition["Field"]
    if field == "host-header":
        values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition["Values"]
        return _wildcard(values, request.host, fold=True)
    if field == "path-pattern":
        values = (condition.get("PathPatternConfig") or {}).get("Values") or condition["Values"]
        return _wildcard(values, request.path, fold=False)
    return False  # conditions the stand-in does not evaluate never match


def _act(elbv2: Any, actions: list[dict[str, Any]], request: Request) -> Decision:
    ordered = sorted(actions, key=lambda a: int(a.get("Order") or 0))
    action = next((a for a in ordered if a["Type"] in _TERMINAL), None)
    if action is None:
        return Fixed(500, b"the sandbox does not model this action", "text/plain")
    if action["Type"] == "fixed-response":
        fixed = action["FixedResponseConfig"]
        body = (fixed.get("MessageBody") or "").encode()
        return Fixed(int(fixed["StatusCode"]), body, fixed.get("ContentType") or "text/plain")
    if action["Type"] == "redirect":
        return redirect(action["RedirectConfig"], request)
    return _forward(elbv2, _target_group(action))


def redirect(config: dict[str, Any], request: Request) -> Fixed:
    """The answer of a redirect action: its status and the ``Location`` it builds."""
    keywords = {
        "#{protocol}": request.scheme,
        "#{host}": request.host,
        "#{port}": str(request.port),
        "#{path}": request.path.removeprefix("/"),
        "#{query}": request.query,
    }

    def part(name: str, default: str) -> str:
        value = str(config.get(name) or default)
        for keyword, replacement in keywords.items():
            value = value.replace(keyword, replacement)
        return value

    protocol = part("Protocol", "#{protocol}").lower()
    location = f"{protocol}://{part('Host', '#{host}')}:{part('Port', '#{port}')}"
    location += part("Path", "/#{path}")
    query = part("Query", "#{query}")
    if query:
        location += f"?{query}"
    status = 302 if config.get("StatusCode") == "HTTP_302" else 301
    title = "301 Moved Permanently" if status == 301 else "302 Found"
    body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    return Fixed(status, body.encode(), "text/html", location=location)


def _target_group(action: dict[str, Any]) -> str:
    """The forward action's target group (one of its weighted groups, by weight)."""
    if action.get("TargetGroupArn"):
        return str(action["TargetGroupArn"])
    groups = [g for g in action["ForwardConfig"]["TargetGroups"] if int(g.get("Weight", 1)) > 0]
    weights = [int(g.get("Weight", 1)) for g in groups]
    return str(random.choices(groups, weights=weights)[0]["TargetGroupArn"])


def _forward(elbv2: Any, target_group_arn: str) -> Decision:
    health = elbv2.describe_target_health(TargetGroupArn=target_group_arn)
    registered = [d for d in health["TargetHealthDescriptions"] if _registered(d)]
    if not registered:
        return Fixed(503, _BUSY, "text/html", target_group_arn=target_group_arn)
    processes = [_process(target_group_arn, d["Target"]["Id"]) for d in registered]
    healthy = [p for p in processes if p is not None and p.outcome == "healthy"]
    chosen = random.choice(healthy or processes)  # all unhealthy: fail open to all of them
    answers = chosen is not None and chosen.outcome == "healthy"
    return Forward(target_group_arn, chosen.port if chosen is not None and answers else None)


def _registered(description: dict[str, Any]) -> bool:
    return description.get("TargetHealth", {}).get("State") not in ("unused", "draining")


def _process(target_group_arn: str, target_id: str) -> tasks.Running | None:
    if target_id.startswith("i-"):
        return tasks.RUNNING.get(f"legacy/{target_id}")
    service = express.service_for_target_group(target_group_arn)
    return tasks.RUNNING.get(service) if service else None


def choose_certificate(
    server_name: str | None, certificates: list[tuple[str, list[str]]]
) -> str | None:
    """The ARN of the certificate an HTTPS listener presents for an SNI ``server_name``.

    ``certificates`` are the listener's (ARN, names) pairs, its default first ("SSL
    certificates for your Application Load Balancer": the default certificate is used
    when a client connects without SNI or no certificate in the list matches; otherwise a
    matching certificate is chosen). A wildcard covers exactly one leftmost label. Among
    several matching certificates AWS picks the "best" by key algorithm, key size and
    validity; the sandbox's are all alike, so the first in the list wins.
    """
    if not certificates:
        return None
    name = (server_name or "").lower().rstrip(".")
    for arn, names in certificates:
        if name and any(covers(pattern, name) for pattern in names):
            return arn
    return certificates[0][0]


def covers(pattern: str, name: str) -> bool:
    """Whether a certificate name covers a host name (``*.example.com``: one label)."""
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name
