"""Failed and undelivered events (SQS) → migration failed, told in its thread."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch import process_partial_response as process
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.events.aws import LambdaFailureRecord
from bot.observability import logger
from bot.services.failures import Outcome, report_exhausted, report_undelivered

processor = BatchProcessor(event_type=EventType.SQS)


def _report(record: SQSRecord) -> None:
    body = json.loads(record.body)
    c = bootstrap.core()
    if "requestContext" in body:  # Lambda's on-failure record (FailedEventsQueue)
        failure = LambdaFailureRecord.model_validate(body)
        outcome = report_exhausted(failure, store=c.store, publisher=c.publisher, clock=c.clock)
    else:  # the event itself, dead-lettered by EventBridge (RuleDeadLetterQueue)
        notes = {k: v.string_value or "" for k, v in record.message_attributes.items()}
        outcome = report_undelivered(
            body, notes, store=c.store, publisher=c.publisher, clock=c.clock
        )
    if outcome == Outcome.ALREADY_SETTLED:
        logger.warning("a settled migration's step failed", extra={"event": body.get("id")})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Report each record; unreportable ones stay queued (partial batch response)."""
    return dict(process(event=event, record_handler=_report, processor=processor, context=context))
