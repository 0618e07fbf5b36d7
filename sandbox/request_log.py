"""What the load balancer stand-ins record of each request they answer, as an ALB's access
log does (ELB User Guide, "Access logs for your Application Load Balancer": the target
group, the status the target answered (``target_status_code``) and the load balancer sent
(``elb_status_code``), and ``target_processing_time``). CloudWatch metrics for both sides of
a cutover are computed from these records (``sandbox.metrics``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RequestRecord:
    """One request a load balancer stand-in answered."""

    at: datetime  # when the answer was sent (UTC)
    load_balancer_arn: str
    target_group_arn: str | None  # None: answered by the load balancer itself (a fixed 404)
    host: str
    path: str
    elb_status: int  # what the client got
    target_status: int | None  # what the target answered; None when no target answered
    target_seconds: float | None  # target processing time; None when no target answered


class RequestLog:
    """Every request of one sandbox run, appended from the stand-ins' server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self, since: datetime | None = None) -> list[RequestRecord]:
        """The records, oldest first (only those at or after ``since`` when given)."""
        with self._lock:
            return [r for r in self._records if since is None or r.at >= since]


#: The run's log: the stand-ins append to it, the metrics publisher reads it.
LOG = RequestLog()
