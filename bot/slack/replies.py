"""Wording of the ingress's own ephemeral replies (usage, refusals, button answers).

Pure and light: no models, no SDK, so a cold ``/migrate help`` loads nothing else. The card,
milestones and the started/list/error replies are rendered in ``bot.slack.blocks``.
"""

from __future__ import annotations

BOT_HANDLE = "@migrate-bot"  # manifest.yml's bot_user.display_name

USAGE = (
    "*Usage:* `/migrate <instance-id | Name tag>` starts a migration "
    "(e.g. `/migrate i-0abc1234def567890` or `/migrate secure-blog`). Where the app cannot be "
    "captured from the instance: `--image <uri>` deploys an image you built, `--source "
    "s3://<artifacts bucket>/uploads/<name>.tar.gz` builds a bundle you uploaded.\n"
    "`/migrate status [migration-id]` · `/migrate list` · `/migrate help`"
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
