"""CloudWatch for the sandbox's load balancers: ALB metrics from the request log, and alarms.

**Publishing** (``AlbMetricsPublisher``) follows the ELB User Guide, "CloudWatch metrics for
your Application Load Balancer": namespace ``AWS/ApplicationELB``, one datapoint set per
60-second interval, nothing reported for an interval without requests or for a count that is
zero (the "Reporting criteria"). From each ``sandbox.request_log`` record (an access log's
fields):

- ``RequestCount`` (every request), ``HTTPCode_Target_{2,3,4,5}XX_Count`` (the target's status)
  and ``TargetResponseTime`` (``target_processing_time``, seconds, as raw values so that
  percentiles can be computed), each with ``LoadBalancer`` alone and ``LoadBalancer`` plus
  ``TargetGroup``;
- ``HTTPCode_ELB_4XX_Count`` / ``HTTPCode_ELB_5XX_Count`` (a status the load balancer made: no
  target answered, or it sent something other than the target's status) with ``LoadBalancer``
  alone (whether a fixed-response action's 404 counts there is not documented; it does here);
- ``HealthyHostCount`` / ``UnHealthyHostCount`` per target group from the caller's
  ``target_health`` callable, with ``LoadBalancer`` plus ``TargetGroup``, once a minute.

Which dimension sets each metric carries follows the metric model aws-cdk-lib generates its
``ApplicationELBMetrics`` from (the ``AvailabilityZone`` sets are left out: the stand-ins have
no zones). Dimension values are the final portions of the ARNs (``app/<name>/<id>``,
``targetgroup/<name>/<id>``), "Metric dimensions for Application Load Balancers".

**What moto 5.2.1 lacks, filled here.** moto stores alarms and datapoints but never evaluates
an alarm, and an alarm it creates starts ``OK`` where PutMetricAlarm documents
``INSUFFICIENT_DATA``. ``GetMetricStatistics`` ignores ``ExtendedStatistics`` (no percentile
comes back) and matches any datapoint whose dimensions *include* the requested ones, where
"CloudWatch treats each unique combination of dimensions as a separate metric" (the ALB
guide); ``GetMetricData`` with a percentile ``Stat`` fails with a TypeError. So
``AlarmEvaluator`` reads the alarms through the API (``DescribeAlarms``) and the datapoints
from moto's store (``period_statistic``: exact dimensions, Sum/Average/Minimum/Maximum/
SampleCount and ``pNN.NN``), evaluates them as the CloudWatch User Guide's "Using Amazon
CloudWatch alarms" describes (see ``decide``), writes the new state with ``SetAlarmState`` and
puts the "CloudWatch Alarm State Change" event on the default bus in the shape of "Alarm
events and EventBridge". Metric math alarms support ``+ - * / ^``, parentheses, numbers, ids
and ``FILL(m, number)``, with "Using metric math" semantics: a missing value counts as 0 and
a division by zero drops the datapoint. Alarm actions (SNS, Auto Scaling) are not run.

**Clocks.** Every timestamp is the caller's ``clock``; records carry the time their stand-in
stamped. A run on a simulated clock must stamp the records with that same clock.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import (
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    cloudwatch_backends,
)

from sandbox.aws_events import envelope
from sandbox.request_log import LOG, RequestLog, RequestRecord

NAMESPACE = "AWS/ApplicationELB"
MINUTE = timedelta(seconds=60)
_MAX_VALUES = 150  # Values per MetricDatum (PutMetricData API reference)
_MAX_DATUMS = 1000  # MetricDatum items per PutMetricData request (same reference)
_LOG = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Emit = Callable[[dict[str, Any]], None]
#: (load balancer ARN, target group ARN, healthy targets, unhealthy targets)
TargetHealth = Callable[[], Iterable[tuple[str, str, int, int]]]
Datum = dict[str, Any]


class UnsupportedAlarmError(Exception):
    """An alarm uses what the evaluator stand-in does not model; it is left as it is."""


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


def load_balancer_dimension(arn: str) -> str:
    """``app/<name>/<id>``: the final portion of a load balancer ARN."""
    return arn.split(":loadbalancer/", 1)[1]


def target_group_dimension(arn: str) -> str:
    """``targetgroup/<name>/<id>``: the final portion of a target group ARN."""
    return arn.rsplit(":", 1)[1]


def floor_to(at: datetime, period: timedelta) -> datetime:
    """The start of the period ``at`` falls in (UTC, aligned on the epoch)."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    seconds = int(period.total_seconds())
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, UTC)


# --- publishing ------------------------------------------------------------------------


def _dims(balancer: str, group: str | None = None) -> list[dict[str, str]]:
    dims = [{"Name": "LoadBalancer", "Value": load_balancer_dimension(balancer)}]
    if group is not None:
        dims.append({"Name": "TargetGroup", "Value": target_group_dimension(group)})
    return dims


def _count(name: str, value: int, dims: list[dict[str, str]], minute: datetime) -> list[Datum]:
    if value == 0:
        return []
    return [
        {
            "MetricName": name,
            "Dimensions": dims,
            "Timestamp": minute,
            "Value": float(value),
            "Unit": "Count",
        }
    ]


def _times(dims: list[dict[str, str]], minute: datetime, seconds: list[float]) -> list[Datum]:
    counts: dict[float, int] = defaultdict(int)
    for value in seconds:
        counts[value] += 1
    items = sorted(counts.items())
    return [
        {
            "MetricName": "TargetResponseTime",
            "Dimensions": dims,
            "Timestamp": minute,
            "Values": [v for v, _ in items[i : i + _MAX_VALUES]],
            "Counts": [float(c) for _, c in items[i : i + _MAX_VALUES]],
            "Unit": "Seconds",
        }
        for i in range(0, len(items), _MAX_VALUES)
    ]


def _elb_made(record: RequestRecord) -> bool:
    return record.target_status is None or record.target_status != record.elb_status


def minute_datums(minute: datetime, records: list[RequestRecord]) -> list[Datum]:
    """The ALB datapoints for one minute's requests (as published, before PutMetricData)."""
    datums: list[Datum] = []
    by_balancer: dict[str, list[RequestRecord]] = defaultdict(list)
    for record in records:
        by_balancer[record.load_balancer_arn].append(record)
    for balancer, answered in sorted(by_balancer.items()):
        scopes: list[tuple[list[dict[str, str]], list[RequestRecord]]] = [
            (_dims(balancer), answered)
        ]
        for group in sorted({r.target_group_arn for r in answered if r.target_group_arn}):
            scopes.append(
                (_dims(balancer, group), [r for r in answered if r.target_group_arn == group])
            )
        for dims, scoped in scopes:
            datums += _count("RequestCount", len(scoped), dims, minute)
            for klass in (2, 3, 4, 5):
                hits = sum(
                    1
                    for r in scoped
                    if r.target_status is not None and r.target_status // 100 == klass
                )
                datums += _count(f"HTTPCode_Target_{klass}XX_Count", hits, dims, minute)
            seconds = [r.target_seconds for r in scoped if r.target_seconds is not None]
            datums += _times(dims, minute, seconds)
        for klass in (4, 5):
            made = sum(1 for r in answered if _elb_made(r) and r.elb_status // 100 == klass)
            datums += _count(f"HTTPCode_ELB_{klass}XX_Count", made, _dims(balancer), minute)
    return datums


def health_datums(minute: datetime, samples: Iterable[tuple[str, str, int, int]]) -> list[Datum]:
    """HealthyHostCount and UnHealthyHostCount per target group (zeros included)."""
    datums: list[Datum] = []
    for balancer, group, healthy, unhealthy in samples:
        for name, value in (("HealthyHostCount", healthy), ("UnHealthyHostCount", unhealthy)):
            datums.append(
                {
                    "MetricName": name,
                    "Dimensions": _dims(balancer, group),
                    "Timestamp": minute,
                    "Value": float(value),
                    "Unit": "Count",
                }
            )
    return datums


class _Periodic:
    """A daemon thread running ``tick`` every ``interval`` real seconds until ``stop``."""

    flush_on_stop = False  # run ``tick`` once more on ``stop``

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        raise NotImplementedError

    def start(self, interval_seconds: float) -> _Periodic:
        """Run ``tick`` every ``interval_seconds`` from a daemon thread."""

        def run() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.tick()
                except Exception:  # noqa: BLE001 - said, and tried again at the next tick
                    _LOG.exception("%s: tick failed; trying again next time", type(self).__name__)

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (and, when ``flush_on_stop``, run ``tick`` a last time)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.flush_on_stop:
            self.tick()


class AlbMetricsPublisher(_Periodic):
    """Publishes each complete minute of the request log once, as an ALB does."""

    flush_on_stop = True  # the minutes completed since the last tick are published on stop

    def __init__(
        self,
        cloudwatch: Any,
        *,
        log: RequestLog = LOG,
        target_health: TargetHealth | None = None,
        clock: Clock = utc_now,
        since: datetime | None = None,
    ) -> None:
        super().__init__()
        self._cloudwatch, self._log, self._health, self._clock = (
            cloudwatch,
            log,
            target_health,
            clock,
        )
        self._since = floor_to(since or clock(), MINUTE)
        self._published: set[datetime] = set()
        self._health_published: set[datetime] = set()
        #: Every minute before this one is published: the log is read from here on.
        self._read_from: datetime | None = None
        self._lock = threading.Lock()

    def tick(self) -> None:
        self._publish(self._since, ticking=True)

    def publish_since(self, since: datetime) -> int:
        """Publish every complete minute from ``since`` not yet published; the datums put."""
        return self._publish(since, ticking=False)

    def _publish(self, since: datetime, *, ticking: bool) -> int:
        with self._lock:
            now_minute = floor_to(self._clock(), MINUTE)
            start = floor_to(since, MINUTE)
            # A tick reads the log from the first minute not yet published (not the whole
            # run's log each time).
            read_from = max(start, self._read_from or start) if ticking else start
            by_minute: dict[datetime, list[RequestRecord]] = defaultdict(list)
            for record in self._log.records(since=read_from):
                minute = floor_to(record.at, MINUTE)
                if minute < now_minute and minute not in self._published:
                    by_minute[minute].append(record)
            datums: list[Datum] = []
            for minute, records in sorted(by_minute.items()):
                datums += minute_datums(minute, records)
                self._published.add(minute)
            if ticking:
                self._read_from = max(now_minute, read_from)
            last = now_minute - MINUTE
            if self._health is not None and last >= start and last not in self._health_published:
                datums += health_datums(last, self._health())
                self._health_published.add(last)
            for i in range(0, len(datums), _MAX_DATUMS):
                self._cloudwatch.put_metric_data(
                    Namespace=NAMESPACE, MetricData=datums[i : i + _MAX_DATUMS]
                )
            return len(datums)


# --- statistics from moto's store -------------------------------------------------------

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _same_dimensions(datum: MetricDatumBase, dims: dict[str, str]) -> bool:
    return {(d.name, d.value) for d in datum.dimensions} == set(dims.items())


def statistic_of(datums: list[MetricDatumBase], stat: str) -> float | None:
    """One statistic over a period's datapoints (values and statistic sets), None if none."""
    values = [d.value for d in datums if isinstance(d, MetricDatum)]
    sets = [d for d in datums if isinstance(d, MetricAggregatedDatum)]
    count = len(values) + sum(s.sample_count for s in sets)
    if count == 0:
        return None
    if stat == "SampleCount":
        return float(count)
    total = sum(values) + sum(s.sum for s in sets)
    if stat == "Sum":
        return float(total)
    if stat == "Average":
        return float(total / count)
    if stat == "Minimum":
        return float(min([*values, *(s.min for s in sets)]))
    if stat == "Maximum":
        return float(max([*values, *(s.max for s in sets)]))
    if _PERCENTILE.match(stat):
        # Nearest rank over the raw values; statistic sets carry no distribution.
        if not values:
            return None
        ordered = sorted(values)
        rank = max(1, math.ceil(float(stat[1:]) / 100 * len(ordered)))
        return float(ordered[rank - 1])
    raise UnsupportedAlarmError(f"statistic {stat} is not modelled")


def period_statistic(
    account: str,
    region: str,
    *,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, str],
    stat: str,
    start: datetime,
    period: timedelta,
    unit: str | None = None,
    stored: Iterable[MetricDatumBase] | None = None,
) -> tuple[float | None, int]:
    """The statistic of one period [start, start + period) from moto's store (or from
    ``stored``, a part of it that holds the period), and its samples."""
    end = start + period
    if stored is None:
        stored = cloudwatch_backends[account][region].metric_data
    datums = [
        d
        for d in stored
        if d.namespace == namespace
        and d.name == metric_name
        and start <= _aware(d.timestamp) < end
        and _same_dimensions(d, dimensions)
        and (unit is None or d.unit == unit)
    ]
    samples = sum(1 for d in datums if isinstance(d, MetricDatum)) + int(
        sum(d.sample_count for d in datums if isinstance(d, MetricAggregatedDatum))
    )
    return statistic_of(datums, stat), samples


# --- metric math ------------------------------------------------------------------------

Series = dict[datetime, float]
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([a-z][A-Za-z0-9_]*)|([A-Z][A-Z0-9_]*)|(.))")


def evaluate_expression(expression: str, series: dict[str, Series], grid: list[datetime]) -> Series:
    """A metric math expression over the metrics' time series ("Using metric math")."""
    tokens = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _TOKEN.finditer(expression)]
    tokens = [t for t in tokens if any(t)]
    position = 0

    def peek() -> str | None:
        if position >= len(tokens):
            return None
        return next(t for t in tokens[position] if t)

    def take() -> tuple[str | None, str | None, str | None, str | None]:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def expect(symbol: str) -> None:
        if take()[3] != symbol:
            raise UnsupportedAlarmError(f"expected {symbol!r} in {expression!r}")

    def atom() -> Series | float:
        number, name, function, symbol = take()
        if number is not None:
            return float(number)
        if name is not None:
            if name not in series:
                raise UnsupportedAlarmError(f"unknown id {name!r} in {expression!r}")
            return dict(series[name])
        if function == "FILL":
            expect("(")
            filled = sum_()
            expect(",")
            value = sum_()
            expect(")")
            if not isinstance(filled, dict) or not isinstance(value, float):
                raise UnsupportedAlarmError(f"FILL(series, number) only, in {expression!r}")
            return {t: filled.get(t, value) for t in grid}
        if symbol == "(":
            inner = sum_()
            expect(")")
            return inner
        raise UnsupportedAlarmError(f"{function or symbol!r} is not modelled in {expression!r}")

    def power() -> Series | float:
        base = atom()
        if peek() == "^":
            take()
            return _combine(base, unary(), "^")
        return base

    def unary() -> Series | float:
        if peek() == "-":
            take()
            return _combine(-1.0, unary(), "*")
        return power()

    def product() -> Series | float:
        value = unary()
        while peek() in ("*", "/"):
            op = take()[3] or ""
            value = _combine(value, unary(), op)
        return value

    def sum_() -> Series | float:
        value = product()
        while peek() in ("+", "-"):
            op = take()[3] or ""
            value = _combine(value, product(), op)
        return value

    result = sum_()
    if position != len(tokens) or not isinstance(result, dict):
        raise UnsupportedAlarmError(f"{expression!r} is not a single time series")
    return result


def _apply(a: float, b: float, op: str) -> float | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return None if b == 0 else a / b
    return float(a**b)


def _combine(a: Series | float, b: Series | float, op: str) -> Series | float:
    if isinstance(a, float) and isinstance(b, float):
        value = _apply(a, b, op)
        if value is None:
            raise UnsupportedAlarmError("division of numbers by zero")
        return value
    keys = set(a) if isinstance(a, dict) else set()
    keys |= set(b) if isinstance(b, dict) else set()
    out: Series = {}
    for t in keys:
        x = a.get(t, 0.0) if isinstance(a, dict) else a
        y = b.get(t, 0.0) if isinstance(b, dict) else b
        value = _apply(x, y, op)
        if value is not None:
            out[t] = value
    return out


# --- alarm evaluation -------------------------------------------------------------------

_COMPARE: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}


@dataclass(frozen=True)
class Decision:
    """An evaluation's outcome: the state, and the real datapoints it looked at."""

    state: str  # OK, ALARM, INSUFFICIENT_DATA
    evaluated: tuple[tuple[datetime, float], ...]
    breaching: int


def decide(
    points: list[tuple[datetime, float | None]],
    breaches: Callable[[float], bool],
    *,
    evaluation_periods: int,
    datapoints_to_alarm: int,
    treat_missing: str,
    current: str,
) -> Decision:
    """The alarm state from the evaluation range's datapoints, oldest first (None: missing).

    CloudWatch User Guide, "Using Amazon CloudWatch alarms": with at least Evaluation Periods
    (N) real datapoints in the range, the N most recent are evaluated and missing data is not
    needed; with fewer, missing points are filled by the treatment (``breaching`` /
    ``notBreaching``) as few times as needed to make N, every real point in the range counting;
    ALARM when at least Datapoints to Alarm (M) breach, else OK. With no real datapoint:
    ``missing`` gives INSUFFICIENT_DATA and ``ignore`` keeps the state. With ``missing`` or
    ``ignore`` and some real points: ALARM when M breach, OK when any real point does not
    breach, else INSUFFICIENT_DATA (``missing``) or the current state (``ignore``). This
    reproduces the guide's two tables except one row (first table, ``X - - - -`` under
    ``missing``: ALARM there, INSUFFICIENT_DATA here), which conflicts with the row
    ``- - - - X`` under any rule that ignores a point's age.
    """
    real = [(t, v) for t, v in points if v is not None]
    n, m = evaluation_periods, datapoints_to_alarm
    if len(real) >= n:
        evaluated = real[-n:]
        hits = sum(1 for _, v in evaluated if breaches(v))
        return Decision("ALARM" if hits >= m else "OK", tuple(evaluated), hits)
    hits = sum(1 for _, v in real if breaches(v))
    if treat_missing in ("breaching", "notBreaching"):
        fills = n - len(real) if treat_missing == "breaching" else 0
        return Decision("ALARM" if hits + fills >= m else "OK", tuple(real), hits)
    if not real:
        return Decision("INSUFFICIENT_DATA" if treat_missing != "ignore" else current, (), 0)
    if hits >= m:
        return Decision("ALARM", tuple(real), hits)
    if hits < len(real):
        return Decision("OK", tuple(real), hits)
    return Decision(
        "INSUFFICIENT_DATA" if treat_missing != "ignore" else current, tuple(real), hits
    )


def _cw_time(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _reason(alarm: dict[str, Any], decision: Decision, previous: str, relation: str) -> str:
    n, m = alarm["EvaluationPeriods"], alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]
    if decision.state == "INSUFFICIENT_DATA":
        return (
            f"Insufficient Data: {_plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown."
        )
    if not decision.evaluated:
        kind = "Breaching" if decision.state == "ALARM" else "NonBreaching"
        return (
            f"Threshold Crossed: no datapoints were received for {_plural(n, 'period')} and "
            f"{_plural(n, 'missing datapoint')} {'was' if n == 1 else 'were'} treated as [{kind}]."
        )
    alarming = decision.state == "ALARM"
    shown = decision.evaluated[::-1]
    count = decision.breaching if alarming else len(decision.evaluated) - decision.breaching
    listed = ", ".join(f"{v!r} ({t:%d/%m/%y %H:%M:%S})" for t, v in shown)
    verb = "was" if count == 1 else "were"
    needed = m if alarming else n - m + 1
    return (
        f"Threshold Crossed: {count} out of the last {len(shown)} datapoints [{listed}] {verb} "
        f"{'' if alarming else 'not '}{relation} the threshold ({float(alarm['Threshold'])!r}) "
        f"(minimum {_plural(needed, 'datapoint')} for {previous} -> {decision.state} transition)."
    )


def _configuration(alarm: dict[str, Any]) -> dict[str, Any]:
    def metric_stat(metric: dict[str, Any], period: int, stat: str) -> dict[str, Any]:
        return {
            "metric": {
                "dimensions": {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
                "name": metric["MetricName"],
                "namespace": metric["Namespace"],
            },
            "period": period,
            "stat": stat,
        }

    if alarm.get("Metrics"):
        metrics = []
        for query in alarm["Metrics"]:
            entry: dict[str, Any] = {"id": query["Id"]}
            if "Expression" in query:
                entry["expression"] = query["Expression"]
            if query.get("Label"):
                entry["label"] = query["Label"]
            if "MetricStat" in query:
                ms = query["MetricStat"]
                entry["metricStat"] = metric_stat(ms["Metric"], int(ms["Period"]), ms["Stat"])
            entry["returnData"] = bool(query.get("ReturnData", True))
            metrics.append(entry)
    else:
        stat = alarm.get("ExtendedStatistic") or alarm["Statistic"]
        metric = {k: alarm[k] for k in ("MetricName", "Namespace")} | {
            "Dimensions": alarm.get("Dimensions")
        }
        identifier = str(uuid.uuid5(uuid.NAMESPACE_URL, alarm["AlarmArn"]))
        metrics = [
            {
                "id": identifier,
                "metricStat": metric_stat(metric, int(alarm["Period"]), stat),
                "returnData": True,
            }
        ]
    configuration: dict[str, Any] = {"metrics": metrics}
    if alarm.get("AlarmDescription"):
        configuration = {"description": alarm["AlarmDescription"], **configuration}
    return configuration


class AlbCloudWatch(_Periodic):
    """The ALBs' metrics and CloudWatch's alarm evaluation in one thread, in AWS's order.

    Each tick the ALBs publish every minute completed since the last (``AlbMetricsPublisher``),
    then CloudWatch evaluates the alarms at every minute begun since the last
    (``AlarmEvaluator.evaluate_each_minute``): an ALB reports each 60-second interval and
    CloudWatch evaluates a one-minute alarm each minute, so no period goes unpublished or
    unevaluated when the machine is busy. Two threads on the same interval raced instead:
    under load an alarm was evaluated before its minute was published, and a metric math
    ``FILL`` then made the unpublished minute a real, non-breaching datapoint (what the
    metric math guide warns of for metrics published late: the alarm stays OK).
    """

    def __init__(self, publisher: AlbMetricsPublisher, evaluator: AlarmEvaluator) -> None:
        super().__init__()
        self.publisher, self.evaluator = publisher, evaluator

    def tick(self) -> None:
        self.publisher.tick()
        self.evaluator.evaluate_each_minute()

    def stop(self) -> None:
        """Stop the thread, then publish the minutes completed since the last tick."""
        super().stop()
        self.publisher.tick()


@dataclass(frozen=True)
class Transition:
    """One alarm's state change, and the event emitted for it."""

    alarm_name: str
    previous: str
    state: str
    reason: str
    event: dict[str, Any]


class AlarmEvaluator(_Periodic):
    """Evaluates moto's metric alarms against the stored datapoints, as CloudWatch would.

    Alarms are read and states written through ``cloudwatch`` (DescribeAlarms, SetAlarmState);
    datapoints are read from moto's store for ``account``/``region``, so this runs in the
    process that runs moto (``mock_aws`` or the sandbox's ``ThreadedMotoServer``). Events go
    to ``emit`` (``sandbox.aws_bus.default_bus_emitter()`` puts them on the default bus). Only
    changes of state emit, as CloudWatch's do.
    """

    def __init__(
        self,
        cloudwatch: Any,
        emit: Emit,
        *,
        account: str,
        region: str,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__()
        self._cloudwatch, self._emit, self._clock = cloudwatch, emit, clock
        self.account, self.region = account, region
        #: Alarms the evaluator could not evaluate, with why (their state is left unchanged).
        self.problems: list[str] = []
        #: The newest minute ``evaluate_each_minute`` has evaluated at.
        self._evaluated: datetime | None = None

    def tick(self) -> None:
        self.evaluate_each_minute()

    def evaluate_each_minute(self, most: int = 10) -> list[Transition]:
        """Evaluate at every minute begun since the last call, oldest first (at most the last
        ``most``): CloudWatch evaluates a one-minute alarm every minute, so each period is
        once the newest one evaluated, however late this thread runs on a busy machine (at
        time scale 0.005 a simulated minute lasts 0.3 real seconds)."""
        now = self._clock()
        newest = floor_to(now, MINUTE)
        first = newest if self._evaluated is None else self._evaluated + MINUTE
        first = max(first, newest - MINUTE * (most - 1))
        transitions: list[Transition] = []
        at = first
        while at <= newest:
            transitions += self.evaluate(now if at == newest else at)
            at += MINUTE
        self._evaluated = max(newest, self._evaluated or newest)
        return transitions

    def evaluate(self, now: datetime | None = None) -> list[Transition]:
        """Evaluate every metric alarm once, as at ``now`` (default: the clock's now); change
        states and emit events for the changes."""
        now = now or self._clock()
        transitions = []
        for alarm in self._alarms():
            try:
                transition = self._evaluate(alarm, now)
            except UnsupportedAlarmError as error:
                problem = f"{alarm['AlarmName']}: {error}"
                _LOG.warning("alarm not evaluated: %s", problem)
                self.problems.append(problem)
                continue
            if transition is not None:
                transitions.append(transition)
        return transitions

    def _alarms(self) -> list[dict[str, Any]]:
        alarms: list[dict[str, Any]] = []
        request: dict[str, Any] = {"AlarmTypes": ["MetricAlarm"]}
        while True:
            page = self._cloudwatch.describe_alarms(**request)
            alarms.extend(page.get("MetricAlarms", []))
            if not page.get("NextToken"):
                return alarms
            request["NextToken"] = page["NextToken"]

    def _stored(self, start: datetime, end: datetime) -> list[MetricDatumBase]:
        """moto's datapoints stamped in [start, end): read once per alarm, not per period."""
        return [
            d
            for d in cloudwatch_backends[self.account][self.region].metric_data
            if start <= _aware(d.timestamp) < end
        ]

    def _series(
        self,
        query: dict[str, Any],
        grid: list[datetime],
        period: timedelta,
        stored: list[MetricDatumBase],
    ) -> tuple[Series, list[int]]:
        metric = query["Metric"]
        series: Series = {}
        samples = []
        for start in grid:
            value, count = period_statistic(
                self.account,
                self.region,
                namespace=metric["Namespace"],
                metric_name=metric["MetricName"],
                dimensions={d["Name"]: d["Value"] for d in metric.get("Dimensions") or []},
                stat=query["Stat"],
                start=start,
                period=period,
                unit=query.get("Unit"),
                stored=stored,
            )
            samples.append(count)
            if value is not None:
                series[start] = value
        return series, samples

    def _evaluate(self, alarm: dict[str, Any], now: datetime) -> Transition | None:
        if alarm.get("ThresholdMetricId") or alarm["ComparisonOperator"] not in _COMPARE:
            raise UnsupportedAlarmError("anomaly detection alarms are not modelled")
        relation, compare = _COMPARE[alarm["ComparisonOperator"]]
        n = int(alarm["EvaluationPeriods"])
        queries = alarm.get("Metrics") or []
        stats = [q for q in queries if "MetricStat" in q]
        if queries and not stats:
            raise UnsupportedAlarmError("a metric math alarm without a metric")
        seconds = int(stats[0]["MetricStat"]["Period"]) if queries else int(alarm["Period"])
        period = timedelta(seconds=seconds)
        # The evaluation range: more periods than N (the guide retrieves 5 for N = 3; the
        # exact number is not documented), complete periods only.
        end = floor_to(now, period)
        grid = [end - period * (n + 2 - i) for i in range(n + 2)]
        stored = self._stored(grid[0], end)
        if queries:
            series = {
                q["Id"]: self._series(q["MetricStat"], grid, period, stored)[0] for q in stats
            }
            returned = [q for q in queries if "Expression" in q and q.get("ReturnData", True)]
            if len(returned) != 1:
                raise UnsupportedAlarmError("a metric math alarm needs one returned expression")
            values = evaluate_expression(returned[0]["Expression"], series, grid)
            samples: list[int] = []
        else:
            stat = alarm.get("ExtendedStatistic") or alarm["Statistic"]
            query = {"Metric": alarm, "Stat": stat, "Unit": alarm.get("Unit")}
            values, samples = self._series(query, grid, period, stored)
            if self._too_few_samples(alarm, stat, samples):
                return None
        current = alarm["StateValue"]
        if current == "OK" and alarm.get("StateReason") == "Unchecked: Initial alarm creation":
            current = "INSUFFICIENT_DATA"  # moto starts alarms OK; PutMetricAlarm documents this
        threshold = float(alarm["Threshold"])
        decision = decide(
            [(t, values.get(t)) for t in grid],
            lambda v: compare(v, threshold),
            evaluation_periods=n,
            datapoints_to_alarm=int(alarm.get("DatapointsToAlarm") or n),
            treat_missing=alarm.get("TreatMissingData") or "missing",
            current=current,
        )
        if decision.state == current:
            return None
        return self._change(alarm, current, decision, relation, now, seconds)

    @staticmethod
    def _too_few_samples(alarm: dict[str, Any], stat: str, samples: list[int]) -> bool:
        """EvaluateLowSampleCountPercentile ``ignore``: too few samples for the percentile.

        The guide: below 10/(1-p) samples for p in [0.5, 1), below 10/p for p in (0, 0.5).
        """
        if not stat.startswith("p") or alarm.get("EvaluateLowSampleCountPercentile") != "ignore":
            return False
        p = float(stat[1:]) / 100
        if p >= 1 or p <= 0:
            return False
        needed = 10 / (1 - p) if p >= 0.5 else 10 / p
        return sum(samples) < needed

    def _change(
        self,
        alarm: dict[str, Any],
        previous: str,
        decision: Decision,
        relation: str,
        now: datetime,
        period: int,
    ) -> Transition:
        reason = _reason(alarm, decision, previous, relation)
        data: dict[str, Any] = {"version": "1.0", "queryDate": _cw_time(now)}
        if decision.evaluated:
            data["startDate"] = _cw_time(decision.evaluated[0][0])
        if not alarm.get("Metrics"):
            data["statistic"] = alarm.get("ExtendedStatistic") or alarm["Statistic"]
        data |= {
            "period": period,
            "recentDatapoints": [v for _, v in decision.evaluated],
            "threshold": float(alarm["Threshold"]),
            "evaluatedDatapoints": [
                {"timestamp": _cw_time(t), "value": v} for t, v in decision.evaluated[::-1]
            ],
        }
        reason_data = json.dumps(data, separators=(",", ":"))
        previous_state: dict[str, Any] = {"reason": alarm.get("StateReason", "")}
        if alarm.get("StateReasonData") not in (None, "", "{}"):
            previous_state["reasonData"] = alarm["StateReasonData"]
        previous_state |= {"timestamp": _cw_time(alarm["StateUpdatedTimestamp"]), "value": previous}
        self._cloudwatch.set_alarm_state(
            AlarmName=alarm["AlarmName"],
            StateValue=decision.state,
            StateReason=reason,
            StateReasonData=reason_data,
        )
        event = envelope(
            detail_type="CloudWatch Alarm State Change",
            source="aws.cloudwatch",
            account=self.account,
            region=self.region,
            resources=[alarm["AlarmArn"]],
            detail={
                "alarmName": alarm["AlarmName"],
                "configuration": _configuration(alarm),
                "previousState": previous_state,
                "state": {
                    "reason": reason,
                    "reasonData": reason_data,
                    "timestamp": _cw_time(now),
                    "value": decision.state,
                },
            },
            at=now,
        )
        self._emit(event)
        return Transition(alarm["AlarmName"], previous, decision.state, reason, event)
