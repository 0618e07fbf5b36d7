"""AWS errors that retrying cannot fix, turned into ``AwsRefusedError`` with a usable reason.

Throttling and 5xx errors are left alone: botocore's standard retry mode retries them
(bootstrap sets it), and what is still failing then raises, so Lambda and EventBridge retry
the event. The codes below are the client errors the AWS APIs the bot calls document as
the caller's to fix (each service's API Reference, "Errors" and "Common Errors"): a bad
parameter, a missing permission, a quota. The message names the call and, when AWS says
which action was denied ("... is not authorized to perform: <action> on resource: ..."),
the permission to add.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from bot.ports import AwsRefusedError

#: Client error codes that no retry can fix (Common Errors of the AWS APIs, plus the
#: service-specific names ECS, ELBv2, ECR, CodeBuild, Route 53 and DynamoDB use).
REFUSED = frozenset(
    {
        # parameters
        "InvalidParameterException",
        "InvalidParameterValue",
        "InvalidParameterValueException",
        "InvalidParameterCombination",
        "InvalidInputException",
        "InvalidInput",
        "ValidationException",
        "ValidationError",
        "MissingParameter",
        "UnsupportedFeatureException",
        "PlatformUnknownException",
        "PlatformTaskDefinitionIncompatibilityException",
        # permissions
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "UnrecognizedClientException",
        "NotAuthorized",
        "OptInRequired",
        # quotas
        "LimitExceededException",
        "ServiceQuotaExceededException",
        "AccountLimitExceededException",
        "TooManyTargetGroups",
        "TooManyRules",
        "TooManyCertificates",
        # Systems Manager (SendCommand): an instance that is not a managed node, a document
        # or platform it cannot run. (GetCommandInvocation's InvocationDoesNotExist is not
        # here: that API is eventually consistent, so a retry may find the invocation.)
        "InvalidInstanceId",
        "InvalidDocument",
        "UnsupportedPlatformType",
    }
)
_DENIED_ACTION = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")
_EXCERPT = 300

F = TypeVar("F", bound=Callable[..., Any])


def refusal(error: ClientError) -> AwsRefusedError | None:
    """The ``AwsRefusedError`` a client error amounts to, or None when a retry may help."""
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    if code not in REFUSED:
        return None
    message = str(details.get("Message") or "").strip()
    reason = f"AWS refused {error.operation_name} ({code})"
    denied = _DENIED_ACTION.search(message)
    if denied:
        reason += f": the bot's role lacks {denied.group(1)}; add it to the function's role"
    elif message:
        excerpt = message if len(message) <= _EXCERPT else message[:_EXCERPT] + "…"
        reason += f": {excerpt}"
    return AwsRefusedError(reason)


def translate_refusals(method: F) -> F:
    """Decorate an adapter method: refusals raise ``AwsRefusedError``, the rest propagates."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except ClientError as error:
            refused = refusal(error)
            if refused is None:
                raise
            raise refused from error

    return wrapper  # type: ignore[return-value]
