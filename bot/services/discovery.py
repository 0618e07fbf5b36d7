"""Discovery: read the instance and what surrounds it, then capture the app or plan without it.

With ``--image`` the plan deploys that image; with ``--source`` it reads the user's bundle.
Otherwise, when SSM manages the instance, the capture command is sent and the migration waits
in ``capturing`` for the command's event (``services.capture``); when SSM does not, the plan
says which prerequisite is missing and offers the two other ways in.
"""

from __future__ import annotations

from bot.domain import app_plan
from bot.domain.migration import Migration, advance
from bot.domain.plan import Plan
from bot.domain.sizing import UnknownInstanceTypeError
from bot.domain.state import Stage
from bot.events.models import CaptureStarted, DiscoveryCompleted, MigrationRequested
from bot.ports import (
    AwsRefusedError,
    BundleError,
    CaptureAws,
    Clock,
    DiscoveryAws,
    DiscoveryError,
    InstanceNotFoundError,
    Publisher,
    Store,
)
from bot.services.changes import mutate, republish_step, transition_and_emit
from bot.services.failures import report_failure
from bot.services.plan_report import discover


def discovered(migration: Migration) -> DiscoveryCompleted:
    """The event of a migration whose plan is ready."""
    plan = migration.plan
    assert plan is not None, "a planned migration has a plan"
    return DiscoveryCompleted(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:discovered",
        instance_id=plan.instance_id,
        runtime=plan.runtime,
        port=plan.port,
        cpu=plan.cpu,
        memory=plan.memory,
        blocked=plan.blocker is not None,
    )


def _capture_started(migration: Migration) -> CaptureStarted:
    assert migration.plan and migration.capture_command_id, "a sent capture is recorded"
    return CaptureStarted(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:capture:{migration.capture_command_id}",
        command_id=migration.capture_command_id,
        instance_id=migration.plan.instance_id,
    )


def run(
    event: MigrationRequested,
    *,
    store: Store,
    aws: DiscoveryAws,
    capture: CaptureAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Discover the target of ``event``; capture its app, or plan (or fail) without."""
    current = store.get(event.migration_id)
    if current.stage == Stage.PLANNED:
        republish_step(store, publisher, discovered(current))  # redelivered
        return
    if current.stage == Stage.CAPTURING:
        try:
            _send_capture(current, store=store, capture=capture, publisher=publisher)
        except AwsRefusedError as error:
            report_failure(store, publisher, clock, event.migration_id, Stage.CAPTURING, str(error))
        return
    if current.stage == Stage.REQUESTED:
        mutate(
            store,
            event.migration_id,
            lambda m: (
                advance(m, Stage.DISCOVERING, clock.now()) if m.stage == Stage.REQUESTED else None
            ),
        )
    elif current.stage != Stage.DISCOVERING:
        return  # the migration moved on (cancelled, failed, or past planning)
    try:
        instance, plan = discover(event.target, aws)
        if event.image_uri:
            plan = app_plan.with_image(plan, event.image_uri, instance.user_data)
        elif event.source_key:
            bundle = capture.read_bundle(event.source_key)
            plan = app_plan.with_bundle(
                plan, bundle, bundle_key=event.source_key, user_data=instance.user_data
            )
        else:
            status = capture.ssm_status(plan.instance_id, plan.instance_profile_arn)
            if status.managed:
                _start_capture(
                    event.migration_id,
                    plan.model_copy(update={"ssm": status.detail}),
                    store=store,
                    capture=capture,
                    publisher=publisher,
                    clock=clock,
                )
                return
            plan = app_plan.without_capture(plan, status.detail)
    except (
        InstanceNotFoundError,
        DiscoveryError,
        UnknownInstanceTypeError,
        AwsRefusedError,
        BundleError,
    ) as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.DISCOVERING, str(error))
        return
    _plan_ready(event.migration_id, plan, store=store, publisher=publisher, clock=clock)


def _plan_ready(
    migration_id: str, plan: Plan, *, store: Store, publisher: Publisher, clock: Clock
) -> None:
    transition_and_emit(
        store,
        publisher,
        migration_id,
        lambda m: (
            advance(m, Stage.PLANNED, clock.now(), plan=plan)
            if m.stage == Stage.DISCOVERING
            else None
        ),
        lambda m: m.stage == Stage.PLANNED,
        discovered,
    )


def _start_capture(
    migration_id: str,
    plan: Plan,
    *,
    store: Store,
    capture: CaptureAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Record the plan so far in ``capturing`` first, then send the command.

    SendCommand has no idempotency token: saving the stage before sending lets a retry after a
    crash look for the command it may already have sent (by its Comment) instead of sending a
    second one.
    """
    saved = mutate(
        store,
        migration_id,
        lambda m: (
            advance(m, Stage.CAPTURING, clock.now(), plan=plan)
            if m.stage == Stage.DISCOVERING
            else None
        ),
    )
    if saved is not None:
        _send_capture(saved, store=store, capture=capture, publisher=publisher, fresh=True)


def _send_capture(
    migration: Migration,
    *,
    store: Store,
    capture: CaptureAws,
    publisher: Publisher,
    fresh: bool = False,
) -> None:
    if migration.capture_command_id:
        republish_step(store, publisher, _capture_started(migration))  # redelivered
        return
    assert migration.plan is not None, "a capturing migration has its plan so far"
    plan = migration.plan
    command_id = (
        None
        if fresh
        else capture.find_capture(migration.migration_id, plan.instance_id, migration.created_at)
    )
    if command_id is None:
        command_id = capture.start_capture(migration.migration_id, plan.instance_id, plan.port)
    transition_and_emit(
        store,
        publisher,
        migration.migration_id,
        lambda m: (
            m.model_copy(update={"capture_command_id": command_id})
            if m.stage == Stage.CAPTURING and m.capture_command_id is None
            else None
        ),
        lambda m: m.capture_command_id is not None,
        _capture_started,
    )
