"""EventBridge implementation of the ``Publisher`` port."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.events.models import SOURCE, DomainEvent

MAX_BATCH = 10  # PutEvents accepts at most 10 entries a call
MAX_ATTEMPTS = 4
#: PutEvents entry error codes worth resending; anything else is a defect to surface.
RETRYABLE = frozenset({"InternalFailure", "ThrottlingException", "ServiceUnavailable"})


class PublishError(RuntimeError):
    """Some events could not be put on the bus."""


class EventBridgePublisher:
    """Puts domain events on the custom bus, resending only retryable failed entries."""

    def __init__(self, client: Any, bus_name: str, backoff_seconds: float = 0.1) -> None:
        self._client = client
        self._bus = bus_name
        self._backoff = backoff_seconds

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Publish ``events``; raise ``PublishError`` naming what could not be put."""
        entries = [self.entry(event) for event in events]
        for start in range(0, len(entries), MAX_BATCH):
            self._put(entries[start : start + MAX_BATCH])

    def entry(self, event: DomainEvent) -> dict[str, Any]:
        """The PutEvents entry for one domain event."""
        return {
            "Source": SOURCE,
            "DetailType": event.detail_type,
            "Detail": event.model_dump_json(),
            "EventBusName": self._bus,
        }

    def _put(self, entries: list[dict[str, Any]]) -> None:
        pending = entries
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = self._client.put_events(Entries=pending)
            if not response.get("FailedEntryCount"):
                return
            failed = [
                (entry, result)
                for entry, result in zip(pending, response["Entries"], strict=True)
                if result.get("ErrorCode")
            ]
            fatal = [(e, r) for e, r in failed if r["ErrorCode"] not in RETRYABLE]
            if fatal:
                raise PublishError(_describe(fatal))
            pending = [entry for entry, _ in failed]
            if attempt < MAX_ATTEMPTS:
                time.sleep(self._backoff * 2 ** (attempt - 1))
        raise PublishError(
            f"gave up after {MAX_ATTEMPTS} attempts: "
            + _describe([(e, {"ErrorCode": "retries exhausted"}) for e in pending])
        )


def _describe(failed: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    return "; ".join(
        f"{entry['DetailType']}: {result.get('ErrorCode')} {result.get('ErrorMessage', '')}".strip()
        for entry, result in failed
    )
