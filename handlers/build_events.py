"""CodeBuild Build State Change (default bus), or the reconciler's BuildFinished when that
never came → ImageBuilt or MigrationFailed."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as, reconciled
from bot.events.aws import CodeBuildStateChange
from bot.events.models import BuildFinished
from bot.observability import logger
from bot.services import build


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Turn CodeBuild's final state into the migration's next step."""
    found = reconciled(event, BuildFinished)
    if found is not None:
        project, build_id, status = found.project_name, found.build_id, found.build_status
    else:
        detail = detail_as(event, CodeBuildStateChange)
        project, build_id, status = detail.project_name, detail.build_id, detail.build_status
    logger.append_keys(build_id=build_id, build_status=status)
    core = bootstrap.core()
    build.finished(
        project,
        build_id,
        status,
        store=core.store,
        publisher=core.publisher,
        clock=core.clock,
    )
