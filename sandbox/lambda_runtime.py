"""Lambda's asynchronous invocation, locally: the same handlers, the same retry semantics.

Each function's EventBridge rules (read from ``template.yaml``) are created in the
AWS stand-in with an SQS queue as the target, where AWS would target the function.
``pump`` receives from those queues and invokes the handler with the complete
envelope; a failing invocation is retried up to the function's
``MaximumRetryAttempts`` (2 → 3 attempts in all), then an invocation record in
Lambda's documented on-failure shape goes to the failure queue.
"""

from __future__ import annotations

import importlib
import json
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.sqs.models import sqs_backends

from sandbox.template import Function, Template


@dataclass
class LocalContext:
    """The parts of Lambda's context object the handlers and Powertools read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        """Lambda's remaining-time call; the local runner has no deadline."""
        return 300_000


@dataclass
class Invocation:
    """One handler call the runner made."""

    function: str
    detail_type: str
    attempt: int
    error: str | None
    seconds: float


@dataclass
class FailedInvocation:
    """An event whose retries ran out (what the on-failure destination received)."""

    function: str
    record: dict[str, Any]


class LambdaRuntime:
    """Routes bus events to handlers through queues, with Lambda's async retry semantics."""

    def __init__(
        self,
        template: Template,
        sqs: Any,
        events: Any,
        account_id: str,
        region: str,
        queue_urls: dict[str, str] | None = None,
        on_failure: Callable[[FailedInvocation], None] | None = None,
    ) -> None:
        self.template = template
        self._sqs = sqs
        self._events = events
        self._account = account_id
        self._region = region
        self._on_failure = on_failure
        self.functions = {f.logical_id: f for f in template.functions() if f.rules or f.queues}
        self._queues: dict[str, str] = {}  # rule target queue per function
        self._stack_queues = queue_urls or {}  # the template's own queues, by logical id
        self.invocations: list[Invocation] = []
        self.failures: list[FailedInvocation] = []

    def deploy_rules(self) -> None:
        """Create the custom bus, and every rule with a queue target, from the template."""
        self._events.create_event_bus(Name=self.template.custom_bus_name())
        for function in self.functions.values():
            if not function.rules:
                continue
            url = self._sqs.create_queue(QueueName=f"lambda-{function.logical_id}")["QueueUrl"]
            arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self._queues[function.logical_id] = url
            for rule in function.rules:
                self._events.put_rule(
                    Name=rule.name, EventBusName=rule.bus, EventPattern=json.dumps(rule.pattern)
                )
                self._events.put_targets(
                    Rule=rule.name,
                    EventBusName=rule.bus,
                    Targets=[{"Id": function.logical_id, "Arn": arn}],
                )

    def pump(self) -> int:
        """Deliver every queued event once (retries are queued again); return how many."""
        delivered = self._poll_event_sources()
        for logical_id, url in self._queues.items():
            while self._may_hold_messages(url):
                messages = self._sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    self._deliver(self.functions[logical_id], url, message)
                    delivered += 1
        return delivered

    def _may_hold_messages(self, url: str) -> bool:
        """Whether ``ReceiveMessage`` on the queue could return a message now.

        moto runs in this process (its threaded server, or ``mock_aws``), so its queue is
        looked at directly: a pump then asks only the queues that hold a visible message,
        instead of sending ReceiveMessage to every empty queue each round (15-20 calls, the
        most of a quiet pump on a busy machine). A queue moto does not hold here is asked.
        """
        backend = sqs_backends[self._account][self._region]
        queue = backend.queues.get(url.rstrip("/").rsplit("/", 1)[-1])
        return queue is None or bool(queue.messages)

    def run_until_idle(self, max_rounds: int = 200, idle: Callable[[], bool] = lambda: True) -> int:
        """Pump until no queue holds anything and ``idle()`` agrees; return deliveries."""
        total = 0
        for _ in range(max_rounds):
            delivered = self.pump()
            total += delivered
            if delivered == 0 and idle():
                return total
        raise RuntimeError(f"the bus was still busy after {max_rounds} rounds")

    def _deliver(self, function: Function, url: str, message: dict[str, Any]) -> None:
        event = json.loads(message["Body"])
        attributes = message.get("MessageAttributes", {})
        attempt = int(attributes.get("attempt", {}).get("StringValue", "1"))
        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handler = importlib.import_module(function.module).handler
        started = datetime.now(UTC)
        error: BaseException | None = None
        try:
            handler(event, LocalContext(function_name=function.logical_id))
        except Exception as exc:  # noqa: BLE001 - Lambda catches everything, so do we
            error = exc
        seconds = (datetime.now(UTC) - started).total_seconds()
        self.invocations.append(
            Invocation(
                function.logical_id,
                event.get("detail-type", "?"),
                attempt,
                None if error is None else f"{type(error).__name__}: {error}",
                seconds,
            )
        )
        if error is None:
            return
        if attempt <= function.retry_attempts:
            self._sqs.send_message(
                QueueUrl=url,
                MessageBody=message["Body"],
                MessageAttributes={
                    "attempt": {"DataType": "Number", "StringValue": str(attempt + 1)}
                },
            )
            return
        failed = FailedInvocation(
            function.logical_id, self._record(function, event, error, attempt)
        )
        self.failures.append(failed)
        if function.on_failure in self._stack_queues:
            self._sqs.send_message(
                QueueUrl=self._stack_queues[function.on_failure],
                MessageBody=json.dumps(failed.record),
            )
        if self._on_failure is not None:
            self._on_failure(failed)

    def _poll_event_sources(self) -> int:
        """Lambda's SQS event source mappings: batches in, partial batch failures back."""
        delivered = 0
        for function in self.functions.values():
            for queue in function.queues:
                url = self._stack_queues[queue]
                if not self._may_hold_messages(url):
                    continue
                messages = self._sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
                if not messages:
                    continue
                delivered += len(messages)
                failed_ids = self._invoke_batch(function, url, messages)
                for message in messages:
                    handle = message["ReceiptHandle"]
                    if message["MessageId"] in failed_ids:
                        self._sqs.change_message_visibility(
                            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                        )
                    else:
                        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
        return delivered

    def _invoke_batch(
        self, function: Function, url: str, messages: list[dict[str, Any]]
    ) -> set[str]:
        arn = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {
                        name: {
                            "stringValue": value.get("StringValue"),
                            "binaryValue": None,
                            "stringListValues": [],
                            "binaryListValues": [],
                            "dataType": value["DataType"],
                        }
                        for name, value in m.get("MessageAttributes", {}).items()
                    },
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self._region,
                }
                for m in messages
            ]
        }
        handler = importlib.import_module(function.module).handler
        started = datetime.now(UTC)
        error: str | None = None
        try:
            response = handler(event, LocalContext(function_name=function.logical_id)) or {}
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception as exc:  # noqa: BLE001 - a raised error fails the whole batch
            error = f"{type(exc).__name__}: {exc}"
            failed = {m["MessageId"] for m in messages}
        seconds = (datetime.now(UTC) - started).total_seconds()
        self.invocations.append(Invocation(function.logical_id, "SQS batch", 1, error, seconds))
        return failed

    def _record(
        self, function: Function, event: dict[str, Any], error: BaseException, attempts: int
    ) -> dict[str, Any]:
        arn = f"arn:aws:lambda:{self._region}:{self._account}:function:{function.logical_id}"
        return {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {
                "errorMessage": str(error),
                "errorType": type(error).__name__,
                "stackTrace": traceback.format_exception(error)[-3:],
            },
        }
