"""Who is behind a signed user id: ``users.info`` and ``usergroups.users.list``, cached.

The user id comes only from the signed payload (the slash command's ``user_id``, the click's
``user.id``). Slack describes the person with ``users.info`` (scope ``users:read``; Slack,
"users.info method", and "User object": ``deleted``, ``is_bot``, ``is_restricted`` for a
multi-channel guest, ``is_ultra_restricted`` for a single-channel guest, ``team_id`` the
person's own workspace, ``is_stranger`` for a user of another workspace the app sees through
a shared channel, ``enterprise_user.enterprise_id`` on Enterprise Grid). A user group's
members come from ``usergroups.users.list`` (scope ``usergroups:read``; its ``users`` array).

Answers are kept ``ttl`` seconds in the warm container (a few minutes: a guest promoted or a
member removed from a group counts from then). A lookup that fails is not kept and refuses:
a person Slack cannot describe is nobody the policy names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.observability import logger

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.domain.policy import Actor
    from bot.slack.installation import Installation

TTL_SECONDS = 300.0


def _why_not(user: dict[str, Any], installation: Installation | None) -> str:
    """Why Slack's user object is not a full member of the installation ('' if it is)."""
    if user.get("deleted"):
        return "a deactivated account"
    if user.get("is_bot") or user.get("id") == "USLACKBOT":
        return "a bot"
    if user.get("is_ultra_restricted"):
        return "a single-channel guest"
    if user.get("is_restricted"):
        return "a multi-channel guest"
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    ours = installation is not None and (
        user.get("team_id") == installation.team_id
        or (installation.enterprise_id is not None and enterprise == installation.enterprise_id)
    )
    if user.get("is_stranger") or not ours:
        return "a user of another workspace (Slack Connect)"
    return ""


class People:
    """Resolves a user id to an ``Actor``, with the policy's groups the person is in."""

    def __init__(
        self,
        installation: Installation | None,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._installation = installation
        self._ttl = ttl
        self._clock = clock
        self._users: dict[str, tuple[float, Actor]] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    def actor(self, client: WebClient, user_id: str, groups: Iterable[str] = ()) -> Actor:
        """The person ``user_id``, and which of ``groups`` they belong to.

        The policy's models load on first use (``/migrate help`` loads none)."""
        person = self._person(client, user_id)
        if not person.full_member:
            return person
        member_of = frozenset(g for g in groups if user_id in self._members(client, g))
        return person.model_copy(update={"groups": member_of})

    def _person(self, client: WebClient, user_id: str) -> Actor:
        from bot.domain.policy import Actor

        kept = self._users.get(user_id)
        if kept and kept[0] > self._clock():
            return kept[1]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            code = error.response.get("error", "unknown")
            logger.warning("users.info failed", extra={"user": user_id, "error": code})
            return Actor(
                user_id=user_id,
                full_member=False,
                why_not=f"Slack could not say who you are ({code})",
            )
        why = _why_not(user, self._installation)
        actor = Actor(user_id=user_id, full_member=not why, why_not=why)
        self._users[user_id] = (self._clock() + self._ttl, actor)
        return actor

    def _members(self, client: WebClient, group: str) -> frozenset[str]:
        kept = self._groups.get(group)
        if kept and kept[0] > self._clock():
            return kept[1]
        try:
            users = frozenset(client.usergroups_users_list(usergroup=group)["users"])
        except SlackApiError as error:
            code = error.response.get("error", "unknown")
            logger.warning("usergroups.users.list failed", extra={"group": group, "error": code})
            return frozenset()  # not kept: the next request asks again
        self._groups[group] = (self._clock() + self._ttl, users)
        return users
