"""Clean up and Decommission: when each is offered, who may press it, what it does (pure and
over fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import cleanup, decommission
from bot.domain.facts import AliasTarget, ExpressIngress
from bot.domain.migration import Migration
from bot.domain.plan import Plan
from bot.domain.policy import Action, Actor, decide, stack_default
from bot.domain.state import IllegalTransitionError, Stage
from bot.events.models import (
    CleanedUp,
    CleanupDue,
    CleanupRequested,
    DecommissionRequested,
    DecommissionStepFailed,
    DecommissionUndone,
    DecommissionUndoRequested,
    TerminationDue,
)
from bot.services import cleanup as cleanup_service
from bot.services import decommission as decommission_service
from bot.services.look_again import look_again
from bot.slack.blocks import card_buttons
from tests.fakes import FakeClock, FakeScheduler, FakeStore, RecordingPublisher

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _plan(**changes: Any) -> Plan:
    fields: dict[str, Any] = {
        "instance_id": "i-0123456789abcdef0",
        "instance_type": "t3.small",
        "architecture": "x86_64",
        "name": "blog",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "security_group_ids": ["sg-1"],
        "port": 3000,
        "health_check_path": "/health",
        "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blog/1",
        "hosted_zone_id": "Z1",
        "record_name": "blog.example.com.",
        "secret_arn": "arn:aws:secretsmanager:us-east-1:1:secret:migrate-bot/mig-1/environment-AbCdEf",
        "cpu": "1024",
        "memory": "2048",
        "runtime": "node",
        "start_command": ["node", "server.js"],
    }
    return Plan(**{**fields, **changes})


def _migration(stage: Stage, **changes: Any) -> Migration:
    return Migration(
        migration_id="mig-1",
        stage=stage,
        target="i-0123456789abcdef0",
        channel_id="C1",
        requested_by="U0ALICE",
        created_at=NOW,
        updated_at=NOW,
        plan=_plan(),
        service_arn="arn:aws:ecs:us-east-1:1:service/default/migrate-bot-blog-mig-1",
        **changes,
    )


# --- Clean up: offered only when every user is on EC2 ----------------------------------


@pytest.mark.parametrize(
    ("stage", "changes", "offered"),
    [
        (Stage.HEALTHY, {}, True),  # deployed, never cut over ("finished" without a cutover)
        (Stage.ROLLED_BACK, {"weighted_dns": True, "original_records": [{}]}, True),
        (Stage.FAILED, {}, True),
        (Stage.FAILED, {"weighted_dns": True, "original_records": [{}]}, True),
        (Stage.FAILED, {"weight": 10, "weighted_dns": True, "original_records": [{}]}, False),
        (Stage.FAILED, {"weighted_dns": True}, False),  # weighted records it cannot put back
        (Stage.CUTTING_OVER, {"weight": 0, "requested_weight": 10}, False),
        (Stage.CUTTING_OVER, {"weight": 50}, False),
        (Stage.CUT_OVER, {"weight": 100}, False),
        (Stage.PLANNED, {}, False),
        (Stage.CLEANED_UP, {}, False),
    ],
)
def test_clean_up_is_offered_only_with_every_user_on_ec2(
    stage: Stage, changes: dict[str, Any], offered: bool
) -> None:
    migration = _migration(stage, **changes)
    assert cleanup.offered(migration) is offered
    ids = {b["action_id"] for b in card_buttons(migration)}
    assert ({"cleanup", "cleanup_keep_image"} <= ids) is offered


def test_clean_up_is_refused_while_users_are_on_ecs() -> None:
    with pytest.raises(IllegalTransitionError, match="10% of traffic is on ECS"):
        cleanup.start(_migration(Stage.FAILED, weight=10, weighted_dns=True), "U0BOB", False, NOW)
    with pytest.raises(IllegalTransitionError):
        cleanup.start(_migration(Stage.CUT_OVER, weight=100), "U0BOB", False, NOW)
    started = cleanup.start(_migration(Stage.ROLLED_BACK), "U0BOB", True, NOW)
    assert started.stage == Stage.CLEANING_UP and started.cleanup is not None
    assert started.cleanup.keep_image and started.cleanup.requested_by == "U0BOB"


# --- Decommission: only after a baked 100 % ----------------------------------------------


@pytest.mark.parametrize(
    ("stage", "changes", "offered"),
    [
        (Stage.CUT_OVER, {"weight": 100}, True),
        (Stage.CUT_OVER, {"weight": 100, "bake_ends_at": NOW + timedelta(minutes=5)}, False),
        (Stage.CUTTING_OVER, {"weight": 50}, False),
        (Stage.HEALTHY, {}, False),
        (Stage.ROLLED_BACK, {}, False),
    ],
)
def test_decommission_is_offered_only_after_100_percent_baked(
    stage: Stage, changes: dict[str, Any], offered: bool
) -> None:
    migration = _migration(stage, **changes)
    assert decommission.offered(migration) is offered
    assert ("decommission" in {b["action_id"] for b in card_buttons(migration)}) is offered
    if not offered:
        with pytest.raises(IllegalTransitionError):
            decommission.approve(migration, "U0BOB", 1, NOW)


def test_decommission_with_two_approvals_needs_two_distinct_people() -> None:
    baked = _migration(Stage.CUT_OVER, weight=100)
    first = decommission.approve(baked, "U0BOB", 2, NOW)
    assert first.stage == Stage.CUT_OVER and first.decommission is not None
    assert first.decommission.approvals == ["U0BOB"]
    with pytest.raises(IllegalTransitionError, match="already approved"):
        decommission.approve(first, "U0BOB", 2, NOW)
    second = decommission.approve(first, "U0CAROL", 2, NOW)
    assert second.stage == Stage.DECOMMISSIONING
    assert decommission.approve(baked, "U0BOB", 1, NOW).stage == Stage.DECOMMISSIONING


def _decommissioned(days: int = 7) -> Migration:
    started = decommission.approve(_migration(Stage.CUT_OVER, weight=100), "U0BOB", 1, NOW)
    done = decommission.decommissioned(started, "ami-1", NOW, timedelta(days=days))
    assert done is not None
    return done


def test_terminate_only_after_n_days_and_with_two_distinct_approvers() -> None:
    down = _decommissioned(days=7)
    assert down.stage == Stage.DECOMMISSIONED
    early = NOW + timedelta(days=6, hours=23)
    assert not decommission.terminable(down, early)
    with pytest.raises(IllegalTransitionError, match="offered from 2026-12-02"):
        decommission.approve_terminate(down, "U0BOB", early)
    later = NOW + timedelta(days=7)
    first = decommission.approve_terminate(down, "U0BOB", later)
    assert first.stage == Stage.DECOMMISSIONED and decommission.terminated(first, later) is None
    with pytest.raises(IllegalTransitionError, match="second, different approver"):
        decommission.approve_terminate(first, "U0BOB", later)
    second = decommission.approve_terminate(first, "U0CAROL", later)
    ended = decommission.terminated(second, later)
    assert ended is not None and ended.stage == Stage.TERMINATED and ended.terminal


def test_undo_returns_the_migration_to_cut_over() -> None:
    down = _decommissioned()
    undoing = decommission.undo(down, "U0BOB", NOW)
    assert undoing.stage == Stage.RECOMMISSIONING
    back = decommission.recommissioned(undoing, True, NOW)
    assert back is not None and back.stage == Stage.CUT_OVER and decommission.offered(back)
    with pytest.raises(IllegalTransitionError):
        decommission.undo(_migration(Stage.CUT_OVER, weight=100), "U0BOB", NOW)


# --- Who may press them ------------------------------------------------------------------


def _actor(user: str, groups: frozenset[str] = frozenset()) -> Actor:
    return Actor(user_id=user, full_member=True, groups=groups)


def test_policy_who_may_clean_up_and_decommission() -> None:
    policy = stack_default("S0APPROVERS")
    approver = _actor("U0BOB", frozenset({"S0APPROVERS"}))
    requester = _actor("U0ALICE", frozenset({"S0APPROVERS"}))
    member = _actor("U0DAVE")
    for action in (Action.CLEANUP, Action.DECOMMISSION):
        assert decide(policy, approver, action, requester="U0ALICE").allowed
        assert not decide(policy, member, action, requester="U0ALICE").allowed
    # The requester may clean up (it removes nothing users are on) but not decommission.
    assert decide(policy, requester, Action.CLEANUP, requester="U0ALICE").allowed
    refused = decide(policy, requester, Action.DECOMMISSION, requester="U0ALICE")
    assert not refused.allowed and "two-person rule" in refused.reason
    guest = Actor(user_id="U0GUEST", full_member=False, why_not="a guest")
    assert not decide(policy, guest, Action.CLEANUP, requester="U0ALICE").allowed


# --- The clean-up consumer over fakes: exactly what was added, idempotent ----------------


class FakeCleanupAws:
    """Records each removal; the second time everything is already gone."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gone: set[str] = set()
        self.drained = False

    def _once(self, what: str) -> str | None:
        self.calls.append(what)
        if what in self.gone:
            return None
        self.gone.add(what)
        return what

    def remove_edge(self, listener_arn: str, rule_arn: str, added: dict[str, str]) -> list[str]:
        return [r for r in (self._once(f"edge {k}={v}") for k, v in sorted(added.items())) if r]

    def delete_service(self, service_arn: str) -> str | None:
        return self._once("service")

    def service_drained(self, service_arn: str) -> bool:
        return self.drained

    def delete_alarms(self, names: list[str]) -> str | None:
        return self._once("alarms")

    def delete_schedules(self, prefix: str) -> str | None:
        return self._once(f"schedules {prefix}")

    def delete_secret(self, secret_arn: str) -> str | None:
        return self._once("secret")

    def delete_certificate(self, certificate_arn: str) -> str | None:
        return self._once("certificate")

    def delete_validation_record(self, hosted_zone_id: str, name: str, value: str) -> str | None:
        return self._once("validation record")

    def delete_task_role(self, migration_id: str) -> str | None:
        return self._once("task role")

    def delete_task_security_group(self, migration_id: str, vpc_id: str) -> str | None:
        return self._once("security group")

    def delete_repository(self, name: str) -> str | None:
        return self._once(f"repository {name}")

    def delete_project(self, name: str) -> str | None:
        return self._once(f"project {name}")


class NoTraffic:
    """TrafficAws for a migration that never wrote weighted records (never called)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"no DNS change expected ({name})")


def _run(
    migration: Migration, keep_image: bool = False
) -> tuple[FakeStore, RecordingPublisher, FakeCleanupAws, cleanup_service.CleanupPorts]:
    store, publisher, aws = FakeStore(), RecordingPublisher(), FakeCleanupAws()
    store.migrations[migration.migration_id] = cleanup.start(migration, "U0BOB", keep_image, NOW)
    scheduler = FakeScheduler()
    ports = cleanup_service.CleanupPorts(
        store,
        publisher,
        FakeClock(),
        scheduler,
        aws,
        NoTraffic(),  # type: ignore[arg-type]
    )
    event = CleanupRequested(migration_id="mig-1", idempotency_key="k", requested_by="U0BOB")
    cleanup_service.handle(event, ports)
    for _ in range(3):  # the drain is checked on schedule until it is over
        due = scheduler.due()
        aws.drained = True
        for later in due:
            assert isinstance(later, CleanupDue)
            cleanup_service.handle(later, ports)
    return store, publisher, aws, ports


def test_clean_up_removes_what_was_added_and_is_idempotent() -> None:
    served = _migration(
        Stage.HEALTHY,
        edge_added={"certificate_arn": "arn:cert", "host": "blog.example.com"},
        express_ingress=ExpressIngress(
            load_balancer_arn="arn:lb",
            listener_arn="arn:listener",
            rule_arn="arn:rule",
            alias=AliasTarget(dns_name="x.elb.amazonaws.com", hosted_zone_id="Z2"),
        ),
    )
    store, publisher, aws, ports = _run(served)
    done = store.get("mig-1")
    assert done.stage == Stage.CLEANED_UP and done.frees_instance
    assert sorted(aws.gone) == sorted(
        [
            "edge certificate_arn=arn:cert",
            "edge host=blog.example.com",
            "alarms",
            "schedules mig-1",
            "service",
            "secret",
            "task role",
            "security group",
            "repository migrate-bot/mig-1",
            "project migrate-bot-mig-1",
        ]
    )
    assert "certificate" not in aws.gone  # the legacy side's certificate is never deleted
    assert publisher.types().count("CleanedUp") == 1
    cleaned = next(e for e in publisher.events if isinstance(e, CleanedUp))
    assert "service" in cleaned.removed and any("EC2" in k for k in cleaned.kept)
    # A redelivered request changes nothing and publishes nothing new.
    before = len(aws.calls)
    again = CleanupRequested(migration_id="mig-1", idempotency_key="k", requested_by="U0BOB")
    cleanup_service.handle(again, ports)
    assert len(aws.calls) == before and publisher.types().count("CleanedUp") == 1


def test_clean_up_keeping_the_image_keeps_repository_and_project() -> None:
    store, _, aws, _ = _run(_migration(Stage.ROLLED_BACK), keep_image=True)
    assert store.get("mig-1").stage == Stage.CLEANED_UP
    assert not any(g.startswith(("repository", "project")) for g in aws.gone)
    assert "service" in aws.gone


def test_a_refused_step_fails_the_migration_and_it_may_be_cleaned_up_again() -> None:
    from bot.ports import AwsRefusedError

    class Refusing(FakeCleanupAws):
        def delete_task_role(self, migration_id: str) -> str | None:
            raise AwsRefusedError("AWS refused DeleteRole (AccessDenied)")

    store, publisher, aws = FakeStore(), RecordingPublisher(), Refusing()
    store.migrations["mig-1"] = cleanup.start(_migration(Stage.ROLLED_BACK), "U0BOB", False, NOW)
    scheduler = FakeScheduler()
    ports = cleanup_service.CleanupPorts(
        store,
        publisher,
        FakeClock(),
        scheduler,
        aws,
        NoTraffic(),  # type: ignore[arg-type]
    )
    cleanup_service.handle(
        CleanupRequested(migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"), ports
    )
    aws.drained = True
    for later in scheduler.due():
        cleanup_service.handle(later, ports)
    failed = store.get("mig-1")
    assert failed.stage == Stage.FAILED and "the task role" in (failed.failure or "")
    assert "MigrationFailed" in publisher.types() and cleanup.offered(failed)


# --- Looking again later: the one-time schedules both consumers wait with ----------------


class _Clock:
    """A clock that stands still, mid-second."""

    def now(self) -> datetime:
        return NOW + timedelta(milliseconds=700)


def test_a_look_again_comes_at_a_whole_second_and_stops_after_the_limit() -> None:
    scheduler = FakeScheduler()
    third = CleanupDue(migration_id="mig-1", idempotency_key="k", attempt=3)
    assert look_again(scheduler, _Clock(), "x" * 80, timedelta(seconds=30), third, limit=3)
    assert scheduler.schedules == {"x" * 64: (NOW + timedelta(seconds=31), third)}
    fourth = third.model_copy(update={"attempt": 4})
    assert not look_again(scheduler, _Clock(), "y", timedelta(seconds=30), fourth, limit=3)
    assert list(scheduler.schedules) == ["x" * 64]  # nothing scheduled past the limit


def _handle_until_quiet(scheduler: FakeScheduler, handle: Any) -> int:
    """Hand every scheduled event to ``handle`` until none is left; how many there were."""
    looks = 0
    while due := scheduler.due():
        looks += len(due)
        for event in due:
            handle(event)
    return looks


def test_a_drain_that_never_ends_fails_clean_up_after_the_last_look() -> None:
    store, publisher, aws, scheduler = (
        FakeStore(),
        RecordingPublisher(),
        FakeCleanupAws(),
        FakeScheduler(),
    )
    store.migrations["mig-1"] = cleanup.start(_migration(Stage.ROLLED_BACK), "U0BOB", False, NOW)
    ports = cleanup_service.CleanupPorts(
        store,
        publisher,
        FakeClock(),
        scheduler,
        aws,
        NoTraffic(),  # type: ignore[arg-type]
    )
    cleanup_service.handle(
        CleanupRequested(migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"), ports
    )
    looks = _handle_until_quiet(scheduler, lambda e: cleanup_service.handle(e, ports))
    failed = store.get("mig-1")
    assert looks == cleanup_service.MAX_CHECKS
    assert failed.stage == Stage.FAILED and "never finished draining" in (failed.failure or "")


class FakeDecommissionAws:
    """An instance whose state and target health are set here."""

    def __init__(self, state: str, target: str = "healthy") -> None:
        self.state, self.target = state, target

    def instance_state(self, instance_id: str) -> str:
        return self.state

    def deregister(self, target_group_arn: str, instance_id: str, port: int) -> bool:
        return True

    def register(self, target_group_arn: str, instance_id: str, port: int) -> None:
        return None

    def target_state(self, target_group_arn: str, instance_id: str, port: int) -> str:
        return self.target

    def stop(self, instance_id: str) -> None:
        self.state = "stopping"

    def start(self, instance_id: str) -> None:
        self.state = "pending"

    def create_image(self, instance_id: str, migration_id: str) -> str:
        return "ami-1"

    def image_state(self, image_id: str) -> str:
        return "available"

    def terminate(self, instance_id: str) -> None:
        self.state = "shutting-down"


def _decommission_ports(
    migration: Migration, aws: FakeDecommissionAws
) -> tuple[FakeStore, RecordingPublisher, FakeScheduler, decommission_service.DecommissionPorts]:
    store, publisher, scheduler = FakeStore(), RecordingPublisher(), FakeScheduler()
    store.migrations[migration.migration_id] = migration
    ports = decommission_service.DecommissionPorts(
        store, publisher, FakeClock(), scheduler, aws, timedelta(days=7)
    )
    return store, publisher, scheduler, ports


def test_an_instance_that_never_stops_is_said_after_the_last_look() -> None:
    started = decommission.approve(_migration(Stage.CUT_OVER, weight=100), "U0BOB", 1, NOW)
    store, publisher, scheduler, ports = _decommission_ports(
        started, FakeDecommissionAws("running")
    )
    requested = DecommissionRequested(
        migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"
    )
    decommission_service.handle(requested, ports)
    looks = _handle_until_quiet(scheduler, lambda e: decommission_service.handle(e, ports))
    assert looks == decommission_service.MAX_CHECKS
    failed = publisher.events[-1]
    assert isinstance(failed, DecommissionStepFailed) and "still stopping" in failed.reason
    assert store.get("mig-1").stage == Stage.DECOMMISSIONING  # the stage is kept


def test_a_stopped_instance_is_imaged_and_terminate_is_offered_after_the_wait() -> None:
    started = decommission.approve(_migration(Stage.CUT_OVER, weight=100), "U0BOB", 1, NOW)
    store, _, scheduler, ports = _decommission_ports(started, FakeDecommissionAws("stopped"))
    requested = DecommissionRequested(
        migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"
    )
    decommission_service.handle(requested, ports)
    done = store.get("mig-1")
    assert done.stage == Stage.DECOMMISSIONED and done.decommission is not None
    after = done.decommission.terminate_after
    assert after is not None
    ((when, due),) = scheduler.schedules.values()
    assert isinstance(due, TerminationDue) and due.image_id == "ami-1"
    assert when == after.replace(microsecond=0) + timedelta(seconds=1)


def test_an_undo_never_healthy_is_cut_over_unhealthy_after_the_last_look() -> None:
    undoing = decommission.undo(_decommissioned(), "U0BOB", NOW)
    store, publisher, scheduler, ports = _decommission_ports(
        undoing, FakeDecommissionAws("stopped", target="unhealthy")
    )
    undo = DecommissionUndoRequested(
        migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"
    )
    decommission_service.handle(undo, ports)
    ports.aws.state = "running"  # type: ignore[attr-defined]
    looks = _handle_until_quiet(scheduler, lambda e: decommission_service.handle(e, ports))
    # One look for "running", then every look at the target's health.
    assert looks == 1 + decommission_service.HEALTH_CHECKS
    back = store.get("mig-1")
    assert back.stage == Stage.CUT_OVER and back.decommission is not None
    assert back.decommission.healthy is False
    assert isinstance(publisher.events[-1], DecommissionUndone)


def test_an_undo_of_a_terminated_instance_is_said_at_once() -> None:
    undoing = decommission.undo(_decommissioned(), "U0BOB", NOW)
    _, publisher, scheduler, ports = _decommission_ports(undoing, FakeDecommissionAws("terminated"))
    undo = DecommissionUndoRequested(
        migration_id="mig-1", idempotency_key="k", requested_by="U0BOB"
    )
    decommission_service.handle(undo, ports)
    assert scheduler.schedules == {}
    failed = publisher.events[-1]
    assert isinstance(failed, DecommissionStepFailed) and "terminated, not running" in failed.reason
