"""Systems Manager's command status change (default bus), or the reconciler's CommandFinished
when that never came → the completed plan (PLANNED)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import envelope, reconciled
from bot.events.aws import SsmCommandStatusChange, instance_ids
from bot.events.models import CommandFinished
from bot.observability import logger
from bot.services import capture


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Read the finished capture command and complete its migration's plan."""
    found = reconciled(event, CommandFinished)
    if found is not None:
        command_id, instances = found.command_id, [found.instance_id]
    else:
        parsed = envelope(event)
        detail = SsmCommandStatusChange.model_validate(parsed.detail)
        logger.append_keys(command_status=detail.status)
        command_id, instances = detail.command_id, instance_ids(list(parsed.resources))
    logger.append_keys(command_id=command_id)
    core = bootstrap.core()
    for instance_id in instances:  # one: the bot targets one instance
        capture.finished(
            command_id,
            instance_id,
            store=core.store,
            capture=bootstrap.capture_aws(),
            publisher=core.publisher,
            clock=core.clock,
        )
