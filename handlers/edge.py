"""ServiceHealthy / CertificateReady → the Express load balancer serves the app's name →
NameServed / NameNotServed (ProbeDue: both sides probed again); ServiceRevised → the name and
certificate checked again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.events.models import CertificateReady, ProbeDue, ServiceHealthy, ServiceRevised
from bot.observability import correlate, logger
from bot.services import edge


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Add the app's certificate and host on the Express side, then compare both sides."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    if isinstance(detail, ServiceRevised):
        edge.revise(detail, store=core.store, aws=bootstrap.edge_aws(), clock=core.clock)
        return
    if not isinstance(detail, ServiceHealthy | CertificateReady | ProbeDue):
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
        return
    edge.serve(
        detail,
        store=core.store,
        aws=bootstrap.edge_aws(),
        publisher=core.publisher,
        clock=core.clock,
        scheduler=bootstrap.scheduler(),
    )
