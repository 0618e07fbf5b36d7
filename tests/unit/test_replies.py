"""The ingress's own wording: escaped, and one usage text wherever it is shown."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack import blocks, replies

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def test_help_and_error_replies_show_the_same_usage() -> None:
    # blocks.render_error appends its USAGE; /migrate help answers replies.USAGE.
    assert blocks.render_error("x").endswith(replies.USAGE)


def test_refusals_escape_what_services_and_users_supplied() -> None:
    assert replies.stale_click("<!channel> & co") == (
        ":hourglass: Not done: &lt;!channel&gt; &amp; co. Use the buttons on the updated card."
    )
    assert replies.no_migration("<@U1>") == ":warning: No migration &lt;@U1&gt;."
    assert replies.escape("a<b>&c") == blocks.escape("a<b>&c")


def test_the_invite_hint_names_the_bot_user_the_manifest_creates() -> None:
    name = yaml.safe_load(MANIFEST.read_text())["features"]["bot_user"]["display_name"]
    assert f"`/invite @{name}`" in replies.NOT_IN_CHANNEL
