"""The Slack stand-in's channel view: recorded messages and threads, read as a person would."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Block = Mapping[str, Any]

TEAM_ID = "T0SANDBOX"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SANDBOX"
INDENT = "    "
DIVIDER = "-" * 40


@dataclass
class Message:
    """A message as it currently reads, with its edit count and (for a root) its replies."""

    channel: str
    ts: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user: str = BOT_USER_ID
    thread_ts: str | None = None
    edits: int = 0
    deleted: bool = False
    visible_to: str | None = None  # set on ephemeral messages
    replies: list[Message] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # file objects shared with it

    def as_slack(self) -> dict[str, Any]:
        """The message object as Slack returns it (and puts in interaction payloads)."""
        data: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "team": TEAM_ID,
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
        }
        if self.user == BOT_USER_ID:  # a person's message names no bot or app
            data.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.replies:
            data.update(reply_count=len(self.replies), latest_reply=self.replies[-1].ts)
        if self.edits:
            data["edited"] = {"user": self.user, "ts": self.ts}
        if self.files:
            data["files"] = [dict(file) for file in self.files]
        return data


@dataclass
class Channel:
    """One channel's top-level messages (each with its replies) and its ephemeral messages."""

    id: str
    name: str
    messages: list[Message] = field(default_factory=list)
    ephemerals: list[Message] = field(default_factory=list)

    def message(self, ts: str) -> Message:
        """The message (top-level or reply) with this ts; KeyError if there is none."""
        for root in self.messages:
            for message in (root, *root.replies):
                if message.ts == ts:
                    return message
        raise KeyError(ts)

    def thread(self, ts: str) -> list[Message]:
        """The root of the thread holding `ts`, followed by its replies."""
        message = self.message(ts)
        root = self.message(message.thread_ts) if message.thread_ts else message
        return [root, *root.replies]

    def render_thread(self, ts: str) -> str:
        """The thread holding `ts` as plain text: the root card, then indented replies."""
        root, *replies = self.thread(ts)
        return render_thread_lines(root, replies)

    def render(self) -> str:
        """The channel in time order: each top-level message with its thread, and ephemerals."""
        items = [(root.ts, render_thread_lines(root, root.replies)) for root in self.messages]
        items += [(e.ts, "\n".join(render_message(e))) for e in self.ephemerals]
        return "\n\n".join(text for _, text in sorted(items))


def _text(obj: Any) -> str:
    """The visible text of a text object (plain_text/mrkdwn), a string, or nothing."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    return str(obj.get("text", ""))


def _rich_text(elements: Iterable[Block]) -> str:
    """Flatten rich_text elements to their visible text."""
    parts: list[str] = []
    for element in elements:
        if "elements" in element:
            parts.append(_rich_text(element["elements"]))
        elif element.get("type") == "user":
            parts.append(f"<@{element.get('user_id', '')}>")
        elif element.get("type") == "link":
            parts.append(str(element.get("text") or element.get("url", "")))
        else:
            parts.append(str(element.get("text", "")))
    return "".join(parts)


def render_element(element: Block) -> str:
    """Render one interactive element: buttons as `[ Label ]`, with any confirm dialog title."""
    kind = element.get("type")
    if kind == "button":
        label = f"[ {_text(element.get('text'))} ]"
        confirm = element.get("confirm")
        if confirm:
            label += f" (confirm: {_text(confirm.get('title')) or _text(confirm.get('text'))})"
        return label
    if kind == "overflow":
        return "[ ... ]"
    if kind and kind.endswith("select"):
        return f"[ {_text(element.get('placeholder')) or 'Select'} v ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("plain_text", "mrkdwn"):
        return _text(element)
    return f"[{kind}]"


def render_block(block: Block) -> list[str]:
    """Render one Block Kit block as lines of plain text."""
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"))
        return [title, "=" * len(title)]
    if kind == "section":
        lines = _text(block.get("text")).splitlines() if block.get("text") else []
        for field in block.get("fields", []):
            lines.extend(_text(field).splitlines())
        if block.get("accessory"):
            lines.append(render_element(block["accessory"]))
        return lines
    if kind == "context":
        return [" | ".join(render_element(e) for e in block.get("elements", []))]
    if kind == "divider":
        return [DIVIDER]
    if kind == "actions":
        return ["  ".join(render_element(e) for e in block.get("elements", []))]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return _rich_text(block.get("elements", [])).splitlines()
    if kind == "input":
        return [f"{_text(block.get('label'))}: {render_element(block.get('element', {}))}"]
    return [f"[{kind} block]"]


def render_blocks(blocks: Sequence[Block]) -> list[str]:
    """Render a message's blocks as lines of plain text."""
    lines: list[str] = []
    for block in blocks:
        lines.extend(render_block(block))
    return lines


def render_message(message: Message) -> list[str]:
    """Render one message: its blocks (or text), its files, marked when edited or deleted."""
    if message.deleted:
        return ["(This message was deleted.)"]
    lines = render_blocks(message.blocks) if message.blocks else message.text.splitlines()
    lines.extend(render_file(file) for file in message.files)
    if message.visible_to:
        lines.insert(0, f"(only visible to <@{message.visible_to}>)")
    if message.edits:
        lines.append(f"(edited {message.edits}x)")
    return lines or [""]


def render_file(file: Block) -> str:
    """Render a shared file as `[file: name (filetype, size bytes)]`."""
    return (
        f"[file: {file.get('name', '')} ({file.get('filetype', '')}, {file.get('size', 0)} bytes)]"
    )


def render_thread_lines(root: Message, replies: Sequence[Message]) -> str:
    """Render a thread: the root message, then each reply indented under it."""
    lines = render_message(root)
    if root.user != BOT_USER_ID:
        lines[0] = f"<@{root.user}>: {lines[0]}"
    for reply in replies:
        body = render_message(reply)
        # A person's reply says who wrote it; the bot's are the thread's own voice.
        who = "" if reply.user == BOT_USER_ID else f"<@{reply.user}>: "
        lines.append(f"{INDENT}> {who}{body[0]}")
        lines.extend(f"{INDENT}  {line}" for line in body[1:])
    return "\n".join(lines)


def input_value(view: Block, block: Block) -> str:
    """What an input block's field shows: what the person typed (the view's ``state``), else
    the element's ``initial_value``."""
    element = block.get("element") or {}
    typed = (view.get("state") or {}).get("values", {}).get(block.get("block_id", ""))
    if typed is not None:
        return str((typed.get(element.get("action_id", "")) or {}).get("value") or "")
    return str(element.get("initial_value") or "")


def render_view(view: Block, errors: Mapping[str, str] | None = None) -> str:
    """A modal as plain text: its title, blocks (input fields with what they hold and any
    error under them), then its Cancel and Submit buttons."""
    lines = [f"[modal] {_text(view.get('title'))}", DIVIDER]
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            lines.extend(render_block(block))
            continue
        optional = " (optional)" if block.get("optional") else ""
        lines.append(f"{_text(block.get('label'))}{optional}: [ {input_value(view, block)} ]")
        error = (errors or {}).get(block.get("block_id", ""))
        if error:
            lines.append(f"{INDENT}! {error}")
    close, submit = _text(view.get("close")) or "Cancel", _text(view.get("submit"))
    lines.append(f"[ {close} ]" + (f"  [ {submit} ]" if submit else ""))
    return "\n".join(lines)
