"""ServiceHealthy → the Express load balancer serves the app's name → NameServed / NameNotServed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.events.models import ServiceHealthy
from bot.observability import correlate, logger
from bot.services import edge


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Add the app's certificate and host on the Express side, then compare both sides."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    if not isinstance(detail, ServiceHealthy):
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
        return
    core = bootstrap.core()
    edge.serve(
        detail,
        store=core.store,
        aws=bootstrap.edge_aws(),
        publisher=core.publisher,
        clock=core.clock,
    )
