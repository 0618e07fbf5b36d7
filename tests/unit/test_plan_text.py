"""The plan card as text: every line a person reads, blockers with their way out, no escapes."""

from __future__ import annotations

from typing import Any

from bot.domain.plan import Plan
from bot.slack.plan_text import not_migrated, render_plan_text


def _plan(**changes: Any) -> Plan:
    fields: dict[str, Any] = {
        "instance_id": "i-0123456789abcdef0",
        "instance_type": "m5.xlarge",
        "architecture": "x86_64",
        "runs_on": "x86_64: the image is built for linux/amd64 and tasks run on X86_64",
        "name": "shop",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "placement": "tasks in private subnets subnet-1, subnet-2",
        "security_group_ids": ["sg-1"],
        "port": 8080,
        "health_check_path": "/healthz",
        "load_balancer_arn": "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/x/1",
        "load_balancer_dns": "internal-x.us-east-1.elb.amazonaws.com",
        "load_balancer_scheme": "internal",
        "record_name": "shop.example.com.",
        "cpu": "4096",
        "memory": "8192",
        "runtime": "python",
        "start_command": [],
        "warnings": ["m5.xlarge has 4 vCPU and 16 GiB; each task gets 4 vCPU / 8 GiB."],
    }
    return Plan(**{**fields, **changes})


def test_the_card_reads_top_to_bottom() -> None:
    assert render_plan_text(_plan()).splitlines() == [
        "Plan for shop (i-0123456789abcdef0)",
        "",
        "Instance:        i-0123456789abcdef0 (m5.xlarge, x86_64)",
        "Fargate size:    4096 CPU units · 8192 MiB",
        "App:             python on port 8080, health /healthz",
        "Source:          captured from the instance through SSM when /migrate runs (this command only",
        "                 reads); the runtime is read from the captured files",
        "DNS:             shop.example.com",
        "Load balancer:   internal-x.us-east-1.elb.amazonaws.com (internal)",
        "Where tasks run: tasks in private subnets subnet-1, subnet-2",
        "Task role:       none (the instance has no role to copy)",
        "Security groups: the instance's (sg-1), so what admits it admits the tasks, and one the bot creates",
        "                 admitting the Express load balancer on port 8080",
        "Architecture:    x86_64: the image is built for linux/amd64 and tasks run on X86_64",
        "",
        "Warnings:",
        "  - m5.xlarge has 4 vCPU and 16 GiB; each task gets 4 vCPU / 8 GiB.",
        "",
        "Cannot be migrated: nothing found",
    ]


def test_what_cannot_be_migrated_names_the_way_out() -> None:
    plan = _plan(
        architecture="i386",
        runs_on=None,
        runtime="unknown",
        load_balancer_arn=None,
        load_balancer_dns=None,
        record_name=None,
        blocker="The app cannot be captured: no agent. Migrate with --image or --source.",
    )

    blockers = not_migrated(plan)
    text = render_plan_text(plan)

    assert [b.split(":")[0] for b in blockers] == ["The image", "The app", "The cutover"]
    assert "--image" in blockers[0] and "--source" in blockers[1]
    assert "Source:" not in text  # a blocked plan says what blocks it instead
    assert "Architecture:    no Fargate counterpart" in text
    assert "DNS:             no record found" in text
    assert "Load balancer:   none found" in text
    assert text.index("Cannot be migrated:") > text.index("Warnings:")


def test_a_load_balancer_without_a_record_blocks_the_cutover() -> None:
    assert not_migrated(_plan(record_name=None)) == [
        "The cutover: no Route 53 record points at the load balancer, so no name can be "
        "moved to ECS."
    ]


def test_aws_strings_lose_terminal_control_characters() -> None:
    text = render_plan_text(_plan(name="shop\x1b[2J", warnings=["bad\x07 bell"]))

    assert "\x1b" not in text and "\x07" not in text
    assert "Plan for shop?[2J (i-0123456789abcdef0)" in text
    assert "  - bad? bell" in text


def test_long_lines_wrap_under_their_own_text() -> None:
    placement = "tasks in public subnets " + ", ".join(f"subnet-{i:017x}" for i in range(6))

    lines = render_plan_text(_plan(placement=placement)).splitlines()

    start = next(i for i, line in enumerate(lines) if line.startswith("Where tasks run:"))
    assert max(len(line) for line in lines) <= 100
    assert lines[start + 1].startswith(" " * 17 + "subnet-")
