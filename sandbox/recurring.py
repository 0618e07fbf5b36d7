"""EventBridge Scheduler's recurring (cron) schedules from ``template.yaml``, fired on demand.

moto stores a schedule and never invokes its target, and a scenario cannot wait until 09:00 on
a weekday; so a scenario *fires* a template schedule for a scheduled time it names, and the
stand-in does what Scheduler does at that time:

- **The schedule exists as deployed.** The template's ``AWS::Scheduler::Schedule`` is created
  in the AWS stand-in (CreateSchedule) with its properties, parameters at their (sandbox)
  values, ``!GetAtt``/``!Ref`` resolved to the local stack's bus, role and queue.
- **Only times the expression names.** A cron expression ``cron(minutes hours day-of-month
  month day-of-week year)`` is evaluated in the schedule's ``ScheduleExpressionTimezone``
  (EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler": cron-based
  schedules, time zones): numbers, names (``JAN``–``DEC``, ``SUN``–``SAT``; day-of-week 1–7
  is Sunday–Saturday), ``*``, ``?``, ranges, lists and ``/`` steps. A time it does not name
  is refused (``NotScheduledError``). ``L``, ``W``, ``#`` and rate expressions are not
  modelled (NotImplementedError), nor Scheduler's own daylight-saving rules for a local
  time that is skipped or repeated (zoneinfo's reading is used).
- **The target, templated.** The templated EventBridge target puts one event on the bus its
  ``Arn`` names with ``EventBridgeParameters.DetailType`` and ``Source`` and the target's
  ``Input`` as the detail ("Using templated targets"), in which Scheduler replaces
  ``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>`` (the time the run was
  due, UTC, e.g. ``2022-03-22T18:59:43Z``), ``<aws.scheduler.execution-id>`` and
  ``<aws.scheduler.attempt-number>`` ("Adding context attributes in EventBridge
  Scheduler"). What Scheduler puts in the event's ``resources`` is not documented: none.
- **Retries.** Firing the same scheduled time again is what a retried run is (Scheduler
  retries a run it could not deliver under the target's ``RetryPolicy``): the same
  scheduled time, attempt number 2 and up.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.template import Template

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199))


class NotScheduledError(ValueError):
    """The schedule's expression does not name that time."""


@dataclass(frozen=True)
class Fired:
    """One run of a recurring schedule, as the stand-in made it."""

    schedule_arn: str
    scheduled_time: datetime
    attempt: int
    detail: dict[str, Any]


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int] | None:
    """The values a cron field names; None for ``*`` or ``?`` (any)."""
    if field in ("*", "?"):
        return None
    if any(mark in field for mark in ("L", "W", "#")):
        raise NotImplementedError(f"cron field {field!r}: L, W and # are not modelled")
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, raw_step = part.split("/", 1)
            step = int(raw_step)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = names.get(a.upper()) or int(a), names.get(b.upper()) or int(b)
        else:
            start = names.get(part.upper()) or int(part)
            end = high if "/" in field else start
        out.update(range(start, end + 1, step))
    return out


def cron_fields(expression: str) -> list[set[int] | None]:
    """The six fields of ``cron(...)``, each as the values it names (None: any)."""
    if not (expression.startswith("cron(") and expression.endswith(")")):
        raise NotImplementedError(f"{expression!r}: only cron expressions are modelled")
    fields = expression[5:-1].split()
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: a cron expression has six fields")
    names = ({}, {}, {}, _MONTHS, _DAYS, {})
    return [
        _values(f, low, high, n) for f, (low, high), n in zip(fields, _BOUNDS, names, strict=True)
    ]


def names_time(expression: str, timezone: str, at: datetime) -> bool:
    """Whether the cron expression, read in ``timezone``, names the minute ``at``."""
    if at.second or at.microsecond:
        return False
    local = at.astimezone(ZoneInfo(timezone))
    weekday = local.isoweekday() % 7 + 1  # Sunday is 1
    actual = (local.minute, local.hour, local.day, local.month, weekday, local.year)
    return all(
        allowed is None or value in allowed
        for allowed, value in zip(cron_fields(expression), actual, strict=True)
    )


def next_time(expression: str, timezone: str, after: datetime) -> datetime:
    """The first time after ``after`` (UTC) the expression names."""
    at = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 366):
        if names_time(expression, timezone, at):
            return at
        at += timedelta(minutes=1)
    raise NotScheduledError(f"{expression} names no time within a year after {after}")


class RecurringSchedules:
    """The template's recurring schedules, created in the stand-in and fired on demand."""

    def __init__(self, template: Template, client: Any, account: str, region: str) -> None:
        self._template = template
        self._client = client  # a boto3 client factory for the AWS stand-in
        self._account, self._region = account, region
        self._attempts: dict[tuple[str, datetime], int] = {}
        self.fired: list[Fired] = []

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and "Ref" in value:
            return str(self._template.parameter_default(value["Ref"]))
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id = value["Fn::GetAtt"][0]
            kind = self._template.resources[logical_id]["Type"]
            if kind == "AWS::Events::EventBus":
                bus = self._template.custom_bus_name()
                return f"arn:aws:events:{self._region}:{self._account}:event-bus/{bus}"
            if kind == "AWS::IAM::Role":
                return self._client("iam").get_role(RoleName=f"migrate-bot-{logical_id}")["Role"][
                    "Arn"
                ]
            if kind == "AWS::SQS::Queue":
                return f"arn:aws:sqs:{self._region}:{self._account}:{logical_id}"
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        return value

    def ensure(self, logical_id: str) -> dict[str, Any]:
        """Create the template's schedule in the stand-in (once); return it as GetSchedule
        answers."""
        scheduler = self._client("scheduler")
        try:
            return dict(scheduler.get_schedule(Name=logical_id))
        except scheduler.exceptions.ResourceNotFoundException:
            pass
        props = self._resolve(self._template.resources[logical_id]["Properties"])
        scheduler.create_schedule(Name=logical_id, **props)
        return dict(scheduler.get_schedule(Name=logical_id))

    def fire(self, logical_id: str, scheduled_time: datetime) -> Fired:
        """Run the schedule as Scheduler does at ``scheduled_time`` (a time it names)."""
        schedule = self.ensure(logical_id)
        expression = schedule["ScheduleExpression"]
        timezone = schedule.get("ScheduleExpressionTimezone") or "UTC"
        due = scheduled_time.astimezone(UTC)
        if not names_time(expression, timezone, due):
            raise NotScheduledError(f"{expression} in {timezone} does not name {due:%c} UTC")
        attempt = self._attempts.get((logical_id, due), 0) + 1
        self._attempts[(logical_id, due)] = attempt
        target = schedule["Target"]
        text = str(target.get("Input") or "{}")
        for name, value in (
            ("schedule-arn", schedule["Arn"]),
            ("scheduled-time", due.strftime("%Y-%m-%dT%H:%M:%SZ")),
            ("execution-id", secrets.token_hex(8)),
            ("attempt-number", str(attempt)),
        ):
            text = text.replace(f"<aws.scheduler.{name}>", value)
        parameters = target["EventBridgeParameters"]
        answer = self._client("events").put_events(
            Entries=[
                {
                    "Source": parameters["Source"],
                    "DetailType": parameters["DetailType"],
                    "Detail": text,
                    "Resources": [],
                    "EventBusName": target["Arn"],
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"the stand-in bus refused {logical_id}'s event: {answer}")
        fired = Fired(schedule["Arn"], due, attempt, json.loads(text))
        self.fired.append(fired)
        return fired

    def next_time(self, logical_id: str, after: datetime) -> datetime:
        """The schedule's first run after ``after``."""
        schedule = self.ensure(logical_id)
        timezone = schedule.get("ScheduleExpressionTimezone") or "UTC"
        return next_time(schedule["ScheduleExpression"], timezone, after)
