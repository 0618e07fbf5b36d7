"""Decommission, its undo and Terminate: the EC2 side retired only once ECS has all users.

``DecommissionRequested`` (all users on ECS for a whole bake, ``bot.domain.decommission``):
the instance is taken out of its target group (``DeregisterTargets``), stopped
(``StopInstances``, never terminated) and, once EC2 reports it ``stopped`` (looked at by
one-time schedules, never a sleeping Lambda), imaged (``CreateImage``). The image is made of
the stopped instance, so its file systems were shut down cleanly and ``NoReboot`` changes
nothing. ``Decommissioned`` follows, and a one-time schedule ``TerminateAfterDays`` later
offers Terminate (``TerminationDue`` → ``TerminationOffered``).

``DecommissionUndoRequested``: ``StartInstances``; once ``running``, ``RegisterTargets``
(which refuses an instance that is not running); then the target's health is looked at until
the target group reports it ``healthy`` (up to ``HEALTH_CHECKS`` looks): the migration is cut
over again either way, and the thread says whether it was healthy.

``TerminateRequested`` (two distinct approvers): ``TerminateInstances`` once the AMI is
``available``; the migration ends ``terminated`` and the AMI is kept.

A step AWS refuses leaves the stage as it is and is said in the thread
(``DecommissionStepFailed``); Undo decommission repairs any partial state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.domain import decommission
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import (
    Decommissioned,
    DecommissionRequested,
    DecommissionStepFailed,
    DecommissionUndone,
    DecommissionUndoRequested,
    DomainEvent,
    InstanceCheckDue,
    InstanceTerminated,
    TerminateRequested,
    TerminationDue,
    TerminationOffered,
)
from bot.ports import AwsRefusedError, Clock, DecommissionAws, Publisher, Scheduler, Store
from bot.services.changes import mutate, publish_step, republish_step, transition_and_emit
from bot.services.look_again import look_again, schedule_at

#: How long after a stop or start the instance is looked at again, and how many times.
CHECK_AFTER = timedelta(seconds=30)
MAX_CHECKS = 20
#: Looks at the target's health after an undo (30 s apart: about five minutes).
HEALTH_CHECKS = 10


class DecommissionPorts:
    """What the decommission consumer needs, passed together."""

    def __init__(
        self,
        store: Store,
        publisher: Publisher,
        clock: Clock,
        scheduler: Scheduler,
        aws: DecommissionAws,
        wait: timedelta,
    ) -> None:
        self.store, self.publisher, self.clock = store, publisher, clock
        self.scheduler, self.aws, self.wait = scheduler, aws, wait


def _check(
    ports: DecommissionPorts, migration: Migration, want: str, attempt: int, limit: int = MAX_CHECKS
) -> bool:
    """Look at the instance (or its target) again ``CHECK_AFTER`` from now; False, nothing
    scheduled, past ``limit`` looks."""
    event = InstanceCheckDue(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:instance:{want}:{migration.version}:{attempt}",
        want=want,  # type: ignore[arg-type]
        attempt=attempt,
    )
    name = f"{migration.migration_id}-instance-{want}-{migration.version}-{attempt}"
    return look_again(ports.scheduler, ports.clock, name, CHECK_AFTER, event, limit)


def _problem(ports: DecommissionPorts, migration_id: str, step: str, reason: str) -> None:
    """Say a refused step in the thread and keep it on the card; the stage is kept."""

    def change(m: Migration) -> Migration | None:
        if m.decommission is None:
            return None
        record = m.decommission.model_copy(update={"problem": reason[:1000]})
        return m.model_copy(update={"decommission": record, "updated_at": ports.clock.now()})

    saved = mutate(ports.store, migration_id, change)
    publish_step(
        ports.store,
        ports.publisher,
        DecommissionStepFailed(
            migration_id=migration_id,
            idempotency_key=f"{migration_id}:decommission-failed:{saved.version if saved else 0}",
            step=step,
            reason=reason[:1000],
        ),
    )


def _guard(ports: DecommissionPorts, migration_id: str, step: str, act: Callable[[], None]) -> bool:
    """Run ``act``; a refusal is said (``_problem``) and False returned."""
    try:
        act()
    except AwsRefusedError as error:
        _problem(ports, migration_id, step, f"AWS refused it: {error}")
        return False
    return True


def _decommissioned_event(migration: Migration) -> Decommissioned:
    record = migration.decommission
    assert record is not None and record.image_id and record.terminate_after
    return Decommissioned(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:decommissioned:{record.image_id}",
        instance_id=record.instance_id,
        image_id=record.image_id,
        terminate_after=record.terminate_after.isoformat(),
    )


def requested(event: DecommissionRequested, ports: DecommissionPorts) -> None:
    """Out of the target group, then stopped; imaged once stopped."""
    migration = ports.store.get(event.migration_id)
    if migration.stage == Stage.DECOMMISSIONED:
        republish_step(ports.store, ports.publisher, _decommissioned_event(migration))
        return
    record = migration.decommission
    if migration.stage != Stage.DECOMMISSIONING or record is None:
        return
    aws, mid = ports.aws, migration.migration_id

    def retire() -> None:
        aws.deregister(record.target_group_arn, record.instance_id, record.port)
        if aws.instance_state(record.instance_id) in ("pending", "running"):
            aws.stop(record.instance_id)

    if not _guard(ports, mid, "decommission", retire):
        return
    _stopped_yet(migration, ports, attempt=0)


def _stopped_yet(migration: Migration, ports: DecommissionPorts, attempt: int) -> None:
    record = migration.decommission
    assert record is not None
    mid = migration.migration_id
    try:
        state = ports.aws.instance_state(record.instance_id)
    except AwsRefusedError as error:
        _problem(ports, mid, "decommission", f"AWS refused it: {error}")
        return
    if state != "stopped":
        if not _check(ports, migration, "stopped", attempt + 1):
            _problem(ports, mid, "decommission", f"the instance is still {state}")
        return
    images: list[str] = []
    if not _guard(
        ports,
        mid,
        "decommission",
        lambda: images.append(ports.aws.create_image(record.instance_id, mid)),
    ):
        return
    now = ports.clock.now()
    saved = transition_and_emit(
        ports.store,
        ports.publisher,
        mid,
        lambda m: decommission.decommissioned(m, images[0], now, ports.wait),
        lambda m: m.stage == Stage.DECOMMISSIONED,
        _decommissioned_event,
    )
    if saved is not None and saved.decommission and saved.decommission.terminate_after:
        schedule_at(
            ports.scheduler,
            f"{mid}-terminable-{images[0]}",
            saved.decommission.terminate_after,
            TerminationDue(
                migration_id=mid,
                idempotency_key=f"{mid}:terminable:{images[0]}",
                image_id=images[0],
            ),
        )


def undo(event: DecommissionUndoRequested, ports: DecommissionPorts) -> None:
    """Start the instance; once running, register it and wait for it to be healthy."""
    migration = ports.store.get(event.migration_id)
    record = migration.decommission
    if migration.stage != Stage.RECOMMISSIONING or record is None:
        if migration.stage == Stage.CUT_OVER and record and record.undone_by:
            republish_step(ports.store, ports.publisher, _undone(migration))
        return
    _running_yet(migration, ports, attempt=0)


def _running_yet(migration: Migration, ports: DecommissionPorts, attempt: int) -> None:
    record = migration.decommission
    assert record is not None
    mid, aws = migration.migration_id, ports.aws
    states: list[str] = []
    if not _guard(
        ports, mid, "undo", lambda: states.append(aws.instance_state(record.instance_id))
    ):
        return
    state = states[0]
    if state == "stopped" and not _guard(ports, mid, "undo", lambda: aws.start(record.instance_id)):
        return
    if state != "running":
        ended = state in ("shutting-down", "terminated")
        if ended or not _check(ports, migration, "running", attempt + 1):
            _problem(ports, mid, "undo", f"the instance is {state}, not running")
        return
    if not _guard(
        ports,
        mid,
        "undo",
        lambda: aws.register(record.target_group_arn, record.instance_id, record.port),
    ):
        return
    _healthy_yet(migration, ports, attempt=0)


def _undone(migration: Migration) -> DecommissionUndone:
    record = migration.decommission
    assert record is not None
    return DecommissionUndone(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:undone:{migration.version}",
        instance_id=record.instance_id,
        healthy=bool(record.healthy),
    )


def _healthy_yet(migration: Migration, ports: DecommissionPorts, attempt: int) -> None:
    record = migration.decommission
    assert record is not None
    mid = migration.migration_id
    states: list[str] = []
    if not _guard(
        ports,
        mid,
        "undo",
        lambda: states.append(
            ports.aws.target_state(record.target_group_arn, record.instance_id, record.port)
        ),
    ):
        return
    healthy = states[0] == "healthy"
    if not healthy and _check(ports, migration, "healthy", attempt + 1, HEALTH_CHECKS):
        return  # looked at again; after the last look the migration is cut over either way
    now = ports.clock.now()
    transition_and_emit(
        ports.store,
        ports.publisher,
        mid,
        lambda m: decommission.recommissioned(m, healthy, now),
        lambda m: m.stage == Stage.CUT_OVER and m.decommission is not None,
        _undone,
    )


def checked(event: InstanceCheckDue, ports: DecommissionPorts) -> None:
    """A scheduled look at the instance or its target."""
    migration = ports.store.get(event.migration_id)
    if event.want == "stopped" and migration.stage == Stage.DECOMMISSIONING:
        _stopped_yet(migration, ports, event.attempt)
    elif event.want == "running" and migration.stage == Stage.RECOMMISSIONING:
        _running_yet(migration, ports, event.attempt)
    elif event.want == "healthy" and migration.stage == Stage.RECOMMISSIONING:
        _healthy_yet(migration, ports, event.attempt)


def termination_due(event: TerminationDue, ports: DecommissionPorts) -> None:
    """The wait is over: the card offers Terminate (redrawn by ``TerminationOffered``)."""
    now = ports.clock.now()

    def change(m: Migration) -> Migration | None:
        record = m.decommission
        if not decommission.terminable(m, now) or record is None or record.terminable:
            return None
        if record.image_id != event.image_id:
            return None
        marked = record.model_copy(update={"terminable": True})
        return m.model_copy(update={"decommission": marked, "updated_at": now})

    transition_and_emit(
        ports.store,
        ports.publisher,
        event.migration_id,
        change,
        lambda m: m.decommission is not None and m.decommission.terminable,
        lambda m: TerminationOffered(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:terminable:{event.image_id}",
            after_days=ports.wait.days,
        ),
    )


def terminate(event: TerminateRequested, ports: DecommissionPorts) -> None:
    """Terminate the instance once its AMI is available; the migration ends."""
    migration = ports.store.get(event.migration_id)
    record = migration.decommission
    if migration.stage == Stage.TERMINATED and record is not None:
        republish_step(ports.store, ports.publisher, _terminated(migration))
        return
    if migration.stage != Stage.DECOMMISSIONED or record is None or not record.image_id:
        return
    states: list[str] = []
    image = record.image_id
    if not _guard(
        ports,
        migration.migration_id,
        "terminate",
        lambda: states.append(ports.aws.image_state(image)),
    ):
        return
    if states[0] != "available":
        _reset_terminate(ports, migration.migration_id)
        _problem(
            ports,
            migration.migration_id,
            "terminate",
            f"the AMI {image} is {states[0] or 'gone'}, not available: the instance is kept; "
            "approve Terminate again once the AMI is available",
        )
        return
    if not _guard(
        ports, migration.migration_id, "terminate", lambda: ports.aws.terminate(record.instance_id)
    ):
        return
    now = ports.clock.now()
    transition_and_emit(
        ports.store,
        ports.publisher,
        migration.migration_id,
        lambda m: decommission.terminated(m, now),
        lambda m: m.stage == Stage.TERMINATED,
        _terminated,
    )


def _reset_terminate(ports: DecommissionPorts, migration_id: str) -> None:
    def change(m: Migration) -> Migration | None:
        if m.decommission is None or m.stage != Stage.DECOMMISSIONED:
            return None
        record = m.decommission.model_copy(update={"terminate_approvals": []})
        return m.model_copy(update={"decommission": record})

    mutate(ports.store, migration_id, change)


def _terminated(migration: Migration) -> InstanceTerminated:
    record = migration.decommission
    assert record is not None
    return InstanceTerminated(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:terminated",
        instance_id=record.instance_id,
        image_id=record.image_id,
    )


def handle(event: DomainEvent, ports: DecommissionPorts) -> bool:
    """Route one of the decommission consumer's events; False when it is not one of them."""
    match event:
        case DecommissionRequested():
            requested(event, ports)
        case DecommissionUndoRequested():
            undo(event, ports)
        case InstanceCheckDue():
            checked(event, ports)
        case TerminationDue():
            termination_due(event, ports)
        case TerminateRequested():
            terminate(event, ports)
        case _:
            return False
    return True
