"""What the plan says about the app itself, as (label, text) rows both surfaces show (pure).

The Slack card (``blocks``) escapes these rows for mrkdwn; ``migrate-bot plan`` (``plan_text``)
strips control characters. Values never appear for environment variables, only names.
"""

from __future__ import annotations

import shlex

from bot.domain.plan import Plan

_MAX_NAMES = 25


def size(value: int) -> str:
    """A byte count as a person reads it."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} bytes"


def runtime_line(plan: Plan) -> str:
    """The runtime, its version and package manager, the port and the health path."""
    detection = plan.detection
    where = f"port {plan.port}, health {plan.health_check_path}"
    if plan.source == "image":
        return f"the image {plan.image_uri} on {where}"
    if detection and detection.runtime:
        version = f" {detection.version}" if detection.version else ""
        tool = f" ({detection.tool})" if detection.tool else ""
        return f"{detection.runtime}{version}{tool} on {where}"
    if plan.runtime != "unknown":
        return f"{plan.runtime} on {where}"
    return (
        "runtime unknown" if plan.blocker or plan.source else "runtime not read yet"
    ) + f", {where}"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")


def app_rows(plan: Plan) -> list[tuple[str, str]]:
    """Rows for what was found on the instance, what the image runs and what it is given."""
    rows: list[tuple[str, str]] = []
    app = plan.app
    if app is not None:
        unit = f" (systemd {app.systemd_unit})" if app.systemd_unit else ""
        rows.append(
            (
                "Found on the instance",
                f"{shlex.join(app.command)} in {app.working_directory} as {app.user}{unit}, "
                f"pid {app.pid}",
            )
        )
        rows.append(
            (
                "Bundle",
                f"{app.bundle_files} files, {size(app.bundle_bytes)} (VCS, dependency "
                "folders, logs and secret files left out)",
            )
        )
    elif plan.source == "bundle" and plan.bundle_key:
        rows.append(("Bundle", f"uploaded: {plan.bundle_key}"))
    if plan.source in ("capture", "bundle") and plan.start_command:
        rows.append(("Image runs", shlex.join(plan.start_command)))
    if plan.environment or plan.secret_names:
        text = _names(sorted(plan.environment)) if plan.environment else "none"
        if plan.secret_names:
            text += f"; from Secrets Manager: {_names(plan.secret_names)}"
        rows.append(("Environment", text))
    if plan.ssm and (plan.source == "capture" or plan.blocker):
        rows.append(("SSM", plan.ssm))
    return rows


def access_rows(plan: Plan) -> list[tuple[str, str]]:
    """Rows for the task role, the data the app reaches and the tasks' security groups."""
    rows: list[tuple[str, str]] = []
    role = plan.task_role
    if role is not None:
        names = sorted(role.inline) + [arn.rsplit("/", 1)[-1] for arn in role.managed]
        text = (
            f"a new role trusted by ECS tasks, with {role.source_role}'s policies: "
            f"{', '.join(names) or 'none'}"
        )
        if role.left_out:
            text += f" (left out, agents' only: {', '.join(role.left_out)})"
        rows.append(("Task role", text + "; capped by the stack's permissions boundary"))
    else:
        rows.append(("Task role", "none (the instance has no role to copy)"))
    if plan.data:
        rows.append(
            (
                "Data it reaches",
                "; ".join(f"{d.kind} {d.name} ({', '.join(d.via)})" for d in plan.data),
            )
        )
    rows.append(
        (
            "Security groups",
            f"the instance's ({', '.join(plan.security_group_ids) or 'none'}), so what admits "
            "it admits the tasks, and one the bot creates admitting the Express load balancer "
            f"on port {plan.port}",
        )
    )
    return rows
