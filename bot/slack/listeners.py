"""What the ingress does for every request but ``/migrate help``: services, models and ports.

``bot.slack.app`` imports this module on first use, so a cold container that only answers
help loads none of it. Listeners only translate between Slack and the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bot.domain.migration import Migration
from bot.domain.policy import (
    Action,
    Decision,
    Policy,
    PolicyError,
    decide,
    describe,
    needed_groups,
    who_may,
)
from bot.domain.state import IllegalTransitionError
from bot.events.models import AuditExportRequested, CardRefreshRequested
from bot.observability import logger
from bot.ports import (
    AuditRecord,
    AwsRefusedError,
    InstanceBusyError,
    InstanceNotFoundError,
    MigrationNotFoundError,
)
from bot.services import actions, policies, requests
from bot.slack import replies, retire_blocks, retire_buttons
from bot.slack.blocks import render_error, render_list, render_started, render_status_card
from bot.slack.commands import (
    Audit,
    CommandError,
    Help,
    ListMigrations,
    Migrate,
    PolicyReset,
    PolicySet,
    PolicyShow,
    Report,
    Status,
    parse_command,
)
from bot.slack.edit_modal import EDIT_ACTION
from bot.slack.report_command import answer_report

if TYPE_CHECKING:
    from slack_bolt import Ack, Respond
    from slack_sdk import WebClient

    from bot.slack.app import ChannelAccess, IngressPorts
    from bot.slack.people import People


class ButtonValue(BaseModel):
    """What a card button carries."""

    m: str
    v: int
    w: int | None = None
    x: int | None = None  # valid until (epoch seconds); missing: expired
    o: int | None = None  # 1: the skip-bake button (its confirm dialog said so)


def check(
    client: WebClient,
    people: People,
    policy: Policy | None,
    user_id: str,
    action: Action,
    requester: str | None = None,
) -> Decision:
    """The policy's decision on ``user_id`` taking ``action`` (identity from the signed id)."""
    groups = needed_groups(policy, action) if policy else []
    return decide(policy, people.actor(client, user_id, groups), action, requester=requester)


def _audit_denied(
    ports: IngressPorts, subject: str, user_id: str, action: str, decision: Decision
) -> None:
    ports.store.append_audit(
        AuditRecord(
            migration_id=subject,
            actor=user_id,
            action=action,
            decision=f"denied: {decision.reason}",
            at=ports.clock.now(),
        )
    )


def answer_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    ports: IngressPorts,
    channels: ChannelAccess,
    people: People,
) -> None:
    """Answer ``/migrate`` list, status or a target (help is answered without this module)."""
    channel_id = command["channel_id"]
    try:
        parsed = parse_command(command.get("text", ""))
    except CommandError as error:
        ack(text=render_error(str(error)))
        return
    match parsed:
        case Help():
            ack(text=replies.USAGE)
        case Report():
            answer_report(ack, command, client, ports, channels, people)
        case ListMigrations():
            ack(text=render_list(requests.channel_migrations(channel_id, store=ports.store)))
        case Status(migration_id=None):
            newest = requests.channel_migrations(channel_id, store=ports.store)
            _ack_status(ack, newest[0] if newest else None, "No migration in this channel yet.")
        case Status(migration_id=str() as migration_id):
            found = requests.channel_migration(channel_id, migration_id, ports.store)
            if found is None:
                ack(text=render_error(f"no migration {migration_id} in this channel"))
            else:
                _ack_status(ack, found, "")
        case Audit(migration_id=migration_id, csv=csv):
            _answer_audit(ack, command, client, ports, people, migration_id, csv)
        case PolicyShow() | PolicySet() | PolicyReset():
            _answer_policy(ack, command, client, ports, people, parsed)
        case Migrate(target=target, image=image, source=source):
            if not channels.can_post(client, channel_id, command.get("channel_name", "")):
                ack(text=replies.NOT_IN_CHANNEL)  # before anything is read or written
                return
            policy = policies.policy_for(channel_id, ports.policy, ports.store)
            decision = check(client, people, policy, command["user_id"], Action.REQUEST)
            if not decision.allowed:
                # Audited under the channel: there is no migration to file it under.
                _audit_denied(
                    ports, f"channel:{channel_id}", command["user_id"], "request", decision
                )
                ack(
                    text=replies.denied(
                        "request a migration", decision.reason, who_may(policy, Action.REQUEST)
                    )
                )
                return
            try:
                migration = requests.request_migration(
                    target,
                    channel_id,
                    command["user_id"],
                    store=ports.store,
                    publisher=ports.publisher,
                    clock=ports.clock,
                    aws=ports.discovery,
                    image=image,
                    source=source,
                    uploads_bucket=ports.uploads_bucket if source else None,
                )
            except (
                requests.SourceNotAllowedError,
                InstanceNotFoundError,
                InstanceBusyError,
                AwsRefusedError,
                requests.RequestNotQueuedError,
            ) as error:
                ack(text=render_error(str(error)))
                return
            ack(text=render_started(migration))


#: Slack shows at most 40,000 characters of a message; the trail's newest lines are kept.
_AUDIT_LINES = 150


def _answer_audit(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    ports: IngressPorts,
    people: People,
    migration_id: str,
    csv: bool,
) -> None:
    """The audit trail of a migration of this channel, to a person the policy lets read it;
    with ``csv``, the notifier sends it as a file to their DM."""
    channel_id, user_id = command["channel_id"], command["user_id"]
    found = requests.channel_migration(channel_id, migration_id, ports.store)
    if found is None:
        ack(text=render_error(f"no migration {migration_id} in this channel"))
        return
    policy = policies.policy_for(channel_id, ports.policy, ports.store)
    decision = check(client, people, policy, user_id, Action.AUDIT)
    if not decision.allowed:
        _audit_denied(ports, migration_id, user_id, "audit", decision)
        ack(
            text=replies.denied(
                "read this audit trail", decision.reason, who_may(policy, Action.AUDIT)
            )
        )
        return
    if csv:
        at = ports.clock.now()
        try:
            ports.publisher.publish(
                [
                    AuditExportRequested(
                        migration_id=migration_id,
                        idempotency_key=f"{migration_id}:audit-csv:{user_id}:{at.timestamp()}",
                        requested_by=user_id,
                    )
                ]
            )
        except Exception:
            logger.exception("the audit export could not be queued")
            ack(text=render_error("the bot could not queue the CSV; please try again"))
            return
        ack(text=replies.audit_export_queued(migration_id))
        return
    trail = ports.store.audit_trail(migration_id)[-_AUDIT_LINES:]
    ack(
        text=replies.audit_trail(
            migration_id,
            [(f"{r.at:%Y-%m-%d %H:%M:%S}", r.actor, r.action, r.decision) for r in trail],
        )
    )


def _answer_policy(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    ports: IngressPorts,
    people: People,
    parsed: PolicyShow | PolicySet | PolicyReset,
) -> None:
    """Show the channel's policy to any full member; change it for the stack's admins."""
    channel_id, user_id = command["channel_id"], command["user_id"]
    default = ports.policy
    if isinstance(parsed, PolicyShow):
        actor = people.actor(client, user_id)
        if not actor.full_member:
            ack(text=replies.denied("read the policy", actor.why_not, "full members"))
            return
        policy = policies.policy_for(channel_id, default, ports.store)
        if policy is None:
            ack(text=render_error("no usable policy applies here, so everything is denied"))
            return
        ack(text=replies.policy_shown(describe(policy), policy.source))
        return
    decision = check(client, people, default, user_id, Action.POLICY)
    if default is None or not decision.allowed:
        _audit_denied(ports, f"channel:{channel_id}", user_id, "policy", decision)
        ack(
            text=replies.denied(
                "change this channel's policy", decision.reason, who_may(default, Action.POLICY)
            )
        )
        return
    try:
        if isinstance(parsed, PolicyReset):
            had = policies.reset_policy(
                channel_id, user_id, default=default, store=ports.store, clock=ports.clock
            )
            ack(text=replies.POLICY_RESET if had else replies.NO_CHANNEL_POLICY)
            return
        changed = policies.set_policy(
            channel_id,
            parsed.setting,
            parsed.value,
            user_id,
            default=default,
            store=ports.store,
            clock=ports.clock,
        )
    except (PolicyError, policies.PolicyChangedError) as error:
        ack(text=render_error(str(error)))
        return
    ack(text=replies.policy_changed(parsed.setting, describe(changed)))


def _ack_status(ack: Ack, migration: Migration | None, empty: str) -> None:
    if migration is None:
        ack(text=empty)
        return
    text, blocks = render_status_card(migration)
    # Buttons live on the thread's card only, so a stale copy cannot be clicked.
    ack(text=text, blocks=[b for b in blocks if b["type"] != "actions"])


#: The plan's Edit button and modal: whoever may withdraw the plan (the approvers, and its
#: requester) may amend it before approval. The two-person rule holds: an approver approves it
#: as the redrawn card shows it (an edit bumps the version, so an older card's Approve is
#: refused).
EDIT_POLICY = Action.CANCEL
#: The policy's action for each button but the cutover steps' (``_policy_action``).
_POLICY_ACTION = {
    "approve_plan": Action.APPROVE,
    "cancel_migration": Action.CANCEL,
    EDIT_ACTION: EDIT_POLICY,
    "gradual_start": Action.CUTOVER_FULL,  # it runs on to 100 %
    "gradual_pause": Action.CUTOVER,
    "gradual_resume": Action.CUTOVER,
    "rollback": Action.ROLLBACK,
    **retire_buttons.POLICY_ACTION,
}
#: How a refusal names a button whose policy action is shared with another button.
_DOING_BUTTON = {EDIT_ACTION: "edit this plan's cutover", **retire_buttons.DOING}
_DOING = {
    Action.APPROVE: "approve this plan",
    Action.CANCEL: "cancel this migration",
    Action.CUTOVER: "shift traffic",
    Action.CUTOVER_FULL: "cut over 100 %",
    Action.ROLLBACK: "roll back",
    Action.CLEANUP: "clean up",
    Action.DECOMMISSION: "decommission",
}

_ACTS: dict[str, Callable[[actions.Click, ButtonValue, actions.ActionPorts], Migration]] = {
    "approve_plan": lambda click, _, ports: actions.approve_plan(click, ports),
    "cancel_migration": lambda click, _, ports: actions.cancel(click, ports),
    "gradual_pause": lambda click, _, ports: actions.pause_gradual(click, True, ports),
    "gradual_resume": lambda click, _, ports: actions.pause_gradual(click, False, ports),
    "rollback": lambda click, _, ports: actions.rollback(click, ports),
}


def _policy_action(action_id: str, value: ButtonValue) -> Action:
    """The policy's action for a button: a cutover step's by the weight its value carries."""
    if action_id.startswith("cutover_"):
        return Action.CUTOVER_FULL if value.w == 100 else Action.CUTOVER
    return _POLICY_ACTION[action_id]


def _cutover(click: actions.Click, value: ButtonValue, ports: actions.ActionPorts) -> Migration:
    """Any of the migration's own steps (``cutover_<weight>``)."""
    return actions.cutover(click, value.w or 0, ports, override=value.o == 1)


def _expired(
    ports: IngressPorts, migration: Migration, user_id: str, action_id: str, until: int | None
) -> None:
    """Audit an expired click and have the notifier draw the card again with fresh buttons."""
    _audit_denied(
        ports,
        migration.migration_id,
        user_id,
        action_id,
        Decision(allowed=False, reason="expired: the card's buttons are no longer valid"),
    )
    try:
        ports.publisher.publish(
            [
                CardRefreshRequested(
                    migration_id=migration.migration_id,
                    idempotency_key=f"{migration.migration_id}:refresh:{until}:{user_id}",
                    requested_by=user_id,
                )
            ]
        )
    except Exception:  # the refusal stands; the card is redrawn by its next change
        logger.exception("the card refresh could not be queued")


def answer_click(
    action_id: str,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    ports: IngressPorts,
    client: WebClient,
    people: People,
) -> None:
    """Apply a card button (already acked) if the policy allows; refusals go to the clicker."""

    def tell(text: str) -> None:
        respond(text=text, response_type="ephemeral", replace_original=False)

    try:
        value = ButtonValue.model_validate_json(action.get("value", ""))
    except ValidationError:
        tell(replies.MALFORMED_BUTTON)
        return
    click = actions.Click(migration_id=value.m, version=value.v, user_id=body["user"]["id"])
    action_ports = actions.ActionPorts(
        store=ports.store, publisher=ports.publisher, clock=ports.clock
    )
    try:
        migration = ports.store.get(value.m)
    except MigrationNotFoundError:
        tell(replies.no_migration(value.m))
        return
    if value.x is None or ports.clock.now().timestamp() > value.x:
        _expired(ports, migration, click.user_id, action_id, value.x)
        tell(replies.expired_click(value.x))
        return
    wanted = _policy_action(action_id, value)
    policy = policies.policy_for(migration.channel_id, ports.policy, ports.store)
    decision = check(
        client, people, policy, click.user_id, wanted, requester=migration.requested_by
    )
    if not decision.allowed:
        _audit_denied(ports, migration.migration_id, click.user_id, action_id, decision)
        doing = _DOING_BUTTON.get(action_id) or _DOING[wanted]
        tell(replies.denied(doing, decision.reason, who_may(policy, wanted)))
        return
    if decision.break_glass:
        ports.store.append_audit(
            AuditRecord(
                migration_id=migration.migration_id,
                actor=click.user_id,
                action=action_id,
                decision="allowed: break-glass rollback (the policy opens Rollback to everyone)",
                at=ports.clock.now(),
            )
        )
    if action_id == EDIT_ACTION:
        from bot.slack import plan_edit

        plan_edit.open_editor(migration, value.v, body, client, tell)
        return
    needed = policy.approvals_needed(wanted) if policy else 1
    if action_id in retire_blocks.ACTIONS:
        retire_buttons.act(action_id, click, needed, action_ports, tell)
        return
    if action_id == "gradual_start":
        # With two approvers asked for 100 %, the unattended run stops at the last step
        # before it; Cutover 100 % then gathers its approvals as usual.
        before_full = [w for w in migration.cutover_steps if w < 100]
        until = 100 if needed == 1 else max(before_full, default=0)
        try:
            actions.start_gradual(click, until, action_ports)
        except actions.StaleClickError as error:
            tell(replies.stale_click(str(error)))
        except actions.ActionNotQueuedError as error:
            tell(replies.click_not_queued(str(error)))
        except IllegalTransitionError as error:
            tell(replies.click_not_allowed(str(error)))
        return
    given = migration.full_approvals
    if needed > 1 and (needed > 1 + len(given) or click.user_id in given):
        # Not the last approval the step needs (or this person's second): record it only.
        try:
            saved = actions.approve_full(click, needed, action_ports)
        except _REFUSED as error:
            tell(_refusal(error))
        else:
            tell(replies.approval_recorded(len(saved.full_approvals), needed))
        return
    try:
        act = _cutover if action_id.startswith("cutover_") else _ACTS[action_id]
        act(click, value, action_ports)
    except _REFUSED as error:
        tell(_refusal(error))
    except MigrationNotFoundError:
        tell(replies.no_migration(value.m))


#: What a use case raises when it refuses a click, answered to the clicker by ``_refusal``.
_REFUSED = (actions.StaleClickError, actions.ActionNotQueuedError, IllegalTransitionError)


def _refusal(error: Exception) -> str:
    """The clicker's answer to a refused click."""
    if isinstance(error, actions.StaleClickError):
        return replies.stale_click(str(error))
    if isinstance(error, actions.ActionNotQueuedError):
        return replies.click_not_queued(str(error))
    return replies.click_not_allowed(str(error))
