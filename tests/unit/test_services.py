"""The use cases over fakes: each consumer's result, duplicates and stale input."""

from __future__ import annotations

import pytest

from bot.domain.state import IllegalTransitionError, Stage
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.events.models import (
    CutoverRequested,
    ImageBuilt,
    MigrationRequested,
    PlanApproved,
    RollbackRequested,
)
from bot.ports import InstanceNotFoundError
from bot.services import (
    actions,
    build,
    capture,
    deploy,
    discovery,
    ecs_events,
    notifier,
    requests,
    traffic,
)
from tests.fakes import (
    FakeBuildAws,
    FakeCapture,
    FakeClock,
    FakeDeployAws,
    FakeDiscovery,
    FakeSlack,
    FakeStore,
    FakeTrafficAws,
    RecordingPublisher,
)


class World:
    def __init__(self) -> None:
        self.store = FakeStore()
        self.publisher = RecordingPublisher()
        self.clock = FakeClock()
        self.discovery = FakeDiscovery()
        self.capture = FakeCapture()
        self.build = FakeBuildAws()
        self.deploy = FakeDeployAws()
        self.traffic = FakeTrafficAws()
        self.slack = FakeSlack()
        self.ports = actions.ActionPorts(self.store, self.publisher, self.clock)

    def request(self) -> str:
        migration = requests.request_migration(
            "secure-blog",
            "C1",
            "U1",
            store=self.store,
            publisher=self.publisher,
            clock=self.clock,
            aws=self.discovery,
        )
        return migration.migration_id

    def discover(self, event: object) -> None:
        """Discovery, then (as SSM's event would) the capture's outcome."""
        assert isinstance(event, MigrationRequested)
        discovery.run(event, aws=self.discovery, capture=self.capture, **self.kw())  # type: ignore[arg-type]
        migration = self.store.get(event.migration_id)
        if migration.stage == Stage.CAPTURING and migration.capture_command_id:
            capture.finished(
                migration.capture_command_id,
                migration.target,
                capture=self.capture,
                **self.kw(),  # type: ignore[arg-type]
            )

    def click(self, migration_id: str) -> actions.Click:
        return actions.Click(migration_id, self.store.get(migration_id).version, "U2")

    def kw(self) -> dict[str, object]:
        return {"store": self.store, "publisher": self.publisher, "clock": self.clock}

    def to_healthy(self) -> str:
        mid = self.request()
        requested = self.publisher.events[-1]
        assert isinstance(requested, MigrationRequested)
        self.discover(requested)
        actions.approve_plan(self.click(mid), self.ports)
        build.start(
            PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2"),
            aws=self.build,
            **self.kw(),
        )  # type: ignore[arg-type]
        migration = self.store.get(mid)
        build.finished(
            f"migrate-bot-{mid}",
            f"arn:aws:codebuild:us-east-1:1:build/{migration.build_id}",
            "SUCCEEDED",
            **self.kw(),
        )  # type: ignore[arg-type]
        built = self.publisher.events[-1]
        assert isinstance(built, ImageBuilt)
        deploy.run(built, aws=self.deploy, **self.kw())  # type: ignore[arg-type]
        arn = self.store.get(mid).service_arn
        assert arn is not None
        completed = EcsDeploymentStateChange.model_validate(
            {
                "eventType": "INFO",
                "eventName": "SERVICE_DEPLOYMENT_COMPLETED",
                "deploymentId": "ecs-svc/1",
            }
        )
        steady = EcsServiceAction.model_validate(
            {"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE"}
        )
        ecs_events.on_service_action(arn, steady, **self.kw())  # type: ignore[arg-type]
        ecs_events.on_deployment(arn, completed, **self.kw())  # type: ignore[arg-type]
        return mid


def test_request_for_a_missing_instance_writes_nothing() -> None:
    world = World()
    world.discovery.instance = None
    with pytest.raises(InstanceNotFoundError):
        world.request()
    assert world.store.migrations == {} and world.publisher.events == [] and world.store.audit == []


def test_whole_path_to_healthy_emits_each_step_once() -> None:
    world = World()
    mid = world.to_healthy()
    assert world.store.get(mid).stage == Stage.HEALTHY
    assert world.publisher.types() == [
        "MigrationRequested",
        "CaptureStarted",
        "DiscoveryCompleted",
        "PlanApproved",
        "BuildStarted",
        "ImageBuilt",
        "DeploymentStarted",
        "ServiceHealthy",
    ]
    spec = world.deploy.specs[0]
    assert (spec.port, spec.health_check_path, spec.cpu, spec.memory) == (
        3000,
        "/health",
        "1024",
        "2048",
    )
    assert spec.service_name.endswith(mid)
    assert "USER node" in world.build.sources[mid]["Dockerfile"]
    # The task role copies the instance role (not the SSM agent's policy); the tasks join the
    # instance's groups and the one made for the Express load balancer.
    ((role_for, role),) = world.deploy.roles
    assert role_for == mid and sorted(role.inline) == ["data"] and role.managed == []
    assert (
        spec.task_role_arn == f"arn:aws:iam::123456789012:role/migrate-bot/migrate-bot-task-{mid}"
    )
    assert world.deploy.groups == [(mid, "vpc-1", 3000)]
    assert spec.security_group_ids == ["sg-1", "sg-0tasks"]


def test_redelivered_events_do_not_repeat_side_effects() -> None:
    world = World()
    mid = world.to_healthy()
    count = len(world.publisher.events)
    build.start(
        PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2"),
        aws=world.build,
        **world.kw(),
    )  # type: ignore[arg-type]
    built = next(e for e in world.publisher.events if isinstance(e, ImageBuilt))
    deploy.run(built, aws=world.deploy, **world.kw())  # type: ignore[arg-type]
    steady = EcsServiceAction.model_validate(
        {"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE"}
    )
    ecs_events.on_service_action(world.store.get(mid).service_arn or "", steady, **world.kw())  # type: ignore[arg-type]
    assert len(world.build.builds) == 1 and len(world.deploy.specs) == 1
    # Redeliveries may say a step again, but only with the keys already used.
    keys = [e.idempotency_key for e in world.publisher.events]
    assert len(set(keys)) == count


def test_task_events_apply_only_when_newer() -> None:
    world = World()
    mid = world.to_healthy()
    arn = world.store.get(mid).service_arn or ""
    cluster = arn.split(":service/")[0] + ":cluster/default"
    name = arn.rsplit("/", 1)[-1]

    def task(status: str, version: int) -> EcsTaskStateChange:
        return EcsTaskStateChange.model_validate(
            {
                "taskArn": "arn:task/1",
                "clusterArn": cluster,
                "group": f"service:{name}",
                "lastStatus": status,
                "version": version,
            }
        )

    before = len(world.publisher.events)
    for status, version in [
        ("RUNNING", 3),
        ("PENDING", 2),
        ("RUNNING", 3),
        ("STOPPED", 4),
        ("RUNNING", 3),
    ]:
        ecs_events.on_task(task(status, version), store=world.store, publisher=world.publisher)
    announced = [(e.last_status, e.ecs_version) for e in world.publisher.events[before:]]  # type: ignore[attr-defined]
    # An older state is never stored or announced. A copy of the newest one (no warm cache
    # here) is announced again with the same idempotency key, so a retry after a crash between
    # the write and the publish still announces it; the notifier dedupes by key.
    assert announced == [("RUNNING", 3), ("RUNNING", 3), ("STOPPED", 4)]
    keys = [e.idempotency_key for e in world.publisher.events[before:]]
    assert keys[0] == keys[1]


def test_failed_deployment_is_terminal_for_that_deployment() -> None:
    world = World()
    mid = world.request()
    world.discover(world.publisher.events[-1])
    actions.approve_plan(world.click(mid), world.ports)
    build.start(
        PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2"),
        aws=world.build,
        **world.kw(),
    )  # type: ignore[arg-type]
    m = world.store.get(mid)
    build.finished(f"migrate-bot-{mid}", str(m.build_id), "SUCCEEDED", **world.kw())  # type: ignore[arg-type]
    deploy.run(world.publisher.events[-1], aws=world.deploy, **world.kw())  # type: ignore[arg-type]
    arn = world.store.get(mid).service_arn or ""

    def deployment(name: str) -> EcsDeploymentStateChange:
        return EcsDeploymentStateChange.model_validate(
            {
                "eventType": "ERROR",
                "eventName": name,
                "deploymentId": "ecs-svc/9",
                "reason": "tasks failed ELB health checks",
            }
        )

    ecs_events.on_deployment(arn, deployment("SERVICE_DEPLOYMENT_FAILED"), **world.kw())  # type: ignore[arg-type]
    ecs_events.on_deployment(arn, deployment("SERVICE_DEPLOYMENT_COMPLETED"), **world.kw())  # type: ignore[arg-type]
    ecs_events.on_deployment(arn, deployment("SERVICE_DEPLOYMENT_FAILED"), **world.kw())  # type: ignore[arg-type]
    migration = world.store.get(mid)
    assert migration.stage == Stage.FAILED and "health checks" in (migration.failure or "")
    failed = {
        e.idempotency_key for e in world.publisher.events if e.detail_type == "MigrationFailed"
    }
    assert len(failed) == 1


def test_cutover_and_rollback_move_weights_and_refuse_stale_clicks() -> None:
    world = World()
    mid = world.to_healthy()
    click = world.click(mid)
    actions.cutover(click, 50, world.ports)
    with pytest.raises(actions.StaleClickError):
        actions.cutover(click, 100, world.ports)  # same card, older version
    requested = world.publisher.events[-1]
    assert isinstance(requested, CutoverRequested)
    traffic.cutover(requested, aws=world.traffic, **world.kw())  # type: ignore[arg-type]
    traffic.cutover(requested, aws=world.traffic, **world.kw())  # type: ignore[arg-type]
    assert world.traffic.weights == [50] and world.store.get(mid).weight == 50
    with pytest.raises(IllegalTransitionError):
        actions.cutover(world.click(mid), 10, world.ports)
    actions.rollback(world.click(mid), world.ports)
    rollback = world.publisher.events[-1]
    assert isinstance(rollback, RollbackRequested)
    traffic.rollback(rollback, aws=world.traffic, **world.kw())  # type: ignore[arg-type]
    assert world.traffic.weights == [50, 0]
    assert world.store.get(mid).stage == Stage.ROLLED_BACK
    decisions = [(r.action, r.decision.split(":")[0]) for r in world.store.audit_trail(mid)]
    assert ("cutover_100", "refused") in decisions and ("rollback", "accepted") in decisions


def test_notifier_posts_one_card_and_each_milestone_once() -> None:
    world = World()
    mid = world.to_healthy()
    for event in world.publisher.events + world.publisher.events:
        notifier.notify(event, store=world.store, slack=world.slack)
    assert world.slack.posted_cards == 1
    card = world.slack.cards[world.store.get(mid).slack_ts or ""]
    assert card.stage == Stage.HEALTHY
    assert len(world.slack.replies) == len(set(world.slack.replies)) == 6
    # Every event came twice, but the card is edited only when it would show something new.
    assert world.slack.card_updates == 0  # all events were rendered after the last change


def test_a_build_event_before_its_build_is_recorded_is_retried_not_lost() -> None:
    world = World()
    mid = world.request()
    world.discover(world.publisher.events[-1])
    actions.approve_plan(world.click(mid), world.ports)
    # The start step crashed after StartBuild: the build runs, nothing is recorded yet.
    assert world.store.get(mid).build_id is None
    with pytest.raises(build.BuildNotRecordedError):
        build.finished(f"migrate-bot-{mid}", f"migrate-bot-{mid}:b-1", "SUCCEEDED", **world.kw())  # type: ignore[arg-type]
    build.start(
        PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2"),
        aws=world.build,
        **world.kw(),
    )  # type: ignore[arg-type]
    recorded = str(world.store.get(mid).build_id)
    build.finished(f"migrate-bot-{mid}", recorded, "SUCCEEDED", **world.kw())  # type: ignore[arg-type]
    assert type(world.publisher.events[-1]).__name__ == "ImageBuilt"
