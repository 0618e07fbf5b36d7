"""Wording of the ingress's own ephemeral replies (usage, refusals, button answers).

Pure and light: no models, no SDK, so a cold ``/migrate help`` loads nothing else. The card,
milestones and the started/list/error replies are rendered in ``bot.slack.blocks``.
"""

from __future__ import annotations

from datetime import UTC, datetime

BOT_HANDLE = "@migrate-bot"  # manifest.yml's bot_user.display_name

USAGE = (
    "*Usage:* `/migrate <instance-id | Name tag>` starts a migration "
    "(e.g. `/migrate i-0abc1234def567890` or `/migrate secure-blog`). Where the app cannot be "
    "captured from the instance: `--image <uri>` deploys an image you built, `--source "
    "s3://<artifacts bucket>/uploads/<name>.tar.gz` builds a bundle you uploaded.\n"
    "`/migrate status [migration-id]` · `/migrate list` · `/migrate report` · "
    "`/migrate audit <migration-id> [csv]` · "
    "`/migrate policy [show | reset | <setting> <value>]` · `/migrate help`"
)

NOT_IN_CHANNEL = (
    f":wave: I can't post here, so nothing was started. Invite me to the channel with "
    f"`/invite {BOT_HANDLE}`, then run your `/migrate` again there."
)

OTHER_INSTALLATION = (
    ":no_entry: This bot serves another Slack workspace or app, so nothing was done here."
)

MALFORMED_BUTTON = ":warning: That button is malformed; use the card in the thread."


def escape(text: str) -> str:
    """Escape a user- or AWS-sourced string for Slack mrkdwn (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def stale_click(reason: str) -> str:
    """A click on a card older than the migration."""
    return f":hourglass: Not done: {escape(reason)}. Use the buttons on the updated card."


def click_not_queued(reason: str) -> str:
    """A click whose event could not be published (the change was undone)."""
    return f":warning: Not done: {escape(reason)}. Please try again."


def click_not_allowed(reason: str) -> str:
    """A click the state machine refuses."""
    return f":no_entry: Not done: {escape(reason)}."


def no_migration(migration_id: str) -> str:
    """A click that names a migration that does not exist."""
    return f":warning: No migration {escape(migration_id)}."


def denied(action: str, reason: str, who: str) -> str:
    """A request or click the policy refuses, and who may do it instead (mentions kept)."""
    return f":no_entry: You may not {escape(action)}: {escape(reason)}. Who may: {who}."


def audit_trail(migration_id: str, records: list[tuple[str, str, str, str]]) -> str:
    """The trail as (time, actor, action, decision) lines, oldest first, for one person."""
    if not records:
        return f"No audit records for {escape(migration_id)}."
    lines = [f"*Audit trail of {escape(migration_id)}* (oldest first, times UTC)"]
    for at, actor, action, decision in records:
        who = actor if actor == "bot" else f"<@{escape(actor)}>"
        lines.append(f"• {at} {who} `{escape(action)}`: {escape(decision)}")
    return "\n".join(lines)


def policy_shown(rows: list[tuple[str, str]], source: str) -> str:
    """The policy that applies in a channel, one setting a line (mentions kept)."""
    lines = [f"*Who may do what here:* {source}"]
    lines += [f"• `{setting}`: {who}" for setting, who in rows]
    lines.append(
        "Guests, users of other workspaces, bots and deactivated accounts are refused whatever "
        "the policy says; the requester never approves their own plan, nor cuts it over 100 % "
        "or decommissions it."
    )
    return "\n".join(lines)


def policy_changed(setting: str, rows: list[tuple[str, str]]) -> str:
    """An admin's change, confirmed with the setting as it now reads."""
    now = dict(rows)
    return f":white_check_mark: This channel's policy changed: `{escape(setting)}` is now {now[setting]}."


POLICY_RESET = ":white_check_mark: This channel's own policy is gone: the stack's default applies."
NO_CHANNEL_POLICY = "This channel has no policy of its own: the stack's default applies."


def audit_export_queued(migration_id: str) -> str:
    """A CSV of the trail is on its way to the person's direct messages."""
    return (
        f":inbox_tray: The audit trail of {escape(migration_id)} is on its way to you as a CSV "
        "file, in a direct message from me."
    )


def expired_click(until: int | None) -> str:
    """A click on a card whose buttons expired; the card is being drawn again."""
    when = (
        f" at {datetime.fromtimestamp(until, UTC):%Y-%m-%d %H:%M} UTC" if until is not None else ""
    )
    return (
        f":hourglass: Not done: these buttons expired{when}. I'm drawing the card again with "
        "fresh buttons: check what it says now, then click there again."
    )


def approval_recorded(given: int, needed: int) -> str:
    """One approval of a step that needs several distinct approvers."""
    return (
        f":ballot_box_with_check: Your approval is {given} of {needed}. Nothing moves until "
        "another approver (not the requester) presses Cutover 100 % too."
    )
