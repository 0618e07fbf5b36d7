"""IAM's evaluation of identity policies, for the parts the template uses.

Actions match case-insensitively and resources case-sensitively, with ``*`` (any run of
characters, ``/`` and ``:`` included) and ``?`` (one character), as the IAM User Guide's
"IAM JSON policy elements: Action / Resource" describe. An explicit Deny wins over any
Allow. Conditions: ``StringEquals``/``StringLike``/``ArnEquals``/``ArnLike`` against the
request's context keys; a key the request does not carry makes the condition false, and
an operator this module does not know makes the statement not apply (so a check never
passes on a condition it did not understand). The set operators ``ForAllValues:`` and
``ForAnyValue:`` in front of those read a context key as a set of values (IAM User Guide,
"Set operators for multivalued context keys"); this module's context holds one value per
key, so both ask that the value match. IAM's ``ForAllValues`` is true when the request
lacks the key; here a missing key is false for every operator (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from tests.iam.template_policies import Statement

_OPERATORS = {
    "StringEquals": False,
    "ArnEquals": False,
    "StringLike": True,
    "ArnLike": True,
}


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    """Does a policy's Action entry cover ``action``."""
    return bool(_pattern(pattern, True).match(action))


def resource_matches(pattern: str, resource: str) -> bool:
    """Does a policy's Resource entry cover ``resource``."""
    return bool(_pattern(pattern, False).match(resource))


def _condition_holds(
    condition: Mapping[str, Mapping[str, tuple[str, ...]]], context: Mapping[str, str]
) -> bool:
    for operator, pairs in condition.items():
        base = operator.removeprefix("ForAllValues:").removeprefix("ForAnyValue:")
        if base not in _OPERATORS:
            return False
        wildcard = _OPERATORS[base]
        for key, values in pairs.items():
            if key not in context:
                return False
            actual = context[key]
            if not any(resource_matches(v, actual) if wildcard else v == actual for v in values):
                return False
    return True


def applies(statement: Statement, action: str, resource: str, context: Mapping[str, str]) -> bool:
    """Does the statement cover this action on this resource in this context."""
    return (
        any(action_matches(a, action) for a in statement.actions)
        and any(resource_matches(r, resource) for r in statement.resources)
        and _condition_holds(statement.condition, context)
    )


def allowed(
    statements: Iterable[Statement], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    """IAM's decision: some Allow applies and no Deny does."""
    matching = [s for s in statements if applies(s, action, resource, context)]
    return any(s.effect == "Allow" for s in matching) and not any(
        s.effect == "Deny" for s in matching
    )
