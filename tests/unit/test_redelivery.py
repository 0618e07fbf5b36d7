"""At-least-once delivery with crashes: a publish that fails once, redeliveries, duplicates.

A small bus over the fakes delivers each event to the consumers the template
routes it to, with Lambda's retries; a flaky publisher fails one chosen publish.
Whatever fails and whatever is delivered twice, the migration must still reach
its goal, each AWS side effect must happen once, and each reply must appear once.
"""

from __future__ import annotations

from collections import deque

import pytest

from bot.domain.state import Stage
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.events.models import (
    BuildStarted,
    CaptureStarted,
    CertificateReady,
    CutoverRequested,
    DeploymentStarted,
    DnsChangeCheckDue,
    DomainEvent,
    ImageBuilt,
    MigrationRequested,
    PlanApproved,
    RollbackRequested,
    ServiceHealthy,
)
from bot.services import (
    actions,
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
from bot.slack.blocks import card_buttons
from tests.fakes import (
    FakeBuildAws,
    FakeCapture,
    FakeCertificateAws,
    FakeClock,
    FakeDeployAws,
    FakeDiscovery,
    FakeEdgeAws,
    FakeScheduler,
    FakeSlack,
    FakeStore,
    FakeTrafficAws,
)


class PublishFailedError(RuntimeError):
    """The injected failure."""


class FlakyPublisher:
    """Fails the ``fail_at``-th publish call once; delivers every event ``copies`` times."""

    def __init__(self, fail_at: int | None, copies: int) -> None:
        self.fail_at = fail_at
        self.copies = copies
        self.calls = 0
        self.queue: deque[DomainEvent] = deque()
        self.published: list[DomainEvent] = []

    def publish(self, events: list[DomainEvent]) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise PublishFailedError("PutEvents failed")
        for event in events:
            self.published.append(event)
            self.queue.extend([event] * self.copies)


class Bus:
    def __init__(self, fail_at: int | None, copies: int) -> None:
        self.store = FakeStore()
        self.clock = FakeClock()
        self.publisher = FlakyPublisher(fail_at, copies)
        self.discovery = FakeDiscovery()
        self.capture = FakeCapture()
        self.build = FakeBuildAws()
        self.deploy = FakeDeployAws()
        self.traffic = FakeTrafficAws()
        self.scheduler = FakeScheduler()
        self.edge = FakeEdgeAws()
        self.certs = FakeCertificateAws()
        self.slack = FakeSlack()
        self.ports = actions.ActionPorts(self.store, self.publisher, self.clock)

    def kw(self) -> dict[str, object]:
        return {"store": self.store, "publisher": self.publisher, "clock": self.clock}

    def consume(self, event: DomainEvent) -> None:
        """Every consumer the event is routed to, each with Lambda's 3 attempts."""
        # The notifier sees each event before the step it triggers has run (the worst order).
        for consumer in (self._notify, self._consumer):
            for attempt in range(3):
                try:
                    consumer(event)
                    break
                except PublishFailedError:
                    if attempt == 2:
                        raise

    def _notify(self, event: DomainEvent) -> None:
        notifier.notify(event, store=self.store, slack=self.slack)

    def _consumer(self, event: DomainEvent) -> None:
        kw = self.kw()
        match event:
            case MigrationRequested():
                discovery.run(event, aws=self.discovery, capture=self.capture, **kw)  # type: ignore[arg-type]
            case CaptureStarted():  # the command runs and SSM says so on the default bus
                capture.finished(event.command_id, event.instance_id, capture=self.capture, **kw)  # type: ignore[arg-type]
            case PlanApproved():
                build.start(event, aws=self.build, **kw)  # type: ignore[arg-type]
                certificates.prepare(event, aws=self.certs, **kw)  # type: ignore[arg-type]
            case BuildStarted():  # CodeBuild finishes and says so on the default bus
                m = self.store.get(event.migration_id)
                build.finished(f"migrate-bot-{m.migration_id}", event.build_id, "SUCCEEDED", **kw)  # type: ignore[arg-type]
            case ImageBuilt():
                deploy.run(event, aws=self.deploy, **kw)  # type: ignore[arg-type]
            case DeploymentStarted():  # ECS deploys and reports, task and steady state first
                prefix, _, name = event.service_arn.partition(":service/default/")
                running = EcsTaskStateChange.model_validate(
                    {
                        "taskArn": f"{prefix}:task/default/0123abcd",
                        "clusterArn": f"{prefix}:cluster/default",
                        "group": f"service:{name}",
                        "lastStatus": "RUNNING",
                        "version": 3,
                    }
                )
                ecs_events.on_task(running, store=self.store, publisher=self.publisher)
                steady = EcsServiceAction.model_validate(
                    {"eventType": "INFO", "eventName": "SERVICE_STEADY_STATE"}
                )
                done = EcsDeploymentStateChange.model_validate(
                    {
                        "eventType": "INFO",
                        "eventName": "SERVICE_DEPLOYMENT_COMPLETED",
                        "deploymentId": "ecs-svc/1",
                    }
                )
                ecs_events.on_service_action(event.service_arn, steady, **kw)  # type: ignore[arg-type]
                ecs_events.on_deployment(event.service_arn, done, **kw)  # type: ignore[arg-type]
            case ServiceHealthy() | CertificateReady():
                edge.serve(event, aws=self.edge, scheduler=self.scheduler, **kw)  # type: ignore[arg-type]
            case CutoverRequested():
                traffic.cutover(event, aws=self.traffic, scheduler=self.scheduler, **kw)  # type: ignore[arg-type]
            case RollbackRequested():
                traffic.rollback(event, aws=self.traffic, scheduler=self.scheduler, **kw)  # type: ignore[arg-type]
            case DnsChangeCheckDue():
                traffic.check_change(event, aws=self.traffic, scheduler=self.scheduler, **kw)  # type: ignore[arg-type]

    def drain(self) -> None:
        while True:
            while self.publisher.queue:
                self.consume(self.publisher.queue.popleft())
            due = self.scheduler.due()  # the schedules run once Route 53 is in sync
            if not due:
                return
            self.traffic.sync()
            self.publisher.queue.extend(due)

    def request(self) -> str:
        while True:
            try:
                m = requests.request_migration(
                    "secure-blog",
                    "C1",
                    "U1",
                    aws=self.discovery,
                    **self.kw(),  # type: ignore[arg-type]
                )
                return m.migration_id
            except requests.RequestNotQueuedError:
                continue  # the user sees the error and types /migrate again

    def click(self, mid: str, act: str, weight: int | None = None) -> None:
        """Click the button the status card shows, as a person would, until accepted."""
        action_id = {"approve": "approve_plan", "rollback": "rollback"}.get(
            act, f"cutover_{weight}"
        )
        for _ in range(3):
            card = self.slack.cards[self.store.get(mid).slack_ts or ""]
            offered = {b["action_id"] for b in card_buttons(card)}
            assert action_id in offered, f"the card ({card.stage}) does not offer {action_id}"
            click = actions.Click(mid, card.version, "U2")
            try:
                if act == "approve":
                    actions.approve_plan(click, self.ports)
                elif act == "cutover":
                    actions.cutover(click, weight or 0, self.ports)
                else:
                    actions.rollback(click, self.ports)
                return
            except actions.ActionNotQueuedError:
                continue
        raise AssertionError("the click was never accepted")


def run_migration(bus: Bus, *, rollback: bool) -> str:
    mid = bus.request()
    bus.drain()
    bus.click(mid, "approve")
    bus.drain()
    for weight in (10, 50) if rollback else (10, 50, 100):
        bus.click(mid, "cutover", weight)
        bus.drain()
    if rollback:
        bus.click(mid, "rollback")
        bus.drain()
    return mid


def publishes_of_a_clean_run(copies: int, rollback: bool) -> int:
    bus = Bus(fail_at=None, copies=copies)
    run_migration(bus, rollback=rollback)
    return bus.publisher.calls


# Every publish of a whole migration fails once in turn, with each event delivered once or
# twice; the number of publishes is taken from a clean run, so every case injects a failure.
@pytest.mark.parametrize("rollback", [False, True], ids=["cutover", "rollback"])
@pytest.mark.parametrize("copies", [1, 2], ids=["once", "twice"])
def test_a_failed_publish_or_duplicates_never_lose_or_repeat_a_step(
    copies: int, rollback: bool
) -> None:
    total = publishes_of_a_clean_run(copies, rollback)
    assert total >= 12
    for fail_at in range(1, total + 1):
        bus = Bus(fail_at, copies)
        mid = run_migration(bus, rollback=rollback)
        assert bus.publisher.calls > fail_at, "the failure was injected"
        check_converged(bus, mid, rollback)


def check_converged(bus: Bus, mid: str, rollback: bool) -> None:
    migration = bus.store.get(mid)
    if rollback:
        assert migration.stage == Stage.ROLLED_BACK and migration.weight == 0
        assert bus.traffic.weights == [10, 50]
        assert bus.traffic.restored == [[bus.traffic.original]] and not bus.traffic.weighted
    else:
        assert migration.stage == Stage.CUT_OVER and migration.weight == 100
        assert bus.traffic.weights == [10, 50, 100]
    assert len(bus.build.builds) == 1 and len(bus.deploy.specs) == 1
    assert bus.slack.posted_cards == 1
    assert len(bus.slack.replies) == len(set(bus.slack.replies))
    assert bus.slack.cards[migration.slack_ts or ""].stage == migration.stage
    # The task folds into the card from the store, so even a lost task notice shows there.
    tasks = bus.slack.card_tasks[migration.slack_ts or ""]
    assert tasks is not None and (tasks.running, tasks.desired) == (1, 1)


def test_an_unqueued_click_is_undone_so_the_same_card_still_works() -> None:
    bus = Bus(fail_at=None, copies=1)
    mid = bus.request()
    bus.drain()
    version = bus.store.get(mid).version
    bus.publisher.fail_at = bus.publisher.calls + 1
    with pytest.raises(actions.ActionNotQueuedError):
        actions.approve_plan(actions.Click(mid, version, "U2"), bus.ports)
    restored = bus.store.get(mid)
    assert restored.stage == Stage.PLANNED and restored.version == version
    actions.approve_plan(actions.Click(mid, version, "U2"), bus.ports)  # the same button
    assert bus.store.get(mid).stage == Stage.BUILDING
    decisions = [r.decision.split(":")[0] for r in bus.store.audit_trail(mid)]
    assert decisions == ["accepted", "failed", "accepted"]


def test_an_unqueued_request_is_closed_and_the_user_told() -> None:
    bus = Bus(fail_at=1, copies=1)
    with pytest.raises(requests.RequestNotQueuedError, match="please try again"):
        requests.request_migration("secure-blog", "C1", "U1", aws=bus.discovery, **bus.kw())  # type: ignore[arg-type]
    (migration,) = bus.store.migrations.values()
    assert migration.stage == Stage.FAILED and "could not be queued" in (migration.failure or "")
