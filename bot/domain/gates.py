"""The alarms that gate a cutover, as plain data (pure).

While traffic is on the Express side, three CloudWatch alarms the bot creates for the
migration watch it against the legacy side, on the Application Load Balancer metrics both
load balancers publish (ELB User Guide, "CloudWatch metrics for your Application Load
Balancer": namespace ``AWS/ApplicationELB``, dimensions ``LoadBalancer`` and ``TargetGroup``
as the final portions of their ARNs):

- **5xx rate**: the Express target group's 5xx share of its requests, in percentage points
  above the legacy target group's, in any one of the last three minutes (metric math with
  ``FILL``; "Using metric math": missing values count as 0, so a minute without Express
  requests does not breach);
- **p99 latency**: the Express target group's p99 ``TargetResponseTime`` more than a second
  above the legacy one's, in two of the last three minutes;
- **unhealthy hosts**: any ``UnHealthyHostCount`` in the Express target group, two minutes
  running.

A breach puts all traffic back on EC2 at once and the thread says which alarm and why.

The two metric-math alarms are M out of N with N one more than M. "Using metric math" warns,
under ``FILL``, that with metrics published "with a slight delay" the newest datapoint is
always the FILL value, "which can result in the alarm being stuck", and gives an M out of N
alarm as the way round it: the minute that was late is still in the window once it arrives.
(ALBs report their metrics per minute; how late is not documented.)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

NAMESPACE = "AWS/ApplicationELB"
ALARM_PREFIX = "migrate-bot-"
#: Percentage points of 5xx above the legacy side that breach.
RATE_POINTS = 5.0
#: Seconds of p99 above the legacy side that breach.
LATENCY_SECONDS = 1.0


class Side(BaseModel):
    """One side's load balancer and target group, as ARNs."""

    load_balancer_arn: str
    target_group_arn: str

    def dimensions(self) -> list[dict[str, str]]:
        """``LoadBalancer`` and ``TargetGroup``: the final portions of the ARNs."""
        balancer = self.load_balancer_arn.split(":loadbalancer/", 1)[1]
        group = "targetgroup/" + self.target_group_arn.split(":targetgroup/", 1)[1]
        return [
            {"Name": "LoadBalancer", "Value": balancer},
            {"Name": "TargetGroup", "Value": group},
        ]


def alarm_names(migration_id: str) -> list[str]:
    """The names of a migration's alarms."""
    return [f"{ALARM_PREFIX}{migration_id}-{kind}" for kind in ("5xx", "latency", "unhealthy")]


def migration_of(alarm_name: str) -> str | None:
    """The migration an alarm of the bot's belongs to; None for anyone else's alarm."""
    for kind in ("-5xx", "-latency", "-unhealthy"):
        if alarm_name.startswith(ALARM_PREFIX) and alarm_name.endswith(kind):
            return alarm_name[len(ALARM_PREFIX) : -len(kind)] or None
    return None


def _metric(identifier: str, side: Side, name: str, stat: str, label: str) -> dict[str, Any]:
    return {
        "Id": identifier,
        "Label": label,
        "ReturnData": False,
        "MetricStat": {
            "Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": side.dimensions()},
            "Period": 60,
            "Stat": stat,
        },
    }


def alarms(migration_id: str, express: Side, legacy: Side) -> list[dict[str, Any]]:
    """PutMetricAlarm requests for the migration's three alarms."""
    rate, latency, unhealthy = alarm_names(migration_id)
    common: dict[str, Any] = {
        "ActionsEnabled": False,  # the bot reacts to the state change event, not an action
        "TreatMissingData": "notBreaching",
        "ComparisonOperator": "GreaterThanThreshold",
    }
    return [
        {
            **common,
            "AlarmName": rate,
            "AlarmDescription": f"ECS 5xx rate more than {RATE_POINTS:g} points above EC2's",
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 1,
            "Threshold": RATE_POINTS,
            "Metrics": [
                _metric("e5", express, "HTTPCode_Target_5XX_Count", "Sum", "ECS 5xx"),
                _metric("er", express, "RequestCount", "Sum", "ECS requests"),
                _metric("l5", legacy, "HTTPCode_Target_5XX_Count", "Sum", "EC2 5xx"),
                _metric("lr", legacy, "RequestCount", "Sum", "EC2 requests"),
                {
                    "Id": "points",
                    "Label": "ECS 5xx % minus EC2 5xx %",
                    "Expression": "100*FILL(e5,0)/er - 100*FILL(l5,0)/FILL(lr,1)",
                    "ReturnData": True,
                },
            ],
        },
        {
            **common,
            "AlarmName": latency,
            "AlarmDescription": f"ECS p99 more than {LATENCY_SECONDS:g} s above EC2's",
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Threshold": LATENCY_SECONDS,
            "Metrics": [
                _metric("ep", express, "TargetResponseTime", "p99", "ECS p99"),
                _metric("lp", legacy, "TargetResponseTime", "p99", "EC2 p99"),
                {
                    "Id": "slower",
                    "Label": "ECS p99 minus EC2 p99",
                    "Expression": "ep - FILL(lp,0)",
                    "ReturnData": True,
                },
            ],
        },
        {
            **common,
            "AlarmName": unhealthy,
            "AlarmDescription": "Unhealthy tasks behind the Express load balancer",
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "Threshold": 0.0,
            "Namespace": NAMESPACE,
            "MetricName": "UnHealthyHostCount",
            "Dimensions": express.dimensions(),
            "Statistic": "Maximum",
            "Period": 60,
        },
    ]
