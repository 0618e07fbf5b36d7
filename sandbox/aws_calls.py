"""Count the AWS calls a piece of work makes, at botocore (every client, any session)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.client import BaseClient

T = TypeVar("T")


def counting_calls(work: Callable[[], T]) -> tuple[T, list[str]]:
    """Run ``work``; return its result and the ``service:Operation`` of each call it made
    (in its own thread: the stand-ins' background threads call AWS too)."""
    original = BaseClient._make_api_call
    calls: list[str] = []
    thread = threading.get_ident()

    def counted(client: Any, operation: str, params: Any) -> Any:
        if threading.get_ident() == thread:
            calls.append(f"{client.meta.service_model.service_name}:{operation}")
        return original(client, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        return work(), calls
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
