"""The cost estimate of each side (pure): the pinned prices, the parts and their sums."""

from __future__ import annotations

import pytest

from bot.domain.costs import (
    HOURS_PER_MONTH,
    PRICES,
    Volume,
    alb_share,
    ec2_side,
    fargate_side,
    volume_month,
)


def test_the_price_table_says_where_and_when_its_prices_come_from() -> None:
    assert PRICES.region == "us-east-1"
    assert PRICES.as_of.isoformat() == "2026-12-07"
    assert all(url.startswith("https://aws.amazon.com/") for url in PRICES.sources)
    # Fargate on Graviton costs less than on x86, per vCPU-hour and per GB-hour.
    assert PRICES.fargate_vcpu_hour["ARM64"] < PRICES.fargate_vcpu_hour["X86_64"]
    assert PRICES.fargate_gb_hour["ARM64"] < PRICES.fargate_gb_hour["X86_64"]


def test_an_alb_share_is_its_hourly_charge_split_among_its_target_groups() -> None:
    assert alb_share(1) == pytest.approx(0.0225 * 730)  # 16.425
    assert alb_share(3) == pytest.approx(0.0225 * 730 / 3)
    assert alb_share(0) == alb_share(1)  # never a division by zero


def test_volumes_cost_their_storage_and_what_gp3_and_io_add() -> None:
    assert volume_month(Volume(volume_id="v", volume_type="gp3", size_gb=20)) == pytest.approx(1.6)
    assert volume_month(Volume(volume_id="v", volume_type="gp2", size_gb=8)) == pytest.approx(0.8)
    # gp3 above its included 3,000 IOPS and 125 MB/s.
    gp3 = Volume(volume_id="v", volume_type="gp3", size_gb=100, iops=4000, throughput=250)
    assert volume_month(gp3) == pytest.approx(8 + 1000 * 0.005 + 125 * 0.04)
    io1 = Volume(volume_id="v", volume_type="io1", size_gb=10, iops=1000)
    assert volume_month(io1) == pytest.approx(1.25 + 65)
    assert volume_month(Volume(volume_id="v", volume_type="mystery", size_gb=1)) is None


def test_the_ec2_side_is_instance_volumes_and_alb_share() -> None:
    side = ec2_side(
        "t3.small", True, [Volume(volume_id="v", volume_type="gp3", size_gb=8)], target_groups=2
    )
    assert side.instance == pytest.approx(0.0208 * HOURS_PER_MONTH)  # 15.184
    assert side.volumes == pytest.approx(0.64)
    assert side.load_balancer == pytest.approx(16.425 / 2)
    assert side.total == pytest.approx(15.184 + 0.64 + 8.2125)


def test_a_stopped_instance_costs_its_volumes_and_alb_share_only() -> None:
    side = ec2_side("t3.small", False, [Volume(volume_id="v", volume_type="gp2", size_gb=8)], 1)
    assert side.instance == 0 and side.total == pytest.approx(0.8 + 16.425)


def test_an_unpriced_instance_type_is_said_not_guessed() -> None:
    side = ec2_side("x9z.metal", True, [], 1)
    assert side.instance is None and side.total is None
    assert side.unpriced == ["instance type x9z.metal"]


def test_fargate_is_vcpu_and_gb_hours_at_the_task_count_by_architecture() -> None:
    x86 = fargate_side("1024", "2048", "X86_64", tasks=2, target_groups=4)
    hourly = 1 * 0.04048 + 2 * 0.004445
    assert x86.compute == pytest.approx(hourly * 730 * 2)  # 2 tasks: 72.08
    assert x86.load_balancer == pytest.approx(16.425 / 4)
    assert x86.total == pytest.approx(x86.compute + x86.load_balancer)
    arm = fargate_side("512", "1024", "arm64", tasks=1, target_groups=1)
    assert arm.cpu_architecture == "ARM64"
    assert arm.compute == pytest.approx((0.5 * 0.03238 + 1 * 0.00356) * 730)
    assert (arm.vcpu, arm.memory_gb) == (0.5, 1.0)
