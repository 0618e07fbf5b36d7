"""FailedEventsQueue (Lambda on-failure records) → migration failed, told in its thread."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.events.aws import LambdaFailureRecord
from bot.observability import logger
from bot.services.failures import report_exhausted

processor = BatchProcessor(event_type=EventType.SQS)


def _report(record: SQSRecord) -> None:
    failure = LambdaFailureRecord.model_validate(json.loads(record.body))
    core = bootstrap.core()
    if not report_exhausted(failure, store=core.store, publisher=core.publisher, clock=core.clock):
        logger.warning("failure of no known migration", extra={"function": failure.function_name()})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Report each record; failed records go back to the queue (partial batch response)."""
    response = process_partial_response(
        event=event, record_handler=_report, processor=processor, context=context
    )
    return dict(response)
