"""Compile each channel's health report, store it, and hand it to the notifier once.

One report per channel per window whatever the retries: the report's key is the schedule's
time (Scheduler's ``<aws.scheduler.scheduled-time>``, the same for every retry of one
invocation) and the channel. A report already stored under its key is not compiled again
(no second round of AWS reads); ``HealthReportReady`` is published under a marker claimed in
the idempotency table (``changes.republish_step``), and the notifier claims its post, so a
redelivered request posts nothing more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from bot.domain.costs import CostComparison, ec2_side, fargate_side
from bot.domain.gates import Side
from bot.domain.health_report import (
    EXPRESS,
    LEGACY,
    HealthReport,
    MigrationHealth,
    ReportWindow,
    report_window,
    reportable,
)
from bot.domain.migration import Migration
from bot.events.models import HealthReportReady, HealthReportRequested
from bot.observability import logger
from bot.ports import HealthReadError, HealthReportAws, Publisher, ReportStore, Store
from bot.services.changes import republish_step
from bot.services.deploy import service_spec
from bot.services.notifier import task_summary

T = TypeVar("T")


def report_key(event: HealthReportRequested, channel_id: str) -> str:
    """The key a channel's report of this request is stored and posted under."""
    when = event.scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")
    if event.requested_by is None:
        return f"health-report:{channel_id}:{when}"
    return f"health-report:{channel_id}:{when}:{event.requested_by}"


def compile_reports(
    event: HealthReportRequested,
    *,
    store: Store,
    reports: ReportStore,
    aws: HealthReportAws,
    publisher: Publisher,
    now: datetime,
) -> list[str]:
    """Compile, store and announce each channel's report; return the keys announced.

    The schedule reports on every channel with a live or recent migration; ``/migrate
    report`` on its own channel, even when it has none (the report says so).
    """
    window = report_window(event.scheduled_time)
    if event.channel_id is not None:
        channels = {event.channel_id: store.list_by_channel(event.channel_id)}
    else:
        channels = defaultdict(list)
        for migration in reports.all_migrations():
            channels[migration.channel_id].append(migration)
    announced = []
    for channel_id in sorted(channels):
        chosen = sorted(
            (m for m in channels[channel_id] if reportable(m, window.end)),
            key=lambda m: m.created_at,
        )
        if not chosen and event.channel_id is None:
            continue
        key = report_key(event, channel_id)
        if reports.get_report(key) is None:
            counts: dict[str, int] = {}
            report = HealthReport(
                channel_id=channel_id,
                key=key,
                window=window,
                compiled_at=now,
                scheduled=event.requested_by is None,
                requested_by=event.requested_by,
                migrations=[_health(m, store, aws, window, counts) for m in chosen],
            )
            reports.put_report(report)  # a concurrent duplicate's first write stands
        ready = HealthReportReady(channel_id=channel_id, report_key=key, idempotency_key=key)
        republish_step(store, publisher, ready)
        announced.append(key)
    return announced


def _health(
    migration: Migration,
    store: Store,
    aws: HealthReportAws,
    window: ReportWindow,
    target_groups: dict[str, int],
) -> MigrationHealth:
    """One migration's lines in the report; a read that fails is named, never fatal."""
    plan = migration.plan
    health = MigrationHealth(
        migration_id=migration.migration_id,
        name=plan.name if plan is not None else migration.target,
        stage=migration.stage,
        weight=migration.weight,
    )
    if plan is None:
        return health
    missing: list[str] = []

    def read(what: str, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except HealthReadError as error:
            logger.warning(
                f"health report: {what} not available",
                extra={"migration_id": migration.migration_id, "error": str(error)[:500]},
            )
            missing.append(what)
            return None

    def groups_on(balancer: str) -> int | None:
        if balancer not in target_groups:
            count = read("load balancer share", lambda: aws.target_groups_on(balancer))
            if count is None:
                return None
            target_groups[balancer] = count
        return target_groups[balancer]

    sides: dict[str, Side] = {}
    if plan.load_balancer_arn and plan.target_group_arn:
        sides[LEGACY] = Side(
            load_balancer_arn=plan.load_balancer_arn, target_group_arn=plan.target_group_arn
        )
    ingress = migration.express_ingress
    if ingress is not None and ingress.target_group_arn:
        sides[EXPRESS] = Side(
            load_balancer_arn=ingress.load_balancer_arn, target_group_arn=ingress.target_group_arn
        )
    series = read("CloudWatch metrics", lambda: aws.series(sides, window)) if sides else None
    if series is not None:
        health.legacy, health.express = series.get(LEGACY), series.get(EXPRESS)
    if plan.target_group_arn:
        group = plan.target_group_arn
        targets = read("legacy target health", lambda: aws.target_health(group))
        if targets is not None:
            health.legacy_healthy, health.legacy_unhealthy = targets
    tasks = task_summary(store, migration)
    if tasks is not None:
        health.express_running, health.express_desired = tasks.running, tasks.desired
    cost = CostComparison(region=aws.region)
    instance = read("the instance's type and volumes", lambda: aws.instance_costs(plan.instance_id))
    legacy_groups = groups_on(plan.load_balancer_arn) if plan.load_balancer_arn else 0
    if instance is not None and legacy_groups is not None:
        cost.ec2 = ec2_side(
            instance.instance_type or plan.instance_type,
            instance.state in ("pending", "running"),
            instance.volumes,
            legacy_groups,
        )
    # Fargate at the tasks running now; before any runs, at the service's minimum.
    minimum = service_spec(migration.migration_id, plan, migration.image_uri or "").min_tasks
    count = tasks.running if tasks is not None and tasks.running else minimum
    express_groups = groups_on(ingress.load_balancer_arn) if ingress is not None else 1
    cost.fargate = fargate_side(
        plan.cpu, plan.memory, plan.cpu_architecture, count, express_groups or 1
    )
    health.cost = cost
    health.not_available = missing
    return health
