"""EventBridge Scheduler behind the ``Scheduler`` port: one-time schedules that put a domain
event on the bot's bus.

A schedule is ``at(yyyy-mm-ddThh:mm:ss)`` in UTC with the flexible time window off, and its
target is Scheduler's templated EventBridge ``PutEvents`` target: the bus ARN, the role
Scheduler assumes, ``EventBridgeParameters`` (the detail-type and the bot's source) and the
event's detail as ``Input`` (EventBridge Scheduler User Guide, "Schedule types" and "Using
templated targets"; CreateSchedule in the API Reference). ``ActionAfterCompletion=DELETE``
removes it once it has run, so nothing is left to clean up. Names are the caller's, unique per
purpose: a second CreateSchedule of a name is ``ConflictException``, which counts as done,
so a retried step never schedules twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals
from bot.events.models import SOURCE, DomainEvent


class EventBridgeScheduler:
    """Creates one-time schedules in the stack's schedule group."""

    def __init__(self, client: Any, *, group: str, bus_arn: str, role_arn: str) -> None:
        self._client = client
        self._group = group
        self._bus_arn = bus_arn
        self._role_arn = role_arn

    @translate_refusals
    def at(self, name: str, when: datetime, event: DomainEvent) -> None:
        """Put ``event`` on the bus at ``when``; an existing schedule of ``name`` is kept."""
        moment = when.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=f"at({moment.isoformat()})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self._bus_arn,
                    "RoleArn": self._role_arn,
                    "EventBridgeParameters": {"DetailType": event.detail_type, "Source": SOURCE},
                    "Input": event.model_dump_json(),
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConflictException":
                raise
