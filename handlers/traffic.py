"""CutoverRequested / RollbackRequested → Route 53 weights → TrafficShifted / RolledBack."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.events.models import CutoverRequested, RollbackRequested, parse_detail
from bot.observability import correlate, logger
from bot.services import traffic


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Shift traffic for a cutover step, or return it all to EC2."""
    envelope = parse(event=event, model=EventBridgeModel)
    detail = parse_detail(envelope.detail_type, envelope.detail)
    correlate(detail.migration_id)
    core = bootstrap.core()
    ports = {"store": core.store, "aws": bootstrap.traffic_aws(), "publisher": core.publisher}
    if isinstance(detail, CutoverRequested):
        traffic.cutover(detail, clock=core.clock, **ports)
    elif isinstance(detail, RollbackRequested):
        traffic.rollback(detail, clock=core.clock, **ports)
    else:
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
