"""ECS events → migration state: deployments, steady state and task changes."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.domain.deployments import COMPLETED, FAILED, STEADY
from bot.domain.migration import Migration, advance
from bot.domain.state import Stage
from bot.domain.tasks import CARD_STATUSES
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.events.models import ServiceHealthy, ServiceRevised, TaskStateChanged
from bot.ports import Clock, MigrationNotFoundError, Publisher, Store, TaskRecord
from bot.services.changes import republish_step, transition_and_emit
from bot.services.failures import report_failure

STEADY_KEY = "steady-state"
_MIGRATION_SUFFIX = re.compile(r"(mig-[0-9a-f]{8})$")


class ServiceNotRecordedError(LookupError):
    """An event names a bot-created service whose ARN is not stored yet (retried)."""


@dataclass
class WarmCache:
    """What a warm ECS-events consumer remembers between events (one per cold start).

    The handler builds it and passes it in, so a burst costs one store lookup per service
    ARN and no write for a duplicate or older task state. The conditional writes stay the
    source of truth across instances: the cache only skips work whose outcome it already
    knows (an owner found, a task version stored).
    """

    max_tasks: int = 10_000
    owners: dict[str, str] = field(default_factory=dict)
    task_versions: OrderedDict[str, int] = field(default_factory=OrderedDict)

    def owner(self, store: Store, service_arn: str) -> str | None:
        """The migration id owning ``service_arn``, looked up in the store once while warm."""
        if service_arn in self.owners:
            return self.owners[service_arn]
        migration = find_migration(store, service_arn)
        if migration is None:
            return None  # not remembered: the service may be recorded by the next event
        self.owners[service_arn] = migration.migration_id
        return migration.migration_id

    def known(self, task_arn: str, version: int) -> bool:
        """Whether a state of the task at least this new is known to be stored."""
        return self.task_versions.get(task_arn, -1) >= version

    def remember(self, task_arn: str, version: int) -> None:
        """Note that the task's state at ``version`` (or newer) is stored."""
        self.task_versions[task_arn] = max(version, self.task_versions.get(task_arn, -1))
        self.task_versions.move_to_end(task_arn)
        while len(self.task_versions) > self.max_tasks:
            self.task_versions.popitem(last=False)


@dataclass(frozen=True)
class EcsPorts:
    """What the ECS-events consumer works with (the warm cache lives as long as the ports)."""

    store: Store
    publisher: Publisher
    clock: Clock
    cache: WarmCache


def on_event(detail_type: str, resources: list[str], detail: object, *, ports: EcsPorts) -> bool:
    """Route one aws.ecs event by its detail-type; False for a detail-type not consumed."""
    store, publisher, clock, cache = ports.store, ports.publisher, ports.clock, ports.cache
    match detail_type:
        case "ECS Deployment State Change":
            deployment = EcsDeploymentStateChange.model_validate(detail)
            on_deployment(
                resources[0], deployment, store=store, publisher=publisher, clock=clock, cache=cache
            )
        case "ECS Service Action":
            action = EcsServiceAction.model_validate(detail)
            on_service_action(
                resources[0], action, store=store, publisher=publisher, clock=clock, cache=cache
            )
        case "ECS Task State Change":
            task = EcsTaskStateChange.model_validate(detail)
            on_task(task, store=store, publisher=publisher, cache=cache)
        case _:
            return False
    return True


def find_migration(store: Store, service_arn: str) -> Migration | None:
    """The migration owning ``service_arn``; None for services the bot did not create."""
    migration = store.find_by_service_arn(service_arn)
    if migration is not None:
        return migration
    named = _MIGRATION_SUFFIX.search(service_arn)
    if named is None:
        return None
    try:
        owner = store.get(named.group(1))
    except MigrationNotFoundError:
        return None  # a look-alike name, or a migration of another installation
    if owner.service_arn is None and owner.stage == Stage.DEPLOYING:
        # The service exists before deploy records its ARN: let Lambda retry the event.
        raise ServiceNotRecordedError(f"service {service_arn} is not recorded yet")
    return None


def on_deployment(
    service_arn: str,
    detail: EcsDeploymentStateChange,
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
    cache: WarmCache | None = None,
) -> None:
    """Record a deployment state; completed (with steady state) → healthy, failed → failed.

    The status is recorded first (terminal states are never overwritten), then the
    consequence is derived from what is recorded, on every delivery: a redelivery
    after a crash finishes the step instead of finding it "already seen".
    """
    migration_id = (cache or WarmCache()).owner(store, service_arn)
    if migration_id is None:
        return
    store.record_deployment(migration_id, detail.deployment_id, detail.event_name)
    recorded = store.deployment_statuses(migration_id).get(detail.deployment_id)
    if recorded == FAILED and detail.event_name == FAILED:
        reason = detail.reason or "the ECS deployment failed"
        report_failure(
            store, publisher, clock, migration_id, Stage.DEPLOYING, f"Deployment failed: {reason}"
        )
    elif recorded == COMPLETED:
        _healthy_if_ready(store, publisher, clock, migration_id)
        _revised_if_served(store, publisher, migration_id, service_arn, detail.deployment_id)


def on_found(migration_id: str, service_arn: str, *, ports: EcsPorts) -> None:
    """The reconciler found the service's deployment SUCCESSFUL (its events never came): the
    deployment is recorded completed and steady, and the service may be healthy."""
    store = ports.store
    migration = store.get(migration_id)
    if migration.service_arn != service_arn or migration.stage != Stage.DEPLOYING:
        return
    store.record_deployment(migration_id, f"found:{service_arn}", COMPLETED)
    store.record_deployment(migration_id, STEADY_KEY, STEADY)
    _healthy_if_ready(store, ports.publisher, ports.clock, migration_id)


def on_service_action(
    service_arn: str,
    detail: EcsServiceAction,
    *,
    store: Store,
    publisher: Publisher,
    clock: Clock,
    cache: WarmCache | None = None,
) -> None:
    """Record SERVICE_STEADY_STATE (AWS repeats it; once is kept); it may complete the health check."""
    if detail.event_name != STEADY:
        return
    migration_id = (cache or WarmCache()).owner(store, service_arn)
    if migration_id is None:
        return
    store.record_deployment(migration_id, STEADY_KEY, STEADY)
    _healthy_if_ready(store, publisher, clock, migration_id)


def on_task(
    detail: EcsTaskStateChange,
    *,
    store: Store,
    publisher: Publisher,
    cache: WarmCache | None = None,
) -> None:
    """Record a task change when newer than what is stored; announce the ones the card shows.

    At most one write per new task state (the conditional put, still the source of truth
    across instances), and none for a state the warm ``cache`` knows is stored. Only
    RUNNING and STOPPED are announced: they are what the card's running count and last
    stop reason can change on; the notifier reads the summary from the store.
    """
    cache = cache or WarmCache()
    service_arn = detail.service_arn()
    if service_arn is None or cache.known(detail.task_arn, detail.version):
        return
    migration_id = cache.owner(store, service_arn)
    if migration_id is None:
        return
    extra = detail.model_extra or {}
    stopped_at = extra.get("stoppedAt")
    record = TaskRecord(
        task_arn=detail.task_arn,
        last_status=detail.last_status,
        ecs_version=detail.version,
        stop_code=detail.stop_code,
        stopped_reason=detail.stopped_reason,
        stopped_at=stopped_at if isinstance(stopped_at, str) else None,
    )
    if store.record_task(migration_id, record) and detail.last_status in CARD_STATUSES:
        publisher.publish(
            [
                TaskStateChanged(
                    migration_id=migration_id,
                    idempotency_key=f"{detail.task_arn}:{detail.version}",
                    task_arn=detail.task_arn,
                    last_status=detail.last_status,
                    desired_status=detail.desired_status,
                    stop_code=detail.stop_code,
                    stopped_reason=detail.stopped_reason,
                    ecs_version=detail.version,
                )
            ]
        )
    # Stored now, or already (a refused put means a state at least this new is stored).
    cache.remember(detail.task_arn, detail.version)


def _revised_if_served(
    store: Store, publisher: Publisher, migration_id: str, service_arn: str, deployment_id: str
) -> None:
    """A deployment that completed after the edge step (an update of the service): the
    name and certificate are checked again on the service's current rule and listener."""
    migration = store.get(migration_id)
    if migration.express_ingress is None or migration.terminal:
        return
    completed = [
        d for d, status in store.deployment_statuses(migration_id).items() if status == COMPLETED
    ]
    if completed == [deployment_id]:
        return  # the service's first deployment (delivered again): nothing was updated
    republish_step(
        store,
        publisher,
        ServiceRevised(
            migration_id=migration_id,
            idempotency_key=f"{migration_id}:revised:{deployment_id}",
            service_arn=service_arn,
            deployment_id=deployment_id,
        ),
    )


def _healthy(migration: Migration) -> ServiceHealthy:
    assert migration.service_arn is not None, "a healthy migration has a service"
    return ServiceHealthy(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:healthy",
        service_arn=migration.service_arn,
        endpoint=migration.endpoint,
    )


def _healthy_if_ready(store: Store, publisher: Publisher, clock: Clock, migration_id: str) -> None:
    statuses = store.deployment_statuses(migration_id)
    if STEADY not in statuses.values() or COMPLETED not in statuses.values():
        return
    transition_and_emit(
        store,
        publisher,
        migration_id,
        lambda m: (
            advance(m, Stage.HEALTHY, clock.now())
            if m.stage == Stage.DEPLOYING and m.service_arn
            else None
        ),
        lambda m: m.stage == Stage.HEALTHY,
        _healthy,
    )
