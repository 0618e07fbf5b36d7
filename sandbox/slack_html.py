"""The Slack stand-in's channel as HTML, laid out as Slack's client shows it (pure functions).

Each top-level message shows its sender and time, then its blocks as Block Kit's reference
describes them (https://docs.slack.dev/reference/block-kit/blocks: header, section with
``text``, two-column ``fields`` and an ``accessory``, context, divider, actions, image,
rich_text, input) with buttons (https://docs.slack.dev/reference/block-kit/block-elements/
button-element) on the card they belong to, styled ``primary``/``danger``, and a ``confirm``
dialog (https://docs.slack.dev/reference/block-kit/composition-objects/confirmation-dialog-
object) when they carry one. A thread's replies follow their root, indented as in Slack's
thread view. Ephemeral messages (``chat.postEphemeral``, ephemeral ``response_url`` answers)
are shown, marked "Only visible to you", to the one person they are for and to no one else.
Text objects go through :func:`sandbox.slack_mrkdwn.mrkdwn_to_html`. An open modal
(``views.open``) is drawn as Slack's client draws one (https://docs.slack.dev/surfaces/modals):
its title, its blocks with each input block's label, field, hint and the error the app
answered under it, and its close and submit buttons.
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.slack_mrkdwn import Directory, escape, mrkdwn_to_html, plain_to_html
from sandbox.slack_render import BOT_USER_ID, Channel, Message, input_value

__all__ = ["mrkdwn_to_html", "render_channel", "render_message", "render_modal", "View"]

BOT_NAME = "migrate-bot"
Block = Mapping[str, Any]


@dataclass(frozen=True)
class View:
    """Who is looking, whom names resolve to, and which messages' buttons can be clicked."""

    viewer: str
    people: Directory
    groups: Mapping[str, Any]
    channels: Mapping[str, str]
    clickable: Callable[[Message], bool] = lambda message: True
    replyable: Callable[[Message], bool] = lambda message: False

    def text(self, obj: Any) -> str:
        """A text object (``plain_text`` or ``mrkdwn``), or a bare string as mrkdwn, as HTML."""
        if obj is None:
            return ""
        if isinstance(obj, str):
            return mrkdwn_to_html(obj, self.people, self.groups, self.channels)
        if obj.get("type") == "plain_text":
            return plain_to_html(str(obj.get("text", "")), emoji_names=obj.get("emoji", True))
        return mrkdwn_to_html(str(obj.get("text", "")), self.people, self.groups, self.channels)


def render_channel(
    channel: Channel,
    viewer: str,
    people: Directory,
    groups: Mapping[str, Any],
    clickable: Callable[[Message], bool] = lambda message: True,
    replyable: Callable[[Message], bool] = lambda message: False,
) -> str:
    """The channel in time order, each root followed by its thread, as ``viewer`` sees it;
    a ``replyable`` root gets a box to reply in its thread."""
    # The bot is a user too (Slack's users.info names it): its mention reads @migrate-bot.
    people = {BOT_USER_ID: {"name": BOT_NAME, "real_name": BOT_NAME}, **people}
    view = View(viewer, people, groups, {channel.id: channel.name}, clickable, replyable)
    mine = [e for e in channel.ephemerals if e.visible_to == viewer]
    in_thread: dict[str, list[Message]] = {}
    roots: list[Message] = list(channel.messages)
    for ephemeral in mine:
        root = _root_of(channel, ephemeral.thread_ts)
        if root is None:
            roots.append(ephemeral)
        else:
            in_thread.setdefault(root.ts, []).append(ephemeral)
    parts = []
    for root in sorted(roots, key=lambda m: float(m.ts)):
        replies = sorted([*root.replies, *in_thread.get(root.ts, [])], key=lambda m: float(m.ts))
        parts.append(_thread(root, replies, view))
    return "".join(parts) or '<p class="sk-empty">No messages yet — type a command.</p>'


def _root_of(channel: Channel, thread_ts: str | None) -> Message | None:
    if not thread_ts:
        return None
    try:
        return channel.thread(thread_ts)[0]
    except KeyError:
        return None


def _thread(root: Message, replies: Sequence[Message], view: View) -> str:
    shown = [r for r in replies if not r.deleted]
    if root.deleted and not shown:
        return ""  # Slack removes a deleted message that has no replies
    html = render_message(root, view)
    reply_box = ""
    if view.replyable(root) and not root.deleted:
        reply_box = (
            f'<form class="sk-reply" data-thread="{escape(root.ts)}">'
            '<input name="reply" aria-label="Reply in thread" value="@migrate-bot status">'
            '<button class="sk-btn">Reply</button></form>'
        )
    if shown or reply_box:
        count = f"{len(shown)} repl{'y' if len(shown) == 1 else 'ies'}" if shown else ""
        html += (
            f'<div class="sk-thread"><div class="sk-thread-count">{count}</div>'
            + "".join(render_message(r, view) for r in shown)
            + reply_box
            + "</div>"
        )
    return f'<div class="sk-conversation">{html}</div>'


def render_message(message: Message, view: View) -> str:
    """One message: avatar, sender and time, then its blocks (or text), files and marks."""
    if message.deleted:
        return '<div class="sk-message sk-deleted">This message was deleted.</div>'
    sender = _sender(message, view.people)
    when = datetime.fromtimestamp(float(message.ts), UTC)
    clock = when.strftime("%I:%M %p").lstrip("0")
    note = ""
    if message.visible_to:
        note = '<div class="sk-ephemeral-note">👁 Only visible to you</div>'
    if message.blocks:
        body = render_blocks(message.blocks, view, message)
    else:
        body = f'<div class="sk-text">{view.text(message.text)}</div>'
    edited = '<span class="sk-edited">(edited)</span>' if message.edits else ""
    badge = '<span class="sk-app">APP</span>' if message.user == BOT_USER_ID else ""
    kind = " sk-ephemeral" if message.visible_to else ""
    return (
        f'<div class="sk-message{kind}" data-ts="{escape(message.ts)}">{note}'
        f'<div class="sk-avatar">{escape(sender[:1].upper())}</div><div class="sk-content">'
        f'<div class="sk-meta"><span class="sk-sender">{escape(sender)}</span>{badge}'
        f'<time title="{when:%Y-%m-%d %H:%M:%S} UTC">{clock}</time></div>'
        f"{body}{render_files(getattr(message, 'files', None) or [])}{edited}</div></div>"
    )


def _sender(message: Message, people: Directory) -> str:
    if message.user == BOT_USER_ID:
        return BOT_NAME
    person = people.get(message.user, {})
    return str(person.get("real_name") or person.get("name") or message.user)


def render_files(files: Sequence[Mapping[str, Any]]) -> str:
    """Files shared in a message, each as Slack's attachment box: type badge, title, kind."""
    boxes = []
    for file in files:
        kind = str(file.get("filetype") or "file")
        title = str(file.get("title") or file.get("name") or file.get("id", ""))
        pretty = str(file.get("pretty_type") or kind.upper())
        boxes.append(
            f'<div class="sk-file" data-file-id="{escape(str(file.get("id", "")))}">'
            f'<div class="sk-file-icon">{escape(kind[:4].upper())}</div><div>'
            f'<div class="sk-file-title">{_html.escape(title)}</div>'
            f'<div class="sk-file-kind">{_html.escape(pretty)} · {_html.escape(str(file.get("name", "")))}'
            "</div></div></div>"
        )
    return "".join(boxes)


def render_blocks(blocks: Sequence[Block], view: View, message: Message) -> str:
    """A message's blocks as HTML."""
    return '<div class="sk-blocks">' + "".join(_block(b, view, message) for b in blocks) + "</div>"


def _block(block: Block, view: View, message: Message) -> str:
    kind = block.get("type")
    if kind == "header":
        return f'<div class="sk-header">{view.text(block.get("text"))}</div>'
    if kind == "section":
        text = f'<div class="sk-text">{view.text(block["text"])}</div>' if block.get("text") else ""
        fields = "".join(
            f'<div class="sk-field">{view.text(f)}</div>' for f in block.get("fields", [])
        )
        grid = f'<div class="sk-fields">{fields}</div>' if fields else ""
        accessory = _element(block["accessory"], view, message) if block.get("accessory") else ""
        side = f'<div class="sk-accessory">{accessory}</div>' if accessory else ""
        return f'<div class="sk-section"><div class="sk-main">{text}{grid}</div>{side}</div>'
    if kind == "context":
        items = "".join(f"<span>{_element(e, view, message)}</span>" for e in block["elements"])
        return f'<div class="sk-context">{items}</div>'
    if kind == "divider":
        return '<hr class="sk-divider">'
    if kind == "actions":
        items = "".join(_element(e, view, message) for e in block.get("elements", []))
        return f'<div class="sk-actions">{items}</div>' if items else ""
    if kind == "image":
        title = f"<div>{view.text(block['title'])}</div>" if block.get("title") else ""
        alt = escape(str(block.get("alt_text", "")))
        src = escape(str(block.get("image_url", "")))
        return f'<figure class="sk-image">{title}<img src="{src}" alt="{alt}"></figure>'
    if kind == "rich_text":
        return f'<div class="sk-text">{_rich(block.get("elements", []), view)}</div>'
    if kind == "input":
        label = view.text(block.get("label"))
        return f'<label class="sk-input">{label}{_element(block.get("element", {}), view, message)}</label>'
    return f'<div class="sk-unknown">[{escape(str(kind))} block]</div>'


def _element(element: Block, view: View, message: Message) -> str:
    """An interactive or context element; buttons only where the message can be clicked."""
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):
        return view.text(element)
    if kind == "image":
        alt = escape(str(element.get("alt_text", "")))
        return f'<img class="sk-inline-image" src="{escape(str(element.get("image_url", "")))}" alt="{alt}">'
    if kind == "button":
        return _button(element, view, message) if view.clickable(message) else ""
    if kind == "overflow":
        return '<span class="sk-btn sk-overflow">⋯</span>'
    if kind and kind.endswith("select"):
        placeholder = view.text(element.get("placeholder")) or "Select an item"
        return f'<span class="sk-select">{placeholder} ▾</span>'
    return f'<span class="sk-unknown">[{escape(str(kind))}]</span>'


def _button(element: Block, view: View, message: Message) -> str:
    style = element.get("style")
    classes = "sk-btn" + (f" sk-{style}" if style in ("primary", "danger") else "")
    label = view.text(element.get("text"))
    if element.get("url"):
        href = escape(str(element["url"]))
        return f'<a class="{classes}" href="{href}" target="_blank" rel="noreferrer">{label}</a>'
    data = (
        f'data-action-id="{escape(str(element.get("action_id", "")))}" '
        f'data-ts="{escape(message.ts)}"'
    )
    confirm = element.get("confirm")
    dialog = _confirm(confirm, view) if confirm else ""
    return (
        f'<span class="sk-button"><button class="{classes}" {data}>{label}</button>{dialog}</span>'
    )


def _confirm(confirm: Block, view: View) -> str:
    """The confirmation dialog Slack opens before it sends the click."""
    style = confirm.get("style") if confirm.get("style") in ("primary", "danger") else "primary"
    return (
        '<dialog class="sk-confirm"><form method="dialog">'
        f"<h3>{view.text(confirm.get('title')) or 'Are you sure?'}</h3>"
        f'<div class="sk-text">{view.text(confirm.get("text"))}</div>'
        '<div class="sk-confirm-buttons">'
        f'<button class="sk-btn" value="deny">{view.text(confirm.get("deny")) or "Cancel"}</button>'
        f'<button class="sk-btn sk-{style}" value="confirm">'
        f"{view.text(confirm.get('confirm')) or 'Yes'}</button></div></form></dialog>"
    )


_RICH_STYLES = {"bold": "b", "italic": "i", "strike": "s", "code": "code"}


def _rich(elements: Sequence[Block], view: View) -> str:
    """rich_text elements (sections, lists, quotes, preformatted) and their styled runs."""
    parts = []
    for element in elements:
        kind = element.get("type")
        inner = _rich(element.get("elements", []), view) if "elements" in element else ""
        if kind == "rich_text_list":
            tag = "ol" if element.get("style") == "ordered" else "ul"
            items = "".join(f"<li>{_rich([e], view)}</li>" for e in element.get("elements", []))
            parts.append(f"<{tag}>{items}</{tag}>")
        elif kind == "rich_text_quote":
            parts.append(f"<blockquote>{inner}</blockquote>")
        elif kind == "rich_text_preformatted":
            parts.append(f"<pre>{inner}</pre>")
        elif kind == "rich_text_section":
            parts.append(inner)
        else:
            parts.append(_rich_run(element, view))
    return "".join(parts)


def _rich_run(element: Block, view: View) -> str:
    kind = element.get("type")
    if kind == "user":
        html = view.text(f"<@{element.get('user_id', '')}>")
    elif kind == "usergroup":
        html = view.text(f"<!subteam^{element.get('usergroup_id', '')}>")
    elif kind == "channel":
        html = view.text(f"<#{element.get('channel_id', '')}>")
    elif kind == "broadcast":
        html = view.text(f"<!{element.get('range', 'here')}>")
    elif kind == "emoji":
        html = plain_to_html(f":{element.get('name', '')}:")
    elif kind == "link":
        url, text = str(element.get("url", "")), str(element.get("text") or element.get("url", ""))
        html = f'<a href="{escape(url)}" target="_blank" rel="noreferrer">{_html.escape(text)}</a>'
    else:  # rich_text runs carry raw characters, not Slack's escaped mrkdwn
        html = _html.escape(str(element.get("text", ""))).replace("\n", "<br>")
    for style, tag in _RICH_STYLES.items():
        if element.get("style", {}).get(style):
            html = f"<{tag}>{html}</{tag}>"
    return html


def render_modal(
    modal_view: Block,
    errors: Mapping[str, str],
    viewer: str,
    people: Directory,
    groups: Mapping[str, Any],
) -> str:
    """An open modal as a ``<dialog>``: a form whose fields are named by their ``block_id``,
    holding what the person typed (or the initial value), each error under its field."""
    view = View(viewer, people, groups, {}, lambda message: False)
    holder = Message(channel="", ts="0")
    parts = []
    for block in modal_view.get("blocks", []):
        if block.get("type") != "input":
            parts.append(_block(block, view, holder))
            continue
        block_id = str(block.get("block_id", ""))
        element = block.get("element") or {}
        optional = ' <span class="sk-optional">(optional)</span>' if block.get("optional") else ""
        placeholder = element.get("placeholder") or {}
        limit = f' maxlength="{int(element["max_length"])}"' if element.get("max_length") else ""
        error = errors.get(block_id)
        shown_error = f'<div class="sk-input-error">⚠ {_html.escape(error)}</div>' if error else ""
        hint = (
            f'<div class="sk-input-hint">{view.text(block["hint"])}</div>'
            if block.get("hint")
            else ""
        )
        parts.append(
            f'<label class="sk-input{" sk-invalid" if error else ""}">'
            f'<span class="sk-input-label">{view.text(block.get("label"))}{optional}</span>'
            f'<input name="{_html.escape(block_id)}" value="{_html.escape(input_value(modal_view, block))}"'
            f' placeholder="{_html.escape(str(placeholder.get("text", "")))}"{limit}>'
            f"{shown_error}{hint}</label>"
        )
    close = view.text(modal_view.get("close")) or "Cancel"
    submit = view.text(modal_view.get("submit"))
    submit_button = (
        f'<button type="submit" class="sk-btn sk-primary">{submit}</button>' if submit else ""
    )
    return (
        f'<dialog class="sk-modal" data-view-id="{escape(str(modal_view.get("id", "")))}">'
        '<form class="sk-modal-form">'
        f'<h3 class="sk-modal-title">{view.text(modal_view.get("title"))}</h3>'
        f'<div class="sk-modal-body">{"".join(parts)}</div>'
        '<div class="sk-confirm-buttons">'
        f'<button type="button" class="sk-btn" value="close">{close}</button>{submit_button}'
        "</div></form></dialog>"
    )
