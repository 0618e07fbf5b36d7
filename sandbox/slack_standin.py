"""A local Slack stand-in: a loopback Web API server that records what the bot posts.

Each method answers as Slack's reference page for it documents (response shape and errors):
https://docs.slack.dev/reference/methods/chat.postMessage, …/chat.update, …/chat.delete,
…/chat.postEphemeral, …/auth.test, …/conversations.info, …/conversations.open, …/users.info,
…/usergroups.users.list, …/files.getUploadURLExternal, …/files.completeUploadExternal and
…/views.open (modals: ``sandbox/slack_views.py``, with ``submit_view`` as Slack's side of a
person pressing Submit).
Like Slack, it knows which channels the bot is in: without ``chat:write.public`` a bot cannot
post in a public channel it is not a member of (``not_in_channel``), and a private channel it
is not in does not exist for it (``channel_not_found``). Given ``scopes``, it answers
``missing_scope`` (with ``needed`` and ``provided``) for a method the app was not granted, as
Slack does. It also serves the upload URLs it hands out (``/upload/v1/<file id>``), so
``WebClient.files_upload_v2`` runs against it unchanged. Where a page leaves a case open, the
method's docstring says so and the stand-in refuses rather than guesses.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.slack_client import view_submission
from sandbox.slack_render import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Channel,
    Message,
    render_view,
)
from sandbox.slack_views import ModalError, Modals, OpenModal, Submitted

Reply = tuple[int, dict[str, Any], dict[str, str]]

#: The bot scope each method needs (from each method's reference page, "Scopes").
#: conversations.info needs the read scope of the conversation's type.
METHOD_SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "auth.test": None,
    "conversations.info": None,  # channels:read (public) or groups:read (private): see below
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "conversations.open": "im:write",  # a 1:1 DM; several users (an MPIM) are not modelled
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "views.open": None,  # "No scopes required": a trigger id from the person's own action
}

#: The people of the sandbox's workspace, as ``users.info`` describes them (Slack, "User
#: object"): full members, a multi-channel and a single-channel guest, a user of a partner
#: workspace seen through a Slack Connect channel, a bot and a deactivated account.
PEOPLE: dict[str, dict[str, Any]] = {
    "U0ALICE": {"name": "alice", "real_name": "Alice (requester)"},
    "U0BOB": {"name": "bob", "real_name": "Bob (approver)"},
    "U0CAROL": {"name": "carol", "real_name": "Carol (approver, on call)"},
    "U0DAVE": {"name": "dave", "real_name": "Dave (developer)"},
    "U0GUEST": {"name": "gail", "real_name": "Gail (guest)", "is_restricted": True},
    "U0SINGLE": {
        "name": "sam",
        "real_name": "Sam (single-channel guest)",
        "is_restricted": True,
        "is_ultra_restricted": True,
    },
    "U0PARTNER": {
        "name": "pat",
        "real_name": "Pat (partner workspace)",
        "team_id": "T0PARTNER",
        "is_stranger": True,
    },
    "U0DEPLOYBOT": {"name": "deploybot", "real_name": "Deploy bot", "is_bot": True},
    "U0GONE": {"name": "former", "real_name": "Former colleague", "deleted": True},
}
#: User groups (``S…``) and their members.
GROUPS: dict[str, list[str]] = {"S0APPROVERS": ["U0BOB", "U0CAROL"]}


@dataclass(frozen=True)
class Call:
    """One Web API call as received and answered."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any]


@dataclass(frozen=True)
class Response:
    """One POST to a response_url handed out by the stand-in."""

    url: str
    channel: str | None
    payload: dict[str, Any]


@dataclass
class _Access:
    """What the bot may see and do in one channel."""

    private: bool = False
    bot_member: bool = True
    im: str | None = None  # for a DM: the person at the other end


@dataclass
class _Upload:
    """A file from files.getUploadURLExternal, its bytes once posted, its object once shared."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None
    file: dict[str, Any] | None = None  # set by files.completeUploadExternal


@dataclass
class _Hook:
    """Where a response_url's answers land."""

    channel: str | None
    user_id: str | None
    message_ts: str | None
    uses: int = 0


class SlackStandIn:
    """A loopback Slack Web API server: chat.*, auth.test, conversations.info, response_urls.

    ``channels`` (id → name) are public channels the bot is in; others are refused with
    ``channel_not_found``. Without ``channels``, any channel id exists on first use, public and
    with the bot in it. ``add_channel`` makes one the bot is not in, or a private one;
    ``invite_bot`` is ``/invite @bot``. ``scopes=None`` grants every scope.
    """

    def __init__(
        self,
        token: str = "xoxb-sandbox-token",
        *,
        channels: Mapping[str, str] | None = None,
        scopes: Collection[str] | None = None,
        rate_limit_per_channel_per_second: int | None = None,
        rate_limited_methods: tuple[str, ...] = ("chat.postMessage",),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.scopes = None if scopes is None else frozenset(scopes)
        self.rate_limit = rate_limit_per_channel_per_second
        self.rate_limited_methods = rate_limited_methods
        self.calls: list[Call] = []
        self.responses: list[Response] = []
        self._auto_channels = channels is None
        self._channels = {cid: Channel(cid, name) for cid, name in (channels or {}).items()}
        self._access = {cid: _Access() for cid in self._channels}
        self._hooks: dict[str, _Hook] = {}
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._last_ts_micros = 0
        self._hook_ids = itertools.count(1)
        self._clock = clock
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._root = ""
        self.people = {k: dict(v) for k, v in PEOPLE.items()}
        self.groups = {k: list(v) for k, v in GROUPS.items()}
        self._dms: dict[str, str] = {}  # user id -> D… id
        self._uploads: dict[str, _Upload] = {}
        self._file_ids = itertools.count(1)
        self.modals = Modals(team_id=TEAM_ID, app_id=APP_ID, bot_id=BOT_ID)

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> str:
        """Serve on a free loopback port in a daemon thread; return the Web API base URL."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._root = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self.url

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give `WebClient(base_url=...)`, ending in `/api/`."""
        return f"{self._root}/api/"

    # the workspace -----------------------------------------------------------------------
    def add_channel(
        self, channel_id: str, name: str, *, private: bool = False, bot_member: bool = True
    ) -> Channel:
        """Create a channel, public unless ``private``, with the bot in it unless told not."""
        with self._lock:
            self._channels[channel_id] = Channel(channel_id, name)
            self._access[channel_id] = _Access(private=private, bot_member=bot_member)
            return self._channels[channel_id]

    def invite_bot(self, channel_id: str) -> None:
        """What ``/invite @migrate-bot`` does: the bot becomes a member of the channel."""
        with self._lock:
            self._access[self._channel(channel_id).id].bot_member = True

    # views -------------------------------------------------------------------------------
    def channel(self, channel_id: str) -> Channel:
        """The recorded view of a channel; KeyError if it does not exist."""
        return self._channels[channel_id]

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with this person; KeyError until conversations.open opened it."""
        return self._dms[user_id]

    def file_content(self, file_id: str) -> bytes:
        """The bytes posted to a file's upload URL; KeyError if unknown or nothing arrived."""
        content = self._uploads[file_id].content
        if content is None:
            raise KeyError(file_id)
        return content

    def files_in(self, channel_id: str) -> list[dict[str, Any]]:
        """The file objects shared in a channel or its threads, oldest first."""
        view = self.channel(channel_id)
        messages = [m for root in view.messages for m in (root, *root.replies) if not m.deleted]
        return [file for m in sorted(messages, key=lambda m: float(m.ts)) for file in m.files]

    def new_response_url(
        self,
        channel: str | None = None,
        *,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """Hand out a response_url bound to a channel, user and (for buttons) a message."""
        hook_id = f"T0SANDBOX/{next(self._hook_ids)}"
        self._hooks[hook_id] = _Hook(channel, user_id, message_ts)
        return f"{self._root}/response/{hook_id}"

    def render_thread(self, channel: str, ts: str) -> str:
        """The thread holding `ts` as a person reads it: the root card, then indented replies."""
        return self.channel(channel).render_thread(ts)

    def render_channel(self, channel: str) -> str:
        """The whole channel as plain text: each top-level message with its thread."""
        return self.channel(channel).render()

    # the Web API -------------------------------------------------------------------------
    def call(self, method: str, args: dict[str, Any], bearer: str | None) -> Reply:
        """Answer one Web API call and record it."""
        with self._lock:
            status, body, headers = self._answer(method, args, bearer)
            self.calls.append(Call(method, dict(args), status, body))
            return status, body, headers

    def _answer(self, method: str, args: dict[str, Any], bearer: str | None) -> Reply:
        token = bearer or args.pop("token", None)
        handler = _METHODS.get(method)
        try:
            if not token:
                raise _SlackError("not_authed")
            if token != self.token:
                raise _SlackError("invalid_auth")
            if handler is None:
                raise _SlackError("unknown_method")
            self._require(METHOD_SCOPES.get(method))
            if method in self.rate_limited_methods and self._rate_limited(str(args.get("channel"))):
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            return 200, {"ok": True, **handler(self, args)}, {}
        except _SlackError as error:
            return 200, {"ok": False, "error": error.code, **error.extra}, {}

    def _require(self, scope: str | None) -> None:
        if scope is not None and self.scopes is not None and scope not in self.scopes:
            raise _SlackError("missing_scope", needed=scope, provided=",".join(sorted(self.scopes)))

    def _rate_limited(self, channel: str) -> bool:
        if self.rate_limit is None:
            return False
        now, recent = self._clock(), self._recent[channel]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= self.rate_limit:
            return True
        recent.append(now)
        return False

    def _next_ts(self) -> str:
        """A message ts as Slack makes it: the time it was posted, in epoch seconds with six
        decimals, unique within the channel (Slack, "Retrieving messages": ``ts`` is the
        message's timestamp and its id)."""
        with self._lock:
            micros = max(int(time.time() * 1_000_000), self._last_ts_micros + 1)
            self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel(self, channel_id: Any, *, create: bool = False) -> Channel:
        channel_id = str(channel_id or "")
        # A D… id exists only once conversations.open opened it.
        auto = create and self._auto_channels and channel_id and not channel_id.startswith("D")
        if channel_id not in self._channels and auto:
            self._channels[channel_id] = Channel(channel_id, channel_id.lower())
            self._access[channel_id] = _Access()
        if channel_id not in self._channels:
            raise _SlackError("channel_not_found")
        return self._channels[channel_id]

    def _as_bot(self, channel_id: Any) -> Channel:
        """The channel, if the bot may write in it (chat.postMessage's errors otherwise)."""
        view = self._channel(channel_id, create=True)
        access = self._access[view.id]
        if not access.bot_member:
            if access.private:  # a private channel the bot is not in does not exist for it
                raise _SlackError("channel_not_found")
            if self.scopes is None or "chat:write.public" not in self.scopes:
                raise _SlackError("not_in_channel")
        return view

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._post_in(self._as_bot(args.get("channel")), args)

    def _post_in(self, view: Channel, args: dict[str, Any]) -> dict[str, Any]:
        text, blocks = _content(args)
        parent = None
        if args.get("thread_ts"):
            try:
                parent = view.thread(str(args["thread_ts"]))[0]
            except KeyError:
                raise _SlackError("thread_not_found") from None
        message = Message(
            view.id, self._next_ts(), text, blocks, thread_ts=parent.ts if parent else None
        )
        (parent.replies if parent else view.messages).append(message)
        return {"channel": view.id, "ts": message.ts, "message": message.as_slack()}

    def user_posts(
        self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> Message:
        """``user_id`` posts ``text`` in the channel, or as a reply in the thread ``thread_ts``
        (what a person's Slack client does; no Web API call of the app's). A message that
        mentions the app is then sent to it as ``app_mention``; the caller delivers that."""
        view = self._channel(channel_id)
        parent = view.thread(thread_ts)[0] if thread_ts else None
        message = Message(
            view.id,
            self._next_ts(),
            text,
            user=user_id,
            thread_ts=parent.ts if parent else None,
        )
        (parent.replies if parent else view.messages).append(message)
        return message

    def _existing(self, args: dict[str, Any]) -> tuple[Channel, Message]:
        view = self._channel(args.get("channel"))
        try:
            message = view.message(str(args.get("ts")))
        except KeyError:
            raise _SlackError("message_not_found") from None
        if message.deleted:
            raise _SlackError("message_not_found")
        return view, message

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        view, message = self._existing(args)
        if "text" in args:
            message.text = args["text"] or ""
        if "blocks" in args:  # omitted blocks are kept, as Slack does
            message.blocks = _json_field(args["blocks"]) or []
        message.edits += 1
        return {
            "channel": view.id,
            "ts": message.ts,
            "text": message.text,
            "message": message.as_slack(),
        }

    def _delete(self, args: dict[str, Any]) -> dict[str, Any]:
        view, message = self._existing(args)
        message.deleted = True
        return {"channel": view.id, "ts": message.ts}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        view = self._as_bot(args.get("channel"))
        if not args.get("user"):
            raise _SlackError("user_not_found")
        text, blocks = _content(args)
        return {"message_ts": self._ephemeral(view, str(args["user"]), text, blocks, args)}

    def _ephemeral(
        self, view: Channel, user: str | None, text: str, blocks: list, where: Mapping[str, Any]
    ) -> str:
        ts, thread_ts = self._next_ts(), where.get("thread_ts")
        view.ephemerals.append(
            Message(view.id, ts, text, blocks, thread_ts=thread_ts, visible_to=user)
        )
        return ts

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://sandbox.slack.com/",
            "team": "Sandbox",
            "user": "migrate-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/users.info: ``user`` is required; an
        unknown id is ``user_not_found``. The user object carries the fields Slack documents
        for it (``deleted``, ``is_bot``, ``is_restricted``, ``is_ultra_restricted``,
        ``team_id``; ``is_stranger`` only for a user of another workspace)."""
        user_id = str(args.get("user") or "")
        if not user_id:
            raise _SlackError("invalid_arguments")
        if user_id not in self.people:
            raise _SlackError("user_not_found")
        person = self.people[user_id]
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "deleted": False,
            "is_bot": False,
            "is_app_user": False,
            "is_admin": False,
            "is_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            **person,
        }
        return {"user": user}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/usergroups.users.list: ``usergroup`` is
        required; an unknown one is ``no_such_subteam``; the answer's ``users`` are ids."""
        group = str(args.get("usergroup") or "")
        if not group:
            raise _SlackError("invalid_arguments")
        if group not in self.groups:
            raise _SlackError("no_such_subteam")
        return {"users": list(self.groups[group])}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/conversations.info (looking creates nothing).

        A DM opened by conversations.open needs ``im:read`` and reads as an ``im`` with its
        ``user``."""
        channel_id = str(args.get("channel") or "")
        known = self._channels.get(channel_id)
        if known is None and not (self._auto_channels and channel_id):
            raise _SlackError("channel_not_found")
        access = self._access.get(channel_id, _Access())
        if access.private and not access.bot_member:
            raise _SlackError("channel_not_found")
        if access.im:
            self._require("im:read")
        else:
            self._require("groups:read" if access.private else "channels:read")
        name = known.name if known else channel_id.lower()
        extra = {"user": access.im, "is_open": True} if access.im else {}
        return {
            "channel": {
                "id": channel_id,
                "name": name,
                "name_normalized": name,
                "is_channel": not access.im,
                "is_group": False,
                "is_im": bool(access.im),
                "is_mpim": False,
                "is_private": access.private,
                "is_archived": False,
                "is_general": False,
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "is_member": access.bot_member,
                "created": 1_700_000_000,
                "unlinked": 0,
                **extra,
            }
        }

    # direct messages ---------------------------------------------------------------------
    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/conversations.open, for a 1:1 DM.

        ``users`` (comma-separated) or ``channel`` (a DM's id, to resume it); neither is
        ``users_list_not_supplied``. Unknown users are ``user_not_found``, deactivated ones
        ``user_disabled``, more than 8 ``too_many_users``; a ``channel`` that is not a DM is
        ``method_not_supported_for_channel_type``, an unknown one ``channel_not_found``. The
        same person always gets the same ``D…`` id; a repeat adds ``no_op`` and
        ``already_open`` (the page shows them in its ``return_im`` example), and ``return_im``
        answers the IM object the page shows. Not on the page, so chosen strictly: a bot user
        (or the bot itself) is refused with ``cannot_dm_bot``, the code Slack is reported to
        answer; several users (an MPIM, which needs ``mpim:write``) and ``prevent_creation``
        without an open DM are refused ``invalid_arguments`` as not modelled."""
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            if not args.get("channel"):
                raise _SlackError("users_list_not_supplied")
            return self._resume_dm(str(args["channel"]), args)
        if len(users) > 8:
            raise _SlackError("too_many_users")
        if len(users) > 1:
            raise _unmodelled("multi-person DMs")
        existing = self._dms.get(users[0])
        if existing is None and _flag(args.get("prevent_creation")):
            raise _unmodelled("prevent_creation without an open DM")
        return self._dm_answer(self._dm_for(users[0]), args, already=existing is not None)

    def _dm_for(self, user_id: str) -> str:
        """The bot's DM with this person, opened if it was not (the bot is in it, privately)."""
        person = self.people.get(user_id)
        if user_id == BOT_USER_ID or (person is not None and person.get("is_bot")):
            raise _SlackError("cannot_dm_bot")
        if person is None:
            raise _SlackError("user_not_found")
        if person.get("deleted"):
            raise _SlackError("user_disabled")
        if user_id not in self._dms:
            dm = self._dms[user_id] = f"D{user_id.removeprefix('U')}"
            self._channels[dm] = Channel(dm, str(person.get("name") or user_id))
            self._access[dm] = _Access(private=True, im=user_id)
        return self._dms[user_id]

    def _resume_dm(self, channel_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        access = self._access.get(channel_id)
        if access is None or (access.private and not access.bot_member):
            raise _SlackError("channel_not_found")
        if access.im is None:
            raise _SlackError("method_not_supported_for_channel_type")
        return self._dm_answer(channel_id, args, already=True)

    def _dm_answer(self, dm: str, args: Mapping[str, Any], *, already: bool) -> dict[str, Any]:
        channel: dict[str, Any] = {"id": dm}
        if _flag(args.get("return_im")):
            channel |= {
                "created": 1_700_000_000,
                "is_im": True,
                "is_org_shared": False,
                "user": self._access[dm].im,
                "last_read": "0000000000.000000",
                "latest": None,
                "unread_count": 0,
                "unread_count_display": 0,
                "is_open": True,
                "priority": 0,
            }
        flags = {"no_op": True, "already_open": True} if already else {}
        return {**flags, "channel": channel}

    # files -------------------------------------------------------------------------------
    def _get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/files.getUploadURLExternal.

        ``filename`` and ``length`` are required: a missing one, or a ``length`` of 0, is
        ``missing_argument`` (the page: "Typically only occurs when the length provided is
        0"); a ``length`` that is not a whole number is ``invalid_arguments``. ``alt_txt`` over
        1000 characters is ``alt_txt_too_large``; a ``snippet_type`` with more than 1 MB is
        ``snippet_too_large``. The page lists ``unknown_snippet_type`` but not the types, so
        any ``snippet_type`` is taken. Answers ``upload_url`` (on this server, shaped like
        Slack's ``…/upload/v1/…``) and ``file_id``."""
        filename, raw_length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or raw_length in ("", "0"):
            raise _SlackError("missing_argument")
        if not raw_length.isdigit():
            raise _SlackError("invalid_arguments")
        length, alt_txt = int(raw_length), args.get("alt_txt") or None
        if alt_txt is not None and len(str(alt_txt)) > 1000:
            raise _SlackError("alt_txt_too_large")
        if args.get("snippet_type") and length > 1024 * 1024:
            raise _SlackError("snippet_too_large")
        file_id = f"F0FILE{next(self._file_ids):04d}"
        self._uploads[file_id] = _Upload(file_id, filename, length, alt_txt)
        return {"upload_url": f"{self._root}/upload/v1/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content_type: str, raw: bytes) -> tuple[int, str]:
        """Take the bytes POSTed to an upload URL (raw or multipart); return (status, body).

        The page says only "Files can be sent as raw bytes or can be multipart form encoded.
        Slack will return HTTP 200 if the upload is successful; a non-200 response indicates
        a failure." Success answers 200 ``OK - <length>`` (what Slack's upload service is
        seen to answer). What Slack does when the bytes differ from the declared ``length``,
        or on a second POST, is not documented; the stand-in refuses both (400 and 409) and
        keeps nothing, and an id it never issued is 404."""
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return 404, "file_not_found"
            if upload.content is not None or upload.file is not None:
                return 409, "already_uploaded"
            content = _upload_body(content_type, raw)
            if len(content) != upload.length:
                return 400, f"length_mismatch: declared {upload.length}, received {len(content)}"
            upload.content = content
            return 200, f"OK - {len(content)}"

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://docs.slack.dev/reference/methods/files.completeUploadExternal.

        ``files`` (a JSON array of ``{"id", "title"}``) is required, else
        ``invalid_arguments``. An id never issued is ``file_not_found`` ("Could not find the
        file from the upload ticket"). Shared in ``channel_id`` (unknown: ``channel_not_found``)
        or ``channels`` (channel or user ids; unknown: ``invalid_channel``; over 100:
        ``channels_limit_exceeded``); a channel without the bot is ``not_in_channel`` (a
        private one does not exist for it). With neither the file stays private. One message
        per channel carries all the files, with ``initial_comment`` as its text (``blocks``
        only without it), in the ``thread_ts`` thread if given. Not on the page, so chosen
        strictly: completing before the bytes arrived (the page says the call waits for them)
        or a second time ("can only be called once") is ``file_not_found``; both
        ``channel_id`` and ``channels``, ``thread_ts`` with other than one channel, or a
        ``thread_ts`` that is not a thread's root are ``invalid_arguments``. Nothing is shared
        unless everything checks out."""
        try:
            entries = _json_field(args.get("files"))
        except ValueError:
            raise _SlackError("invalid_arguments") from None
        if not isinstance(entries, list) or not entries:
            raise _SlackError("invalid_arguments")
        if not all(isinstance(entry, dict) and entry.get("id") for entry in entries):
            raise _SlackError("invalid_arguments")
        uploads = [self._uploads.get(str(entry["id"])) for entry in entries]
        ready = [u for u in uploads if u is not None and u.content is not None and u.file is None]
        if len(ready) != len(entries):
            raise _SlackError("file_not_found")
        views = self._share_targets(args)
        if args.get("thread_ts") and len(views) != 1:
            raise _SlackError("invalid_arguments")
        parents = [self._file_thread(view, args.get("thread_ts")) for view in views]
        for upload, entry in zip(ready, entries, strict=True):
            upload.file = self._file_object(
                upload, str(entry.get("title") or upload.filename), views
            )
        files = [dict(u.file or {}) for u in ready]
        text = str(args.get("initial_comment") or "")
        blocks = [] if text else _json_field(args.get("blocks")) or []
        for view, parent in zip(views, parents, strict=True):
            message = Message(
                view.id, self._next_ts(), text, blocks, thread_ts=parent.ts if parent else None
            )
            message.files = [dict(f) for f in files]
            (parent.replies if parent else view.messages).append(message)
        return {"files": files}

    def _share_targets(self, args: Mapping[str, Any]) -> list[Channel]:
        channel_id, channels = args.get("channel_id"), args.get("channels")
        if channel_id and channels:
            raise _SlackError("invalid_arguments")
        if channel_id:
            return [self._sharable(str(channel_id), unknown="channel_not_found")]
        ids = [c.strip() for c in str(channels or "").split(",") if c.strip()]
        if len(ids) > 100:
            raise _SlackError("channels_limit_exceeded")
        return [self._sharable(self._dm_or(c), unknown="invalid_channel") for c in ids]

    def _dm_or(self, channel_or_user: str) -> str:
        """A channel id as is; a person's id as the bot's DM with them (opened if need be)."""
        if channel_or_user not in self.people:
            return channel_or_user
        try:
            return self._dm_for(channel_or_user)
        except _SlackError:
            raise _SlackError("invalid_channel") from None

    def _sharable(self, channel_id: str, *, unknown: str) -> Channel:
        try:
            view = self._channel(channel_id, create=True)
        except _SlackError:
            raise _SlackError(unknown) from None
        access = self._access[view.id]
        if not access.bot_member:
            raise _SlackError(unknown if access.private else "not_in_channel")
        return view

    def _file_thread(self, view: Channel, thread_ts: Any) -> Message | None:
        if not thread_ts:
            return None
        try:
            parent = view.message(str(thread_ts))
        except KeyError:
            raise _SlackError("invalid_arguments") from None
        if parent.thread_ts or parent.deleted:
            raise _SlackError("invalid_arguments")
        return parent

    def _file_object(self, upload: _Upload, title: str, views: list[Channel]) -> dict[str, Any]:
        """The file object (Slack, "File object") as shared in ``views``."""
        where: dict[str, list[str]] = {"channels": [], "groups": [], "ims": []}
        for view in views:
            access = self._access[view.id]
            where["ims" if access.im else "groups" if access.private else "channels"].append(
                view.id
            )
        extension = upload.filename.rpartition(".")[2].lower() if "." in upload.filename else ""
        file: dict[str, Any] = {
            "id": upload.id,
            "created": 1_700_000_000,
            "timestamp": 1_700_000_000,
            "name": upload.filename,
            "title": title,
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
            "filetype": {"": "binary", "txt": "text"}.get(extension, extension),
            "user": BOT_USER_ID,
            "user_team": TEAM_ID,
            "size": upload.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(where["channels"]),
            "public_url_shared": False,
            **where,
        }
        if upload.alt_txt:
            file["alt_txt"] = upload.alt_txt
        return file

    # modals ------------------------------------------------------------------------------
    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.modals.open(args)
        except ModalError as error:
            raise _SlackError(error.code, **error.extra) from None

    def open_modal(self, user_id: str) -> OpenModal | None:
        """The modal open in front of ``user_id``, if any."""
        return self.modals.current(user_id)

    def render_modal(self, user_id: str) -> str:
        """``user_id``'s open modal as plain text ("" when none is open)."""
        modal = self.modals.current(user_id)
        return render_view(modal.view, modal.errors) if modal is not None else ""

    def close_modal(self, user_id: str) -> None:
        """``user_id`` presses Cancel on their modal (no ``view_closed``: not asked for)."""
        self.modals.close(user_id)

    def submit_view(
        self,
        user_id: str,
        values: Mapping[str, str],
        *,
        send: Callable[[dict[str, Any]], Mapping[str, Any]],
        signing_secret: str,
    ) -> Submitted:
        """``user_id`` presses Submit with ``values`` (by ``block_id``) typed in their modal:
        Slack signs the ``view_submission`` and ``send`` delivers it to the app (an API
        Gateway event in, the Lambda proxy response out). Not under the stand-in's lock: the
        app calls the Web API while it answers."""
        return self.modals.submit(
            user_id,
            values,
            lambda view: send(
                view_submission(view, values, user_id=user_id, signing_secret=signing_secret)
            ),
        )

    # response_url ------------------------------------------------------------------------
    def respond(self, hook_id: str, payload: dict[str, Any]) -> tuple[int, str]:
        """Apply one POST to a response_url the way Slack does; return (status, body)."""
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None:
                return 404, "no_service"
            hook.uses += 1
            if hook.uses > 5:  # Slack allows five uses of a response_url
                return 404, "used_url"
            url = f"{self._root}/response/{hook_id}"
            self.responses.append(Response(url, hook.channel, payload))
            try:
                if hook.channel:
                    self._apply_response(self._channel(hook.channel, create=True), hook, payload)
            except _SlackError as error:
                return 400, error.code
            return 200, "ok"

    def _apply_response(self, view: Channel, hook: _Hook, payload: dict[str, Any]) -> None:
        text, blocks = payload.get("text") or "", payload.get("blocks") or []
        try:
            original: Message | None = view.message(hook.message_ts or "")
        except KeyError:
            original = None
        if payload.get("delete_original") and original is not None:
            original.deleted = True
        elif payload.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks
            original.edits += 1
        elif payload.get("response_type") == "in_channel":
            # A command's response_url may post where the bot is not a member.
            self._post_in(view, dict(payload, channel=view.id))
        else:
            self._ephemeral(view, hook.user_id, text, blocks, payload)


class _SlackError(Exception):
    """A Web API error answered as `{"ok": false, "error": code}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _json_field(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def _unmodelled(what: str) -> _SlackError:
    """Refuse a case the stand-in does not model, saying so in ``response_metadata``."""
    message = f"[ERROR] the Slack stand-in does not model {what}"
    return _SlackError("invalid_arguments", response_metadata={"messages": [message]})


def _flag(value: Any) -> bool:
    """A boolean argument as sent form-encoded (``1``/``true``) or in JSON."""
    return value is True or str(value).lower() in ("1", "true")


def _upload_body(content_type: str, raw: bytes) -> bytes:
    """The uploaded file's bytes: the raw body, or the file part of a multipart form."""
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return raw
    boundary = next(
        (p.strip()[9:].strip('"') for p in params.split(";") if p.strip().startswith("boundary=")),
        "",
    )
    for part in raw.split(b"--" + boundary.encode())[1:-1] if boundary else []:
        head, _, body = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if b"filename=" in head.lower():
            return body.removesuffix(b"\r\n")
    return b""


def _content(args: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text, blocks = args.get("text") or "", _json_field(args.get("blocks")) or []
    if not text and not blocks:
        raise _SlackError("no_text")
    return text, blocks


_METHODS: dict[str, Callable[[SlackStandIn, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": SlackStandIn._post,
    "chat.update": SlackStandIn._update,
    "chat.delete": SlackStandIn._delete,
    "chat.postEphemeral": SlackStandIn._post_ephemeral,
    "auth.test": SlackStandIn._auth_test,
    "conversations.info": SlackStandIn._conversations_info,
    "users.info": SlackStandIn._users_info,
    "usergroups.users.list": SlackStandIn._usergroups_users_list,
    "conversations.open": SlackStandIn._conversations_open,
    "files.getUploadURLExternal": SlackStandIn._get_upload_url,
    "files.completeUploadExternal": SlackStandIn._complete_upload,
    "views.open": SlackStandIn._views_open,
}


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("application/json"):
        return dict(json.loads(raw))
    return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            """Stay quiet: the call log is the record."""

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self.do_POST()

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if parts.path.startswith("/response/"):
                hook_id = parts.path.removeprefix("/response/")
                status, text = standin.respond(hook_id, json.loads(raw or b"{}"))
                return self._send(status, text.encode(), "text/plain", {})
            if parts.path.startswith("/upload/v1/"):
                file_id, ctype = (
                    parts.path.removeprefix("/upload/v1/"),
                    self.headers["Content-Type"],
                )
                status, text = standin.receive_upload(file_id, ctype or "", raw)
                return self._send(status, text.encode(), "text/plain; charset=utf-8", {})
            if not parts.path.startswith("/api/"):
                return self._send(404, b"Not Found", "text/plain", {})
            args = dict(parse_qsl(parts.query)) | _parse_body(
                self.headers["Content-Type"] or "", raw
            )
            auth = self.headers.get("Authorization", "")
            bearer = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
            status, body, headers = standin.call(parts.path.removeprefix("/api/"), args, bearer)
            self._send(
                status, json.dumps(body).encode(), "application/json; charset=utf-8", headers
            )

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler
