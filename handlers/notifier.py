"""Every domain event → the status card and milestone replies (the only Slack writer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.events.models import parse_detail
from bot.observability import correlate, logger
from bot.services import notifier


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Show the migration's current state in its Slack thread."""
    envelope = parse(event=event, model=EventBridgeModel)
    detail = parse_detail(envelope.detail_type, envelope.detail)
    correlate(detail.migration_id)
    notifier.notify(detail, store=bootstrap.core().store, slack=bootstrap.slack_notifier())
