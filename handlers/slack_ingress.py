"""Slack → API Gateway HTTP API → this function: verify, validate, persist, emit, ack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import bootstrap
from bot.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Hand the API Gateway v2 event to Bolt, which verifies the signature and acks."""
    return bootstrap.ingress_handler().handle(event, context)
