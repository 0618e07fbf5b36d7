"""CloudWatch, ELBv2 and EC2 reads behind a health report (the ``HealthReportAws`` port).

Per migration: one ``GetMetricData`` request for both sides (``health_report.report_queries``:
six queries, at most 24 datapoints each, paged with ``NextToken`` as
``aws_side_by_side.metric_points`` reads them), ``DescribeTargetHealth`` of the legacy target
group (the side-by-side adapter's read), ``DescribeInstances`` and ``DescribeVolumes`` (the
instance's type and state, its attached volumes: EC2 API Reference, filter
``attachment.instance-id``), and ``DescribeTargetGroups`` of each load balancer (how many
target groups share it). Every failure, after botocore's retries, becomes
``HealthReadError``: the report says what is not available and is posted all the same.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.adapters.aws_side_by_side import AwsSideBySide, metric_points
from bot.domain.costs import Volume
from bot.domain.gates import Side
from bot.domain.health_report import ReportWindow, SideSeries, report_queries, side_series
from bot.ports import HealthReadError, InstanceCosts, SideBySideReadError


class AwsHealth:
    """Reads both sides' hourly ALB metrics, the legacy targets' health and what the EC2
    side's cost rests on."""

    def __init__(self, cloudwatch: Any, elbv2: Any, ec2: Any) -> None:
        self._cloudwatch, self._elbv2, self._ec2 = cloudwatch, elbv2, ec2
        self._sides = AwsSideBySide(cloudwatch, elbv2)
        self.region = str(ec2.meta.region_name)

    def series(self, sides: dict[str, Side], window: ReportWindow) -> dict[str, SideSeries]:
        """Hourly requests and 5xx and the day's p95 of each side, in one request."""
        request: dict[str, Any] = {
            "MetricDataQueries": report_queries(sides),
            "StartTime": window.start,
            "EndTime": window.end,
            "ScanBy": "TimestampAscending",
        }
        points = metric_points(self._cloudwatch, request, HealthReadError)
        return {name: side_series(points, name, window) for name in sides}

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        """(healthy, unhealthy) targets of the group (DescribeTargetHealth)."""
        try:
            return self._sides.target_health(target_group_arn)
        except SideBySideReadError as error:
            raise HealthReadError(str(error)) from error

    def instance_costs(self, instance_id: str) -> InstanceCosts:
        """The instance's type and state, and the volumes attached to it."""
        try:
            reservations = self._ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
            instances = [i for r in reservations for i in r.get("Instances", [])]
            if not instances:
                raise HealthReadError(f"DescribeInstances found no {instance_id}")
            instance = instances[0]
            volumes: list[Volume] = []
            request: dict[str, Any] = {
                "Filters": [{"Name": "attachment.instance-id", "Values": [instance_id]}]
            }
            while True:
                page = self._ec2.describe_volumes(**request)
                volumes += [
                    Volume(
                        volume_id=v["VolumeId"],
                        volume_type=v.get("VolumeType", "standard"),
                        size_gb=int(v.get("Size", 0)),
                        iops=v.get("Iops"),
                        throughput=v.get("Throughput"),
                    )
                    for v in page.get("Volumes", [])
                ]
                if not page.get("NextToken"):
                    break
                request["NextToken"] = page["NextToken"]
        except (ClientError, BotoCoreError) as error:
            raise HealthReadError(f"reading {instance_id} failed: {error}") from error
        return InstanceCosts(
            instance_type=str(instance.get("InstanceType", "")),
            state=str(instance.get("State", {}).get("Name", "")),
            volumes=volumes,
        )

    def target_groups_on(self, load_balancer_arn: str) -> int:
        """How many target groups the load balancer serves (DescribeTargetGroups)."""
        try:
            paginator = self._elbv2.get_paginator("describe_target_groups")
            return sum(
                len(page.get("TargetGroups", []))
                for page in paginator.paginate(LoadBalancerArn=load_balancer_arn)
            )
        except (ClientError, BotoCoreError) as error:
            raise HealthReadError(
                f"DescribeTargetGroups of {load_balancer_arn} failed: {error}"
            ) from error
