"""MigrationRequested → discover the instance and its surroundings → DiscoveryCompleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import detail_as
from bot.events.models import MigrationRequested
from bot.observability import correlate, logger
from bot.services import discovery


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Run discovery for the requested migration."""
    detail = detail_as(event, MigrationRequested)
    correlate(detail.migration_id)
    core = bootstrap.core()
    discovery.run(
        detail,
        store=core.store,
        aws=bootstrap.discovery_aws(),
        capture=bootstrap.capture_aws(),
        publisher=core.publisher,
        clock=core.clock,
    )
