"""CloudWatch ``GetMetricData`` as AWS answers where moto 5.2.1 does not (installed by the
sandbox, and by the tests that read percentiles).

- **Percentile statistics.** A ``MetricStat`` whose ``Stat`` is a percentile (``p99``,
  ``p99.9``) is answered. "It can include any CloudWatch statistic or extended statistic"
  (CloudWatch API Reference, MetricStat, Stat); "CloudWatch needs raw data points to
  calculate percentile statistics. If you publish data using a statistic set instead, you
  can only retrieve percentile statistics for this data if one of the following conditions
  is true: The SampleCount value of the statistic set is 1. The Min and the Max values of
  the statistic set are equal. Percentile statistics are not available for metrics when any
  of the metric values are negative numbers" (API Reference, GetMetricStatistics). The value
  is the nearest rank over the period's raw values (``Values``/``Counts`` count each value
  that many times), as ``sandbox.metrics`` computes it for alarms, so the card and an alarm
  read the same p99 off the same datapoints. moto computes no percentile
  (``Statistics.get_statistics_for_type`` answers None) and then fails to serialise the
  answer (TypeError). Sum, Average, Minimum, Maximum and SampleCount are moto's own.
- **StartTime is rounded down to the whole minute** ("Start time less than 15 days ago -
  Round down to the nearest whole minute", GetMetricData, StartTime); moto starts its
  periods at the second given. A period starting before ``EndTime`` (exclusive) is returned.
- **A metric is its namespace, name and exact set of dimensions** ("CloudWatch treats each
  unique combination of dimensions as a separate metric", ELB User Guide, "CloudWatch metrics
  for your Application Load Balancer"); moto drops the namespace once dimensions are given
  and compares dimension lists with an order-dependent sort.
- **Two clocks.** In a sandbox run CloudWatch keeps the run's scaled time
  (``sandbox.live_traffic.ScaledClock``) while the bot reads the wall clock. A request's
  ``StartTime`` and ``EndTime``, instants on the caller's clock, are mapped onto CloudWatch's
  (the mapping is affine: a real second is worth ``1/scale`` simulated ones), its periods
  keep their number and stretch over the mapped span (whole minutes), and the answer's
  timestamps are mapped back. At time scale 0, or with no clock installed: no mapping.

Metric math is left to moto's own (``parse_expression``); a request with a Metrics Insights
query goes to moto as it is (its times mapped).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from moto.cloudwatch.exceptions import ValidationError
from moto.cloudwatch.metric_data_expression_parser import parse_expression
from moto.cloudwatch.models import (
    CloudWatchBackend,
    MetricAggregatedDatum,
    MetricDatum,
    MetricDatumBase,
    Statistics,
)

if TYPE_CHECKING:
    from sandbox.live_traffic import ScaledClock

_PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,2})?|100)$")
_MINUTE = 60
_state: dict[str, Any] = {"installed": False, "clock": None}


def install(clock: ScaledClock | None = None) -> None:
    """Patch moto's GetMetricData (idempotent); map requests onto ``clock``'s time when it
    runs scaled (a sandbox run's CloudWatch clock), else read times as given."""
    _state["clock"] = clock if clock is not None and clock.scale > 0 else None
    if _state["installed"]:
        return
    original: Callable[..., list[dict[str, Any]]] = CloudWatchBackend.get_metric_data

    def get_metric_data(
        self: CloudWatchBackend,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        if any(str(q.get("Expression", "")).startswith("SELECT") for q in queries):
            to_cw, _ = _mapping()
            return original(self, queries, to_cw(start_time), to_cw(end_time), scan_by)
        return _answer(self, queries, start_time, end_time, scan_by)

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    _state["installed"] = True


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _mapping() -> tuple[Callable[[datetime], datetime], Callable[[datetime], datetime]]:
    """(caller's instant → CloudWatch's, and back) for this request."""
    clock: ScaledClock | None = _state["clock"]
    if clock is None:
        return _aware, _aware
    simulated, real = clock.now(), datetime.now(UTC)

    def to_cw(at: datetime) -> datetime:
        return simulated - (real - _aware(at)) / clock.scale

    def from_cw(at: datetime) -> datetime:
        return real - (simulated - _aware(at)) * clock.scale

    return to_cw, from_cw


def _round_down(at: datetime, seconds: int) -> datetime:
    step = min(seconds, _MINUTE)  # a whole minute; 5, 10, 20 or 30 s for high resolution
    return datetime.fromtimestamp(int(at.timestamp()) // step * step, UTC)


def percentile(datums: list[MetricDatumBase], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank) of the raw values; None when not available."""
    values = [d.value for d in datums if isinstance(d, MetricDatum)]
    for stats in (d for d in datums if isinstance(d, MetricAggregatedDatum)):
        if stats.sample_count != 1 and stats.min != stats.max:
            return None  # a statistic set keeps no distribution
        values += [stats.min] * int(stats.sample_count)
    if not values or any(v < 0 for v in values):
        return None
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1])


def _statistic(datums: list[MetricDatumBase], stat: str, at: datetime) -> float | None:
    if _PERCENTILE.match(stat):
        return percentile(datums, float(stat[1:]))
    statistics = Statistics([stat], at)
    statistics.metric_data = datums
    value = statistics.get_statistics_for_type(stat)
    return None if value is None else float(value)


def _matches(datum: MetricDatumBase, metric: dict[str, Any], unit: str | None) -> bool:
    dimensions = {(d["Name"], d["Value"]) for d in metric.get("Dimensions") or []}
    return (
        datum.namespace == metric["Namespace"]
        and datum.name == metric["MetricName"]
        and {(d.name, d.value) for d in datum.dimensions} == dimensions
        and (unit is None or datum.unit == unit)
    )


def _answer(
    backend: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str,
) -> list[dict[str, Any]]:
    start_time, end_time = _aware(start_time), _aware(end_time)
    if start_time > end_time:
        raise ValidationError("The parameter EndTime must be greater than StartTime.")
    if start_time == end_time:
        raise ValidationError("The parameter StartTime must not equal parameter EndTime.")
    to_cw, from_cw = _mapping()
    start, end = to_cw(start_time), to_cw(end_time)
    stats = [q for q in queries if "MetricStat" in q]
    stored = backend.get_all_metrics()
    results = []
    for query in stats:
        metric_stat = query["MetricStat"]
        asked = int(metric_stat["Period"])
        count = max(
            1, math.ceil((end_time - _round_down(start_time, asked)).total_seconds() / asked)
        )
        first = _round_down(start, asked)
        span = (end - first).total_seconds()
        period = asked
        if _state["clock"] is not None:  # the request's periods, stretched over the mapped span
            period = max(_MINUTE, math.ceil(span / count / _MINUTE) * _MINUTE)
        step = timedelta(seconds=period)
        data = [
            d
            for d in stored
            if first <= _aware(d.timestamp) < end
            and _matches(d, metric_stat["Metric"], metric_stat.get("Unit"))
        ]
        values: list[float] = []
        stamps: list[datetime] = []
        at = first
        while at < end:
            inside = [d for d in data if at <= _aware(d.timestamp) < at + step]
            value = _statistic(inside, metric_stat["Stat"], at) if inside else None
            if value is not None:
                values.append(value)
                stamps.append(from_cw(at))
            at += step
        results.append(
            {
                "id": query["Id"],
                "label": query.get("Label")
                or f"{metric_stat['Metric']['MetricName']} {metric_stat['Stat']}",
                "values": values,
                "timestamps": stamps,
                "status_code": "Complete",
                "return": query.get("ReturnData", True),
            }
        )
    for query in (q for q in queries if "Expression" in q):
        found, when = parse_expression(query["Expression"], results)
        results.append(
            {
                "id": query["Id"],
                "label": query.get("Label") or query["Id"],
                "values": [float(v) for v in found],
                "timestamps": list(when),
                "status_code": "Complete",
                "return": query.get("ReturnData", True),
            }
        )
    answer = []
    for result in results:
        if not result.pop("return"):
            continue
        if scan_by == "TimestampDescending":
            result["values"], result["timestamps"] = (
                result["values"][::-1],
                result["timestamps"][::-1],
            )
        answer.append(result)
    return answer
