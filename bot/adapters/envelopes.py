"""EventBridge envelopes → typed details, with Powertools' envelope model."""

from __future__ import annotations

from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel

from bot.events.models import SOURCE, DomainEvent, parse_detail

DetailT = TypeVar("DetailT", bound=BaseModel)
EventT = TypeVar("EventT", bound=DomainEvent)


def envelope(event: dict[str, Any]) -> EventBridgeModel:
    """Validate the EventBridge envelope Lambda received."""
    return EventBridgeModel.model_validate(event)


def detail_as(event: dict[str, Any], model: type[DetailT]) -> DetailT:
    """The envelope's detail, validated as ``model``."""
    return model.model_validate(envelope(event).detail)


def domain_event(event: dict[str, Any]) -> DomainEvent:
    """The domain event an envelope carries, chosen by its detail-type."""
    parsed = envelope(event)
    return parse_detail(parsed.detail_type, dict(parsed.detail))  # type: ignore[arg-type]


def reconciled(event: dict[str, Any], model: type[EventT]) -> EventT | None:
    """The bot's own ``model`` event when the envelope carries one (the reconciler's stand-in
    for an AWS event that never came); None for an AWS service event."""
    if envelope(event).source != SOURCE:
        return None
    found = domain_event(event)
    return found if isinstance(found, model) else None
