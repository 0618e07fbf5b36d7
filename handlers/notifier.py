"""Every domain event → the status card and milestone replies (the only Slack writer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import domain_event
from bot.observability import correlate, logger
from bot.services import notifier


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Show the migration's current state in its Slack thread."""
    detail = domain_event(event)
    correlate(detail.migration_id)
    notifier.notify(
        detail,
        store=bootstrap.core().store,
        slack=bootstrap.slack_notifier(),
        reports=bootstrap.report_store(),
    )
