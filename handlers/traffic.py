"""CutoverRequested / RollbackRequested → Route 53 weights → TrafficShifted / RolledBack."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.events.models import CutoverRequested, RollbackRequested
from bot.observability import correlate, logger
from bot.services import traffic


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Shift traffic for a cutover step, or return it all to EC2."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    aws = bootstrap.traffic_aws()
    if isinstance(detail, CutoverRequested):
        traffic.cutover(
            detail, store=core.store, aws=aws, publisher=core.publisher, clock=core.clock
        )
    elif isinstance(detail, RollbackRequested):
        traffic.rollback(
            detail, store=core.store, aws=aws, publisher=core.publisher, clock=core.clock
        )
    else:
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
