"""PlanApproved → the certificate for the app's name: reused, or requested from ACM."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.events.models import PlanApproved
from bot.observability import correlate, logger
from bot.services import certificates


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Find the legacy listener's certificate for the name, or request a DNS-validated one."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    if not isinstance(detail, PlanApproved):
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": detail.detail_type})
        return
    core = bootstrap.core()
    certificates.prepare(
        detail,
        store=core.store,
        aws=bootstrap.certificate_aws(),
        publisher=core.publisher,
        clock=core.clock,
    )
