"""aws.ecs events (default bus) → migration state and thread updates."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from bot import bootstrap
from bot.events.aws import EcsDeploymentStateChange, EcsServiceAction, EcsTaskStateChange
from bot.observability import logger
from bot.services import ecs_events


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> None:
    """Dispatch one ECS event by its detail-type."""
    envelope = parse(event=event, model=EventBridgeModel)
    core = bootstrap.core()
    ports = {"store": core.store, "publisher": core.publisher}
    match envelope.detail_type:
        case "ECS Deployment State Change":
            detail = EcsDeploymentStateChange.model_validate(envelope.detail)
            ecs_events.on_deployment(envelope.resources[0], detail, clock=core.clock, **ports)
        case "ECS Service Action":
            action = EcsServiceAction.model_validate(envelope.detail)
            ecs_events.on_service_action(envelope.resources[0], action, clock=core.clock, **ports)
        case "ECS Task State Change":
            ecs_events.on_task(EcsTaskStateChange.model_validate(envelope.detail), **ports)
        case other:
            logger.warning("ignoring unexpected detail-type", extra={"detail_type": other})
