"""DecommissionRequested / DecommissionUndoRequested / InstanceCheckDue / TerminationDue /
TerminateRequested → the legacy instance imaged and stopped, started again, or terminated."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.observability import correlate, logger
from bot.services import decommission


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Run the decommission step the event asks for."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    core = bootstrap.core()
    ports = decommission.DecommissionPorts(
        store=core.store,
        publisher=core.publisher,
        clock=core.clock,
        scheduler=bootstrap.scheduler(),
        aws=bootstrap.decommission_aws(),
        wait=bootstrap.terminate_after(),
    )
    if not decommission.handle(detail, ports):
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
