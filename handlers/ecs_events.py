"""aws.ecs events (default bus), or the reconciler's DeploymentFound when they never came →
migration state and thread updates."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import envelope, reconciled
from bot.events.models import DeploymentFound
from bot.observability import logger
from bot.services import ecs_events


@cache
def warm_cache(core: bootstrap.Core) -> ecs_events.WarmCache:
    """One cache per cold start (and per set of adapters, which tests and the sandbox reset)."""
    return ecs_events.WarmCache()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Dispatch one ECS event by its detail-type."""
    parsed, core = envelope(event), bootstrap.core()
    ports = ecs_events.EcsPorts(core.store, core.publisher, core.clock, warm_cache(core))
    found = reconciled(event, DeploymentFound)
    if found is not None:
        ecs_events.on_found(found.migration_id, found.service_arn, ports=ports)
        return
    handled = ecs_events.on_event(parsed.detail_type, parsed.resources, parsed.detail, ports=ports)
    if not handled:
        logger.warning("ignoring unexpected detail-type", extra={"detail_type": parsed.detail_type})
