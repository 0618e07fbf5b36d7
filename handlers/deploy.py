"""ImageBuilt → CreateExpressGatewayService → DeploymentStarted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.models import ImageBuilt
from bot.observability import correlate, logger
from bot.services import deploy


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Deploy the built image as an Express Mode service."""
    detail = detail_as(event, ImageBuilt)
    correlate(detail.migration_id)
    core = bootstrap.core()
    deploy.run(
        detail,
        store=core.store,
        aws=bootstrap.deploy_aws(),
        publisher=core.publisher,
        clock=core.clock,
    )
