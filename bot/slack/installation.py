"""The one Slack installation the ingress serves; a request that names another is refused.

Slack names the installation in every signed payload. A slash command's form carries
``team_id``, ``enterprise_id`` (Enterprise Grid only) and ``api_app_id`` (Slack,
"Implementing slash commands"); a ``block_actions`` payload carries ``team.id`` (``null`` for
an org-wide install, then ``user.team_id``), ``enterprise.id`` and ``api_app_id`` (Slack,
"block_actions payload"). Bolt verifies the signature first, then puts the team and the
enterprise in the request context; the app id is read from the body.

A refused slash command gets 401: Slack shows the user that the command failed, and nothing
else happens. A refused click is answered 200 with an ephemeral refusal through its
``response_url``, because Slack shows an interaction's non-200 answer only as an error mark
on the element; a click without a ``response_url`` gets 401. Either way no listener runs,
so nothing is written or emitted, and the refusal is logged with both sets of ids.

Without a configured installation (``installation is None``) every request is refused:
the ingress fails closed, it never serves every team.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt.response import BoltResponse

from bot.observability import logger
from bot.slack import replies

if TYPE_CHECKING:
    from slack_bolt import BoltContext, Respond


@dataclass(frozen=True)
class Installation:
    """The team (or Grid organization), the enterprise if any, and the app the bot serves."""

    team_id: str
    app_id: str
    enterprise_id: str | None = None

    def mismatches(
        self, *, team_id: str | None, enterprise_id: str | None, app_id: str | None
    ) -> list[str]:
        """Which of the request's ids differ from this installation's (empty: it is ours).

        With no enterprise configured, a request that names one is not ours either: a
        workspace that joins an Enterprise Grid must be configured again before it is served.
        """
        found = {"team_id": team_id, "enterprise_id": enterprise_id, "app_id": app_id}
        wanted = {
            "team_id": self.team_id,
            "enterprise_id": self.enterprise_id,
            "app_id": self.app_id,
        }
        return [name for name in found if (found[name] or None) != wanted[name]]


def installation_guard(
    installation: Installation | None, *, unconfigured: str = "no installation configured"
) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that lets through only requests from ``installation``."""

    def guard(
        context: BoltContext, body: dict[str, Any], respond: Respond, next: Callable[[], None]
    ) -> BoltResponse | None:
        ids = {
            "team_id": context.team_id,
            "enterprise_id": context.enterprise_id,
            "app_id": body.get("api_app_id"),
        }
        if installation is None:
            logger.error(f"refused: {unconfigured}", extra={"request": ids})
            return _refusal(body, respond)
        mismatched = installation.mismatches(**ids)
        if not mismatched:
            next()
            return None
        logger.warning(
            "refused: the request names another Slack installation",
            extra={
                "request": ids,
                "installation": {
                    "team_id": installation.team_id,
                    "enterprise_id": installation.enterprise_id,
                    "app_id": installation.app_id,
                },
                "mismatched": mismatched,
            },
        )
        return _refusal(body, respond)

    return guard


def _refusal(body: dict[str, Any], respond: Respond) -> BoltResponse:
    """401 for a command; for a click, an ephemeral refusal where Slack can show one."""
    if body.get("type") != "block_actions" or not body.get("response_url"):
        return BoltResponse(status=401, body=replies.OTHER_INSTALLATION)
    try:
        respond(text=replies.OTHER_INSTALLATION, response_type="ephemeral", replace_original=False)
    except Exception:  # the refusal stands; only its message was lost
        logger.exception("refused click: the ephemeral refusal could not be posted")
    return BoltResponse(status=200, body="")
