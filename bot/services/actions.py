"""Use cases behind the card's buttons: each checks the clicked version, then acts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.migration import (
    Migration,
    advance,
    approve,
    approve_full_cutover,
    baking,
    cutover_target,
    edit_cutover,
    gradual_step,
)
from bot.domain.migration import pause_gradual as pause_gradual_cutover
from bot.domain.migration import start_gradual as start_gradual_cutover
from bot.domain.state import IllegalTransitionError, Stage
from bot.events.models import (
    ApprovalRecorded,
    CutoverRequested,
    DomainEvent,
    GradualChanged,
    MigrationCancelled,
    PlanApproved,
    PlanEdited,
    RollbackRequested,
)
from bot.ports import AuditRecord, Clock, Publisher, StaleVersionError, Store


class StaleClickError(Exception):
    """The button was rendered for an older version of the migration."""


class ActionNotQueuedError(RuntimeError):
    """The click was accepted but its event could not be published; it was undone."""


@dataclass(frozen=True)
class Click:
    """A button click: which migration, at which version, by whom."""

    migration_id: str
    version: int
    user_id: str


@dataclass(frozen=True)
class ActionPorts:
    """What every button use case needs."""

    store: Store
    publisher: Publisher
    clock: Clock


def approve_plan(click: Click, ports: ActionPorts) -> Migration:
    """Approve the plan: the migration moves to building and ``PlanApproved`` is emitted."""
    return _act(
        click,
        ports,
        "approve_plan",
        lambda m: approve(m, ports.clock.now()),
        lambda m: PlanApproved(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:approved",
            approved_by=click.user_id,
        ),
    )


def edit_plan(
    click: Click, steps: tuple[int, ...], bake_minutes: int | None, ports: ActionPorts
) -> Migration:
    """Save the plan's cutover steps and bake time (the Edit modal, already validated) if the
    migration is still at the version the modal was opened for; ``PlanEdited`` is emitted."""
    return _act(
        click,
        ports,
        "edit_plan",
        lambda m: edit_cutover(m, steps, bake_minutes, ports.clock.now()),
        lambda m: PlanEdited(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:plan-edited:{m.version}",
            edited_by=click.user_id,
            cutover_steps=list(steps),
            bake_minutes=bake_minutes,
        ),
        accepted=f"accepted: steps {', '.join(map(str, steps))}; bake "
        + ("default" if bake_minutes is None else f"{bake_minutes} min"),
    )


def cancel(click: Click, ports: ActionPorts) -> Migration:
    """Cancel a migration before it serves: planned, building or deploying (the reconciler
    then stops the build and deletes the service)."""
    return _act(
        click,
        ports,
        "cancel",
        lambda m: advance(m, Stage.CANCELLED, ports.clock.now()),
        lambda m: MigrationCancelled(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:cancelled",
            cancelled_by=click.user_id,
            build_id=m.build_id if m.build_id and not m.build_id.startswith("none") else None,
            service_arn=m.service_arn,
        ),
    )


def cutover(click: Click, weight: int, ports: ActionPorts, *, override: bool = False) -> Migration:
    """Ask for ``weight`` percent of traffic on ECS; the traffic consumer shifts it.

    A step asked for while the previous one bakes is refused, unless ``override`` (the card's
    skip-bake button, behind its own confirm dialog): then the audit record says so.
    """
    now = ports.clock.now()
    skipped = override and baking(ports.store.get(click.migration_id), now)
    return _act(
        click,
        ports,
        f"cutover_{weight}",
        lambda m: cutover_target(m, weight, now, override=override).model_copy(
            update={"updated_at": now}
        ),
        lambda m: CutoverRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:cutover:{weight}",
            weight=weight,
            requested_by=click.user_id,
        ),
        accepted="accepted: override, the bake was skipped" if skipped else "accepted",
    )


def start_gradual(click: Click, until: int, ports: ActionPorts) -> Migration:
    """Start the unattended cutover up to ``until`` percent; its first step is asked for now."""
    now = ports.clock.now()
    return _act(
        click,
        ports,
        "gradual_start",
        lambda m: start_gradual_cutover(m, until, now, click.user_id),
        lambda m: GradualChanged(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:gradual:started:{m.version}",
            state="started",
            changed_by=click.user_id,
            until=until,
        ),
        after=lambda m: CutoverRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:cutover:{m.requested_weight}",
            weight=m.requested_weight or 0,
            requested_by=click.user_id,
            gradual=True,
        ),
    )


def pause_gradual(click: Click, paused: bool, ports: ActionPorts) -> Migration:
    """Pause or resume the gradual cutover; resuming takes the next step if it may be taken."""
    now = ports.clock.now()

    def change(m: Migration) -> Migration:
        changed = pause_gradual_cutover(m, paused, now)
        if paused:
            return changed
        return gradual_step(changed, now) or changed

    return _act(
        click,
        ports,
        "gradual_pause" if paused else "gradual_resume",
        change,
        lambda m: GradualChanged(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:gradual:{'paused' if paused else 'resumed'}:{m.version}",
            state="paused" if paused else "resumed",
            changed_by=click.user_id,
            until=m.gradual_until or 100,
        ),
        after=lambda m: (
            CutoverRequested(
                migration_id=m.migration_id,
                idempotency_key=f"{m.migration_id}:cutover:{m.requested_weight}",
                weight=m.requested_weight,
                requested_by=click.user_id,
                gradual=True,
            )
            if not paused and m.requested_weight is not None
            else None
        ),
    )


def approve_full(click: Click, needed: int, ports: ActionPorts) -> Migration:
    """Record one of the ``needed`` distinct approvals of Cutover 100 % (no traffic moves)."""
    return _act(
        click,
        ports,
        "cutover_100",
        lambda m: approve_full_cutover(m, click.user_id, ports.clock.now()),
        lambda m: ApprovalRecorded(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:approval:cutover_100:{click.user_id}:{m.version}",
            action="cutover_100",
            approved_by=click.user_id,
            approvals=len(m.full_approvals) + 1,
            needed=needed,
        ),
        accepted=f"approval {{n}} of {needed} recorded",
    )


def rollback(click: Click, ports: ActionPorts) -> Migration:
    """Ask for all traffic back on EC2 at once (approvals gathered for 100 % are dropped)."""
    return _act(
        click,
        ports,
        "rollback",
        lambda m: advance(
            m,
            Stage.ROLLING_BACK,
            ports.clock.now(),
            requested_weight=None,
            full_approvals=[],
            gradual_until=None,
            paused=False,
        ),
        lambda m: RollbackRequested(
            migration_id=m.migration_id,
            idempotency_key=f"{m.migration_id}:rollback:{m.version}",
            requested_by=click.user_id,
        ),
    )


def _act(
    click: Click,
    ports: ActionPorts,
    action: str,
    change: Callable[[Migration], Migration],
    event: Callable[[Migration], DomainEvent],
    accepted: str = "accepted",
    after: Callable[[Migration], DomainEvent | None] | None = None,
) -> Migration:
    migration = ports.store.get(click.migration_id)
    try:
        if migration.version != click.version:
            raise StaleClickError(
                f"this card is out of date (version {click.version}, now {migration.version})"
            )
        saved = ports.store.save(change(migration))
    except StaleVersionError as error:
        _audit(ports, click, action, "refused: stale click")
        raise StaleClickError("the migration changed while you clicked") from error
    except (StaleClickError, IllegalTransitionError) as error:
        _audit(ports, click, action, f"refused: {error}")
        raise
    try:
        events = [event(migration)]
        follow = after(saved) if after is not None else None
        if follow is not None:
            events.append(follow)
        ports.publisher.publish(events)
    except Exception as error:
        # Nothing will act on the saved change: put the migration back as it was, so
        # the card the user clicked stays valid, and tell them.
        try:
            ports.store.restore(migration, saved.version)
        except StaleVersionError:
            # Something else changed it meanwhile; the change stands, unannounced.
            _audit(ports, click, action, f"failed: not queued, not undone ({error})")
            raise ActionNotQueuedError(
                "the bot could not queue that, and the migration changed meanwhile; "
                "check /migrate status"
            ) from error
        _audit(ports, click, action, f"failed: not queued ({error})")
        raise ActionNotQueuedError("the bot could not queue that; nothing changed") from error
    _audit(ports, click, action, accepted.format(n=len(saved.full_approvals)))
    return saved


def _audit(ports: ActionPorts, click: Click, action: str, decision: str) -> None:
    ports.store.append_audit(
        AuditRecord(
            migration_id=click.migration_id,
            actor=click.user_id,
            action=action,
            decision=decision,
            at=ports.clock.now(),
        )
    )
