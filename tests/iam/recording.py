"""Record every AWS call a Lambda handler makes, with the function it was made for.

Every botocore client created while recording (``boto3.client``, ``bot.bootstrap.client``,
any session) gets a ``before-parameter-build`` hook: the service, operation and the
parameters about to be validated and sent. A call counts only while a handler named in
``template.yaml`` runs: each handler module's ``handler`` is wrapped so the function's
logical id is set for the duration of the invocation (the local Lambda runtime and the
tests look the handler up on its module at call time, so they call the wrapper).
"""

from __future__ import annotations

import contextvars
import copy
import functools
import importlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.session

from sandbox.template import Template

#: The function whose handler is running (a logical id from template.yaml), if any.
CURRENT_FUNCTION: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_function", default=None
)
_WRAPPED = "__iam_recorded_function__"


@dataclass(frozen=True)
class Call:
    """One AWS API call a function made."""

    function: str
    service: str  # botocore's service name, e.g. "elbv2"
    operation: str  # e.g. "CreateRepository"
    params: dict[str, Any]
    parameter_validation: bool
    #: What AWS answered (botocore's parsed response), filled in after the call; empty when
    #: it failed. Read for what a later call's authorisation depends on (a new group's id).
    response: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.function} → {self.service}.{self.operation}"


@dataclass
class Recorder:
    """Collects calls; ``window()`` gives the calls made inside a ``with`` block."""

    calls: list[Call] = field(default_factory=list)
    _pending: threading.local = field(default_factory=threading.local)

    def on_call(self, client_validates: bool, params: Any, model: Any, **_: Any) -> None:
        """botocore hook: keep the call if a handler is running."""
        function = CURRENT_FUNCTION.get()
        if function is None:
            return
        try:
            kept = copy.deepcopy(params)
        except Exception:  # noqa: BLE001 - a stream body cannot be copied; keep the names
            kept = dict(params)
        call = Call(function, model.service_model.service_name, model.name, kept, client_validates)
        self.calls.append(call)
        self._pending.call = call

    def on_response(self, http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        """botocore ``after-call`` hook: keep a successful answer on the call it answers."""
        call = getattr(self._pending, "call", None)
        self._pending.call = None
        if call is None or call.operation != model.name:
            return
        if 200 <= getattr(http_response, "status_code", 500) < 300 and isinstance(parsed, dict):
            call.response.update({k: v for k, v in parsed.items() if k != "ResponseMetadata"})

    @contextmanager
    def window(self) -> Iterator[list[Call]]:
        """The calls recorded from entry to exit (filled in as they happen)."""
        start = len(self.calls)
        seen: list[Call] = []
        try:
            yield seen
        finally:
            seen.extend(self.calls[start:])


def _hooked_create_client(recorder: Recorder, original: Callable[..., Any]) -> Any:
    @functools.wraps(original)
    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        validates = bool(client.meta.config.parameter_validation)

        def hook(params: Any, model: Any, **rest: Any) -> None:
            recorder.on_call(validates, params, model, **rest)

        client.meta.events.register("before-parameter-build", hook)
        client.meta.events.register("after-call", recorder.on_response)
        return client

    return create_client


def _wrap_handler(module: Any, logical_id: str) -> None:
    original = module.handler
    if getattr(original, _WRAPPED, None):
        return

    @functools.wraps(original)
    def handler(event: Any, context: Any) -> Any:
        token = CURRENT_FUNCTION.set(logical_id)
        try:
            return original(event, context)
        finally:
            CURRENT_FUNCTION.reset(token)

    setattr(handler, _WRAPPED, logical_id)
    module.handler = handler


@contextmanager
def recording(template: Template) -> Iterator[Recorder]:
    """Record while the block runs: hook client creation and wrap every handler."""
    recorder = Recorder()
    session_class = botocore.session.Session
    original = session_class.create_client
    session_class.create_client = _hooked_create_client(recorder, original)  # type: ignore[method-assign]
    modules: list[tuple[Any, Any]] = []
    for function in template.functions():
        module: Any = importlib.import_module(function.module)
        modules.append((module, module.handler))
        _wrap_handler(module, function.logical_id)
    try:
        yield recorder
    finally:
        session_class.create_client = original  # type: ignore[method-assign]
        for module, handler in modules:
            module.handler = handler
