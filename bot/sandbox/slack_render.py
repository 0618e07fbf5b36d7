"""Plain-text rendering of Slack messages as a person reads them (for the Slack stand-in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

Block = Mapping[str, Any]

INDENT = "    "
DIVIDER = "-" * 40


class RenderableMessage(Protocol):
    """What the renderer needs from a recorded message."""

    ts: str
    text: str
    blocks: list[dict[str, Any]]
    edits: int
    deleted: bool


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


def render_message(message: RenderableMessage) -> list[str]:
    """Render one message: its blocks (or text when it has none), marked when edited or deleted."""
    if message.deleted:
        return ["(This message was deleted.)"]
    lines = render_blocks(message.blocks) if message.blocks else message.text.splitlines()
    if message.edits:
        lines.append(f"(edited {message.edits}x)")
    return lines or [""]


def render_thread_lines(root: RenderableMessage, replies: Sequence[RenderableMessage]) -> str:
    """Render a thread: the root message, then each reply indented under it."""
    lines = render_message(root)
    for reply in replies:
        body = render_message(reply)
        lines.append(f"{INDENT}> {body[0]}")
        lines.extend(f"{INDENT}  {line}" for line in body[1:])
    return "\n".join(lines)
