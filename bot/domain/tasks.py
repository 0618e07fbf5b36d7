"""ECS tasks folded into the status card: running n of desired, and the last stop reason.

Pure rules over the newest stored state of each task. A task counts as running only while
its newest known ``lastStatus`` is ``RUNNING``; the last stop is the stopped task with the
latest ``stoppedAt`` (ECS's own timestamp, so delivery order does not matter).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pydantic import BaseModel, Field

RUNNING = "RUNNING"
STOPPED = "STOPPED"

#: The task statuses that can change what the card shows (the running count or the last
#: stop); a task leaving RUNNING always ends in STOPPED, which then corrects the count.
CARD_STATUSES: frozenset[str] = frozenset({RUNNING, STOPPED})


class TaskRecord(BaseModel):
    """The newest state seen for one ECS task."""

    task_arn: str = Field(description="ECS task ARN.")
    last_status: str = Field(description="The task's lastStatus in that state.")
    ecs_version: int = Field(description="detail.version of the ECS event (rises per change).")
    stop_code: str | None = Field(default=None, description="stopCode, once stopped.")
    stopped_reason: str | None = Field(default=None, description="stoppedReason, once stopped.")
    stopped_at: str | None = Field(
        default=None, description="stoppedAt as ECS writes it (ISO 8601, UTC, sortable)."
    )


class TaskSummary(BaseModel):
    """What the status card shows about the service's tasks."""

    running: int = Field(description="Tasks whose newest known status is RUNNING.")
    desired: int = Field(description="Tasks the service should run (its scaling minimum).")
    last_stop_code: str | None = Field(default=None, description="stopCode of the last stop.")
    last_stop_reason: str | None = Field(default=None, description="Why the last task stopped.")

    def key(self) -> str:
        """A compact fingerprint of what the card shows (stored beside the card's version)."""
        stop = stop_digest(self.last_stop_code, self.last_stop_reason) if self.stopped else "-"
        return f"{self.running}/{self.desired}/{stop}"

    @property
    def stopped(self) -> bool:
        """Whether any task of the service has stopped."""
        return self.last_stop_code is not None or self.last_stop_reason is not None


def summarize(records: Iterable[TaskRecord], desired: int) -> TaskSummary:
    """Fold the newest state of every task into the card's summary."""
    running = 0
    last: TaskRecord | None = None
    for record in records:
        if record.last_status == RUNNING:
            running += 1
        elif record.last_status == STOPPED and (
            last is None or _stop_order(record) > _stop_order(last)
        ):
            last = record
    return TaskSummary(
        running=running,
        desired=desired,
        last_stop_code=last.stop_code if last else None,
        last_stop_reason=(last.stopped_reason or "no reason given") if last else None,
    )


def stop_digest(stop_code: str | None, stopped_reason: str | None) -> str:
    """A short stable id of a stop reason (one thread reply per distinct reason)."""
    text = f"{stop_code or ''}\n{(stopped_reason or '').strip()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stop_order(record: TaskRecord) -> tuple[str, int, str]:
    return (record.stopped_at or "", record.ecs_version, record.task_arn)
