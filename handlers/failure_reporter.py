"""FailedEventsQueue (Lambda on-failure records) → migration failed, told in its thread."""

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
from bot.services.failures import Outcome, report_exhausted

processor = BatchProcessor(event_type=EventType.SQS)


def _report(record: SQSRecord) -> None:
    failure = LambdaFailureRecord.model_validate(json.loads(record.body))
    core = bootstrap.core()
    outcome = report_exhausted(
        failure, store=core.store, publisher=core.publisher, clock=core.clock
    )
    if outcome == Outcome.ALREADY_SETTLED:
        logger.warning("a settled migration's step gave up", extra={"error": failure.error()})


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Report each record; unreportable ones stay queued (partial batch response)."""
    return dict(process(event=event, record_handler=_report, processor=processor, context=context))
