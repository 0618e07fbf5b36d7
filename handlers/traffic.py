"""CutoverRequested / RollbackRequested / DnsChangeCheckDue / BakeEnded → Route 53 and the
migration → TrafficShifted / RolledBack / StepBaked."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.observability import correlate, logger
from bot.services import traffic


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Change the records for a step or a rollback, check a change is in sync, end a bake."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    handled = traffic.handle(
        detail,
        store=core.store,
        aws=bootstrap.traffic_aws(),
        publisher=core.publisher,
        clock=core.clock,
        scheduler=bootstrap.scheduler(),
        bake=bootstrap.bake(),
        sides=bootstrap.side_by_side_aws(),
    )
    if not handled:
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
