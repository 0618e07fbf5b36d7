"""The plan card as plain text, and every word ``migrate-bot plan`` prints (pure functions).

The same facts as the Slack card (``blocks.render_status_card``), in the order a person reads
it, for a terminal. AWS-sourced strings lose their control characters before they are printed,
so a tag or record name cannot move the cursor or recolour the terminal.
"""

from __future__ import annotations

import re
import textwrap

from bot.domain.plan import Plan
from bot.slack.app_facts import access_rows, app_rows, runtime_line

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_INDENT = "  "
_WIDTH = 100  # columns; longer lines wrap under their own text


def plain(text: str) -> str:
    """``text`` with terminal control characters (escape sequences among them) replaced."""
    return _CONTROL.sub("?", text)


def not_migrated(plan: Plan) -> list[str]:
    """What the bot cannot migrate as the plan stands, each with the way out."""
    items = []
    if plan.runs_on is None:
        items.append(
            f"The image: Fargate has no {plain(plan.architecture)} tasks (x86_64 and arm64 "
            "Linux only). Build an image yourself and use --image."
        )
    if plan.blocker:
        items.append(f"The app: {plain(plan.blocker)}")
    if plan.load_balancer_arn is None:
        items.append(
            "The cutover: no load balancer sends traffic to the instance, so there is no "
            "traffic to move."
        )
    elif plan.record_name is None:
        items.append(
            "The cutover: no Route 53 record points at the load balancer, so no name can be "
            "moved to ECS."
        )
    return items


def render_plan_text(plan: Plan) -> str:
    """The plan card for a terminal: what was found, where the tasks run, what to check."""
    subject = plain(plan.name)
    if plan.name != plan.instance_id:
        subject += f" ({plain(plan.instance_id)})"
    rows = [
        (
            "Instance",
            f"{plain(plan.instance_id)} ({plain(plan.instance_type)}, {plain(plan.architecture)})",
        ),
        ("Fargate size", f"{plain(plan.cpu)} CPU units · {plain(plan.memory)} MiB"),
        ("App", plain(runtime_line(plan))),
        *((label, plain(text)) for label, text in app_rows(plan)),
        *(
            [
                (
                    "Source",
                    "captured from the instance through SSM when /migrate runs (this "
                    "command only reads); the runtime is read from the captured files",
                )
            ]
            if plan.source is None and not plan.blocker
            else []
        ),
        ("DNS", plain(plan.record_name.rstrip(".")) if plan.record_name else "no record found"),
        ("Load balancer", _load_balancer(plan)),
        ("Where tasks run", plain(plan.placement) if plan.placement else "not decided"),
        *((label, plain(text)) for label, text in access_rows(plan)),
        ("Architecture", plain(plan.runs_on) if plan.runs_on else "no Fargate counterpart"),
    ]
    width = max(len(label) for label, _ in rows) + 1
    lines = [f"Plan for {subject}", ""]
    lines += [
        textwrap.fill(
            value,
            _WIDTH,
            initial_indent=f"{label + ':':<{width}} ",
            subsequent_indent=" " * (width + 1),
            break_on_hyphens=False,
        )
        for label, value in rows
    ]
    lines += _section("Warnings", [plain(w) for w in plan.warnings], "none")
    lines += _section("Cannot be migrated", not_migrated(plan), "nothing found")
    return "\n".join(lines)


def _load_balancer(plan: Plan) -> str:
    if plan.load_balancer_dns is None:
        return "none found"
    scheme = f" ({plain(plan.load_balancer_scheme)})" if plan.load_balancer_scheme else ""
    return plain(plan.load_balancer_dns) + scheme


def _section(title: str, items: list[str], empty: str) -> list[str]:
    if not items:
        return ["", f"{title}: {empty}"]
    return [
        "",
        f"{title}:",
        *(
            textwrap.fill(
                item,
                _WIDTH,
                initial_indent=f"{_INDENT}- ",
                subsequent_indent=_INDENT + "  ",
                break_on_hyphens=False,
            )
            for item in items
        ),
    ]


def not_found_text(reason: str) -> str:
    """No instance matched the target."""
    return f"migrate-bot plan: {plain(reason)}"


def refused_text(reason: str) -> str:
    """AWS refused a read (access denied, invalid parameter): its own words."""
    return f"migrate-bot plan: AWS refused a read: {plain(reason)}"


def cannot_plan_text(reason: str) -> str:
    """Discovery found something it cannot plan around."""
    return f"migrate-bot plan: cannot plan: {plain(reason)}"


def no_credentials_text(profile: str | None) -> str:
    """No credentials were found; say how to give some."""
    looked = f"profile {profile!r}" if profile else "the default credential chain"
    return (
        f"migrate-bot plan: no AWS credentials found in {looked}. Sign in with "
        "`aws sso login --profile NAME` or `aws configure --profile NAME` and pass "
        "--profile NAME, or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
    )


def no_region_text() -> str:
    """No region was given or configured."""
    return (
        "migrate-bot plan: no AWS region. Pass --region (e.g. --region us-east-1), "
        "or set one in the profile or in AWS_REGION."
    )


def aws_error_text(reason: str) -> str:
    """Any other AWS or connection error (expired token, unreachable endpoint, unknown profile)."""
    return f"migrate-bot plan: {plain(reason)}"
