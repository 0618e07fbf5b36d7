"""aws.ecs events (default bus) → migration state and thread updates."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.adapters.envelopes import envelope
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.observability import logger
from bot.services import ecs_events


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Dispatch one ECS event by its detail-type."""
    parsed = envelope(event)
    core = bootstrap.core()
    store, publisher, clock = core.store, core.publisher, core.clock
    match parsed.detail_type:
        case "ECS Deployment State Change":
            detail = EcsDeploymentStateChange.model_validate(parsed.detail)
            ecs_events.on_deployment(
                parsed.resources[0], detail, store=store, publisher=publisher, clock=clock
            )
        case "ECS Service Action":
            action = EcsServiceAction.model_validate(parsed.detail)
            ecs_events.on_service_action(
                parsed.resources[0], action, store=store, publisher=publisher, clock=clock
            )
        case "ECS Task State Change":
            task = EcsTaskStateChange.model_validate(parsed.detail)
            ecs_events.on_task(task, store=store, publisher=publisher)
        case other:
            logger.warning("ignoring unexpected detail-type", extra={"detail_type": other})
