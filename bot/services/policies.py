"""Use cases behind ``/migrate policy``: the policy that applies in a channel, and changing it.

A channel's own policy is stored as a document (the ``Policy`` model as JSON, without the
admins, which are always the stack's) with a version; it replaces the stack's default in
that channel. A stored document that no longer validates denies everything in the channel
(logged), as an empty policy does, until an admin sets or resets it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from bot.domain.policy import Policy, change
from bot.observability import logger
from bot.ports import AuditRecord, Clock, StaleVersionError, Store, StoredPolicy

#: Fields a channel's document leaves out: the admins are always the stack's.
_STORED = {"admins"}


class PolicyChangedError(RuntimeError):
    """Another change to the channel's policy landed first; nothing was written."""


def policy_for(channel_id: str, default: Policy | None, store: Store) -> Policy | None:
    """The policy that applies in ``channel_id``: its own, else the stack's default.

    ``None`` (everything denied) when the stack's policy is unusable, or when the channel's
    stored document does not validate.
    """
    if default is None:
        return None
    return _applying(channel_id, store.channel_policy(channel_id), default)


def _applying(channel_id: str, stored: StoredPolicy | None, default: Policy) -> Policy | None:
    """The channel's stored policy over the stack's default (None: malformed, deny)."""
    if stored is None:
        return default
    try:
        own = Policy.model_validate_json(stored.document)
    except ValidationError as error:
        logger.error(
            "the channel's stored policy is malformed, so everything there is denied",
            extra={"channel": channel_id, "error": str(error)[:500]},
        )
        return None
    return own.model_copy(update={"admins": default.admins})


def set_policy(
    channel_id: str,
    setting: str,
    value: str,
    user_id: str,
    *,
    default: Policy,
    store: Store,
    clock: Clock,
) -> Policy:
    """Change one setting of the channel's policy (starting from the stack's default).

    Raises ``PolicyError`` for a bad setting or value and ``PolicyChangedError`` when another
    change landed meanwhile (nothing written either way). The change is audited under
    ``channel:<id>``.
    """
    stored = store.channel_policy(channel_id)
    # A malformed stored document: start again from the default.
    current = _applying(channel_id, stored, default) or default
    now = clock.now()
    changed = change(current, setting, value, _source(user_id, now))
    document = changed.model_dump_json(exclude=_STORED)
    try:
        store.put_channel_policy(channel_id, document, stored.version if stored else 0)
    except StaleVersionError as error:
        raise PolicyChangedError("the policy changed while you typed; nothing was set") from error
    _audit(store, channel_id, user_id, f"policy {setting} {value}".strip(), now)
    return changed


def reset_policy(
    channel_id: str, user_id: str, *, default: Policy, store: Store, clock: Clock
) -> bool:
    """Forget the channel's own policy; False if it had none. Audited like a change."""
    stored = store.channel_policy(channel_id)
    if stored is None:
        return False
    try:
        store.delete_channel_policy(channel_id, stored.version)
    except StaleVersionError as error:
        raise PolicyChangedError("the policy changed while you typed; nothing was reset") from error
    _audit(store, channel_id, user_id, "policy reset", clock.now())
    return True


def _source(user_id: str, now: datetime) -> str:
    return f"this channel's policy, set by <@{user_id}> on {now:%Y-%m-%d %H:%M} UTC"


def _audit(store: Store, channel_id: str, user_id: str, action: str, now: datetime) -> None:
    store.append_audit(
        AuditRecord(
            migration_id=f"channel:{channel_id}",
            actor=user_id,
            action=action[:200],
            decision="allowed: an admin (PolicyAdmins)",
            at=now,
        )
    )
