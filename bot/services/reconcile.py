"""Deadlines for every wait, the reconciler that asks AWS the truth when one passes, and the
stops a Cancel during the build or the deployment needs.

- ``arm``: a domain event that starts a wait (``wait_started``) sets a one-time schedule
  that emits ``DeadlineDue`` when the wait's deadline passes (never a sleeping Lambda).
- ``on_deadline``: if the migration still waits for the same thing, AWS is asked; the
  migration goes on with what the missed event would have said (published as the domain
  event the wait's own consumer also takes: ``BuildFinished``, ``CommandFinished``,
  ``DeploymentFound``, or ``CertificateReady``), or fails with the reason, or waits once
  more. Either way the thread is told (``Reconciled``). A Route 53 change has no deadline
  here: the traffic consumer's own scheduled checks give up on it.
- ``on_cancelled``: a migration cancelled while it built or deployed has its build stopped
  and its service deleted.
"""

from __future__ import annotations

from bot.domain.deadlines import (
    DEADLINES,
    Decision,
    Waiting,
    armed,
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
    CommandFinished,
    DeadlineDue,
    DeploymentFound,
    DomainEvent,
    MigrationCancelled,
    Reconciled,
)
from bot.ports import (
    AwsRefusedError,
    CertificateAws,
    Clock,
    Publisher,
    ReconcileAws,
    Scheduler,
    Store,
)
from bot.services import certificates
from bot.services.changes import republish_step
from bot.services.failures import report_failure
from bot.services.ids import project_name


def arm(event: DomainEvent, *, store: Store, scheduler: Scheduler, clock: Clock) -> None:
    """Set the deadline of the wait ``event`` starts (a redelivery sets the same schedule)."""
    migration = store.get(event.migration_id)
    wait = wait_started(event.detail_type, migration)
    if wait is None or migration.terminal:
        return
    _schedule(
        scheduler, clock, migration.migration_id, wait.waiting_for, wait.stage.value, wait.ref, 1
    )


def _schedule(
    scheduler: Scheduler,
    clock: Clock,
    migration_id: str,
    waiting_for: Waiting,
    stage: str,
    ref: str | None,
    attempt: int,
) -> None:
    tail = (ref or stage).rsplit("/", 1)[-1].replace(":", "-")[-20:]
    scheduler.at(
        f"{migration_id}-due-{waiting_for}-{attempt}-{tail}"[:64],
        clock.now().replace(microsecond=0) + DEADLINES[waiting_for],
        DeadlineDue(
            migration_id=migration_id,
            idempotency_key=f"{migration_id}:deadline:{waiting_for}:{tail}:{attempt}",
            waiting_for=waiting_for,
            stage=stage,
            ref=ref,
            attempt=attempt,
        ),
    )


def on_deadline(
    event: DeadlineDue,
    *,
    store: Store,
    aws: ReconcileAws,
    certificate_aws: CertificateAws,
    publisher: Publisher,
    scheduler: Scheduler,
    clock: Clock,
) -> None:
    """Ask AWS about a wait past its deadline, and act on what it says."""
    waiting_for = event.waiting_for
    if not armed(waiting_for):
        return  # a deadline no longer set (an older release's): its wait has its own checks
    migration = store.get(event.migration_id)
    if migration.terminal or not still_waiting(migration, waiting_for, event.ref):
        return  # the missed event came after all, or the migration moved on
    try:
        decision = _decide(migration, event, waiting_for, aws)
    except AwsRefusedError as error:
        decision = Decision("fail", f"AWS refused the reconciler's question: {error}")
    said = _said(migration.migration_id, event, decision)
    if decision.verdict == "extend":
        republish_step(store, publisher, said)
        _schedule(
            scheduler,
            clock,
            migration.migration_id,
            waiting_for,
            event.stage,
            event.ref,
            event.attempt + 1,
        )
        return
    if decision.verdict == "fail":
        republish_step(store, publisher, said)
        _fail(migration, event, decision.finding, store, publisher, clock, certificate_aws)
        return
    republish_step(store, publisher, said)
    _go_on(migration, event, store, certificate_aws, publisher, clock)


def _decide(
    migration: Migration, event: DeadlineDue, waiting_for: Waiting, aws: ReconcileAws
) -> Decision:
    ref = event.ref
    match waiting_for:
        case "build":
            return decide_build(aws.build_status(ref) if ref else None, event.attempt)
        case "deployment":
            status, reason = aws.deployment_status(ref) if ref else (None, None)
            return decide_deployment(status, reason, event.attempt)
        case "capture":
            plan = migration.plan
            instance = plan.instance_id if plan else migration.target
            return decide_capture(aws.command_status(ref, instance) if ref else None, event.attempt)
        case "certificate":
            return decide_certificate(aws.certificate_status(ref) if ref else None)
    return Decision("fail", f"{waiting_for} did not finish in {DEADLINES[waiting_for]}")


def _go_on(
    migration: Migration,
    event: DeadlineDue,
    store: Store,
    certificate_aws: CertificateAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    mid, ref = migration.migration_id, event.ref or ""
    match event.waiting_for:
        case "build":
            follow: DomainEvent = BuildFinished(
                migration_id=mid,
                idempotency_key=f"{mid}:build-finished:{ref}",
                project_name=project_name(mid),
                build_id=ref,
                build_status="SUCCEEDED",
            )
        case "deployment":
            follow = DeploymentFound(
                migration_id=mid,
                idempotency_key=f"{mid}:deployment-found:{ref}",
                service_arn=ref,
                status="SUCCESSFUL",
            )
        case "capture":
            plan = migration.plan
            follow = CommandFinished(
                migration_id=mid,
                idempotency_key=f"{mid}:command-finished:{ref}",
                command_id=ref,
                instance_id=plan.instance_id if plan else migration.target,
            )
        case "certificate":
            certificates.issued(
                ref, store=store, aws=certificate_aws, publisher=publisher, clock=clock
            )
            return
        case _:
            return
    republish_step(store, publisher, follow)


def _fail(
    migration: Migration,
    event: DeadlineDue,
    finding: str,
    store: Store,
    publisher: Publisher,
    clock: Clock,
    certificate_aws: CertificateAws,
) -> None:
    if event.waiting_for == "certificate":
        # The migration itself is fine (its service runs); only the cutover is not offered.
        certificates.block(store, publisher, migration.migration_id, finding)
        return
    report_failure(store, publisher, clock, migration.migration_id, migration.stage, finding)


def _said(migration_id: str, event: DeadlineDue, decision: Decision) -> Reconciled:
    outcome = {"continue": "continued", "fail": "failed", "extend": "extended"}[decision.verdict]
    return Reconciled(
        migration_id=migration_id,
        idempotency_key=f"{migration_id}:reconciled:{event.waiting_for}:{event.attempt}",
        waiting_for=event.waiting_for,
        finding=decision.finding,
        outcome=outcome,  # type: ignore[arg-type]
    )


def on_cancelled(event: MigrationCancelled, *, store: Store, aws: ReconcileAws) -> None:
    """Stop the build and delete the service a cancelled migration leaves running."""
    migration = store.get(event.migration_id)
    if migration.stage != Stage.CANCELLED:
        return
    build_id = event.build_id or migration.build_id
    service_arn = event.service_arn or migration.service_arn
    if build_id and not build_id.startswith("none"):
        aws.stop_build(build_id)
    if service_arn:
        aws.delete_service(service_arn)
