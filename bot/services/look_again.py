"""Looking again later, for the consumers that wait on AWS while they retire a side (clean up,
decommission): a one-time schedule (EventBridge Scheduler ``at()``) puts the consumer's own
event back on the bus, never a sleeping Lambda, and the looks stop after a set number.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.events.models import CleanupDue, DomainEvent, InstanceCheckDue
from bot.ports import Clock, Scheduler

#: EventBridge Scheduler's limit on a schedule's name.
NAME_LENGTH = 64


def schedule_at(scheduler: Scheduler, name: str, when: datetime, event: DomainEvent) -> None:
    """Emit ``event`` once, at the whole second after ``when`` (a schedule's time has no
    fraction of a second, so it never fires before ``when``); ``name`` is cut to 64."""
    scheduler.at(name[:NAME_LENGTH], when.replace(microsecond=0) + timedelta(seconds=1), event)


def look_again(
    scheduler: Scheduler,
    clock: Clock,
    name: str,
    after: timedelta,
    event: CleanupDue | InstanceCheckDue,
    limit: int,
) -> bool:
    """Schedule look number ``event.attempt``, ``after`` from now; False, and nothing
    scheduled, when that would be past ``limit`` looks (the caller gives up)."""
    if event.attempt > limit:
        return False
    schedule_at(scheduler, name, clock.now().replace(microsecond=0) + after, event)
    return True
