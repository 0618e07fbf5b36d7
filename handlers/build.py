"""PlanApproved → ECR repository, CodeBuild project and build → BuildStarted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.models import PlanApproved
from bot.observability import correlate, logger
from bot.services import build


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Start the image build for an approved plan."""
    detail = detail_as(event, PlanApproved)
    correlate(detail.migration_id)
    core = bootstrap.core()
    build.start(
        detail,
        store=core.store,
        aws=bootstrap.build_aws(),
        publisher=core.publisher,
        clock=core.clock,
    )
