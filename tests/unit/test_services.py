"""The use cases over fakes: each consumer's result, duplicates and stale input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.domain import gates
from bot.domain.state import IllegalTransitionError, Stage
from bot.events.aws import (
    CloudWatchAlarmStateChange,
    EcsDeploymentStateChange,
    EcsServiceAction,
    EcsTaskStateChange,
)
from bot.events.models import (
    BakeEnded,
    CutoverRequested,
    DnsChangeCheckDue,
    DomainEvent,
    GradualChanged,
    ImageBuilt,
    MigrationRequested,
    PlanApproved,
    RollbackRequested,
    RolledBack,
    ServiceHealthy,
)
from bot.ports import InstanceNotFoundError
from bot.services import (
    actions,
    alarms,
    build,
    capture,
    certificates,
    deploy,
    discovery,
    ecs_events,
    edge,
    notifier,
    requests,
    traffic,
)
from bot.slack.blocks import card_buttons, render_status_card
from tests.fakes import (
    LOAD_BALANCING,
    FakeBuildAws,
    FakeCapture,
    FakeCertificateAws,
    FakeClock,
    FakeDeployAws,
    FakeDiscovery,
    FakeEdgeAws,
    FakeScheduler,
    FakeSideBySideAws,
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
        self.scheduler = FakeScheduler()
        self.edge = FakeEdgeAws()
        self.certs = FakeCertificateAws()
        self.sides = FakeSideBySideAws()
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
        approved = PlanApproved(migration_id=mid, idempotency_key="a", approved_by="U2")
        build.start(approved, aws=self.build, **self.kw())  # type: ignore[arg-type]
        certificates.prepare(approved, aws=self.certs, **self.kw())  # type: ignore[arg-type]
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
        healthy = self.publisher.events[-1]
        assert isinstance(healthy, ServiceHealthy)
        edge.serve(healthy, aws=self.edge, scheduler=self.scheduler, **self.kw())  # type: ignore[arg-type]
        return mid

    def sides_kw(self) -> dict[str, object]:
        return {**self.kw(), "sides": self.sides}

    def traffic_kw(self) -> dict[str, object]:
        return {**self.kw(), "aws": self.traffic, "scheduler": self.scheduler}

    def in_sync(self, bake: timedelta = timedelta(0)) -> list[DomainEvent]:
        """Route 53 reports every change INSYNC, and the scheduled checks run; the other
        schedules (bakes) are returned, not run."""
        self.traffic.sync()
        later: list[DomainEvent] = []
        while due := self.scheduler.due():
            for event in due:
                if isinstance(event, DnsChangeCheckDue):
                    traffic.check_change(event, bake=bake, **self.traffic_kw())  # type: ignore[arg-type]
                else:
                    later.append(event)
        return later


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
        "CertificateReady",
        "ImageBuilt",
        "DeploymentStarted",
        "ServiceHealthy",
        "NameServed",
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
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    assert world.traffic.weights == [50]
    # Not announced until Route 53 reports the change INSYNC (a scheduled check).
    assert world.store.get(mid).weight == 0 and len(world.scheduler.schedules) == 1
    world.in_sync()
    assert world.store.get(mid).weight == 50
    assert world.publisher.types()[-1] == "TrafficShifted"
    with pytest.raises(IllegalTransitionError):
        actions.cutover(world.click(mid), 10, world.ports)
    actions.rollback(world.click(mid), world.ports)
    rollback = world.publisher.events[-1]
    assert isinstance(rollback, RollbackRequested)
    traffic.rollback(rollback, **world.traffic_kw())  # type: ignore[arg-type]
    assert world.traffic.restored == [[world.traffic.original]]  # the record as it was
    assert world.store.get(mid).stage == Stage.ROLLING_BACK
    world.in_sync()
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
    assert len(world.slack.replies) == len(set(world.slack.replies)) == 7
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


def _buttons(world: World, mid: str) -> dict[str, dict[str, Any]]:
    migration = world.store.get(mid)
    return {b["action_id"]: b for b in card_buttons(migration)}


def test_a_step_bakes_before_the_next_is_offered_and_skipping_it_is_audited() -> None:
    world = World()
    mid = world.to_healthy()
    actions.cutover(world.click(mid), 10, world.ports)
    requested = world.publisher.events[-1]
    assert isinstance(requested, CutoverRequested)
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    (bake_end,) = world.in_sync(bake=timedelta(minutes=10))

    migration = world.store.get(mid)
    assert migration.weight == 10 and migration.bake_ends_at is not None
    assert isinstance(bake_end, BakeEnded) and bake_end.weight == 10
    offered = _buttons(world, mid)["cutover_50"]
    assert offered["text"]["text"] == "Cutover 50% (skip bake)"
    assert offered["confirm"]["title"]["text"] == "Skip the bake?"
    assert json.loads(offered["value"])["o"] == 1
    with pytest.raises(IllegalTransitionError, match="the 10% step bakes until"):
        actions.cutover(world.click(mid), 50, world.ports)  # a click without the override

    actions.cutover(world.click(mid), 50, world.ports, override=True)

    decisions = [(r.action, r.decision) for r in world.store.audit_trail(mid)]
    assert ("cutover_50", "accepted: override, the bake was skipped") in decisions
    assert world.store.get(mid).requested_weight == 50


def test_when_the_bake_ends_the_card_offers_the_next_step_plainly() -> None:
    world = World()
    mid = world.to_healthy()
    actions.cutover(world.click(mid), 10, world.ports)
    requested = world.publisher.events[-1]
    assert isinstance(requested, CutoverRequested)
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    (bake_end,) = world.in_sync(bake=timedelta(minutes=10))
    assert isinstance(bake_end, BakeEnded)

    traffic.bake_ended(bake_end, **world.sides_kw())  # type: ignore[arg-type]
    traffic.bake_ended(bake_end, **world.sides_kw())  # type: ignore[arg-type]  (redelivered)

    assert world.store.get(mid).bake_ends_at is None
    assert world.publisher.types().count("StepBaked") == 1
    offered = _buttons(world, mid)["cutover_50"]
    assert offered["text"]["text"] == "Cutover 50%" and "o" not in json.loads(offered["value"])
    actions.cutover(world.click(mid), 50, world.ports)  # no override needed now


def _run_scheduled(world: World, bake: timedelta) -> None:
    """Route 53 in sync, then every scheduled event and every step it asks for, until quiet."""
    seen = len(world.publisher.events)
    while True:
        for event in world.in_sync(bake=bake):
            assert isinstance(event, BakeEnded)
            traffic.bake_ended(event, **world.sides_kw())  # type: ignore[arg-type]
        fresh = world.publisher.events[seen:]
        seen = len(world.publisher.events)
        steps = [e for e in fresh if isinstance(e, CutoverRequested)]
        if not steps and not world.scheduler.schedules:
            return
        for step in steps:
            traffic.cutover(step, **world.traffic_kw())  # type: ignore[arg-type]


def test_a_gradual_cutover_takes_each_step_after_its_bake_and_stops_when_paused() -> None:
    world = World()
    mid = world.to_healthy()
    assert "gradual_start" in _buttons(world, mid)

    actions.start_gradual(world.click(mid), 100, world.ports)
    first = world.publisher.events[-1]
    assert isinstance(first, CutoverRequested) and first.gradual and first.weight == 10
    traffic.cutover(first, **world.traffic_kw())  # type: ignore[arg-type]
    # 10 % shifts and bakes; the bake's end takes 50 %, which is paused before it bakes.
    (baked,) = world.in_sync(bake=timedelta(minutes=10))
    assert world.store.get(mid).weight == 10 and "gradual_pause" in _buttons(world, mid)
    traffic.bake_ended(baked, **world.sides_kw())  # type: ignore[arg-type]
    second = world.publisher.events[-1]
    assert isinstance(second, CutoverRequested) and second.weight == 50 and second.gradual
    actions.pause_gradual(world.click(mid), True, world.ports)
    traffic.cutover(second, **world.traffic_kw())  # type: ignore[arg-type]
    _run_scheduled(world, timedelta(minutes=10))
    paused = world.store.get(mid)
    assert paused.weight == 50 and paused.requested_weight is None and paused.paused
    assert set(_buttons(world, mid)) >= {"gradual_resume", "rollback"}

    actions.pause_gradual(world.click(mid), False, world.ports)  # resume: 50 % has baked
    resumed = world.publisher.events[-1]
    assert isinstance(resumed, CutoverRequested) and resumed.weight == 100
    traffic.cutover(resumed, **world.traffic_kw())  # type: ignore[arg-type]
    _run_scheduled(world, timedelta(minutes=10))

    done = world.store.get(mid)
    assert done.stage == Stage.CUT_OVER and done.weight == 100
    assert world.traffic.weights == [10, 50, 100]
    states = [e.state for e in world.publisher.events if isinstance(e, GradualChanged)]
    assert states == ["started", "paused", "resumed"]


def test_a_rollback_ends_the_gradual_cutover() -> None:
    world = World()
    mid = world.to_healthy()
    actions.start_gradual(world.click(mid), 100, world.ports)
    first = world.publisher.events[-1]
    assert isinstance(first, CutoverRequested)
    traffic.cutover(first, **world.traffic_kw())  # type: ignore[arg-type]
    (baked,) = world.in_sync(bake=timedelta(minutes=10))
    actions.rollback(world.click(mid), world.ports)
    rollback = world.publisher.events[-1]
    assert isinstance(rollback, RollbackRequested)
    traffic.rollback(rollback, **world.traffic_kw())  # type: ignore[arg-type]
    world.in_sync()

    traffic.bake_ended(baked, **world.sides_kw())  # type: ignore[arg-type]  (the old bake's end)

    ended = world.store.get(mid)
    assert ended.stage == Stage.ROLLED_BACK and ended.gradual_until is None
    assert world.traffic.weights == [10]  # no further step was taken


def _alarm(name: str, value: str = "ALARM") -> CloudWatchAlarmStateChange:
    return CloudWatchAlarmStateChange.model_validate(
        {
            "alarmName": name,
            "state": {"value": value, "reason": "Threshold Crossed: 1 datapoint [42.0] > 5.0"},
        }
    )


def test_the_edge_step_creates_the_three_cutover_alarms_on_both_sides() -> None:
    world = World()
    mid = world.to_healthy()
    assert world.edge.alarms == gates.alarm_names(mid)
    requests = gates.alarms(
        mid,
        gates.Side(
            load_balancer_arn=LOAD_BALANCING.load_balancer_arn,
            target_group_arn=LOAD_BALANCING.target_group_arn,
        ),
        gates.Side(
            load_balancer_arn=LOAD_BALANCING.load_balancer_arn,
            target_group_arn=LOAD_BALANCING.target_group_arn,
        ),
    )
    dims = requests[2]["Dimensions"]
    assert dims == [
        {"Name": "LoadBalancer", "Value": "app/secure-blog-alb/50dc6c495c0c9188"},
        {"Name": "TargetGroup", "Value": "targetgroup/secure-blog-tg/73e2d6bc24d8a067"},
    ]
    assert [gates.migration_of(n) for n in gates.alarm_names(mid)] == [mid] * 3
    assert gates.migration_of("someone-elses-alarm") is None


def test_a_breached_alarm_rolls_back_at_once_with_its_reason() -> None:
    world = World()
    mid = world.to_healthy()
    actions.cutover(world.click(mid), 10, world.ports)
    requested = world.publisher.events[-1]
    assert isinstance(requested, CutoverRequested)
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    world.in_sync()
    name = gates.alarm_names(mid)[0]

    alarms.on_alarm(_alarm(name, "OK"), **world.sides_kw())  # type: ignore[arg-type]
    assert world.store.get(mid).stage == Stage.CUTTING_OVER
    alarms.on_alarm(_alarm(name), **world.sides_kw())  # type: ignore[arg-type]
    alarms.on_alarm(_alarm(name), **world.sides_kw())  # type: ignore[arg-type]  (a second breach)

    rollback = world.publisher.events[-1]
    assert isinstance(rollback, RollbackRequested) and rollback.reason
    assert world.publisher.types().count("RollbackRequested") == 1
    traffic.rollback(rollback, **world.traffic_kw())  # type: ignore[arg-type]
    world.in_sync()
    done = world.store.get(mid)
    assert done.stage == Stage.ROLLED_BACK and done.weight == 0
    rolled = world.publisher.events[-1]
    assert isinstance(rolled, RolledBack) and name in (rolled.reason or "")
    assert world.traffic.restored == [[world.traffic.original]]
    assert any(
        r.actor == "migrate-bot" and "automatic" in r.decision for r in world.store.audit_trail(mid)
    )


def test_an_alarm_without_traffic_on_ecs_changes_nothing() -> None:
    world = World()
    mid = world.to_healthy()
    alarms.on_alarm(_alarm(gates.alarm_names(mid)[2]), **world.sides_kw())  # type: ignore[arg-type]
    assert world.store.get(mid).stage == Stage.HEALTHY


# --- side by side: both sides over a step, when it has baked and on an automatic rollback ----


def _serving_express(world: World, mid: str) -> None:
    """Store the Express ingress as the edge step finds it (its target group included)."""
    ingress = world.edge.express_ingress("arn", "PUBLIC")
    migration = world.store.get(mid)
    world.store.save(migration.model_copy(update={"express_ingress": ingress}))


def _shifted_to(world: World, mid: str, weight: int, bake: timedelta) -> list[DomainEvent]:
    actions.cutover(world.click(mid), weight, world.ports)
    requested = world.publisher.events[-1]
    assert isinstance(requested, CutoverRequested)
    traffic.cutover(requested, **world.traffic_kw())  # type: ignore[arg-type]
    return world.in_sync(bake=bake)


def _card_text(world: World, mid: str) -> str:
    return json.dumps(render_status_card(world.store.get(mid))[1], ensure_ascii=False)


def test_when_a_step_has_baked_both_sides_are_read_in_one_request_and_kept() -> None:
    world = World()
    mid = world.to_healthy()
    _serving_express(world, mid)
    (bake_end,) = _shifted_to(world, mid, 10, timedelta(minutes=10))
    shifted_at = world.store.get(mid).shifted_at
    assert shifted_at is not None and world.store.get(mid).side_by_side is None

    traffic.bake_ended(bake_end, **world.sides_kw())  # type: ignore[arg-type]
    traffic.bake_ended(bake_end, **world.sides_kw())  # type: ignore[arg-type]  (redelivered)

    ((sides, span),) = world.sides.reads  # one request for both sides, not read again
    ingress = world.edge.express_ingress("arn", "PUBLIC")
    assert sides == {
        "legacy": gates.Side(
            load_balancer_arn=LOAD_BALANCING.load_balancer_arn,
            target_group_arn=LOAD_BALANCING.target_group_arn,
        ),
        "express": gates.Side(
            load_balancer_arn=ingress.load_balancer_arn,
            target_group_arn=str(ingress.target_group_arn),
        ),
    }
    assert span.start == shifted_at and span.period >= 60
    assert world.sides.health_reads == [LOAD_BALANCING.target_group_arn]
    taken = world.store.get(mid).side_by_side
    assert taken is not None
    assert (taken.moment, taken.weight, taken.start) == ("baked", 10, shifted_at)
    assert taken.end > shifted_at
    assert taken.legacy == world.sides.figures["legacy"]
    assert taken.express == world.sides.figures["express"]
    assert (taken.legacy_healthy, taken.legacy_unhealthy) == (2, 0)
    assert world.publisher.types().count("StepBaked") == 1
    assert "over the 10% step" in _card_text(world, mid)


def test_failed_reads_leave_the_figures_out_and_the_step_still_bakes() -> None:
    world = World()
    mid = world.to_healthy()
    world.sides.failing = {"metrics", "health"}
    (bake_end,) = _shifted_to(world, mid, 10, timedelta(minutes=10))

    traffic.bake_ended(bake_end, **world.sides_kw())  # type: ignore[arg-type]

    baked = world.store.get(mid)
    assert baked.bake_ends_at is None and world.publisher.types().count("StepBaked") == 1
    ((sides, _),) = world.sides.reads
    assert list(sides) == ["legacy", "express"]  # both asked for, neither answered
    taken = baked.side_by_side
    assert taken is not None
    assert (taken.legacy, taken.express, taken.legacy_healthy) == (None, None, None)
    text = _card_text(world, mid)
    assert "targets not available" in text and "requests, 5xx, p99 not available" in text


def test_an_automatic_rollback_puts_both_sides_side_by_side_over_the_step_it_ended() -> None:
    world = World()
    mid = world.to_healthy()
    _serving_express(world, mid)
    _shifted_to(world, mid, 10, timedelta(0))
    shifted_at = world.store.get(mid).shifted_at
    name = gates.alarm_names(mid)[0]

    alarms.on_alarm(_alarm(name), **world.sides_kw())  # type: ignore[arg-type]
    alarms.on_alarm(_alarm(name), **world.sides_kw())  # type: ignore[arg-type]  (a second breach)

    assert world.publisher.types().count("RollbackRequested") == 1
    assert len(world.sides.reads) == 1
    taken = world.store.get(mid).side_by_side
    assert taken is not None
    assert (taken.moment, taken.weight, taken.start) == ("rollback", 10, shifted_at)
    rollback = world.publisher.events[-1]
    assert isinstance(rollback, RollbackRequested)
    traffic.rollback(rollback, **world.traffic_kw())  # type: ignore[arg-type]
    world.in_sync()
    assert world.store.get(mid).stage == Stage.ROLLED_BACK
    assert "when the bot rolled back" in _card_text(world, mid)


def test_an_automatic_rollback_is_asked_for_even_when_the_reads_fail() -> None:
    world = World()
    mid = world.to_healthy()
    world.sides.failing = {"metrics", "health"}
    _shifted_to(world, mid, 10, timedelta(0))

    alarms.on_alarm(_alarm(gates.alarm_names(mid)[1]), **world.sides_kw())  # type: ignore[arg-type]

    migration = world.store.get(mid)
    assert migration.stage == Stage.ROLLING_BACK
    assert world.publisher.types()[-1] == "RollbackRequested"
    assert migration.side_by_side is not None and migration.side_by_side.legacy is None
