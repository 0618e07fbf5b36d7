"""The certificate for the app's name, found or requested while the image builds.

On ``PlanApproved``: the legacy HTTPS listener's certificate is reused when it covers the name
(``CertificateReady`` at once); otherwise a DNS-validated ACM certificate is requested, its
validation record written in the app's own zone (``CertificateRequested``), and the migration
waits for ACM's ``ACM Certificate Available`` event (``issued``), never polling. The edge step
(``bot.services.edge``) runs once the service is healthy and the certificate is ready, in
whichever order they come.
"""

from __future__ import annotations

from bot.domain.facts import CertificateFacts, ValidationRecord
from bot.domain.migration import Migration
from bot.domain.state import TERMINAL
from bot.events.models import CertificateReady, CertificateRequested, NameNotServed, PlanApproved
from bot.ports import AwsRefusedError, CertificateAws, Clock, Publisher, Store
from bot.services.changes import mutate, publish_step, republish_step


class ValidationRecordPendingError(RuntimeError):
    """ACM has not made the validation record yet; raised so Lambda retries the event."""


class CertificateBlockedError(RuntimeError):
    """No certificate can be had for the name; the message says why."""


class CertificateNotRecordedError(LookupError):
    """ACM issued a certificate its migration has not recorded yet; raised to be retried."""


def _ready(migration: Migration) -> CertificateReady | None:
    certificate = migration.certificate
    if certificate is None or certificate.status != "ISSUED":
        return None
    return CertificateReady(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:certificate-ready",
        certificate_arn=certificate.arn,
        origin=certificate.origin,
    )


def _requested(migration: Migration, name: str) -> CertificateRequested | None:
    certificate = migration.certificate
    if certificate is None or certificate.validation_record is None:
        return None
    return CertificateRequested(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:certificate-requested",
        certificate_arn=certificate.arn,
        record_name=name,
        validation_record=certificate.validation_record.name,
        why=certificate.why or "no reusable certificate on the legacy HTTPS listener",
    )


def prepare(
    event: PlanApproved,
    *,
    store: Store,
    aws: CertificateAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Find the legacy listener's certificate for the name, or request one from ACM."""
    migration = store.get(event.migration_id)
    plan = migration.plan
    if migration.stage in TERMINAL or plan is None:
        return
    if migration.certificate is not None:  # redelivered: finish what the first run started
        name = (plan.record_name or "").rstrip(".")
        again = _ready(migration) or _requested(migration, name)
        if again is not None:
            republish_step(store, publisher, again)
        return
    if not plan.record_name or not plan.listener_arn:
        return  # nothing to serve; the edge step says why once the service is healthy
    name = plan.record_name.rstrip(".")
    try:
        if aws.listener_scheme(plan.listener_arn) != "https":
            return  # an HTTP-only site is not cut over; the edge step says so
        found, why = aws.certificate_for(plan.listener_arn, name)
        if found is not None:
            certificate = CertificateFacts(arn=found, origin="legacy", status="ISSUED")
        else:
            certificate = _request(aws, plan.hosted_zone_id, name, migration.migration_id, why)
    except (AwsRefusedError, CertificateBlockedError) as error:
        block(store, publisher, migration.migration_id, f"the certificate for {name}: {error}")
        return
    # A requested one may already be issued (a validation record left by an earlier
    # migration): its event is then on its way, and ``issued`` finds it recorded.
    _record(store, publisher, clock, migration.migration_id, name, certificate)


def _request(
    aws: CertificateAws, hosted_zone_id: str | None, name: str, migration_id: str, why: str
) -> CertificateFacts:
    """Request a DNS-validated certificate for ``name`` and write its validation record."""
    if not hosted_zone_id:
        raise CertificateBlockedError(
            f"no certificate on the legacy listener covers {name}, and the bot cannot "
            "request one: the record's hosted zone is not known"
        )
    arn = aws.request_certificate(name, migration_id)
    record = aws.validation_record(arn)
    if record is None:
        raise ValidationRecordPendingError(f"ACM has not made {arn}'s validation record yet")
    aws.write_validation_record(hosted_zone_id, *record)
    return CertificateFacts(
        arn=arn,
        origin="requested",
        status="PENDING_VALIDATION",
        validation_record=ValidationRecord(
            name=record[0], value=record[1], hosted_zone_id=hosted_zone_id
        ),
        why=why[:500],
    )


def issued(
    certificate_arn: str,
    *,
    store: Store,
    aws: CertificateAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """ACM issued a certificate: if the bot requested it, its migration may go on."""
    migration_id = aws.migration_of(certificate_arn)
    if migration_id is None:
        return  # not one of the bot's
    migration = store.get(migration_id)
    certificate = migration.certificate
    if certificate is None:
        if migration.stage in TERMINAL:
            return
        raise CertificateNotRecordedError(
            f"{certificate_arn} is issued but {migration_id} has not recorded it yet"
        )
    if certificate.arn != certificate_arn:
        return  # an earlier request's certificate
    if certificate.status == "ISSUED":
        again = _ready(migration)
        if again is not None:
            republish_step(store, publisher, again)
        return
    if aws.certificate_status(certificate_arn) != "ISSUED":
        return  # an event about an earlier state (events are unordered)

    def change(m: Migration) -> Migration | None:
        if m.certificate is None or m.certificate.arn != certificate_arn:
            return None
        if m.certificate.status == "ISSUED":
            return None
        issued_now = m.certificate.model_copy(update={"status": "ISSUED"})
        return m.model_copy(update={"certificate": issued_now, "updated_at": clock.now()})

    saved = mutate(store, migration_id, change)
    if saved is not None:
        ready = _ready(saved)
        if ready is not None:
            publish_step(store, publisher, ready)


def _record(
    store: Store,
    publisher: Publisher,
    clock: Clock,
    migration_id: str,
    name: str,
    certificate: CertificateFacts,
) -> None:
    def change(m: Migration) -> Migration | None:
        if m.certificate is not None:
            return None
        return m.model_copy(update={"certificate": certificate, "updated_at": clock.now()})

    saved = mutate(store, migration_id, change)
    if saved is None:
        return
    event = _ready(saved) or _requested(saved, name)
    if event is not None:
        publish_step(store, publisher, event)


def block(store: Store, publisher: Publisher, migration_id: str, reason: str) -> None:
    """No certificate can be had: the card and thread say why, and cutover is not offered."""
    reason = reason[:1500]

    def change(m: Migration) -> Migration | None:
        if m.edge_blocker == reason or m.stage in TERMINAL:
            return None
        return m.model_copy(update={"edge_blocker": reason})

    saved = mutate(store, migration_id, change)
    if saved is not None:
        publish_step(
            store,
            publisher,
            NameNotServed(
                migration_id=migration_id,
                idempotency_key=f"{migration_id}:name-not-served:{saved.version}",
                reason=reason,
            ),
        )
