"""The health report as Slack shows it: Block Kit and every word of it (pure).

One channel message: a header with the window, a line saying where the figures come from and
how much of the window CloudWatch had data for, then per migration its stage and traffic
split and two columns, EC2 | ECS (targets or tasks, requests, 5xx and their share, p95, the
estimated monthly cost), a context line with each cost's parts, and a footer naming the
price table, its region and date, and its sources. Every AWS- or user-sourced string is
escaped. The chart follows as a file in the channel (``chart_title``, ``chart_alt_text``).
"""

from __future__ import annotations

from typing import Any

from bot.domain.costs import CostComparison, Ec2Side, FargateSide
from bot.domain.health_report import HealthReport, MigrationHealth, SideSeries
from bot.slack.blocks import STAGE_LABELS, clip
from bot.slack.replies import escape
from bot.slack.side_by_side import NOT_AVAILABLE, traffic_lines

Blocks = list[dict[str, Any]]
#: Slack allows 50 blocks per message; each migration takes four.
MAX_MIGRATIONS = 10
_SOURCES = ("EC2", "EBS", "Fargate", "ELB")


def render_health_report(report: HealthReport) -> tuple[str, Blocks]:
    """The report's fallback text and blocks."""
    end = f"{report.window.end:%a %d %b %H:%M} UTC"
    count = len(report.migrations)
    text = f"Health report, 24 hours to {end}: {count} migration{'' if count == 1 else 's'}"
    blocks: Blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f":bar_chart: Health report · 24 h to {end}"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _origin(report)}]},
    ]
    if not report.migrations:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "No live migration in this channel, and none ended in the last 7 days.",
                },
            }
        )
        return text, blocks
    for migration in report.migrations[:MAX_MIGRATIONS]:
        blocks += _migration(migration)
    hidden = count - MAX_MIGRATIONS
    if hidden > 0:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"…and {hidden} more; `/migrate list` names them all.",
                    }
                ],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _prices(report)}]})
    return text, blocks


def _origin(report: HealthReport) -> str:
    who = (
        "Scheduled report"
        if report.requested_by is None
        else f"Asked for by <@{escape(report.requested_by)}>"
    )
    since = report.data_since()
    if since is None:
        data = "CloudWatch has no load balancer data for these 24 hours"
    elif since == report.window.start:
        data = "figures from CloudWatch (AWS/ApplicationELB) over the whole 24 hours"
    else:
        data = (
            f"figures from CloudWatch (AWS/ApplicationELB): data since {since:%H:%M} UTC only, "
            "not the whole 24 hours"
        )
    return f"{who} · {data}"


def _migration(migration: MigrationHealth) -> Blocks:
    stage = STAGE_LABELS.get(migration.stage, migration.stage.value)
    split = f"{100 - migration.weight}% EC2 · {migration.weight}% ECS"
    heading = (
        f"*{escape(migration.name)}* `{escape(migration.migration_id)}` · {stage} · traffic {split}"
    )
    section: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": heading}}
    cost = migration.cost
    blocks: Blocks = [{"type": "divider"}, section]
    if cost is None and migration.legacy is None and migration.legacy_healthy is None:
        section["text"]["text"] += "\nNo plan yet: nothing to measure."
        return blocks
    ec2 = ["*EC2*", _targets(migration), *_traffic(migration.legacy)]
    ecs = ["*ECS*", _tasks(migration), *_traffic(migration.express)]
    if cost is not None:
        ec2.append(_ec2_total(cost.ec2))
        ecs.append(_fargate_total(cost.fargate))
    section["fields"] = [
        {"type": "mrkdwn", "text": clip("\n".join(lines), 2000)} for lines in (ec2, ecs)
    ]
    notes = []
    if cost is not None:
        notes.append(_cost_parts(cost))
    if migration.not_available:
        notes.append(f"Not available: {escape(', '.join(migration.not_available))}.")
    if notes:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": clip(" ".join(notes), 3000)}],
            }
        )
    return blocks


def _targets(migration: MigrationHealth) -> str:
    if migration.legacy_healthy is None or migration.legacy_unhealthy is None:
        return f"targets {NOT_AVAILABLE}"
    icon = ":large_green_circle:" if not migration.legacy_unhealthy else ":red_circle:"
    return (
        f"{icon} targets {migration.legacy_healthy} healthy · "
        f"{migration.legacy_unhealthy} unhealthy"
    )


def _tasks(migration: MigrationHealth) -> str:
    if migration.express_running is None or migration.express_desired is None:
        return "no service yet"
    running, desired = migration.express_running, migration.express_desired
    icon = ":large_green_circle:" if running >= desired > 0 else ":large_yellow_circle:"
    return f"{icon} tasks {running} of {desired} running"


def _traffic(side: SideSeries | None) -> list[str]:
    """Requests and 5xx on one line, p95 on the next."""
    if side is None:
        return [f"requests, 5xx, p95 {NOT_AVAILABLE}"]
    return traffic_lines(
        side.total_requests,
        side.total_errors,
        side.error_percent,
        "p95",
        side.p95_seconds,
        share_digits=2,
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _ec2_total(side: Ec2Side | None) -> str:
    if side is None:
        return f"cost {NOT_AVAILABLE}"
    total = side.total
    if total is None:
        return f"cost not estimated ({escape(', '.join(side.unpriced))} not in the price table)"
    return f"*~{_usd(total)}/month*"


def _fargate_total(side: FargateSide | None) -> str:
    return f"cost {NOT_AVAILABLE}" if side is None else f"*~{_usd(side.total)}/month*"


def _cost_parts(cost: CostComparison) -> str:
    parts = []
    ec2 = cost.ec2
    if ec2 is not None:
        instance = (
            "stopped, no instance hours"
            if not ec2.running
            else f"{escape(ec2.instance_type)} {_usd(ec2.instance)}"
            if ec2.instance is not None
            else f"{escape(ec2.instance_type)} (no price)"
        )
        volumes = _usd(ec2.volumes) if ec2.volumes is not None else "(no price)"
        parts.append(
            f"EC2/month: {instance} + volumes {volumes} + ALB share {_usd(ec2.load_balancer)}."
        )
    fargate = cost.fargate
    if fargate is not None:
        plural = "" if fargate.tasks == 1 else "s"
        parts.append(
            f"Fargate/month: {fargate.tasks} task{plural} × {fargate.vcpu:g} vCPU, "
            f"{fargate.memory_gb:g} GB ({fargate.cpu_architecture}) {_usd(fargate.compute)} "
            f"+ ALB share {_usd(fargate.load_balancer)}."
        )
    return " ".join(parts)


def _prices(report: HealthReport) -> str:
    links = " · ".join(
        f"<{url}|{name}>" for name, url in zip(_SOURCES, report.price_sources, strict=False)
    )
    regions = {c.region for m in report.migrations if (c := m.cost) is not None}
    elsewhere = sorted(r for r in regions if r != report.price_region)
    note = (
        f" This stack runs in {escape(', '.join(elsewhere))}, where prices differ."
        if elsewhere
        else ""
    )
    return (
        f"Costs are estimates at on-demand prices from a pinned price table "
        f"({escape(report.price_region)}, Linux, as of {report.price_as_of}; 730 h a month; ALB "
        f"share = its hourly charge ÷ the target groups it serves; LCU usage and data transfer "
        f"not included): {links}.{note}"
    )


def chart_title(report: HealthReport) -> str:
    """The chart file's title."""
    return f"Requests and 5xx per side, 24 h to {report.window.end:%Y-%m-%d %H:%M} UTC"


def chart_filename(report: HealthReport) -> str:
    """The chart file's name."""
    return f"health-{report.channel_id}-{report.window.end:%Y%m%dT%H%MZ}.png"


def chart_alt_text(report: HealthReport) -> str:
    """What the chart shows, for screen readers (Slack's ``alt_txt``, at most 1,000)."""
    lines = []
    for m in report.migrations[:MAX_MIGRATIONS]:
        for label, side in (("EC2", m.legacy), ("ECS", m.express)):
            if side is not None:
                lines.append(
                    f"{m.name} {label}: {side.total_requests} requests, {side.total_errors} 5xx"
                )
    summary = "; ".join(lines) or "no requests"
    return clip(f"Hourly requests and 5xx per side over 24 hours. {summary}.", 1000)
