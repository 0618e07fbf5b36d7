"""ECS task events fold into the status card; replies are kept for milestones only.

Over the fakes: a burst of task events (AWS's documented ECS Task State Change shape),
shuffled and duplicated, through ``ecs_events.on_task`` with a warm cache and then the
notifier. The card shows running n of desired and the last stop reason; the thread gets
"first task running" once and each distinct stop reason once.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.tasks import TaskRecord, summarize
from bot.events.aws import EcsTaskStateChange
from bot.events.models import DomainEvent, TaskStateChanged
from bot.services import ecs_events, notifier
from bot.slack.blocks import render_status_card
from tests.unit.test_services import World

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CRASH = ("EssentialContainerExited", "Essential container in task exited")
HEALTH = ("ServiceSchedulerInitiated", "Task failed ELB health checks in (target-group <tg>)")
LIFECYCLE = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
STOPPING = ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]


def task_detail(
    world_arn: str, n: int, status: str, version: int, stop: tuple[str, str] | None
) -> EcsTaskStateChange:
    """One ECS Task State Change detail, with the documented fields the bot reads."""
    cluster = world_arn.split(":service/")[0] + ":cluster/default"
    detail: dict[str, Any] = {
        "taskArn": f"{cluster.replace(':cluster/', ':task/')}/{n:032x}",
        "clusterArn": cluster,
        "group": f"service:{world_arn.rsplit('/', 1)[-1]}",
        "lastStatus": status,
        "desiredStatus": "STOPPED" if status in STOPPING else "RUNNING",
        "version": version,
        "launchType": "FARGATE",
    }
    if status == "STOPPED" and stop is not None:
        at = START + timedelta(seconds=10 * n + version)
        detail |= {
            "stopCode": stop[0],
            "stoppedReason": stop[1],
            "stoppedAt": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
    return EcsTaskStateChange.model_validate(detail)


def lifecycle(arn: str, n: int, stop: tuple[str, str] | None) -> list[EcsTaskStateChange]:
    """Every state of one task, in ECS's order (versions 1, 2, ...)."""
    statuses = LIFECYCLE + (STOPPING if stop else [])
    return [task_detail(arn, n, s, v, stop) for v, s in enumerate(statuses, start=1)]


def deployed() -> tuple[World, str, str]:
    world = World()
    mid = world.to_healthy()
    for event in list(world.publisher.events):
        notifier.notify(event, store=world.store, slack=world.slack)
    return world, mid, world.store.get(mid).service_arn or ""


def published_since(world: World, before: int) -> list[DomainEvent]:
    return world.publisher.events[before:]


def test_a_shuffled_duplicated_burst_folds_into_the_card_with_milestones_once() -> None:
    world, mid, arn = deployed()
    # Ten tasks crash (two distinct reasons), then two stay running.
    events = [e for n in range(10) for e in lifecycle(arn, n, CRASH if n % 2 else HEALTH)]
    events += [e for n in (10, 11) for e in lifecycle(arn, n, None)]
    burst = events * 3
    random.Random(7).shuffle(burst)
    cache = ecs_events.WarmCache()
    before, replies = len(world.publisher.events), len(world.slack.replies)
    writes_before = world.slack.writes()
    for detail in burst:
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher, cache=cache)
    for event in published_since(world, before):  # the notifier drains its queue afterwards
        notifier.notify(event, store=world.store, slack=world.slack)
    new_replies = world.slack.replies[replies:]
    assert sum(r.startswith(":arrow_forward: The first task is running") for r in new_replies) == 1
    stops = [r for r in new_replies if r.startswith(":stop_sign:")]
    assert len(stops) == 2
    assert any("EssentialContainerExited" in r for r in stops)
    assert any("ELB health checks in (target-group &lt;tg&gt;)" in r for r in stops)  # escaped
    assert len(new_replies) == 3
    shown = world.slack.card_tasks[world.store.get(mid).slack_ts or ""]
    assert shown is not None and (shown.running, shown.desired) == (2, 1)
    # The last stop is the latest by ECS's stoppedAt (task 9, a crash), whatever the order.
    assert shown.last_stop_code == CRASH[0]
    # Three replies and one card edit: the whole burst was already stored when the
    # notifier ran, so every later event found the card showing the same summary.
    assert world.slack.writes() - writes_before == 4 and world.slack.card_updates == 1


def test_only_running_and_stopped_are_announced_and_each_state_once() -> None:
    world, _, arn = deployed()
    before = len(world.publisher.events)
    cache = ecs_events.WarmCache()
    one = lifecycle(arn, 1, CRASH)
    for detail in list(reversed(one)) + one + one:
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher, cache=cache)
    announced = published_since(world, before)
    # Newest first: STOPPED (v8) is stored; every older state is then refused.
    assert [
        (e.last_status, e.ecs_version) for e in announced if isinstance(e, TaskStateChanged)
    ] == [("STOPPED", 8)]


def test_a_warm_consumer_looks_up_a_service_once_and_writes_nothing_for_a_duplicate() -> None:
    world, _, arn = deployed()
    cache = ecs_events.WarmCache()
    lookups, writes = world.store.service_lookups, world.store.task_writes
    states = lifecycle(arn, 1, CRASH) + lifecycle(arn, 2, None)
    for detail in states + states:  # every state delivered twice, in order
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher, cache=cache)
    assert world.store.service_lookups - lookups == 1
    assert world.store.task_writes - writes == len(states)  # one per new state, none per copy
    # An older state arriving after a newer one costs nothing either.
    ecs_events.on_task(states[0], store=world.store, publisher=world.publisher, cache=cache)
    assert world.store.task_writes - writes == len(states)


def test_without_a_warm_cache_every_event_costs_a_lookup_and_a_write() -> None:
    world, mid, arn = deployed()
    lookups, writes = world.store.service_lookups, world.store.task_writes
    states = lifecycle(arn, 1, None)
    for detail in states + states:
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher)
    assert world.store.service_lookups - lookups == 2 * len(states)
    assert world.store.task_writes - writes == 2 * len(states)
    # The conditional write still holds: the copies stored and announced nothing new.
    (stored,) = world.store.tasks(mid)
    assert (stored.last_status, stored.ecs_version) == ("RUNNING", 4)


def test_a_new_instance_relies_on_the_conditional_write_not_on_its_cache() -> None:
    world, mid, arn = deployed()
    before = len(world.publisher.events)
    states = lifecycle(arn, 1, None)
    running, older = states[-1], states[0]
    for _ in range(3):  # three cold instances, each with its own empty cache
        for state in (running, older):
            ecs_events.on_task(
                state, store=world.store, publisher=world.publisher, cache=ecs_events.WarmCache()
            )
    # The older state is refused by the conditional write every time. The newest is
    # announced by each cold instance under one idempotency key (the notifier dedupes it).
    published = published_since(world, before)
    assert {e.idempotency_key for e in published} == {f"{running.task_arn}:{running.version}"}
    (stored,) = world.store.tasks(mid)
    assert stored.ecs_version == running.version


def test_a_notice_lost_in_a_crash_is_published_by_the_retry() -> None:
    world, _, arn = deployed()
    before = len(world.publisher.events)
    running = lifecycle(arn, 1, None)[-1]
    cache = ecs_events.WarmCache()
    publish = world.publisher.publish

    def crash(events: object) -> None:
        raise RuntimeError("the function died after the write")

    world.publisher.publish = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        ecs_events.on_task(running, store=world.store, publisher=world.publisher, cache=cache)
    world.publisher.publish = publish  # type: ignore[method-assign]
    ecs_events.on_task(running, store=world.store, publisher=world.publisher, cache=cache)
    assert [e.idempotency_key for e in published_since(world, before)] == [
        f"{running.task_arn}:{running.version}"
    ]


def test_the_card_is_edited_only_when_the_summary_changes() -> None:
    world, mid, arn = deployed()
    cache = ecs_events.WarmCache()
    updates = world.slack.card_updates

    def deliver(detail: EcsTaskStateChange) -> None:
        before = len(world.publisher.events)
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher, cache=cache)
        for event in published_since(world, before):
            notifier.notify(event, store=world.store, slack=world.slack)

    first = lifecycle(arn, 1, None)
    for detail in first:
        deliver(detail)
    assert world.slack.card_updates == updates + 1  # 0 → 1 running
    # A duplicate notice of the same event (at-least-once) edits nothing.
    notifier.notify(world.publisher.events[-1], store=world.store, slack=world.slack)
    assert world.slack.card_updates == updates + 1
    card = world.slack.card_tasks[world.store.get(mid).slack_ts or ""]
    assert card is not None and card.running == 1 and not card.stopped


def test_a_stop_reason_is_escaped_on_the_card_and_in_the_reply() -> None:
    world, mid, arn = deployed()
    cache = ecs_events.WarmCache()
    nasty = ("<!channel>", "exit <@U123> & <https://evil|click>")
    before = len(world.publisher.events)
    for detail in lifecycle(arn, 1, nasty):
        ecs_events.on_task(detail, store=world.store, publisher=world.publisher, cache=cache)
    for event in published_since(world, before):
        notifier.notify(event, store=world.store, slack=world.slack)
    migration = world.store.get(mid)
    summary = world.slack.card_tasks[migration.slack_ts or ""]
    _, blocks = render_status_card(migration, summary)
    text = str(blocks) + "".join(world.slack.replies)
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://" not in text
    assert "&lt;!channel&gt;" in text


def test_summary_counts_only_running_and_picks_the_latest_stop() -> None:
    records = [
        TaskRecord(task_arn="a", last_status="RUNNING", ecs_version=4),
        TaskRecord(task_arn="b", last_status="DEACTIVATING", ecs_version=5),
        TaskRecord(
            task_arn="c",
            last_status="STOPPED",
            ecs_version=9,
            stop_code="X",
            stopped_reason="late",
            stopped_at="2026-11-25T09:00:09.000Z",
        ),
        TaskRecord(
            task_arn="d",
            last_status="STOPPED",
            ecs_version=12,
            stop_code="Y",
            stopped_reason="early",
            stopped_at="2026-11-25T09:00:01.000Z",
        ),
    ]
    summary = summarize(records, desired=2)
    assert (summary.running, summary.desired, summary.last_stop_reason) == (1, 2, "late")
    assert summarize(list(reversed(records)), desired=2) == summary
