"""Clean up: remove a migration's ECS side, keep its EC2 side (``CleanupRequested`` → ``CleanedUp``).

Every user is on EC2 when Clean up is pressed (``bot.domain.cleanup.offered``). The steps,
each tolerating "already gone", and never a sleeping Lambda between them:

1. **Traffic.** Weighted records left at the name (a failed cutover) are replaced by the
   original ones; clean up waits for Route 53's ``INSYNC`` (``GetChange``, by a one-time
   schedule) and then one alias TTL (60 s), so no cached answer still points at the Express
   side. A migration that wrote weighted records waits one TTL from the request either way.
2. **The Express side.** Exactly what the edge step added (``Migration.edge_added``) is taken
   off the Express listener and rule; the migration's alarms and one-time schedules are
   deleted; ``DeleteExpressGatewayService`` starts the service draining.
3. **Once drained** (checked by one-time schedules): the secret the capture stored, the ACM
   certificate the bot requested (and its validation record), the task role and the tasks'
   security group (its network interfaces go with the tasks), and unless "keep image" was
   chosen the ECR repository and the CodeBuild project.

A step AWS refuses is said in the thread and fails the migration (it may be cleaned up
again: every step finds what is already gone). The EC2 side is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.domain import cleanup
from bot.domain.facts import DnsRecordFacts
from bot.domain.gates import alarm_names
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import CleanedUp, CleanupDue, CleanupRequested, DomainEvent
from bot.ports import (
    AwsRefusedError,
    CleanupAws,
    Clock,
    Publisher,
    ResourceBusyError,
    Scheduler,
    Store,
    TrafficAws,
)
from bot.services.changes import mutate, republish_step, transition_and_emit
from bot.services.failures import report_failure
from bot.services.ids import project_name
from bot.services.look_again import look_again

#: Route 53: a change "generally propagates to all Route 53 name servers within 60 seconds"
#: (ChangeResourceRecordSets); checked again this long after.
CHECK_AFTER = timedelta(seconds=30)
#: An alias record to a load balancer is answered with a 60-second TTL (Route 53 Developer
#: Guide, "Values for alias records"): how long a resolver may still send users to ECS.
ALIAS_TTL = timedelta(seconds=60)
#: How often the deleted service's drain is looked at, and for how long at most.
DRAIN_CHECK = timedelta(seconds=60)
MAX_CHECKS = 40

KEPT_EC2 = "the EC2 instance, its load balancer, target group and DNS record"
KEPT_IMAGE = "the ECR repository and the CodeBuild project (keep image)"


class CleanupPorts:
    """What clean up needs, passed together."""

    def __init__(
        self,
        store: Store,
        publisher: Publisher,
        clock: Clock,
        scheduler: Scheduler,
        aws: CleanupAws,
        traffic: TrafficAws,
    ) -> None:
        self.store, self.publisher, self.clock = store, publisher, clock
        self.scheduler, self.aws, self.traffic = scheduler, aws, traffic


def _cleaned(migration: Migration) -> CleanedUp:
    record = migration.cleanup
    kept = [KEPT_EC2] + ([KEPT_IMAGE] if record and record.keep_image else [])
    return CleanedUp(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:cleaned-up",
        removed=list(record.removed if record else []),
        kept=kept,
    )


def _later(ports: CleanupPorts, after: timedelta, event: CleanupDue) -> bool:
    """Look again ``after`` from now; False, nothing scheduled, past ``MAX_CHECKS`` looks."""
    name = f"{event.migration_id}-cleanup-{event.attempt}-{event.change_id or 'x'}"
    return look_again(ports.scheduler, ports.clock, name, after, event, MAX_CHECKS)


def _due(migration_id: str, attempt: int, change_id: str | None = None) -> CleanupDue:
    return CleanupDue(
        migration_id=migration_id,
        idempotency_key=f"{migration_id}:cleanup-due:{attempt}:{change_id or '-'}",
        attempt=attempt,
        change_id=change_id,
    )


def _note(ports: CleanupPorts, migration_id: str, removed: list[str], **update: object) -> None:
    def change(m: Migration) -> Migration | None:
        if m.stage != Stage.CLEANING_UP or m.cleanup is None:
            return None
        noted = cleanup.noted(m, removed, [])
        if update:
            noted = noted.model_copy(
                update={"cleanup": noted.cleanup.model_copy(update=update)}  # type: ignore[union-attr]
            )
        return noted

    mutate(ports.store, migration_id, change)


def _fail(ports: CleanupPorts, migration_id: str, problems: list[str]) -> None:
    reason = "Clean up could not remove " + "; ".join(problems) + ". Press Clean up to retry."
    report_failure(
        ports.store, ports.publisher, ports.clock, migration_id, Stage.CLEANING_UP, reason
    )


def requested(event: CleanupRequested, ports: CleanupPorts) -> None:
    """Start: put the original record back if weighted ones remain, then go on."""
    migration = ports.store.get(event.migration_id)
    if migration.stage == Stage.CLEANED_UP:
        republish_step(ports.store, ports.publisher, _cleaned(migration))
        return
    if migration.stage != Stage.CLEANING_UP or migration.cleanup is None:
        return  # stale
    if migration.cleanup.service_deleted:
        _after_drain(migration, ports, attempt=1)  # a redelivered request
        return
    plan = migration.plan
    if migration.weighted_dns and migration.original_records and plan and plan.record_name:
        record = DnsRecordFacts(
            hosted_zone_id=plan.hosted_zone_id or "", record_name=plan.record_name
        )
        try:
            change_id = ports.traffic.restore(record, migration.original_records)
        except AwsRefusedError as error:
            _fail(ports, migration.migration_id, [f"the weighted DNS records ({error})"])
            return
        if change_id is not None:
            _note(
                ports,
                migration.migration_id,
                [f"the weighted records of {plan.record_name} (the original record restored)"],
            )
            _later(ports, CHECK_AFTER, _due(migration.migration_id, 1, change_id))
            return
    if migration.weighted_dns:
        # Resolvers may still answer with the Express load balancer for one TTL.
        _later(ports, ALIAS_TTL, _due(migration.migration_id, 1))
        return
    _remove_express_side(migration, ports)


def due(event: CleanupDue, ports: CleanupPorts) -> None:
    """A scheduled look: the restored record in sync, the TTL over, or the drain done."""
    migration = ports.store.get(event.migration_id)
    if migration.stage != Stage.CLEANING_UP or migration.cleanup is None:
        return
    mid, change_id = migration.migration_id, event.change_id
    if change_id is not None:
        if ports.traffic.change_status(change_id) != "INSYNC":
            if not _later(ports, CHECK_AFTER, _due(mid, event.attempt + 1, change_id)):
                _fail(ports, mid, [f"nothing: Route 53 change {change_id} stayed PENDING"])
            return
        _later(ports, ALIAS_TTL, _due(mid, 1))
        return
    if not migration.cleanup.service_deleted:
        _remove_express_side(migration, ports)
        return
    _after_drain(migration, ports, event.attempt)


def _step(
    problems: list[str], removed: list[str], what: str, call: Callable[[], str | None]
) -> None:
    """Run one removal; a refusal is noted as a problem, the others go on."""
    try:
        done = call()
    except AwsRefusedError as error:
        problems.append(f"{what} ({error})")
        return
    if done:
        removed.append(done)


def _remove_express_side(migration: Migration, ports: CleanupPorts) -> None:
    """Step 2: what the edge added, the alarms and schedules, then the service itself."""
    mid = migration.migration_id
    removed: list[str] = []
    problems: list[str] = []
    ingress, added = migration.express_ingress, migration.edge_added or {}
    if ingress is not None and added:
        try:
            removed += ports.aws.remove_edge(ingress.listener_arn, ingress.rule_arn, added)
        except AwsRefusedError as error:
            problems.append(f"what the cutover added to the Express load balancer ({error})")
    _step(problems, removed, "the alarms", lambda: ports.aws.delete_alarms(alarm_names(mid)))
    _step(problems, removed, "the schedules", lambda: ports.aws.delete_schedules(mid))
    if problems:
        _note(ports, mid, removed)
        _fail(ports, mid, problems)
        return
    if migration.service_arn:
        try:
            gone = ports.aws.delete_service(migration.service_arn)
        except AwsRefusedError as error:
            _note(ports, mid, removed)
            _fail(ports, mid, [f"the Express service ({error})"])
            return
        if gone:
            removed.append(gone)
    _note(ports, mid, removed, service_deleted=True)
    _later(ports, DRAIN_CHECK if migration.service_arn else timedelta(0), _due(mid, 1))


def _after_drain(migration: Migration, ports: CleanupPorts, attempt: int) -> None:
    """Step 3: once the service has drained, what its tasks and its build used."""
    mid = migration.migration_id
    if migration.service_arn and not ports.aws.service_drained(migration.service_arn):
        if not _later(ports, DRAIN_CHECK, _due(mid, attempt + 1)):
            _fail(ports, mid, ["the rest: the Express service never finished draining"])
        return
    removed: list[str] = []
    problems: list[str] = []
    busy: list[str] = []
    plan = migration.plan
    if plan is not None and plan.secret_arn:
        arn = plan.secret_arn
        _step(problems, removed, "the secret", lambda: ports.aws.delete_secret(arn))
    certificate = migration.certificate
    if certificate is not None and certificate.origin == "requested":
        try:
            _step(
                problems,
                removed,
                "the requested certificate",
                lambda: ports.aws.delete_certificate(certificate.arn),
            )
        except ResourceBusyError as error:
            busy.append(str(error))
        record = certificate.validation_record
        if record is not None and plan is not None and plan.hosted_zone_id:
            zone = plan.hosted_zone_id
            _step(
                problems,
                removed,
                "the certificate's validation record",
                lambda: ports.aws.delete_validation_record(zone, record.name, record.value),
            )
    _step(problems, removed, "the task role", lambda: ports.aws.delete_task_role(mid))
    if plan is not None:
        vpc = plan.vpc_id
        try:
            _step(
                problems,
                removed,
                "the tasks' security group",
                lambda: ports.aws.delete_task_security_group(mid, vpc),
            )
        except ResourceBusyError as error:
            busy.append(str(error))
    if not migration.cleanup or not migration.cleanup.keep_image:
        _step(
            problems,
            removed,
            "the ECR repository",
            lambda: ports.aws.delete_repository(f"migrate-bot/{mid}"),
        )
        _step(
            problems,
            removed,
            "the CodeBuild project",
            lambda: ports.aws.delete_project(project_name(mid)),
        )
    _note(ports, mid, removed)
    if problems:
        _fail(ports, mid, problems)
        return
    if busy:
        if not _later(ports, DRAIN_CHECK, _due(mid, attempt + 1)):
            _fail(ports, mid, busy)
        return
    transition_and_emit(
        ports.store,
        ports.publisher,
        mid,
        lambda m: cleanup.finished(m, ports.clock.now()),
        lambda m: m.stage == Stage.CLEANED_UP,
        _cleaned,
    )


def handle(event: DomainEvent, ports: CleanupPorts) -> bool:
    """Route one of the clean-up consumer's events; False when it is not one of them."""
    match event:
        case CleanupRequested():
            requested(event, ports)
        case CleanupDue():
            due(event, ports)
        case _:
            return False
    return True
