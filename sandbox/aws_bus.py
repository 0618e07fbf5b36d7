"""Putting AWS service events (aws.ecs, aws.codebuild) on the stand-in's default bus."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.events.models import events_backends
from moto.events.utils import EventTemplateParser

Emit = Callable[[dict[str, Any]], None]

# AWS delivers the whole envelope to a target; moto 5.2's default input template
# drops ``account``, which Lambda consumers (and Powertools' EventBridgeModel) need.
FULL_ENVELOPE_TEMPLATE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", '
    '"account": "<account>", "time": <time>, "region": "<region>", '
    '"resources": <resources>, "detail": <detail>}'
)


def deliver_full_envelopes() -> None:
    """Make the stand-in's rule targets receive the complete envelope, as AWS's do."""
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = FULL_ENVELOPE_TEMPLATE


def default_bus_emitter() -> Emit:
    """An ``emit(envelope)`` that delivers a service event to the default bus's rules.

    AWS services put their events on the account's default bus themselves; the
    stand-in does the same through the in-process EventBridge backend, so rules
    created from ``template.yaml`` route them exactly as they route domain events.
    """

    def emit(event: dict[str, Any]) -> None:
        backend = events_backends[event["account"]][event["region"]]
        entries = [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event.get("resources", []),
                "EventBusName": "default",
            }
        ]
        results = backend.put_events(entries)
        errors = [r for r in results if r.get("ErrorCode")]
        if errors:
            raise RuntimeError(f"the stand-in bus refused {event['detail-type']}: {errors}")

    return emit
