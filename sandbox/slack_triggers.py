"""Trigger ids as Slack issues and honours them: one per interaction, three seconds, once.

Slack sends a ``trigger_id`` with every slash command and interaction payload; an app
exchanges it for a modal with ``views.open``. Slack ("Sequencing interactions with triggers",
https://api.slack.com/docs/triggers): triggers "expire in three seconds" and "may only be used
once". ``views.open``'s reference (https://docs.slack.dev/reference/methods/views.open) names
the errors: ``invalid_trigger_id`` ("The expected format for the trigger_id argument is
132456.7890123.abcdef"), ``expired_trigger_id`` and ``exchanged_trigger_id``. A trigger opens
the modal for the person whose action caused it.

The stand-in's user side (``slack_client``, which builds the payloads) and its Web API
(``slack_standin``) are both "Slack", so they share this record: who caused each trigger and
when (wall-clock seconds, as a real trigger's age is measured).
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import time
from dataclasses import dataclass

LIFETIME_SECONDS = 3.0
_FORGET_AFTER_SECONDS = 600.0  # long expired: dropped from the record
_FORMAT = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


class TriggerError(Exception):
    """``views.open`` refuses the trigger; ``code`` is Slack's error string."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class _Issued:
    user_id: str
    at: float
    exchanged: bool = False


_issued: dict[str, _Issued] = {}
_lock = threading.Lock()
_sequence = itertools.count(1)


def issue(user_id: str, *, at: float | None = None) -> str:
    """A new trigger id for an action of ``user_id`` (issued ``at``, default now)."""
    issued_at = time.time() if at is None else at
    trigger_id = f"{next(_sequence)}.{int(issued_at * 1000)}.{secrets.token_hex(12)}"
    with _lock:
        for old in [t for t, i in _issued.items() if issued_at - i.at > _FORGET_AFTER_SECONDS]:
            del _issued[old]
        _issued[trigger_id] = _Issued(user_id, issued_at)
    return trigger_id


def exchange(trigger_id: str, *, now: float | None = None) -> str:
    """Use a trigger once; return whose it is. Raises ``TriggerError`` as Slack answers."""
    moment = time.time() if now is None else now
    with _lock:
        issued = _issued.get(trigger_id) if _FORMAT.match(trigger_id or "") else None
        if issued is None:
            raise TriggerError("invalid_trigger_id")
        if issued.exchanged:
            raise TriggerError("exchanged_trigger_id")
        if moment - issued.at > LIFETIME_SECONDS:
            raise TriggerError("expired_trigger_id")
        issued.exchanged = True
        return issued.user_id
