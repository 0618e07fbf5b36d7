"""Sizing, runtime detection, plans, Dockerfiles and Slack wording (pure)."""

from __future__ import annotations

import pytest

from bot.domain.dockerfile import UnsupportedRuntimeError, render_dockerfile
from bot.domain.facts import DnsRecordFacts, InstanceFacts
from bot.domain.planning import detect_runtime, detect_start_command, make_plan
from bot.domain.sizing import UnknownInstanceTypeError, fargate_size
from bot.slack.blocks import escape
from sandbox.legacy import USER_DATA
from tests.fakes import INSTANCE, LOAD_BALANCING


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("t3.small", ("1024", "2048")),
        ("t3.micro", ("1024", "2048")),
        ("m5.large", ("2048", "8192")),
        ("c6i.xlarge", ("4096", "16384")),
    ],
)
def test_fargate_size_covers_the_instance(instance_type: str, expected: tuple[str, str]) -> None:
    assert fargate_size(instance_type) == expected


def test_unknown_instance_type_is_refused() -> None:
    with pytest.raises(UnknownInstanceTypeError):
        fargate_size("weird")


def instance(**changes: object) -> InstanceFacts:
    """The shared fake instance, running the seeded legacy app's user data."""
    return INSTANCE.model_copy(update={"user_data": USER_DATA, **changes})


LB = LOAD_BALANCING


def test_plan_from_the_seeded_node_app() -> None:
    assert detect_runtime(USER_DATA) == "node"
    assert detect_start_command(USER_DATA, "node") == ["node", "server.js"]
    plan = make_plan(instance(), LB, DnsRecordFacts(hosted_zone_id="Z1", record_name="blog."))
    assert (plan.port, plan.health_check_path, plan.cpu, plan.memory) == (
        3000,
        "/health",
        "1024",
        "2048",
    )
    assert plan.subnet_ids == ["subnet-a", "subnet-b"] and plan.warnings == []


def test_arm64_and_missing_dns_are_warned_about() -> None:
    plan = make_plan(instance(architecture="arm64"), LB, None)
    assert any("x86_64 only" in w for w in plan.warnings)
    assert any("Route 53" in w for w in plan.warnings)


def test_dockerfile_is_non_root_pinned_and_health_checked() -> None:
    dockerfile = render_dockerfile(make_plan(instance(), LB, None))
    assert "USER node" in dockerfile
    assert "FROM public.ecr.aws/docker/library/node:20." in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
    assert 'CMD ["node", "server.js"]' in dockerfile


def test_dockerfile_refuses_runtimes_without_a_template() -> None:
    plan = make_plan(instance(user_data="java -jar app.jar"), LB, None)
    with pytest.raises(UnsupportedRuntimeError, match="java"):
        render_dockerfile(plan)


def test_escape_neutralises_slack_control_sequences() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_a_quote_in_the_start_command_cannot_break_the_dockerfile() -> None:
    plan = make_plan(instance(), LB, None).model_copy(
        update={"start_command": ["node", 'server".js']}
    )
    assert 'CMD ["node", "server\\".js"]' in render_dockerfile(plan)


def test_a_huge_failure_reason_fits_slack_blocks() -> None:
    from datetime import UTC, datetime

    from bot.domain.migration import Migration, fail
    from bot.domain.state import Stage
    from bot.slack.blocks import render_status_card

    now = datetime(2026, 11, 25, tzinfo=UTC)
    migration = Migration(
        migration_id="mig-00000001",
        stage=Stage.DEPLOYING,
        target="i-0abc1234",
        channel_id="C1",
        requested_by="U1",
        created_at=now,
        updated_at=now,
    )
    failed = fail(migration, Stage.DEPLOYING, "&<>" * 5000, now)
    assert failed is not None
    _, blocks = render_status_card(failed)
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert texts and all(len(t) <= 3000 for t in texts)
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert all(len(f) <= 2000 for f in fields)
