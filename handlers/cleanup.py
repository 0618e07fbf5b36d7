"""CleanupRequested / CleanupDue → the ECS side removed, the EC2 side kept → CleanedUp."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.observability import correlate, logger
from bot.services import cleanup


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Run the clean-up step the event asks for."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    ports = cleanup.CleanupPorts(
        store=core.store,
        publisher=core.publisher,
        clock=core.clock,
        scheduler=bootstrap.scheduler(),
        aws=bootstrap.cleanup_aws(),
        traffic=bootstrap.traffic_aws(),
    )
    if not cleanup.handle(detail, ports):
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
