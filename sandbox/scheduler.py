"""EventBridge Scheduler's one-time schedules, run: moto stores a schedule and never invokes
its target; this stand-in does, at the schedule's time.

A one-time schedule ``at(yyyy-mm-ddThh:mm:ss)`` in its ``ScheduleExpressionTimezone`` runs its
target once at that time (EventBridge Scheduler User Guide, "Schedule types on EventBridge
Scheduler": one-time schedules). The templated EventBridge target puts one event on the bus
its ``Arn`` names, with ``EventBridgeParameters.DetailType`` and ``Source`` and the target's
``Input`` as the detail ("Using templated targets": EventBridge PutEvents). With
``ActionAfterCompletion=DELETE`` the schedule is deleted once it has run (CreateSchedule). A
schedule deleted or disabled before its time does not run. Recurring (``rate``/``cron``)
schedules are not run here.

Time is the sandbox's: the wait until the schedule's time is scaled like every simulated
delay. At time scale 0 nothing waits, but order is kept: a schedule runs when the sandbox's
bus is otherwise quiet, the earliest first (``run_next``: virtual time jumps to it), so a
60-minute deadline still comes after the 3-minute build it watches. Whether Scheduler checks the
execution role when the schedule is created or only when it runs is not documented; the
stand-in does not check it (the IAM tests check the role's trust and permission).
"""

from __future__ import annotations

import heapq
import itertools
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from moto.events.models import events_backends
from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_state: dict[str, Any] = {"installed": False, "time_scale": 0.0, "timers": []}
#: Time scale 0: the schedules waiting for the bus to be quiet, earliest first.
_waiting: list[tuple[datetime, int, EventBridgeSchedulerBackend, str, str]] = []
_order = itertools.count()
#: What ran, oldest first: (schedule ARN, detail-type), for tests and the transcript.
RAN: list[tuple[str, str]] = []


def install(time_scale: float = 0.0) -> None:
    """Run one-time schedules at their (scaled) time; idempotent."""
    _state["time_scale"] = time_scale
    if _state["installed"]:
        return
    original = EventBridgeSchedulerBackend.create_schedule

    def create_schedule(self: EventBridgeSchedulerBackend, *args: Any, **kwargs: Any) -> Schedule:
        schedule = original(self, *args, **kwargs)
        _arm(self, schedule)
        return schedule

    EventBridgeSchedulerBackend.create_schedule = create_schedule  # type: ignore[method-assign]
    _state["installed"] = True


def reset() -> None:
    """Cancel the schedules waiting to run (a new sandbox run)."""
    for timer in _state["timers"]:
        timer.cancel()
    _state["timers"].clear()
    _waiting.clear()
    RAN.clear()


def run_next() -> bool:
    """Time scale 0: run the earliest waiting schedule; False when none waits."""
    while _waiting:
        _, _, backend, group, name = heapq.heappop(_waiting)
        found = backend.schedule_groups.get(group)
        if found is None or name not in found.schedules:
            continue  # deleted before its time
        _run(backend, group, name)
        return True
    return False


def when(schedule: Schedule) -> datetime | None:
    """The UTC time a one-time schedule runs at; None for a recurring one."""
    match = _AT.match(schedule.schedule_expression or "")
    if match is None:
        return None
    zone = ZoneInfo(schedule.schedule_expression_timezone or "UTC")
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)


def _arm(backend: EventBridgeSchedulerBackend, schedule: Schedule) -> None:
    at = when(schedule)
    if at is None:
        return
    if _state["time_scale"] <= 0:
        heapq.heappush(_waiting, (at, next(_order), backend, schedule.group_name, schedule.name))
        return
    delay = max(0.0, (at - datetime.now(UTC)).total_seconds()) * _state["time_scale"]
    if delay <= 0:
        _run(backend, schedule.group_name, schedule.name)
        return
    timer = threading.Timer(delay, _run, (backend, schedule.group_name, schedule.name))
    timer.daemon = True
    _state["timers"].append(timer)
    timer.start()


def _run(backend: EventBridgeSchedulerBackend, group: str, name: str) -> None:
    found = backend.schedule_groups.get(group)
    schedule = found.schedules.get(name) if found is not None else None
    if schedule is None or schedule.state != "ENABLED":
        return  # deleted or disabled before its time
    target = schedule.target
    parameters = target.get("EventBridgeParameters")
    if parameters is None:
        raise NotImplementedError(f"{schedule.arn}: only templated EventBridge targets run here")
    bus_arn = str(target["Arn"])
    account, region = bus_arn.split(":")[4], bus_arn.split(":")[3]
    results = events_backends[account][region].put_events(
        [
            {
                "Source": parameters["Source"],
                "DetailType": parameters["DetailType"],
                "Detail": target.get("Input") or json.dumps({}),
                "Resources": [],  # what Scheduler puts in ``resources`` is not documented
                "EventBusName": bus_arn,
            }
        ]
    )
    errors = [r for r in results if r.get("ErrorCode")]
    if errors:
        raise RuntimeError(f"the stand-in bus refused {schedule.arn}'s event: {errors}")
    RAN.append((schedule.arn, str(parameters["DetailType"])))
    if schedule.action_after_completion == "DELETE":
        found.delete_schedule(name)  # type: ignore[union-attr]
