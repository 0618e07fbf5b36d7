"""The calls Lambda itself makes with a function's role (no handler code makes them).

- Logs: the function's log group (``LoggingConfig.LogGroup``, created by the stack)
  receives its streams and events: ``logs:CreateLogStream``, ``logs:PutLogEvents``
  (Lambda Developer Guide, "Sending Lambda function logs to CloudWatch Logs": the
  execution role needs them; ``CreateLogGroup`` only when Lambda creates the group).
- On-failure destination: an SQS destination needs ``sqs:SendMessage`` on the queue
  (Lambda Developer Guide, "Capturing records of Lambda asynchronous invocations":
  the execution role needs permission for the destination).
- SQS event source: ``sqs:ReceiveMessage``, ``sqs:DeleteMessage`` and
  ``sqs:GetQueueAttributes`` on the queue (Lambda Developer Guide, "Using Lambda with
  Amazon SQS", execution role permissions).
"""

from __future__ import annotations

from sandbox.template import Function, Template
from tests.iam.permissions import Need
from tests.iam.template_policies import ACCOUNT, PARTITION, REGION, Resolver

_SQS_SOURCE = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")


def _queue_arn(resolver: Resolver, logical_id: str) -> str:
    return resolver.get_att(logical_id, "Arn")


def platform_needs(template: Template, function: Function) -> list[Need]:
    """What Lambda does with ``function``'s role on its behalf."""
    resolver = Resolver(template)
    props = template.resources[function.logical_id]["Properties"]
    out = []
    group = props.get("LoggingConfig", {}).get("LogGroup")
    if group is not None:
        name = resolver.value(group)
        stream = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:log-stream:2026/01/01"
        for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
            out.append(Need(action, stream, "Lambda writes the function's logs"))
    if function.on_failure:
        out.append(
            Need(
                "sqs:SendMessage",
                _queue_arn(resolver, function.on_failure),
                "Lambda's on-failure destination",
            )
        )
    for queue in function.queues:
        for action in _SQS_SOURCE:
            out.append(Need(action, _queue_arn(resolver, queue), "Lambda's SQS event source"))
    return out
