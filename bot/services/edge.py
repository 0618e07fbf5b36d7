"""Serve the app's name on the Express side before any traffic moves, then compare both sides.

Once the service is healthy (``ServiceHealthy``) and the certificate for the record name is
issued (``CertificateReady``, ``bot.services.certificates``), whichever comes last: the
certificate goes on the Express listener and the name into the service's rule; then each side
is asked for the health path and ``/`` with the app's Host (and SNI), and the answers compared
by status and body. Cutover is offered (``NameServed``) only when the Express side answers as
the legacy side does; otherwise the thread says why (``NameNotServed``) and the card offers
Rollback only. After a later Express deployment (``ServiceRevised``), the certificate and name
are checked again on the service's current listener and rule, and put back if they are gone.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain import gates
from bot.domain.facts import ExpressIngress, ProbeAnswer
from bot.domain.migration import Migration
from bot.domain.state import Stage
from bot.events.models import (
    CertificateReady,
    NameNotServed,
    NameServed,
    ProbeDue,
    ServiceHealthy,
    ServiceRevised,
)
from bot.ports import AwsRefusedError, Clock, EdgeAws, Publisher, Scheduler, Store
from bot.services.changes import mutate, publish_step, republish_step

#: How many times both sides are probed before the thread is told they differ, and how long
#: apart: ALB applies a rule change asynchronously and documents no figure for it (ELB User
#: Guide, "Listener rules"), so a first probe may still see the rule as it was.
PROBE_ATTEMPTS = 3
PROBE_AGAIN_AFTER = timedelta(minutes=1)


class EdgeNotPossibleError(RuntimeError):
    """Cutover cannot be offered for this name; the message says why."""


def _served(migration: Migration) -> NameServed | None:
    if migration.express_alias is None or migration.plan is None:
        return None
    return NameServed(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:name-served",
        record_name=migration.plan.record_name or "",
        load_balancer_dns=migration.express_alias.dns_name,
        checks=[],
    )


def serve(
    event: ServiceHealthy | CertificateReady | ProbeDue,
    *,
    store: Store,
    aws: EdgeAws,
    publisher: Publisher,
    clock: Clock,
    scheduler: Scheduler,
) -> None:
    """Make the Express side answer for the app's name; offer cutover if it answers alike."""
    migration = store.get(event.migration_id)
    if migration.stage != Stage.HEALTHY:
        return
    if migration.express_alias is not None:
        served = _served(migration)
        if served is not None:
            republish_step(store, publisher, served)  # redelivered
        return
    plan = migration.plan
    service_arn = migration.service_arn
    try:
        if plan is None or not plan.record_name:
            raise EdgeNotPossibleError("no Route 53 record points at the legacy load balancer")
        name = plan.record_name.rstrip(".")
        if not plan.listener_arn or not plan.load_balancer_dns:
            raise EdgeNotPossibleError("the plan has no legacy listener")
        scheme = aws.listener_scheme(plan.listener_arn)
        if scheme != "https":
            raise EdgeNotPossibleError(
                f"the legacy site serves {name} over HTTP only, and the Express load balancer "
                "serves HTTPS only: users of http:// would reach nothing there, so EC2 keeps "
                "all traffic (serve the site over HTTPS on the legacy load balancer, then "
                "migrate again)"
            )
        certificate = migration.certificate
        if certificate is None or certificate.status != "ISSUED" or service_arn is None:
            if migration.edge_blocker:  # the certificate step said why it has none
                raise EdgeNotPossibleError(migration.edge_blocker)
            return  # CertificateReady comes later and runs this again
        ingress = aws.express_ingress(service_arn, _access(migration))
        added = aws.serve_name(ingress, certificate.arn, name)
        _keep_added(store, migration.migration_id, added)
        checks, alike = _compare(
            aws, plan.load_balancer_dns, ingress, scheme, name, plan.health_check_path
        )
    except (EdgeNotPossibleError, AwsRefusedError) as error:
        _not_served(store, publisher, migration, str(error))
        return
    except RuntimeError as error:  # the adapter's EdgeError: said, not retried
        _not_served(store, publisher, migration, str(error))
        return
    if alike and ingress.target_group_arn and plan.target_group_arn and plan.load_balancer_arn:
        try:
            aws.put_alarms(
                gates.alarms(
                    migration.migration_id,
                    gates.Side(
                        load_balancer_arn=ingress.load_balancer_arn,
                        target_group_arn=ingress.target_group_arn,
                    ),
                    gates.Side(
                        load_balancer_arn=plan.load_balancer_arn,
                        target_group_arn=plan.target_group_arn,
                    ),
                )
            )
        except AwsRefusedError as error:
            _not_served(store, publisher, migration, f"the cutover's alarms: {error}")
            return
    elif alike:
        _not_served(
            store,
            publisher,
            migration,
            "the target groups of both sides are not known, so no alarm can watch the cutover",
        )
        return
    attempt = event.attempt if isinstance(event, ProbeDue) else 1
    if not alike and attempt < PROBE_ATTEMPTS:
        scheduler.at(
            f"{migration.migration_id}-probe-{attempt + 1}",
            clock.now().replace(microsecond=0) + PROBE_AGAIN_AFTER,
            ProbeDue(
                migration_id=migration.migration_id,
                idempotency_key=f"{migration.migration_id}:probe:{attempt + 1}",
                attempt=attempt + 1,
            ),
        )
        return
    if not alike:
        _not_served(
            store,
            publisher,
            migration,
            f"the Express side does not answer {name} as the legacy side does "
            f"({attempt} probes, a minute apart): " + "; ".join(checks),
        )
        return

    def change(m: Migration) -> Migration | None:
        if m.stage != Stage.HEALTHY or m.express_alias is not None:
            return None
        return m.model_copy(
            update={
                "express_alias": ingress.alias,
                "express_ingress": ingress,
                "edge_blocker": None,
                "updated_at": clock.now(),
            }
        )

    saved = mutate(store, migration.migration_id, change)
    if saved is not None:
        publish_step(
            store,
            publisher,
            NameServed(
                migration_id=saved.migration_id,
                idempotency_key=f"{saved.migration_id}:name-served",
                record_name=name,
                load_balancer_dns=ingress.alias.dns_name,
                checks=checks,
            ),
        )


def _access(migration: Migration) -> str:
    plan = migration.plan
    return "PRIVATE" if plan is not None and plan.express_scheme == "internal" else "PUBLIC"


def revise(event: ServiceRevised, *, store: Store, aws: EdgeAws, clock: Clock) -> None:
    """After an Express deployment: the certificate and name back on the service's current
    listener and rule if the update replaced or reset them (idempotent)."""
    migration = store.get(event.migration_id)
    certificate, plan = migration.certificate, migration.plan
    if migration.express_ingress is None or migration.terminal:
        return  # the edge step has not run (it will see the current rule), or all is over
    if certificate is None or plan is None or not plan.record_name:
        return
    ingress = aws.express_ingress(event.service_arn, _access(migration))
    added = aws.serve_name(ingress, certificate.arn, plan.record_name.rstrip("."))
    _keep_added(store, migration.migration_id, added)
    if ingress != migration.express_ingress:

        def change(m: Migration) -> Migration | None:
            if m.express_ingress == ingress:
                return None
            return m.model_copy(update={"express_ingress": ingress, "updated_at": clock.now()})

        mutate(store, migration.migration_id, change)


def _compare(
    aws: EdgeAws, legacy_dns: str, ingress: ExpressIngress, scheme: str, name: str, health: str
) -> tuple[list[str], bool]:
    """Probe both sides on the health path and ``/``: (one line per path, all alike)."""
    checks: list[str] = []
    alike = True
    for path in dict.fromkeys([health or "/", "/"]):
        legacy: ProbeAnswer = aws.probe(legacy_dns, scheme, name, path)
        express: ProbeAnswer = aws.probe(ingress.alias.dns_name, "https", name, path)
        same = (
            legacy.status is not None
            and legacy.status == express.status
            and legacy.digest == express.digest
        )
        alike &= same
        verdict = "alike" if same else "differ"
        checks.append(f"GET {path}: EC2 {legacy.said()}, ECS {express.said()} ({verdict})")
    return checks, alike


def _keep_added(store: Store, migration_id: str, added: dict[str, str]) -> None:
    if not added:
        return

    def change(m: Migration) -> Migration:
        return m.model_copy(update={"edge_added": {**(m.edge_added or {}), **added}})

    mutate(store, migration_id, change)


def _not_served(store: Store, publisher: Publisher, migration: Migration, reason: str) -> None:
    def change(m: Migration) -> Migration | None:
        if m.stage != Stage.HEALTHY or m.edge_blocker == reason:
            return None
        return m.model_copy(update={"edge_blocker": reason[:1500]})

    saved = mutate(store, migration.migration_id, change)
    if saved is not None:
        publish_step(
            store,
            publisher,
            NameNotServed(
                migration_id=migration.migration_id,
                idempotency_key=f"{migration.migration_id}:name-not-served:{saved.version}",
                reason=reason[:1500],
            ),
        )
