"""A local Slack stand-in: a loopback Web API server that records what the bot posts.

Each method answers as Slack's reference page for it documents (response shape and errors):
https://docs.slack.dev/reference/methods/chat.postMessage, …/chat.update, …/chat.delete,
…/chat.postEphemeral, …/auth.test and …/conversations.info. Like Slack, it knows which
channels the bot is in: without ``chat:write.public`` a bot cannot post in a public channel it
is not a member of (``not_in_channel``), and a private channel it is not in does not exist
for it (``channel_not_found``). Given ``scopes``, it answers ``missing_scope`` (with
``needed`` and ``provided``) for a method the app was not granted, as Slack does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.slack_render import BOT_ID, BOT_USER_ID, TEAM_ID, Channel, Message

FIRST_TS_MICROS = 1_700_000_000_000_100
TS_STEP_MICROS = 100

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
        self._ts = itertools.count(FIRST_TS_MICROS, TS_STEP_MICROS)
        self._hook_ids = itertools.count(1)
        self._clock = clock
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._root = ""
        self.people = {k: dict(v) for k, v in PEOPLE.items()}
        self.groups = {k: list(v) for k, v in GROUPS.items()}

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
        micros = next(self._ts)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel(self, channel_id: Any, *, create: bool = False) -> Channel:
        channel_id = str(channel_id or "")
        if channel_id not in self._channels and create and self._auto_channels and channel_id:
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
        """https://docs.slack.dev/reference/methods/conversations.info (looking creates nothing)."""
        channel_id = str(args.get("channel") or "")
        known = self._channels.get(channel_id)
        if known is None and not (self._auto_channels and channel_id):
            raise _SlackError("channel_not_found")
        access = self._access.get(channel_id, _Access())
        if access.private and not access.bot_member:
            raise _SlackError("channel_not_found")
        self._require("groups:read" if access.private else "channels:read")
        name = known.name if known else channel_id.lower()
        return {
            "channel": {
                "id": channel_id,
                "name": name,
                "name_normalized": name,
                "is_channel": True,
                "is_group": False,
                "is_im": False,
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
            }
        }

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

    def __init__(self, code: str, **extra: str) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _json_field(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


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
