"""Systems Manager's command status change (default bus) → the completed plan (PLANNED)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import envelope
from bot.events.aws import SsmCommandStatusChange, instance_ids
from bot.observability import logger
from bot.services import capture


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Read the finished capture command and complete its migration's plan."""
    parsed = envelope(event)
    detail = SsmCommandStatusChange.model_validate(parsed.detail)
    logger.append_keys(command_id=detail.command_id, command_status=detail.status)
    core = bootstrap.core()
    for instance_id in instance_ids(list(parsed.resources)):  # one: the bot targets one instance
        capture.finished(
            detail.command_id,
            instance_id,
            store=core.store,
            capture=bootstrap.capture_aws(),
            publisher=core.publisher,
            clock=core.clock,
        )
