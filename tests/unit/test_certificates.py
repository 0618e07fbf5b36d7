"""The certificate for the app's name and the edge step that waits for it: reused from the legacy listener, or requested from ACM
with DNS validation and waited for by ACM's event; the edge step runs once both the service
is healthy and the certificate is issued, in either order."""

from __future__ import annotations

import pytest

from bot.domain.facts import ProbeAnswer
from bot.events.aws import EcsDeploymentStateChange
from bot.events.models import (
    CertificateReady,
    CertificateRequested,
    NameNotServed,
    PlanApproved,
    ProbeDue,
    ServiceRevised,
)
from bot.services import certificates, ecs_events, edge
from tests.unit.test_services import World


def _approved(world: World, mid: str) -> PlanApproved:
    return PlanApproved(migration_id=mid, idempotency_key=f"{mid}:approved", approved_by="U2")


def test_the_legacy_listeners_certificate_is_reused_and_served() -> None:
    world = World()
    mid = world.to_healthy()
    certificate = world.store.get(mid).certificate
    assert certificate is not None
    assert (certificate.origin, certificate.status) == ("legacy", "ISSUED")
    assert certificate.arn == world.certs.legacy
    assert world.certs.requested == [] and world.certs.records == []
    assert world.store.get(mid).express_alias is not None  # served: cutover offered


def test_a_requested_certificate_holds_the_cutover_until_acm_issues_it() -> None:
    world = World()
    world.certs.legacy = None  # an IAM server certificate on the legacy listener
    mid = world.to_healthy()
    migration = world.store.get(mid)
    certificate = migration.certificate
    assert certificate is not None and certificate.origin == "requested"
    assert certificate.status == "PENDING_VALIDATION"
    assert migration.plan is not None
    assert world.certs.requested == [("blog.example.com", mid)]
    assert world.certs.records == [
        (migration.plan.hosted_zone_id, "_abc.blog.example.com.", "_def.acm-validations.aws.")
    ]
    requested = [e for e in world.publisher.events if isinstance(e, CertificateRequested)]
    assert len(requested) == 1 and "IAM server certificate" in requested[0].why
    # Healthy, but the edge step waited: no certificate to present yet.
    assert migration.express_alias is None and world.edge.served == []
    assert world.publisher.types()[-1] == "ServiceHealthy"

    # An event about the certificate while ACM still says pending changes nothing.
    certificates.issued(certificate.arn, aws=world.certs, **world.kw())  # type: ignore[arg-type]
    assert world.store.get(mid).certificate == certificate

    world.certs.issue(certificate.arn)
    certificates.issued(certificate.arn, aws=world.certs, **world.kw())  # type: ignore[arg-type]
    ready = world.publisher.events[-1]
    assert isinstance(ready, CertificateReady) and ready.origin == "requested"
    edge.serve(ready, aws=world.edge, scheduler=world.scheduler, **world.kw())  # type: ignore[arg-type]
    served = world.store.get(mid)
    assert served.express_alias is not None
    assert served.edge_added == {"certificate_arn": certificate.arn, "host": "blog.example.com"}
    assert world.publisher.types()[-1] == "NameServed"

    # ACM's event delivered twice: nothing is said twice.
    count = len(world.publisher.events)
    certificates.issued(certificate.arn, aws=world.certs, **world.kw())  # type: ignore[arg-type]
    assert len(world.publisher.events) == count


def test_a_validation_record_acm_has_not_made_yet_is_retried_without_a_second_request() -> None:
    world = World()
    world.certs.legacy = None
    world.certs.record_ready = False
    mid = _planned_and_approved(world)
    with pytest.raises(certificates.ValidationRecordPendingError):
        certificates.prepare(_approved(world, mid), aws=world.certs, **world.kw())  # type: ignore[arg-type]
    assert world.store.get(mid).certificate is None and world.certs.records == []

    world.certs.record_ready = True  # Lambda's retry, a minute later
    certificates.prepare(_approved(world, mid), aws=world.certs, **world.kw())  # type: ignore[arg-type]
    assert len(world.certs.requested) == 1  # the same token: the same certificate
    assert len(world.certs.records) == 1
    assert world.store.get(mid).certificate is not None


def _planned_and_approved(world: World) -> str:
    from bot.events.models import MigrationRequested
    from bot.services import actions

    mid = world.request()
    requested = world.publisher.events[-1]
    assert isinstance(requested, MigrationRequested)
    world.discover(requested)
    actions.approve_plan(world.click(mid), world.ports)
    return mid


def test_acm_issuing_a_certificate_before_its_migration_recorded_it_is_retried() -> None:
    world = World()
    mid = _planned_and_approved(world)
    arn = world.certs.request_certificate("blog.example.com", mid)  # requested, then a crash
    world.certs.issue(arn)
    with pytest.raises(certificates.CertificateNotRecordedError):
        certificates.issued(arn, aws=world.certs, **world.kw())  # type: ignore[arg-type]


def test_a_certificate_the_bot_did_not_request_is_ignored() -> None:
    world = World()
    count = len(world.publisher.events)
    certificates.issued(
        "arn:aws:acm:us-east-1:123456789012:certificate/someone-elses",
        aws=world.certs,
        **world.kw(),  # type: ignore[arg-type]
    )
    assert len(world.publisher.events) == count


def test_no_zone_to_validate_in_is_said_and_no_cutover_is_offered() -> None:
    world = World()
    world.certs.legacy = None
    world.discovery.record = world.discovery.record.model_copy(update={"hosted_zone_id": ""})
    mid = world.to_healthy()
    migration = world.store.get(mid)
    assert migration.certificate is None and world.certs.requested == []
    assert migration.edge_blocker is not None and "hosted zone" in migration.edge_blocker
    said = [e for e in world.publisher.events if isinstance(e, NameNotServed)]
    assert len(said) == 1  # said once, by the certificate step; the edge step agrees silently
    assert migration.express_alias is None


def test_an_express_update_after_the_edge_step_puts_the_name_back() -> None:
    world = World()
    mid = world.to_healthy()
    arn = world.store.get(mid).service_arn
    assert arn is not None and world.edge.served == ["blog.example.com"]
    update = EcsDeploymentStateChange.model_validate(
        {
            "eventType": "INFO",
            "eventName": "SERVICE_DEPLOYMENT_COMPLETED",
            "deploymentId": "ecs-svc/2",
        }
    )
    ecs_events.on_deployment(arn, update, **world.kw())  # type: ignore[arg-type]
    revised = world.publisher.events[-1]
    assert isinstance(revised, ServiceRevised) and revised.deployment_id == "ecs-svc/2"
    edge.revise(revised, store=world.store, aws=world.edge, clock=world.clock)  # type: ignore[arg-type]
    assert world.edge.served == ["blog.example.com", "blog.example.com"]

    # The same deployment reported again: not revised twice.
    count = len(world.publisher.events)
    ecs_events.on_deployment(arn, update, **world.kw())  # type: ignore[arg-type]
    assert len(world.publisher.events) == count


def test_sides_that_differ_are_probed_again_before_the_thread_is_told() -> None:
    world = World()
    world.edge.express_answer = ProbeAnswer(status=404, digest="cd" * 32)  # the old rule
    mid = world.to_healthy()
    assert world.store.get(mid).express_alias is None
    assert not [e for e in world.publisher.events if isinstance(e, NameNotServed)]
    (second,) = world.scheduler.due()  # a minute later
    assert isinstance(second, ProbeDue) and second.attempt == 2

    world.edge.express_answer = ProbeAnswer(status=200, digest="ab" * 32)  # rule in effect
    edge.serve(second, aws=world.edge, scheduler=world.scheduler, **world.kw())  # type: ignore[arg-type]
    assert world.store.get(mid).express_alias is not None
    assert world.publisher.types()[-1] == "NameServed"
    assert world.edge.served == ["blog.example.com", "blog.example.com"]  # idempotent


def test_sides_that_still_differ_after_three_probes_get_no_cutover() -> None:
    world = World()
    world.edge.express_answer = ProbeAnswer(status=404, digest="cd" * 32)
    mid = world.to_healthy()
    for attempt in (2, 3):
        (due,) = world.scheduler.due()
        assert isinstance(due, ProbeDue) and due.attempt == attempt
        edge.serve(due, aws=world.edge, scheduler=world.scheduler, **world.kw())  # type: ignore[arg-type]
    assert world.scheduler.due() == []  # no fourth
    (said,) = [e for e in world.publisher.events if isinstance(e, NameNotServed)]
    assert "(3 probes, a minute apart)" in said.reason and "ECS 404" in said.reason
    assert world.store.get(mid).express_alias is None
