"""CloudWatch and ELBv2 reads behind the side-by-side figures (the ``SideBySideAws`` port).

Both sides' metrics come from one ``GetMetricData`` request (a page holds up to 100,800
datapoints, API Reference, GetMetricData; this one asks for one per query, so ``NextToken``
is followed only for correctness). Target health is ``DescribeTargetHealth`` of the legacy
target group. Any failure of either read, after botocore's standard retries, becomes
``SideBySideReadError``: the figures inform, and a step never fails for want of them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.domain.gates import Side
from bot.domain.side_by_side import SideFigures, Window, figures, metric_queries
from bot.ports import SideBySideReadError

#: GetMetricData result status codes that mean the values cannot be trusted (MetricDataResult,
#: StatusCode: Complete | InternalError | PartialData | Forbidden; PartialData pages on).
_FAILED = frozenset({"InternalError", "Forbidden"})


def metric_points(
    cloudwatch: Any, request: dict[str, Any], error: type[Exception]
) -> dict[str, list[tuple[datetime, float]]]:
    """Every page of one GetMetricData request: (timestamp, value) pairs by query id.

    A result whose ``StatusCode`` says its values cannot be trusted, or a failed call (after
    botocore's retries), raises ``error`` naming the call and why.
    """
    request = dict(request)
    points: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    try:
        while True:
            page = cloudwatch.get_metric_data(**request)
            for result in page.get("MetricDataResults", []):
                status = result.get("StatusCode")
                if status in _FAILED:
                    said = "; ".join(m.get("Value", "") for m in result.get("Messages", []))
                    raise error(
                        f"GetMetricData answered {status} for {result.get('Id')}"
                        + (f": {said}" if said else "")
                    )
                points[str(result["Id"])].extend(
                    zip(
                        result.get("Timestamps", []),
                        map(float, result.get("Values", [])),
                        strict=True,  # GetMetricData pairs them index by index
                    )
                )
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    except (ClientError, BotoCoreError) as failed:
        raise error(f"GetMetricData failed: {failed}") from failed
    return points


class AwsSideBySide:
    """Reads both sides' ALB metrics (CloudWatch) and the legacy targets' health (ELBv2)."""

    def __init__(self, cloudwatch: Any, elbv2: Any) -> None:
        self._cloudwatch, self._elbv2 = cloudwatch, elbv2

    def side_metrics(self, sides: dict[str, Side], span: Window) -> dict[str, SideFigures]:
        """Requests, 5xx and p99 of each side over ``span``, in one GetMetricData request."""
        request: dict[str, Any] = {
            "MetricDataQueries": metric_queries(sides, span.period),
            "StartTime": span.start,
            "EndTime": span.end,
            "ScanBy": "TimestampAscending",
        }
        points = metric_points(self._cloudwatch, request, SideBySideReadError)
        values = {query: [value for _, value in pairs] for query, pairs in points.items()}
        return {name: figures(values, name) for name in sides}

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        """(healthy, unhealthy) targets of the group, as DescribeTargetHealth reports them."""
        try:
            described = self._elbv2.describe_target_health(TargetGroupArn=target_group_arn)
        except (ClientError, BotoCoreError) as error:
            raise SideBySideReadError(
                f"DescribeTargetHealth of {target_group_arn} failed: {error}"
            ) from error
        states = [
            d.get("TargetHealth", {}).get("State")
            for d in described.get("TargetHealthDescriptions", [])
        ]
        return states.count("healthy"), states.count("unhealthy")
