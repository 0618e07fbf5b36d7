"""Who may do what: a default-deny policy, the two-person rule and who is clicking (pure).

``decide`` is the one place a request or a click is allowed. Its inputs are the policy that
applies (the channel's own, else the stack's default), the person as Slack describes them
(``Actor``, resolved from the signed payload's user id) and the migration the action is on.

- **Default-deny.** An action is allowed only to the user ids and user-group members its
  policy entry names; an empty entry, or no policy at all, allows nobody.
- **Whoever the policy names,** guests (restricted or ultra-restricted accounts), users of
  another workspace (Slack Connect), bots, deleted users and anyone whose lookup failed are
  refused.
- **The two-person rule.** The requester of a migration may not approve its plan, nor press
  Cutover 100 % or Decommission on it.
- **Break-glass rollback.** ``rollback_anyone`` opens Rollback to every full member of the
  workspace (off by default); such a rollback is allowed and audited as break-glass.
- **Two approvals.** ``two_approvals`` asks for two distinct approvers (neither the
  requester) before Cutover 100 % or Decommission happens; ``approvals_needed`` says how many.

A channel's own policy is the stack's default changed by ``change`` (``/migrate policy``), which
only the stack's admins (``PolicyAdmins``) may use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, Field

#: Slack ids: users (U…, W… on Enterprise Grid) and user groups (S…).
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")


class Action(StrEnum):
    """What a person may be allowed to do."""

    REQUEST = "request"
    APPROVE = "approve"
    CANCEL = "cancel"
    CUTOVER = "cutover"  # 10 % and 50 %
    CUTOVER_FULL = "cutover_100"
    ROLLBACK = "rollback"
    CLEANUP = "cleanup"
    DECOMMISSION = "decommission"
    AUDIT = "audit"
    POLICY = "policy"  # change a channel's policy


#: What each action reads in the policy; an entry left unset (None) falls back to
#: ``approvers`` (cancel: the approvers, and the requester themself).
_ENTRY = {
    Action.REQUEST: "requesters",
    Action.APPROVE: "approvers",
    Action.CANCEL: "approvers",
    Action.CUTOVER: "cutover",
    Action.CUTOVER_FULL: "cutover",
    Action.ROLLBACK: "rollback",
    Action.CLEANUP: "cleanup",
    Action.DECOMMISSION: "decommission",
    Action.AUDIT: "approvers",
    Action.POLICY: "admins",
}
#: How a refusal names each action ("not allowed to … here").
_VERBS = {
    Action.REQUEST: "request migrations",
    Action.APPROVE: "approve plans",
    Action.CANCEL: "cancel migrations",
    Action.CUTOVER: "shift traffic",
    Action.CUTOVER_FULL: "cut over 100 %",
    Action.ROLLBACK: "roll back",
    Action.CLEANUP: "clean up",
    Action.DECOMMISSION: "decommission",
    Action.AUDIT: "read audit trails",
    Action.POLICY: "change this channel's policy",
}
_OWN = {
    Action.APPROVE: "approve the plan of",
    Action.CUTOVER_FULL: "cut over 100 % of",
    Action.DECOMMISSION: "decommission",
}
#: Actions the requester of a migration may never take on it.
TWO_PERSON = frozenset({Action.APPROVE, Action.CUTOVER_FULL, Action.DECOMMISSION})
#: Actions ``two_approvals`` asks two distinct approvers for.
TWO_APPROVALS = frozenset({Action.CUTOVER_FULL, Action.DECOMMISSION})


class PolicyError(ValueError):
    """A policy entry that is not a list of Slack user or user-group ids."""


class Policy(BaseModel):
    """Who may request, and who may do everything else, in one channel (or by default)."""

    requesters: list[str] = Field(default_factory=list, description="User and group ids.")
    anyone_may_request: bool = Field(
        default=False, description="Every full member may request (the stack's default)."
    )
    approvers: list[str] = Field(
        default_factory=list,
        description="User and group ids: approve plans, and every action without its own entry.",
    )
    cutover: list[str] | None = Field(default=None, description="Cutover steps (None: approvers).")
    rollback: list[str] | None = Field(default=None, description="Rollback (None: approvers).")
    cleanup: list[str] | None = Field(default=None, description="Clean up (None: approvers).")
    decommission: list[str] | None = Field(
        default=None, description="Decommission (None: approvers)."
    )
    rollback_anyone: bool = Field(
        default=False, description="Break-glass: every full member may roll back."
    )
    two_approvals: bool = Field(
        default=False, description="Cutover 100 % and Decommission need two distinct approvers."
    )
    admins: list[str] = Field(
        default_factory=list,
        description="Who may change a channel's policy (the stack's PolicyAdmins; not per channel).",
    )
    source: str = Field(default="the stack's default", description="Where the policy came from.")

    def entry(self, action: Action) -> list[str]:
        """The ids that ``action`` is allowed to (an unset entry: the approvers)."""
        ids = getattr(self, _ENTRY[action])
        return list(self.approvers if ids is None else ids)

    def approvals_needed(self, action: Action) -> int:
        """How many distinct approvers ``action`` needs before it happens (1 or 2)."""
        return 2 if self.two_approvals and action in TWO_APPROVALS else 1


def parse_ids(text: str) -> list[str]:
    """A comma- or space-separated list of user and group ids; raises ``PolicyError``.

    Slack's mention forms (``<@U123>``, ``<!subteam^S123|@ops>``) are accepted too.
    """
    ids: list[str] = []
    for raw in re.split(r"[\s,]+", text.strip()):
        if not raw:
            continue
        token = re.sub(r"^<(?:@|!subteam\^)([A-Z0-9]+)(?:\|[^>]*)?>$", r"\1", raw)
        if not (_USER.match(token) or _GROUP.match(token)):
            raise PolicyError(f"{raw!r} is not a Slack user id (U…/W…) or user group id (S…)"[:200])
        if token not in ids:
            ids.append(token)
    return ids


def needed_groups(policy: Policy, action: Action) -> list[str]:
    """The user groups whose members decide ``action`` (looked up only when they matter)."""
    if action is Action.REQUEST and policy.anyone_may_request:
        return []
    return sorted({i for i in policy.entry(action) if _GROUP.match(i)})


class Actor(BaseModel):
    """The person behind a signed request, as Slack describes them."""

    user_id: str
    full_member: bool = Field(
        description="A full member of this workspace: not a guest, bot, deleted or external."
    )
    why_not: str = Field(default="", description="Why not a full member (for the refusal).")
    groups: frozenset[str] = Field(
        default_factory=frozenset, description="The policy's groups the person is in."
    )


class Decision(BaseModel):
    """Allowed or denied, and why (the audit's reason and the person's answer)."""

    allowed: bool
    reason: str
    break_glass: bool = False


def _names(ids: Iterable[str]) -> str:
    shown = [f"<!subteam^{i}>" if _GROUP.match(i) else f"<@{i}>" for i in ids]
    return ", ".join(shown) or "nobody (the policy names no one)"


def who_may(policy: Policy | None, action: Action) -> str:
    """Who may take ``action``, as the refusal says it."""
    if policy is None:
        return "nobody: no policy applies here"
    text = _names(policy.entry(action))
    if action is Action.REQUEST and policy.anyone_may_request:
        text = "every full member of the workspace"
    if action is Action.ROLLBACK and policy.rollback_anyone:
        text = "every full member of the workspace (break-glass)"
    if action is Action.CANCEL:
        text += " and the requester"
    if action is Action.POLICY:
        return f"{text} (the stack's PolicyAdmins)"  # admins are never a channel's own
    return f"{text} ({policy.source})"


def decide(
    policy: Policy | None,
    actor: Actor,
    action: Action,
    *,
    requester: str | None = None,
) -> Decision:
    """May ``actor`` take ``action`` on a migration ``requester`` asked for?"""
    if not actor.full_member:
        return Decision(allowed=False, reason=f"refused whatever the policy: {actor.why_not}")
    if policy is None:
        return Decision(allowed=False, reason="no policy applies in this channel")
    if requester is not None and actor.user_id == requester and action in TWO_PERSON:
        return Decision(
            allowed=False,
            reason=f"two-person rule: the requester may not {_OWN[action]} their own migration",
        )
    entry = policy.entry(action)
    named = actor.user_id in entry or bool(actor.groups & set(entry))
    if action is Action.REQUEST and policy.anyone_may_request:
        named = True
    if action is Action.CANCEL and requester is not None and actor.user_id == requester:
        named = True  # the requester may withdraw their own request
    if not named:
        if action is Action.ROLLBACK and policy.rollback_anyone:
            return Decision(allowed=True, reason="break-glass rollback", break_glass=True)
        return Decision(allowed=False, reason=f"not allowed to {_VERBS[action]} here")
    return Decision(allowed=True, reason=f"allowed by {policy.source}")


def stack_default(approvers: str, admins: str = "") -> Policy:
    """The stack's policy (template parameter ``Approvers``): every full member may request;
    the approvers named may do everything else; ``admins`` (``PolicyAdmins``) may change a
    channel's policy. Empty names nobody; malformed raises."""
    return Policy(
        anyone_may_request=True,
        approvers=parse_ids(approvers),
        admins=parse_ids(admins),
        source="the stack's default (Approvers)",
    )


#: What ``/migrate policy <setting> <value>`` may change, and what each takes.
SETTINGS: dict[str, str] = {
    "requesters": "user/group ids, `everyone` or `none`",
    "approvers": "user/group ids or `none`",
    "cutover": "user/group ids, `none` or `approvers`",
    "rollback": "user/group ids, `none` or `approvers`",
    "cleanup": "user/group ids, `none` or `approvers`",
    "decommission": "user/group ids, `none` or `approvers`",
    "break-glass-rollback": "`on` or `off`",
    "two-approvals": "`on` or `off`",
}
_SWITCHES = {"break-glass-rollback": "rollback_anyone", "two-approvals": "two_approvals"}


def change(policy: Policy, setting: str, value: str, source: str) -> Policy:
    """``policy`` with one setting changed (``/migrate policy``); raises ``PolicyError``.

    ``none`` empties an entry (nobody: the action is denied); ``approvers`` makes an
    action's entry follow the approvers again; ``everyone`` lets every full member request.
    """
    word = value.strip().lower()
    if setting not in SETTINGS:
        raise PolicyError(
            f"`{setting}` is not a policy setting; the settings are {', '.join(SETTINGS)}"[:300]
        )
    update: dict[str, object] = {"source": source}
    if setting in _SWITCHES:
        if word not in ("on", "off"):
            raise PolicyError(f"`{setting}` takes `on` or `off`")
        update[_SWITCHES[setting]] = word == "on"
    elif word == "everyone":
        if setting != "requesters":
            raise PolicyError("only `requesters` may be `everyone`")
        update.update(requesters=[], anyone_may_request=True)
    elif word == "approvers":
        if setting in ("requesters", "approvers"):
            raise PolicyError(f"`{setting}` cannot follow the approvers")
        update[setting] = None
    else:
        ids = [] if word == "none" else parse_ids(value)
        if not ids and word != "none":
            raise PolicyError(f"`{setting}` needs {SETTINGS[setting]}")
        update[setting] = ids
        if setting == "requesters":
            update["anyone_may_request"] = False
    return policy.model_copy(update=update)


def describe(policy: Policy) -> list[tuple[str, str]]:
    """Each setting and who it names, as ``/migrate policy show`` lists them."""

    def entry(setting: str, action: Action) -> str:
        own = getattr(policy, setting)
        text = _names(policy.entry(action))
        return f"{text} (the approvers)" if own is None else text

    requesters = (
        "every full member of the workspace"
        if policy.anyone_may_request
        else _names(policy.requesters)
    )
    return [
        ("requesters", requesters),
        ("approvers", _names(policy.approvers)),
        ("cutover", entry("cutover", Action.CUTOVER)),
        ("rollback", entry("rollback", Action.ROLLBACK)),
        ("cleanup", entry("cleanup", Action.CLEANUP)),
        ("decommission", entry("decommission", Action.DECOMMISSION)),
        (
            "break-glass-rollback",
            "on: every full member may roll back" if policy.rollback_anyone else "off",
        ),
        (
            "two-approvals",
            "on: Cutover 100 % and Decommission need two distinct approvers"
            if policy.two_approvals
            else "off",
        ),
        ("admins", _names(policy.admins) + " (PolicyAdmins, the stack's)"),
    ]
