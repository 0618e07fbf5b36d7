"""The modals open in the stand-in's workspace: ``views.open``, and Slack's side of a submit.

``views.open`` (https://docs.slack.dev/reference/methods/views.open, no scope needed)
exchanges a trigger id (``sandbox.slack_triggers``: three seconds, once) for a modal shown to
the person whose action made the trigger, and answers ``{"ok": true, "view": …}``: the view
with the ``id``, ``hash``, ``state``, ``team_id``, ``app_id`` and ``bot_id`` Slack adds. The
view must be one Slack accepts ("Modal views", https://docs.slack.dev/reference/views/
modal-views): ``type`` ``modal``; a ``plain_text`` ``title`` of at most 24 characters;
``submit`` and ``close`` likewise, ``submit`` required once there is an input block; at most
100 blocks with distinct ``block_id``s; ``private_metadata`` at most 3,000 characters and
``callback_id`` 255; input blocks as the input block and plain-text input pages give them
(label and hint at most 2,000, placeholder 150, ``initial_value`` 3,000). Anything else is
``invalid_arguments`` with the field in ``response_metadata.messages``, as Slack words it
(``[ERROR] … [json-pointer:/view/…]``); a view over 250 kB is ``view_too_large``.

A submit is Slack's to make (https://docs.slack.dev/surfaces/modals#interactions): the
client refuses an empty required field itself; otherwise Slack posts ``view_submission`` to
the app and reads the answer it gets within three seconds. An empty
200 closes the modal, ``response_action: clear`` closes it too, ``update`` replaces the view,
``errors`` (keyed by the ``block_id`` of input blocks of this view) keeps the modal open with
what the person typed and each error under its field. A slower answer, a non-200 or anything
else leaves the modal open with Slack's generic trouble notice. ``push`` and the
``view_closed`` notice (``notify_on_close``) are not modelled and are refused.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox import slack_triggers
from sandbox.slack_client import view_state

ANSWER_WITHIN_SECONDS = 3.0
MAX_VIEW_BYTES = 250_000
REQUIRED = "Please complete this required field."
_ID_CHARS = string.ascii_uppercase + string.digits


class ModalError(Exception):
    """``views.open`` refused: Slack's error string and any extra response fields."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _invalid(message: str, pointer: str) -> ModalError:
    text = f"[ERROR] {message} [json-pointer:/view{pointer}]"
    return ModalError("invalid_arguments", response_metadata={"messages": [text]})


def _plain_text(obj: Any, pointer: str, limit: int, *, required: bool = True) -> None:
    if obj is None and not required:
        return
    if not isinstance(obj, Mapping) or obj.get("type") != "plain_text":
        raise _invalid("must be a plain_text text object", pointer)
    if not str(obj.get("text", "")):
        raise _invalid("must not be empty", f"{pointer}/text")
    if len(str(obj["text"])) > limit:
        raise _invalid(f"must be less than {limit + 1} characters", f"{pointer}/text")


def _check_input(block: Mapping[str, Any], pointer: str) -> None:
    _plain_text(block.get("label"), f"{pointer}/label", 2000)
    _plain_text(block.get("hint"), f"{pointer}/hint", 2000, required=False)
    element = block.get("element")
    if not isinstance(element, Mapping):
        raise _invalid("missing required field: element", pointer)
    if element.get("type") != "plain_text_input":
        raise _invalid(
            f"the stand-in models plain_text_input only, not {element.get('type')}",
            f"{pointer}/element",
        )
    if len(str(element.get("action_id", ""))) > 255:
        raise _invalid("must be less than 256 characters", f"{pointer}/element/action_id")
    _plain_text(element.get("placeholder"), f"{pointer}/element/placeholder", 150, required=False)
    initial = element.get("initial_value")
    if initial is not None and (not isinstance(initial, str) or len(initial) > 3000):
        raise _invalid(
            "must be a string of at most 3000 characters", f"{pointer}/element/initial_value"
        )
    if initial is not None and len(initial) > int(element.get("max_length") or 3000):
        raise _invalid("must not be longer than max_length", f"{pointer}/element/initial_value")


def check_view(view: Any) -> dict[str, Any]:
    """The view, if Slack would accept it for ``views.open``; raises ``ModalError``."""
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError:
            raise _invalid("failed to parse view: not JSON", "") from None
    if not isinstance(view, Mapping):
        raise ModalError(
            "invalid_arguments",
            response_metadata={"messages": ["[ERROR] missing required field: view"]},
        )
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        raise ModalError("view_too_large")
    if view.get("type") != "modal":
        raise _invalid("must be modal", "/type")
    _plain_text(view.get("title"), "/title", 24)
    _plain_text(view.get("submit"), "/submit", 24, required=False)
    _plain_text(view.get("close"), "/close", 24, required=False)
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise _invalid("must be less than 3001 characters", "/private_metadata")
    if len(str(view.get("callback_id", ""))) > 255:
        raise _invalid("must be less than 256 characters", "/callback_id")
    if view.get("notify_on_close"):
        raise ModalError(
            "invalid_arguments",
            response_metadata={
                "messages": ["[ERROR] the Slack stand-in does not model view_closed"]
            },
        )
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > 100:
        raise _invalid("must be a list of at most 100 blocks", "/blocks")
    seen: set[str] = set()
    for n, block in enumerate(blocks):
        block_id = str(block.get("block_id", ""))
        if block_id and block_id in seen:
            raise _invalid("duplicate block_id", f"/blocks/{n}/block_id")
        seen.add(block_id)
        if block.get("type") == "input":
            if view.get("submit") is None:
                raise _invalid("must define `submit` to use input block", f"/blocks/{n}/input")
            _check_input(block, f"/blocks/{n}")
    return dict(view)


@dataclass
class OpenModal:
    """One person's open modal: the view as Slack holds it (``state``: what is in the
    fields) and the errors shown under fields after the app's ``response_action: errors``."""

    user_id: str
    view: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Submitted:
    """What Slack did with one submit: the app's status, whether the modal closed, the
    errors now shown under fields, and any trouble Slack showed instead."""

    status: int | None
    closed: bool
    errors: dict[str, str]
    trouble: str | None = None


class Modals:
    """The open modals, one per person (a new one replaces theirs, as a new trigger can only
    come from outside it)."""

    def __init__(self, *, team_id: str, app_id: str, bot_id: str) -> None:
        self._ids = {"team_id": team_id, "app_id": app_id, "bot_id": bot_id}
        self._open: dict[str, OpenModal] = {}
        self.opened: list[dict[str, Any]] = []  # every view views.open answered, in order

    def open(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """``views.open``: check the view, exchange the trigger, show the modal to its person."""
        if args.get("interactivity_pointer"):
            raise ModalError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] the Slack stand-in does not model interactivity_pointer"]
                },
            )
        if "view" not in args:
            raise ModalError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: view"]},
            )
        view = check_view(args["view"])
        try:
            user_id = slack_triggers.exchange(str(args.get("trigger_id") or ""))
        except slack_triggers.TriggerError as error:
            raise ModalError(error.code) from None
        view_id = "V" + "".join(secrets.choice(_ID_CHARS) for _ in range(10))
        shown = self._described(view, view_id)
        self._open[user_id] = OpenModal(user_id, shown)
        self.opened.append(shown)
        return {"view": shown}

    def _described(self, view: Mapping[str, Any], view_id: str) -> dict[str, Any]:
        """The view object as Slack answers it and later sends it back."""
        blocks = [
            {**b, "block_id": b.get("block_id") or secrets.token_hex(3)}
            for b in view.get("blocks", [])
        ]
        return {
            "id": view_id,
            "team_id": self._ids["team_id"],
            "type": "modal",
            "blocks": blocks,
            "private_metadata": str(view.get("private_metadata", "")),
            "callback_id": str(view.get("callback_id", "")),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": view["title"],
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": False,
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self._ids["app_id"],
            "external_id": str(view.get("external_id", "")),
            "app_installed_team_id": self._ids["team_id"],
            "bot_id": self._ids["bot_id"],
        }

    def current(self, user_id: str) -> OpenModal | None:
        """The modal open for ``user_id``, if any."""
        return self._open.get(user_id)

    def close(self, user_id: str) -> None:
        """The person pressed Cancel (or ×): the modal goes, and nothing is sent."""
        self._open.pop(user_id, None)

    def submit(
        self,
        user_id: str,
        values: Mapping[str, str],
        post: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    ) -> Submitted:
        """The person presses Submit with ``values`` typed (by ``block_id``): Slack's client
        checks required fields, then ``post`` (the view as open) delivers the signed
        ``view_submission`` to the app and returns its HTTP answer (a Lambda proxy response)."""
        modal = self._open.get(user_id)
        if modal is None:
            raise LookupError(f"no modal is open for {user_id}")
        state = view_state(modal.view, values)
        missing = {
            block["block_id"]: REQUIRED
            for block in modal.view["blocks"]
            if block.get("type") == "input"
            and not block.get("optional")
            and not any(v.get("value") for v in state["values"].get(block["block_id"], {}).values())
        }
        if missing:
            modal.view["state"], modal.errors = state, missing
            return Submitted(None, False, dict(missing), "a required field is empty")
        started = time.monotonic()
        answer = post(modal.view)
        elapsed = time.monotonic() - started
        modal.view["state"] = state  # the person's input stays in the fields
        return self._apply(modal, answer, elapsed)

    def _apply(self, modal: OpenModal, answer: Mapping[str, Any], elapsed: float) -> Submitted:
        status = int(answer.get("statusCode") or 0)
        body = str(answer.get("body") or "").strip()

        def trouble(why: str) -> Submitted:
            return Submitted(status, False, dict(modal.errors), why)

        if elapsed > ANSWER_WITHIN_SECONDS:
            return trouble(f"no answer within {ANSWER_WITHIN_SECONDS:.0f} s ({elapsed:.1f} s)")
        if status != 200:
            return trouble(f"the app answered HTTP {status}")
        if not body:
            self.close(modal.user_id)
            return Submitted(status, True, {})
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return trouble("the answer is neither empty nor JSON")
        action = data.get("response_action") if isinstance(data, dict) else None
        if action == "clear":
            self.close(modal.user_id)
            return Submitted(status, True, {})
        if action == "errors":
            return self._errors(modal, data.get("errors"), status)
        if action == "update":
            try:
                view = check_view(data.get("view"))
            except ModalError as error:
                return trouble(f"the updated view is refused ({error.code})")
            modal.view = self._described(view, modal.view["id"])
            modal.errors = {}
            return Submitted(status, False, {})
        return trouble(f"response_action {action!r} is not modelled")

    def _errors(self, modal: OpenModal, errors: Any, status: int) -> Submitted:
        inputs = {b["block_id"] for b in modal.view["blocks"] if b.get("type") == "input"}
        valid = (
            isinstance(errors, dict)
            and errors
            and all(
                isinstance(k, str) and isinstance(v, str) and k in inputs for k, v in errors.items()
            )
        )
        if not valid:
            return Submitted(
                status, False, dict(modal.errors), "errors not keyed by this view's input blocks"
            )
        modal.errors = dict(errors)
        return Submitted(status, False, dict(errors))
