"""CodeBuild Build State Change (default bus) → ImageBuilt or MigrationFailed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.aws import CodeBuildStateChange
from bot.observability import logger
from bot.services import build


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Turn CodeBuild's final state into the migration's next step."""
    detail = detail_as(event, CodeBuildStateChange)
    logger.append_keys(build_id=detail.build_id, build_status=detail.build_status)
    core = bootstrap.core()
    build.finished(
        detail.project_name,
        detail.build_id,
        detail.build_status,
        store=core.store,
        publisher=core.publisher,
        clock=core.clock,
    )
