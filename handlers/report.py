"""HealthReportRequested (the schedule, or /migrate report) → each channel's report, stored
→ HealthReportReady (the notifier posts it)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.models import HealthReportRequested
from bot.observability import logger
from bot.services import reports


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Compile and store the health report of each channel the request covers."""
    detail = detail_as(event, HealthReportRequested)
    logger.append_keys(correlation_id=detail.idempotency_key)
    core = bootstrap.core()
    announced = reports.compile_reports(
        detail,
        store=core.store,
        reports=bootstrap.report_store(),
        aws=bootstrap.health_aws(),
        publisher=core.publisher,
        now=core.clock.now(),
    )
    logger.info("health reports compiled", extra={"reports": announced})
