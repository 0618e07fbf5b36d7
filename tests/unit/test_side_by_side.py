"""Both sides side by side: the window, the request, the figures and the card's block (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.gates import NAMESPACE, Side
from bot.domain.migration import Migration, traffic_shifted
from bot.domain.side_by_side import SideBySide, SideFigures, figures, metric_queries, window
from bot.domain.state import Stage
from bot.domain.tasks import TaskSummary
from bot.slack.blocks import render_status_card
from bot.slack.side_by_side import side_by_side_block

T0 = datetime(2026, 11, 25, 9, 3, 27, 250000, tzinfo=UTC)
LEGACY = Side(
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/blog-alb/50dc",
    target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blog-tg/73e2",
)
EXPRESS = Side(
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:1:"
    "loadbalancer/app/ecs-express-gateway-alb-1a2b/9f",
    target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/ecs-gateway-tg-0a1b/8e",
)


def _migration(stage: Stage = Stage.CUTTING_OVER, **changes: Any) -> Migration:
    values: dict[str, Any] = {
        "migration_id": "mig-0000abcd",
        "stage": stage,
        "target": "secure-blog",
        "channel_id": "C1",
        "requested_by": "U1",
        "created_at": T0,
        "updated_at": T0,
        "weight": 50,
    }
    return Migration(**{**values, **changes})


def _taken(**changes: Any) -> SideBySide:
    values: dict[str, Any] = {
        "weight": 50,
        "moment": "baked",
        "start": T0,
        "end": T0 + timedelta(minutes=10, seconds=2),
        "legacy": SideFigures(requests=5400, errors_5xx=0, p99_seconds=0.0123),
        "express": SideFigures(requests=5350, errors_5xx=27, p99_seconds=1.5),
        "legacy_healthy": 2,
        "legacy_unhealthy": 1,
    }
    return SideBySide(**{**values, **changes})


# --- the window and the request ---------------------------------------------------------------


def test_the_window_is_one_period_of_whole_minutes_from_the_shifts_minute() -> None:
    span = window(T0, T0 + timedelta(minutes=10, seconds=1))
    # From 09:03:00 (CloudWatch rounds StartTime down) to 09:13:28.25: 11 whole minutes.
    assert span.start == T0
    assert span.period == 660
    assert span.end == datetime(2026, 11, 25, 9, 14, tzinfo=UTC)


def test_a_window_shorter_than_a_minute_is_one_minute() -> None:
    span = window(T0, T0)
    assert span.period == 60 and span.end == datetime(2026, 11, 25, 9, 4, tzinfo=UTC)


def test_the_request_asks_requests_5xx_and_p99_of_each_side_by_their_dimensions() -> None:
    queries = metric_queries({"legacy": LEGACY, "express": EXPRESS}, 660)
    asked = {
        q["Id"]: (q["MetricStat"]["Metric"]["MetricName"], q["MetricStat"]["Stat"]) for q in queries
    }
    assert asked == {
        "legacy_requests": ("RequestCount", "Sum"),
        "legacy_errors": ("HTTPCode_Target_5XX_Count", "Sum"),
        "legacy_p99": ("TargetResponseTime", "p99"),
        "express_requests": ("RequestCount", "Sum"),
        "express_errors": ("HTTPCode_Target_5XX_Count", "Sum"),
        "express_p99": ("TargetResponseTime", "p99"),
    }
    assert {q["MetricStat"]["Period"] for q in queries} == {660}
    assert {q["MetricStat"]["Metric"]["Namespace"] for q in queries} == {NAMESPACE}
    express = next(q for q in queries if q["Id"] == "express_p99")
    assert express["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/ecs-express-gateway-alb-1a2b/9f"},
        {"Name": "TargetGroup", "Value": "targetgroup/ecs-gateway-tg-0a1b/8e"},
    ]


def test_figures_add_counts_up_take_the_highest_p99_and_read_no_datapoint_as_none() -> None:
    values = {
        "legacy_requests": [4000.0, 1400.0],
        "legacy_errors": [2.0],
        "legacy_p99": [0.012, 0.02],
    }
    assert figures(values, "legacy") == SideFigures(requests=5400, errors_5xx=2, p99_seconds=0.02)
    # An ALB reports nothing for an interval without requests, and no zero count.
    assert figures(values, "express") == SideFigures(requests=0, errors_5xx=0, p99_seconds=None)


def test_the_error_share_is_a_percentage_of_requests_and_none_without_requests() -> None:
    assert SideFigures(requests=400, errors_5xx=3).error_percent == pytest.approx(0.75)
    assert SideFigures(requests=0, errors_5xx=0).error_percent is None


# --- the snapshot model ----------------------------------------------------------------------


def test_a_shift_records_when_the_step_took_effect() -> None:
    cutting = _migration(weight=10, requested_weight=50)
    shifted = traffic_shifted(cutting, 50, T0, timedelta(minutes=10))
    assert shifted is not None and shifted.shifted_at == T0
    assert shifted.bake_ends_at == T0 + timedelta(minutes=10)


def test_the_snapshot_round_trips_on_the_migration_as_stored() -> None:
    stored = _migration(side_by_side=_taken(express=None, legacy_healthy=None))
    again = Migration.model_validate_json(stored.model_dump_json())
    assert again.side_by_side == stored.side_by_side
    assert again.side_by_side is not None and again.side_by_side.express is None


def test_a_snapshot_names_what_took_it() -> None:
    with pytest.raises(ValueError):
        _taken(moment="poll")


# --- the card's block -------------------------------------------------------------------------


def _lines(block: dict[str, Any]) -> list[str]:
    return [block["text"]["text"], *(f["text"] for f in block["fields"])]


def test_the_card_shows_ec2_and_ecs_in_two_columns_with_the_figures() -> None:
    migration = _migration(side_by_side=_taken())
    block = side_by_side_block(migration, TaskSummary(running=2, desired=2))
    assert block is not None and block["type"] == "section"
    assert _lines(block) == [
        "*Side by side* over the 50% step, 09:03–09:13 UTC (when it had baked)",
        "*EC2*\ntargets 2 healthy · 1 unhealthy\n5,400 requests · 0 5xx (0.0 %)\np99 12 ms",
        "*ECS*\ntasks 2 of 2 running\n5,350 requests · 27 5xx (0.5 %)\np99 1.50 s",
    ]


def test_the_card_says_not_available_for_what_could_not_be_read() -> None:
    taken = _taken(
        moment="rollback",
        legacy=None,
        express=SideFigures(requests=0, errors_5xx=0),
        legacy_healthy=None,
        legacy_unhealthy=None,
    )
    block = side_by_side_block(_migration(Stage.ROLLED_BACK, weight=0, side_by_side=taken), None)
    assert block is not None
    heading, ec2, ecs = _lines(block)
    assert heading.endswith("(when the bot rolled back)") and "over the 50% step" in heading
    assert ec2 == "*EC2*\ntargets not available\nrequests, 5xx, p99 not available"
    assert ecs == "*ECS*\ntasks not available\n0 requests · 0 5xx\np99 –"


@pytest.mark.parametrize(
    "stage", [Stage.CUTTING_OVER, Stage.CUT_OVER, Stage.ROLLING_BACK, Stage.ROLLED_BACK]
)
def test_the_block_is_on_the_card_while_traffic_is_or_was_split(stage: Stage) -> None:
    _, blocks = render_status_card(_migration(stage, side_by_side=_taken()))
    assert any(b.get("text", {}).get("text", "").startswith("*Side by side*") for b in blocks)


@pytest.mark.parametrize("stage", [Stage.HEALTHY, Stage.FAILED, Stage.CLEANED_UP])
def test_the_block_is_not_on_the_card_in_other_stages(stage: Stage) -> None:
    assert side_by_side_block(_migration(stage, side_by_side=_taken()), None) is None


def test_without_a_snapshot_a_baking_step_says_when_the_figures_come() -> None:
    baking = _migration(weight=10, bake_ends_at=T0 + timedelta(minutes=10))
    block = side_by_side_block(baking, None)
    assert block == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "EC2 | ECS side by side once the 10% step has baked."}
        ],
    }
    assert side_by_side_block(_migration(Stage.ROLLED_BACK, weight=0), None) is None
