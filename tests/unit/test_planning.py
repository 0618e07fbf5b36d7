"""Sizing, runtime detection, plans, Dockerfiles and Slack wording (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.facts import DnsRecordFacts, InstanceFacts, SubnetFacts
from bot.domain.planning import make_plan
from bot.domain.sizing import (
    EXPRESS_MAX_CPU,
    EXPRESS_MAX_MEMORY,
    EXPRESS_MIN_CPU,
    EXPRESS_MIN_MEMORY,
    EXPRESS_SIZES,
    UnknownInstanceTypeError,
    express_size,
    fargate_size,
)
from bot.services.deploy import service_spec
from bot.slack.blocks import escape
from sandbox.legacy import USER_DATA
from tests.fakes import INSTANCE, LOAD_BALANCING


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("t3.small", ("1024", "2048")),
        ("t3.micro", ("1024", "2048")),
        ("m5.large", ("2048", "8192")),
        ("t3.large", ("1024", "8192")),
        ("c6i.xlarge", ("4096", "8192")),  # capped: Express takes at most 8 GiB
    ],
)
def test_fargate_size_covers_the_instance(instance_type: str, expected: tuple[str, str]) -> None:
    assert fargate_size(instance_type) == expected


def test_unknown_instance_type_is_refused() -> None:
    with pytest.raises(UnknownInstanceTypeError):
        fargate_size("weird")


# Fargate's Linux table (cpu units -> memory MiB it allows), as the ECS Developer Guide has it.
_FARGATE_LINUX = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
}

instance_types = st.builds(
    lambda family, size: f"{family}.{size}",
    st.sampled_from(["t2", "t3", "t3a", "t4g", "m5", "m7g", "c6i", "r6g", "x2idn"]),
    st.sampled_from(["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge"]),
)


@given(instance_types)
def test_every_instance_type_maps_to_a_size_express_accepts(instance_type: str) -> None:
    cpu, memory = (int(v) for v in fargate_size(instance_type))
    assert (cpu, memory) in EXPRESS_SIZES
    assert memory in _FARGATE_LINUX[cpu]
    assert EXPRESS_MIN_CPU <= cpu <= EXPRESS_MAX_CPU
    assert EXPRESS_MIN_MEMORY <= memory <= EXPRESS_MAX_MEMORY


@given(instance_types)
def test_a_size_covers_the_instance_unless_express_cannot_and_then_is_the_largest(
    instance_type: str,
) -> None:
    size = express_size(instance_type)
    burstable = instance_type.split(".")[0] in ("t2", "t3", "t3a", "t4g")
    cpu_needed = size.instance_vcpus * 1024 // (2 if burstable else 1)
    fits = cpu_needed <= EXPRESS_MAX_CPU and size.instance_memory <= EXPRESS_MAX_MEMORY
    assert size.capped == (not fits)
    if size.capped:
        assert (size.cpu, size.memory) == max(EXPRESS_SIZES)
    else:
        assert size.cpu >= cpu_needed and size.memory >= size.instance_memory


@pytest.mark.parametrize("instance_type", ["m5.xlarge", "t3.xlarge", "c6i.4xlarge"])
def test_an_instance_larger_than_express_allows_is_capped_and_warned(instance_type: str) -> None:
    plan = make_plan(instance(instance_type=instance_type), LB, DNS)
    assert (plan.cpu, plan.memory) == ("4096", "8192")
    capped = [w for w in plan.warnings if "Express Mode accepts at most" in w]
    assert len(capped) == 1 and instance_type in capped[0] and "4 vCPU / 8 GiB" in capped[0]


def instance(**changes: object) -> InstanceFacts:
    """The shared fake instance, running the seeded legacy app's user data."""
    return INSTANCE.model_copy(update={"user_data": USER_DATA, **changes})


LB = LOAD_BALANCING.model_copy(
    update={"scheme": "internet-facing", "availability_zones": ["us-east-1a", "us-east-1b"]}
)
DNS = DnsRecordFacts(hosted_zone_id="Z1", record_name="blog.")


def subnet(subnet_id: str, zone: str, public: bool) -> SubnetFacts:
    return SubnetFacts(subnet_id=subnet_id, availability_zone=f"us-east-1{zone}", public=public)


# The seeded VPC's shape: public and private subnets in two zones; the instance in private-a.
VPC = [
    subnet("subnet-pub-a", "a", True),
    subnet("subnet-pub-b", "b", True),
    subnet("subnet-private", "a", False),
    subnet("subnet-priv-b", "b", False),
]


def test_plan_from_the_seeded_node_app() -> None:
    plan = make_plan(instance(subnets=VPC), LB, DNS)
    assert (plan.port, plan.health_check_path, plan.cpu, plan.memory) == (
        3000,
        "/health",
        "1024",
        "2048",
    )
    assert plan.subnet_ids == ["subnet-pub-a", "subnet-pub-b"] and plan.warnings == []
    assert plan.placement == (
        "tasks in public subnets subnet-pub-a, subnet-pub-b (us-east-1a, us-east-1b) behind an "
        "internet-facing load balancer, where the instance ran in private subnet "
        "subnet-private (us-east-1a)"
    )


def test_arm64_migrates_as_arm64_and_the_plan_says_so() -> None:
    plan = make_plan(instance(architecture="arm64", subnets=VPC), LB, DNS)
    assert plan.cpu_architecture == "ARM64"
    assert plan.runs_on == (
        "arm64 (Graviton): the image is built for linux/arm64 and tasks run on ARM64"
    )
    assert plan.warnings == []
    x86 = make_plan(instance(subnets=VPC), LB, DNS)
    assert (x86.cpu_architecture, x86.runs_on) == (
        "X86_64",
        "x86_64: the image is built for linux/amd64 and tasks run on X86_64",
    )


def test_an_architecture_fargate_lacks_is_warned_about() -> None:
    plan = make_plan(instance(architecture="i386", subnets=VPC), LB, DNS)
    assert plan.runs_on is None
    assert any("i386" in w and "--image" in w for w in plan.warnings)


def test_missing_dns_is_warned_about_and_discovery_notes_become_warnings() -> None:
    noted = LB.model_copy(update={"notes": ["found by looking through target groups"]})
    plan = make_plan(instance(subnets=VPC), noted, None)
    assert any("Route 53" in w for w in plan.warnings)
    assert "found by looking through target groups" in plan.warnings


def test_an_internal_app_keeps_private_subnets() -> None:
    internal = LB.model_copy(update={"scheme": "internal"})
    plan = make_plan(instance(subnets=VPC), internal, DNS)
    assert plan.subnet_ids == ["subnet-private", "subnet-priv-b"]
    assert plan.load_balancer_scheme == "internal" and plan.warnings == []
    assert plan.placement is not None and plan.placement.startswith("tasks in private subnets")


def test_subnets_prefer_the_apps_zones_one_per_zone() -> None:
    vpc = [*VPC, subnet("subnet-pub-c", "c", True), subnet("subnet-pub-a2", "a", True)]
    plan = make_plan(instance(subnets=vpc), LB, DNS)
    assert plan.subnet_ids == ["subnet-pub-a", "subnet-pub-b"]


def test_a_vpc_without_subnets_of_the_apps_kind_is_warned_about() -> None:
    private_only = [s for s in VPC if not s.public]
    plan = make_plan(instance(subnets=private_only), LB, DNS)
    assert plan.subnet_ids == ["subnet-private", "subnet-priv-b"]
    assert any("no public subnet" in w and "internal" in w for w in plan.warnings)


def test_a_vpc_with_one_zone_of_the_apps_kind_is_warned_about() -> None:
    one_zone = [s for s in VPC if s.availability_zone == "us-east-1a"]
    plan = make_plan(instance(subnets=one_zone), LB, DNS)
    assert plan.subnet_ids == ["subnet-pub-a"]
    assert any("only 1 Availability Zone" in w for w in plan.warnings)


def test_without_a_load_balancer_the_instance_subnet_decides_visibility() -> None:
    plan = make_plan(instance(subnets=VPC), None, None)
    assert plan.load_balancer_scheme == "internal"
    assert plan.subnet_ids == ["subnet-private", "subnet-priv-b"]


def test_unread_subnets_fall_back_to_the_load_balancers_and_say_so() -> None:
    plan = make_plan(instance(), LB, DNS)
    assert plan.subnet_ids == ["subnet-a", "subnet-b"]
    assert any("Could not read the VPC's subnets" in w for w in plan.warnings)


def test_escape_neutralises_slack_control_sequences() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


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


def test_the_endpoint_follows_the_subnets_when_the_vpc_forces_another_visibility() -> None:
    # An internal legacy ALB in a VPC that has only public subnets (a default VPC): the tasks
    # go in public subnets, so Express's load balancer is internet-facing and its endpoint is
    # the PUBLIC path. The plan keeps the legacy scheme and warns about the change.
    internal = LB.model_copy(update={"scheme": "internal"})
    public_only = [subnet("subnet-pub-a", "a", True), subnet("subnet-pub-b", "b", True)]
    plan = make_plan(instance(subnets=public_only, subnet_id="subnet-pub-a"), internal, DNS)

    assert (plan.load_balancer_scheme, plan.express_scheme) == ("internal", "internet-facing")
    assert any("no private subnet" in w for w in plan.warnings)
    assert service_spec("mig-0000abcd", plan, "img:1").access_type == "PUBLIC"
    same = make_plan(instance(subnets=VPC), internal, DNS)
    assert service_spec("mig-0000abcd", same, "img:1").access_type == "PRIVATE"
