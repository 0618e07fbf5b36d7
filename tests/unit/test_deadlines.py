"""Nothing waits forever: the deadlines each wait gets, the reconciler's decision for each
stage from what AWS says, and a Cancel while the image builds or the service deploys."""

from __future__ import annotations

import pytest

from bot.domain.deadlines import (
    decide_build,
    decide_capture,
    decide_certificate,
    decide_deployment,
    still_waiting,
    wait_started,
)
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import (
    BuildFinished,
    DeadlineDue,
    DeploymentFound,
    MigrationCancelled,
    MigrationFailed,
    Reconciled,
)
from bot.services import actions, reconcile
from tests.unit.test_services import World


class FakeReconcileAws:
    """What AWS says, as set here; what was stopped and deleted."""

    def __init__(self) -> None:
        self.build = "SUCCEEDED"
        self.deployment: tuple[str | None, str | None] = ("SUCCESSFUL", None)
        self.stopped: list[str] = []
        self.deleted: list[str] = []

    def build_status(self, build_id: str) -> str | None:
        return self.build

    def stop_build(self, build_id: str) -> None:
        self.stopped.append(build_id)

    def deployment_status(self, service_arn: str) -> tuple[str | None, str | None]:
        return self.deployment

    def delete_service(self, service_arn: str) -> None:
        self.deleted.append(service_arn)

    def command_status(self, command_id: str, instance_id: str) -> str | None:
        return "Success"

    def certificate_status(self, certificate_arn: str) -> str | None:
        return "PENDING_VALIDATION"


@pytest.mark.parametrize(
    ("status", "attempt", "verdict", "words"),
    [
        ("SUCCEEDED", 1, "continue", "CodeBuild says it SUCCEEDED"),
        ("FAILED", 1, "fail", "CodeBuild says it FAILED"),
        ("STOPPED", 1, "fail", "says it STOPPED"),
        ("IN_PROGRESS", 1, "extend", "still under way after 60 minutes; waiting once more"),
        ("IN_PROGRESS", 2, "fail", "still under way after 2 hours; giving up"),
        (None, 1, "fail", "no record of the build"),
    ],
)
def test_a_build_past_its_deadline(
    status: str | None, attempt: int, verdict: str, words: str
) -> None:
    decision = decide_build(status, attempt)
    assert decision.verdict == verdict and words in decision.finding


@pytest.mark.parametrize(
    ("status", "verdict", "words"),
    [
        ("SUCCESSFUL", "continue", "ECS says it SUCCESSFUL"),
        ("IN_PROGRESS", "extend", "still under way"),
        ("ROLLBACK_SUCCESSFUL", "fail", "Express rolled the deployment back on its own"),
        ("STOPPED", "fail", "ended STOPPED (circuit breaker)"),
        (None, "fail", "no deployment"),
    ],
)
def test_a_deployment_past_its_deadline(status: str | None, verdict: str, words: str) -> None:
    decision = decide_deployment(status, "circuit breaker", 1)
    assert decision.verdict == verdict and words in decision.finding


def test_a_capture_and_a_certificate_past_their_deadlines() -> None:
    assert decide_capture("Success", 1).verdict == "continue"
    assert decide_capture("InProgress", 1).verdict == "extend"
    assert decide_capture("InProgress", 2).verdict == "fail"
    assert decide_capture(None, 1).verdict == "fail"
    assert decide_certificate("ISSUED").verdict == "continue"
    late = decide_certificate("PENDING_VALIDATION")
    assert (
        late.verdict == "fail"
        and "72 hours" in late.finding
        and "validation record" in late.finding
    )


def _building(world: World) -> Migration:
    mid = world.request()
    requested = world.publisher.events[-1]
    world.discover(requested)  # type: ignore[arg-type]
    actions.approve_plan(world.click(mid), world.ports)
    from bot.events.models import PlanApproved
    from bot.services import build

    build.start(
        PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2"),
        aws=world.build,
        **world.kw(),  # type: ignore[arg-type]
    )
    return world.store.get(mid)


def test_each_wait_sets_its_deadline_and_a_moved_on_migration_ignores_it() -> None:
    world = World()
    migration = _building(world)
    wait = wait_started("BuildStarted", migration)
    assert wait is not None and (wait.waiting_for, wait.ref) == ("build", migration.build_id)
    started = world.publisher.events[-1]
    reconcile.arm(started, store=world.store, scheduler=world.scheduler, clock=world.clock)
    (due,) = world.scheduler.due()
    assert isinstance(due, DeadlineDue) and due.waiting_for == "build"
    assert still_waiting(migration, "build", migration.build_id)
    assert not still_waiting(migration, "build", "another-build")
    moved = migration.model_copy(update={"stage": Stage.DEPLOYING})
    assert not still_waiting(moved, "build", migration.build_id)


def _deadline(world: World, migration: Migration, attempt: int = 1) -> DeadlineDue:
    return DeadlineDue(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:deadline:build:{attempt}",
        waiting_for="build",
        stage="building",
        ref=migration.build_id,
        attempt=attempt,
    )


def _on_deadline(world: World, aws: FakeReconcileAws, due: DeadlineDue) -> None:
    reconcile.on_deadline(
        due,
        store=world.store,
        aws=aws,
        certificate_aws=world.certs,
        publisher=world.publisher,
        scheduler=world.scheduler,
        clock=world.clock,
    )


def test_a_build_whose_event_never_came_goes_on_and_the_thread_is_told() -> None:
    world = World()
    migration = _building(world)
    _on_deadline(world, FakeReconcileAws(), _deadline(world, migration))
    said, follow = world.publisher.events[-2:]
    assert isinstance(said, Reconciled) and said.outcome == "continued"
    assert isinstance(follow, BuildFinished) and follow.build_status == "SUCCEEDED"
    assert follow.build_id == migration.build_id
    count = len(world.publisher.events)
    _on_deadline(world, FakeReconcileAws(), _deadline(world, migration))  # redelivered
    assert len(world.publisher.events) == count


def test_a_build_still_running_waits_once_more_then_fails_and_frees_the_instance() -> None:
    world = World()
    migration = _building(world)
    aws = FakeReconcileAws()
    aws.build = "IN_PROGRESS"
    _on_deadline(world, aws, _deadline(world, migration))
    (again,) = world.scheduler.due()
    assert isinstance(again, DeadlineDue) and again.attempt == 2
    assert world.store.get(migration.migration_id).stage == Stage.BUILDING
    _on_deadline(world, aws, again)
    failed = world.store.get(migration.migration_id)
    assert failed.stage == Stage.FAILED and "giving up" in (failed.failure or "")
    assert failed.frees_instance  # no DNS weight was ever written: the instance is free
    assert isinstance(world.publisher.events[-1], MigrationFailed)


def test_a_deployment_found_successful_is_passed_on() -> None:
    world = World()
    migration = _building(world)
    moved = migration.model_copy(
        update={
            "stage": Stage.DEPLOYING,
            "service_arn": "arn:aws:ecs:us-east-1:1:service/default/x",
        }
    )
    world.store.save(moved)
    due = DeadlineDue(
        migration_id=migration.migration_id,
        idempotency_key="k",
        waiting_for="deployment",
        stage="deploying",
        ref=moved.service_arn,
    )
    _on_deadline(world, FakeReconcileAws(), due)
    assert isinstance(world.publisher.events[-1], DeploymentFound)


def test_cancel_while_building_stops_the_build() -> None:
    world = World()
    migration = _building(world)
    cancelled = actions.cancel(world.click(migration.migration_id), world.ports)
    assert cancelled.stage == Stage.CANCELLED and cancelled.frees_instance
    event = world.publisher.events[-1]
    assert isinstance(event, MigrationCancelled) and event.build_id == migration.build_id
    aws = FakeReconcileAws()
    reconcile.on_cancelled(event, store=world.store, aws=aws)
    assert aws.stopped == [migration.build_id] and aws.deleted == []


def test_a_route_53_change_gets_no_deadline_here_and_an_older_releases_is_ignored() -> None:
    world = World()
    migration = _building(world)
    assert wait_started("CutoverRequested", migration) is None  # the traffic consumer's own
    assert wait_started("RollbackRequested", migration) is None
    published = len(world.publisher.events)
    stale = DeadlineDue(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:deadline:dns:cutting_over:1",
        waiting_for="dns",
        stage="cutting_over",
    )
    _on_deadline(world, FakeReconcileAws(), stale)
    assert len(world.publisher.events) == published and world.scheduler.due() == []
    assert world.store.get(migration.migration_id).stage == Stage.BUILDING
