"""Block Kit builders and every word the bot shows in Slack (pure functions)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.domain.tasks import RUNNING, STOPPED, TaskSummary
from bot.events.models import (
    BuildStarted,
    CertificateReady,
    CertificateRequested,
    CutoverRequested,
    DeploymentStarted,
    DiscoveryCompleted,
    DomainEvent,
    GradualChanged,
    ImageBuilt,
    MigrationCancelled,
    MigrationFailed,
    NameNotServed,
    NameServed,
    PlanApproved,
    PlanEdited,
    Reconciled,
    RollbackRequested,
    RolledBack,
    ServiceHealthy,
    StepBaked,
    TaskStateChanged,
    TrafficShifted,
)
from bot.slack import retire_blocks
from bot.slack.app_facts import access_rows, app_rows, runtime_line
from bot.slack.edit_modal import EDIT_ACTION, cutover_line, plan_edited
from bot.slack.replies import USAGE, escape
from bot.slack.side_by_side import side_by_side_block

Blocks = list[dict[str, Any]]

STAGE_LABELS: dict[Stage, str] = {
    Stage.REQUESTED: ":hourglass_flowing_sand: Requested",
    Stage.DISCOVERING: ":mag: Discovering",
    Stage.CAPTURING: ":package: Capturing the app from the instance",
    Stage.PLANNED: ":clipboard: Plan ready for approval",
    Stage.BUILDING: ":hammer_and_wrench: Building image",
    Stage.DEPLOYING: ":rocket: Deploying to ECS Express Mode",
    Stage.HEALTHY: ":large_green_circle: Healthy, ready for cutover",
    Stage.CUTTING_OVER: ":twisted_rightwards_arrows: Cutting over",
    Stage.CUT_OVER: ":white_check_mark: Cut over",
    Stage.ROLLING_BACK: ":rewind: Rolling back",
    Stage.ROLLED_BACK: ":leftwards_arrow_with_hook: Rolled back to EC2",
    Stage.FAILED: ":red_circle: Failed",
    Stage.CANCELLED: ":no_entry_sign: Cancelled",
    Stage.CLEANED_UP: ":broom: Cleaned up",
    **retire_blocks.STAGE_LABELS,
}


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to Slack's limit for the block it goes in (after escaping)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_value(
    migration: Migration,
    weight: int | None = None,
    until: datetime | None = None,
    *,
    override: bool = False,
) -> str:
    """The value a button carries: migration id, version, (for cutover) weight and whether it
    skips a bake, and until when it may be used (epoch seconds; a button without one is
    refused as expired)."""
    payload: dict[str, Any] = {"m": migration.migration_id, "v": migration.version}
    if weight is not None:
        payload["w"] = weight
    if override:
        payload["o"] = 1
    if until is not None:
        payload["x"] = int(until.timestamp())
    return json.dumps(payload, separators=(",", ":"))


def _button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def _confirm(title: str, text: str, go: str) -> dict[str, Any]:
    return {
        "title": {"type": "plain_text", "text": title},
        "text": {"type": "mrkdwn", "text": text},
        "confirm": {"type": "plain_text", "text": go},
        "deny": {"type": "plain_text", "text": "Not now"},
    }


def _cancel_button(value: str, what_happens: str) -> dict[str, Any]:
    return _button(
        "Cancel",
        "cancel_migration",
        value,
        "danger",
        _confirm("Cancel migration?", what_happens, "Cancel it"),
    )


def card_buttons(migration: Migration, until: datetime | None = None) -> list[dict[str, Any]]:
    """The buttons the status card offers in the migration's current stage, usable ``until``."""

    def value(weight: int | None = None, override: bool = False) -> str:
        return button_value(migration, weight, until, override=override)

    stage = migration.stage
    if stage in (Stage.PLANNED, Stage.CAPTURING):
        blocked = migration.plan is not None and migration.plan.blocker is not None
        approve = (
            []
            if blocked or stage != Stage.PLANNED
            else [
                _button(
                    "Approve plan",
                    "approve_plan",
                    value(),
                    "primary",
                    _confirm(
                        "Approve this plan?",
                        "The image is built and an Express Mode service is created from it. "
                        "No traffic moves until a cutover.",
                        "Approve",
                    ),
                ),
                # Opens the Edit modal (views.open): the cutover steps and the bake time.
                _button("Edit", EDIT_ACTION, value()),
            ]
        )
        return [*approve, _cancel_button(value(), "Nothing has been built yet.")]
    if stage in (Stage.BUILDING, Stage.DEPLOYING):
        return [
            _cancel_button(
                value(),
                "The build is stopped and the Express service, if created, deleted. "
                "No traffic has moved; EC2 keeps serving.",
            )
        ]
    buttons: list[dict[str, Any]] = []
    idle = migration.requested_weight is None
    serving = migration.express_alias is not None  # the Express side answers for the name
    running = migration.gradual_until is not None and migration.weight < migration.gradual_until
    live = stage in (Stage.HEALTHY, Stage.CUTTING_OVER) and serving
    if live and running and not migration.paused:
        buttons.append(
            _button(
                "Pause gradual cutover",
                "gradual_pause",
                value(),
                None,
                _confirm(
                    "Pause the gradual cutover?",
                    "The step under way finishes; no further step is taken until you resume.",
                    "Pause",
                ),
            )
        )
    if live and running and migration.paused:
        buttons.append(
            _button(
                "Resume gradual cutover",
                "gradual_resume",
                value(),
                "primary",
                _confirm(
                    "Resume the gradual cutover?",
                    f"It goes on to {migration.gradual_until}% on ECS, each step after the "
                    "previous one has baked.",
                    "Resume",
                ),
            )
        )
    if live and idle and migration.gradual_until is None and migration.weight < 100:
        buttons.append(
            _button(
                "Start gradual cutover",
                "gradual_start",
                value(),
                "primary",
                _confirm(
                    "Run the cutover unattended?",
                    "Each step ("
                    + " → ".join(f"{w} %" for w in migration.cutover_steps if w > migration.weight)
                    + ") is taken after the previous one has baked without a breach. "
                    "Pause or Rollback stop it at any time.",
                    "Start",
                ),
            )
        )
    if live and idle and not (running and not migration.paused):
        for weight in migration.cutover_steps:
            if weight > migration.weight:
                given = len(migration.full_approvals) if weight == 100 else 0
                baking = migration.bake_ends_at is not None
                label = f"Cutover {weight}%" + (f" ({given} of 2 approvals)" if given else "")
                confirm = _confirm(
                    f"Send {weight}% to ECS?",
                    f"Route 53 will send {weight}% of traffic to the Express service "
                    f"and {100 - weight}% to EC2.",
                    f"Shift {weight}%",
                )
                if baking:
                    assert migration.bake_ends_at is not None
                    label += " (skip bake)"
                    confirm = _confirm(
                        "Skip the bake?",
                        f"The {migration.weight}% step bakes until "
                        f"{migration.bake_ends_at:%H:%M} UTC. Shifting {weight}% to ECS now "
                        "skips the rest of it; this is recorded in the audit trail.",
                        f"Skip and shift {weight}%",
                    )
                buttons.append(
                    _button(
                        label,
                        f"cutover_{weight}",
                        value(weight, override=baking),
                        "primary" if weight == 100 and not baking else None,
                        confirm,
                    )
                )
    rollbackable = stage in (Stage.HEALTHY, Stage.CUTTING_OVER, Stage.CUT_OVER) or (
        stage == Stage.FAILED and migration.service_arn is not None
    )
    if rollbackable:
        buttons.append(
            _button(
                "Rollback",
                "rollback",
                value(),
                "danger",
                _confirm(
                    "Roll back to EC2?",
                    "All traffic returns to the EC2 stack at once. The ECS service keeps running.",
                    "Roll back",
                ),
            )
        )
    buttons += retire_blocks.buttons(
        migration,
        value(),
        lambda text, action_id, style, confirm: _button(text, action_id, value(), style, confirm),
        _confirm,
    )
    return buttons


def card_title(migration: Migration) -> str:
    """The card's header: the migration and what it moves."""
    plan = migration.plan
    subject = (
        f"{plan.name} ({plan.instance_id})"
        if plan and plan.name != plan.instance_id
        else migration.target
    )
    return f"Migration {migration.migration_id}: {escape(subject)}"


def card_fields(migration: Migration, tasks: TaskSummary | None = None) -> list[str]:
    """The card's facts (mrkdwn ``*Label*\\nvalue``): stage, people, traffic, sizes, tasks."""
    label = STAGE_LABELS[migration.stage]
    if migration.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER):
        label += f" — {migration.weight}% on ECS"
    plan = migration.plan
    fields = [
        f"*Stage*\n{label}",
        f"*Requested by*\n<@{escape(migration.requested_by)}>",
        f"*Traffic*\nEC2 {100 - migration.weight}% · ECS {migration.weight}%",
    ]
    if plan is not None:
        fields += [
            f"*Instance*\n`{escape(plan.instance_id)}` ({escape(plan.instance_type)}, "
            f"{escape(plan.architecture)})",
            f"*Fargate size*\n{escape(plan.cpu)} CPU units · {escape(plan.memory)} MiB",
            f"*App*\n{escape(runtime_line(plan))}",
        ]
        if plan.record_name:
            fields.append(f"*DNS*\n`{escape(plan.record_name)}`")
    if migration.endpoint:
        fields.append(f"*Express endpoint*\n{escape(migration.endpoint)}")
    if tasks is not None:
        fields.append(f"*Tasks*\n{tasks.running} of {tasks.desired} running")
    if migration.bake_ends_at is not None and migration.stage in (
        Stage.CUTTING_OVER,
        Stage.CUT_OVER,
    ):
        fields.append(
            f"*Bake*\nthe {migration.weight}% step bakes until {migration.bake_ends_at:%H:%M} UTC"
        )
    if migration.full_approvals:
        who = ", ".join(f"<@{escape(u)}>" for u in migration.full_approvals)
        fields.append(f"*Cutover 100 %*\n{len(migration.full_approvals)} of 2 approvals ({who})")
    return fields


def render_status_card(
    migration: Migration,
    tasks: TaskSummary | None = None,
    *,
    buttons_until: datetime | None = None,
) -> tuple[str, Blocks]:
    """The thread root: fallback text and blocks for the migration's current state.

    ``tasks`` folds the service's ECS tasks into the card (running n of desired, the last
    stop reason) once the service exists; task events get no thread reply of their own.
    ``buttons_until`` is when the card's buttons expire (the card says so); without it the
    buttons carry no expiry and every click on them is refused as expired.
    """
    plan = migration.plan
    title = card_title(migration)
    fields = card_fields(migration, tasks)
    blocks: Blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": clip(f, 2000)} for f in fields[:10]],
        },
    ]
    if migration.stage in _SHOWS_STEPS:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": cutover_line(migration)}]}
        )
    sides = side_by_side_block(migration, tasks)
    if sides is not None:
        blocks.append(sides)
    if plan is not None and app_rows(plan):
        rows = [f"*{label}:* {escape(text)}" for label, text in app_rows(plan)]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(rows), 3000)}}
        )
    certificate = certificate_line(migration)
    if certificate is not None:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": certificate}]})
    if migration.edge_blocker and migration.stage == Stage.HEALTHY:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(
                        f":no_entry: *Cutover not offered:* {escape(migration.edge_blocker)}", 3000
                    ),
                },
            }
        )
    if plan is not None and plan.blocker and migration.stage == Stage.PLANNED:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(f":no_entry: *Cannot be approved:* {escape(plan.blocker)}", 3000),
                },
            }
        )
    if plan is not None:
        lines = []
        if plan.placement:
            lines.append(f"*Where tasks run:* {escape(plan.placement)}")
        lines += [f"*{label}:* {escape(text)}" for label, text in access_rows(plan)]
        if plan.runs_on:
            lines.append(f"*Architecture:* {escape(plan.runs_on)}")
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(lines), 3000)}}
        )
    if plan is not None and plan.warnings:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": ":warning: " + escape(w)} for w in plan.warnings[:10]
                ],
            }
        )
    if tasks is not None and tasks.stopped:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": clip(last_stop_line(tasks), 3000)}],
            }
        )
    retired = retire_blocks.card_lines(migration)
    if retired:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": clip("\n".join(retired), 3000)}}
        )
    if migration.failure:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": clip(f":x: *Failure:* {escape(migration.failure)}", 3000),
                },
            }
        )
    buttons = card_buttons(migration, buttons_until)
    footer = f"version {migration.version} · {migration.migration_id}"
    if buttons:
        blocks.append({"type": "actions", "block_id": "card_actions", "elements": buttons})
        if buttons_until is not None:
            footer += f" · buttons valid until {buttons_until:%Y-%m-%d %H:%M} UTC"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return f"{title} — {STAGE_LABELS[migration.stage]}", blocks


def certificate_line(migration: Migration) -> str | None:
    """The certificate's state on the card, until the Express side serves the name."""
    certificate, plan = migration.certificate, migration.plan
    if certificate is None or plan is None or migration.express_alias is not None:
        return None
    if migration.terminal:
        return None
    name = escape((plan.record_name or "").rstrip("."))
    if certificate.origin == "legacy":
        return f":lock: Certificate for `{name}`: the legacy HTTPS listener's, reused."
    if certificate.status == "ISSUED":
        return f":lock: Certificate for `{name}`: requested by the bot, issued by ACM."
    record = certificate.validation_record
    where = f" (validation record `{escape(record.name)}` written)" if record else ""
    return clip(
        f":hourglass: Certificate for `{name}`: requested from ACM{where}; cutover waits "
        "until ACM issues it.",
        3000,
    )


#: Stages whose card says the migration's cutover steps and bake time (planned until cut over).
_SHOWS_STEPS = frozenset(
    {Stage.PLANNED, Stage.BUILDING, Stage.DEPLOYING, Stage.HEALTHY, Stage.CUTTING_OVER}
)


def last_stop_line(tasks: TaskSummary) -> str:
    code = escape(tasks.last_stop_code or "unknown")
    why = escape(tasks.last_stop_reason or "no reason given")
    return f":stop_sign: Last task stop ({code}): {why}"


def render_milestone(event: DomainEvent) -> str | None:
    """The thread reply for an event, or None when the event is not a milestone.

    Task events are milestones only as "the first task is running" and as a stop reason
    (the notifier posts each once per migration, and once per distinct reason).
    """
    match event:
        case DiscoveryCompleted() if event.blocked:
            return (
                ":no_entry: The plan is ready but cannot be approved as it is; the card says "
                "why and the way out."
            )
        case DiscoveryCompleted():
            app = "the given image" if event.runtime == "image" else f"{escape(event.runtime)} app"
            return (
                f":clipboard: Plan ready: {app} on port {event.port}, "
                f"Fargate {escape(event.cpu)} CPU / {escape(event.memory)} MiB. Approve it on the card."
            )
        case PlanApproved():
            return f":thumbsup: <@{escape(event.approved_by)}> approved the plan."
        case PlanEdited():
            return plan_edited(event.edited_by, event.cutover_steps, event.bake_minutes)
        case MigrationCancelled() if event.build_id or event.service_arn:
            stopped = " and ".join(
                what
                for what, on in (
                    ("the build is stopped", event.build_id),
                    ("the Express service deleted", event.service_arn),
                )
                if on
            )
            if not event.cancelled_by:  # a service created as the migration was cancelled
                return ":no_entry_sign: The Express service created as the migration was cancelled is deleted."
            return (
                f":no_entry_sign: <@{escape(event.cancelled_by)}> cancelled the migration: "
                f"{stopped}. EC2 keeps serving; the instance may be migrated again."
            )
        case MigrationCancelled():
            return f":no_entry_sign: <@{escape(event.cancelled_by)}> cancelled the migration."
        case BuildStarted():
            return (
                f":hammer_and_wrench: Build `{escape(event.build_id)}` started "
                f"({escape(event.platform)})."
            )
        case ImageBuilt():
            return f":package: Image pushed: `{escape(event.image_uri)}`"
        case DeploymentStarted():
            return f":rocket: Express Mode service created: `{escape(event.service_arn)}`"
        case TaskStateChanged() if event.last_status == RUNNING:
            task = escape(event.task_arn.rsplit("/", 1)[-1])
            return f":arrow_forward: The first task is running (`{task}`)."
        case TaskStateChanged() if event.last_status == STOPPED:
            why = escape(event.stopped_reason or "no reason given")
            code = escape(event.stop_code or "unknown")
            return clip(
                f":stop_sign: A task stopped ({code}): {why}\n"
                "Further stops show on the status card.",
                3000,
            )
        case ServiceHealthy():
            return (
                ":large_green_circle: Deployment completed; the service is healthy and steady. "
                "Next: the Express load balancer serves the app's name, and both sides are compared."
            )
        case NameServed():
            checks = "\n".join(f"• {escape(c)}" for c in event.checks)
            return clip(
                f":globe_with_meridians: The Express load balancer serves `{escape(event.record_name)}` "
                f"and answers as EC2 does:\n{checks}\nCutover buttons are on the card.",
                3000,
            )
        case NameNotServed():
            return clip(f":no_entry: Cutover not offered: {escape(event.reason)}", 3000)
        case Reconciled():
            icon = {"continued": ":mag:", "extended": ":hourglass:", "failed": ":mag:"}.get(
                event.outcome, ":mag:"
            )
            then = {
                "continued": "going on",
                "extended": "waiting once more",
                "failed": "the migration stops here",
            }.get(event.outcome, event.outcome)
            return clip(
                f"{icon} Past the {escape(event.waiting_for)}'s deadline, AWS was asked: "
                f"{escape(event.finding)} ({then}).",
                3000,
            )
        case CertificateRequested():
            return clip(
                f":lock: Requested an ACM certificate for `{escape(event.record_name)}`: "
                f"{escape(event.why)}. Its DNS validation record "
                f"`{escape(event.validation_record)}` is written in the app's zone; "
                "cutover waits until ACM issues it.",
                3000,
            )
        case CertificateReady() if event.origin == "requested":
            return ":lock: ACM issued the certificate for the app's name."
        case CutoverRequested() if event.gradual:
            return (
                f":twisted_rightwards_arrows: Gradual cutover (started by "
                f"<@{escape(event.requested_by)}>): next step, {event.weight}% on ECS."
            )
        case CutoverRequested():
            return f":twisted_rightwards_arrows: <@{escape(event.requested_by)}> asked for {event.weight}% on ECS."
        case GradualChanged():
            verb = {"started": "started", "paused": "paused", "resumed": "resumed"}[event.state]
            return (
                f":arrow_forward: <@{escape(event.changed_by)}> {verb} the gradual cutover "
                f"(up to {event.until}% on ECS)."
            )
        case TrafficShifted():
            return f":twisted_rightwards_arrows: Traffic now {100 - event.weight}% EC2 · {event.weight}% ECS."
        case StepBaked():
            return f":hourglass_flowing_sand: The {event.weight}% step has baked." + (
                " The next step is on the card." if event.weight < 100 else ""
            )
        case RollbackRequested() if event.reason:
            return f":rotating_light: Rolling back on its own: {escape(event.reason)}"
        case RollbackRequested():
            return f":rewind: <@{escape(event.requested_by)}> asked for a rollback to EC2."
        case RolledBack():
            why = f" ({escape(event.reason)})" if event.reason else ""
            return (
                f":leftwards_arrow_with_hook: All traffic is back on EC2{why}. The ECS service "
                "keeps running for diagnosis."
            )
        case MigrationFailed():
            return f":red_circle: {escape(event.stage)} failed: {escape(event.reason)}"
    return retire_blocks.milestone(event)


def render_list(migrations: list[Migration]) -> str:
    """The reply to ``/migrate list``."""
    if not migrations:
        return "No migrations in this channel yet. Start one with `/migrate <instance-id>`."
    lines = [
        f"• `{m.migration_id}` {escape(m.target)} — {STAGE_LABELS[m.stage]}"
        + (f" ({m.weight}% on ECS)" if m.weight else "")
        for m in migrations[:20]
    ]
    return "*Migrations in this channel*\n" + "\n".join(lines)


def render_started(migration: Migration) -> str:
    """The ephemeral acknowledgement of ``/migrate <target>``."""
    return (
        f":rocket: Migration `{migration.migration_id}` of `{escape(migration.target)}` started. "
        "Follow it in the thread I am opening in this channel."
    )


def render_error(text: str) -> str:
    """An ephemeral error message, with usage."""
    return f":warning: {escape(text)}\n{USAGE}"
