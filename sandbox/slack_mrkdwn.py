"""Slack's mrkdwn as HTML, rendered the way the Slack client shows it.

Follows Slack's "Formatting text for app surfaces"
(https://docs.slack.dev/messaging/formatting-message-text): ``*bold*``, ``_italic_``,
``~strike~``, `` `code` ``, ```` ```preformatted``` ````, ``>`` quotes, ``<url|text>`` links,
``<@U…>`` user, ``<!subteam^S…>`` user-group and ``<#C…>`` channel mentions, ``<!here>`` /
``<!channel>`` / ``<!everyone>``, ``<!date^…|fallback>`` and ``:emoji:`` shortcodes. Text
arrives escaped as Slack's rules say (``&amp;``, ``&lt;``, ``&gt;``), so those three entities
pass through as they are and everything else is escaped for HTML.

Emoji come from the ``emoji`` package (``language="alias"``): Slack's shortcodes are mostly
the gemoji "alias" names (``:white_check_mark:``, ``:rocket:``, ``:thumbsup:``). Slack's own
list (iamcal/emoji-data) names the 2019 coloured circles and squares ``large_*``
(``:large_green_circle:``) where gemoji says ``green_circle``, so an unknown ``large_`` name
is tried without the prefix. A name neither knows stays ``:name:``, as Slack shows an
unknown custom emoji.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import emoji

Directory = Mapping[str, Mapping[str, Any]]

# Code first (its contents are not formatted), then Slack's <…> control sequences, then emoji.
_TOKENS = re.compile(
    r"```(?P<pre>.+?)```"
    r"|`(?P<code>[^`\n]+)`"
    r"|<(?P<angle>[^<>\n]+)>"
    r"|:(?P<emoji>[a-z0-9_+'\-]+):",
    re.DOTALL,
)
_HOLD = "\ue000{}\ue001"
_HELD = re.compile("\ue000(\\d+)\ue001")
_ENTITY_LESS_AMP = re.compile(r"&(?!(?:amp|lt|gt);)")


def _style(marker: str, tag: str) -> tuple[re.Pattern[str], str]:
    """A marker pair is formatting only at word edges and hugging non-space text, as in Slack."""
    m = re.escape(marker)
    return re.compile(rf"(?<![\w{m}]){m}(?!\s)([^{m}\n]+?)(?<!\s){m}(?![\w{m}])"), (
        rf"<{tag}>\1</{tag}>"
    )


_STYLES = [_style("*", "b"), _style("_", "i"), _style("~", "s")]


def escape(text: str) -> str:
    """Escape Slack-escaped text for HTML: ``&amp; &lt; &gt;`` stay, other ``& < > "`` escape."""
    text = _ENTITY_LESS_AMP.sub("&amp;", text)
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def emojize(name: str) -> str:
    """The Unicode emoji for a Slack shortcode name (no colons), or ``:name:`` if unknown."""
    for candidate in (name, name.removeprefix("large_")):
        found = emoji.emojize(f":{candidate}:", language="alias")
        if found != f":{candidate}:":
            return found
    return f":{name}:"


def group_handle(group_id: str) -> str:
    """A handle for a user group the stand-in names only by id: ``S0APPROVERS`` → ``approvers``."""
    return re.sub(r"^S0?", "", group_id).lower() or group_id


def plain_to_html(text: str, *, emoji_names: bool = True) -> str:
    """A ``plain_text`` object's text: escaped, shortcodes as emoji unless ``emoji`` is false."""
    if not emoji_names:
        return escape(text)
    parts = re.split(r":([a-z0-9_+'\-]+):", text)
    return "".join(escape(p) if i % 2 == 0 else emojize(p) for i, p in enumerate(parts))


def mrkdwn_to_html(
    text: str,
    people: Directory,
    groups: Mapping[str, Any],
    channels: Mapping[str, str] | None = None,
) -> str:
    """Render one mrkdwn string as the HTML Slack's client would show for it.

    ``people`` maps user ids to ``users.info``-shaped records (their ``name`` is shown as
    ``@name``), ``groups`` holds the user-group ids and ``channels`` channel ids to names.
    """
    held: list[str] = []

    def hold(match: re.Match[str]) -> str:
        held.append(_token_html(match, people, groups, channels or {}))
        return _HOLD.format(len(held) - 1)

    body = escape(_TOKENS.sub(hold, text))
    for pattern, replacement in _STYLES:
        body = pattern.sub(replacement, body)
    body = _quotes_and_breaks(body)
    return _HELD.sub(lambda m: held[int(m.group(1))], body)


def _quotes_and_breaks(body: str) -> str:
    """Lines starting ``>`` become quotes (``>>>`` quotes the rest); newlines become breaks."""
    out: list[str] = []
    quoted: list[str] = []
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if line.startswith("&gt;&gt;&gt;"):
            quoted.extend([line.removeprefix("&gt;&gt;&gt;").lstrip(), *lines[index + 1 :]])
            break
        if line.startswith("&gt;"):
            quoted.append(line.removeprefix("&gt;").removeprefix(" "))
            continue
        if quoted:
            out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
            quoted = []
        out.append(line + "<br>")
    if quoted:
        out.append(f"<blockquote>{'<br>'.join(quoted)}</blockquote>")
    return "".join(out).removesuffix("<br>")


def _token_html(
    match: re.Match[str], people: Directory, groups: Mapping[str, Any], channels: Mapping[str, str]
) -> str:
    if match.group("pre") is not None:
        return f"<pre>{escape(match.group('pre').strip(chr(10)))}</pre>"
    if match.group("code") is not None:
        return f"<code>{escape(match.group('code'))}</code>"
    if match.group("emoji") is not None:
        return escape(emojize(match.group("emoji")))
    return _angle_html(match.group("angle"), people, groups, channels)


def _angle_html(
    inner: str, people: Directory, groups: Mapping[str, Any], channels: Mapping[str, str]
) -> str:
    """One ``<…>`` control sequence: a mention, a special mention, a date or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        uid = target[1:]
        name = people.get(uid, {}).get("name") or label.lstrip("@") or uid
        return f'<span class="mention" data-user="{escape(uid)}">@{escape(name)}</span>'
    if target.startswith("#"):
        cid = target[1:]
        name = channels.get(cid) or label or cid
        return f'<span class="mention channel">#{escape(name)}</span>'
    if target.startswith("!subteam^"):
        gid = target.removeprefix("!subteam^")
        handle = label.lstrip("@") or (group_handle(gid) if gid in groups else gid)
        return f'<span class="mention group">@{escape(handle)}</span>'
    if target in ("!here", "!channel", "!everyone"):
        return f'<span class="mention broadcast">@{target[1:]}</span>'
    if target.startswith("!date^"):
        return escape(label or target)
    if target.startswith("!"):
        return escape(label or target[1:])
    shown = label or target.removeprefix("mailto:")
    if not re.match(r"(?:https?|mailto):", target):  # not a control sequence: shown as typed
        return escape(f"<{inner}>")
    return f'<a href="{escape(target)}" target="_blank" rel="noreferrer">{plain_to_html(shown)}</a>'
