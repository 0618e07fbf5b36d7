"""Compare recorded calls with the roles in ``template.yaml``, and with the service models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import botocore.session
from botocore.model import OperationModel
from botocore.validate import ParamValidator

from sandbox.template import Template
from tests.iam.matching import action_matches, allowed, resource_matches
from tests.iam.permissions import Need, UnmappedCallError, needs
from tests.iam.platform import platform_needs
from tests.iam.recording import Call
from tests.iam.template_policies import function_statements, role_of


def needs_by_function(calls: Iterable[Call], template: Template) -> dict[str, list[Need]]:
    """What each function needs: its recorded calls' needs plus Lambda's own."""
    out: dict[str, list[Need]] = {
        f.logical_id: platform_needs(template, f) for f in template.functions()
    }
    for call in calls:
        out.setdefault(call.function, []).extend(needs(call))
    return out


def missing_permissions(calls: Iterable[Call], template: Template) -> list[str]:
    """One line per action a function needs that its role does not allow (empty: all allowed)."""
    statements = function_statements(template)
    problems: dict[str, None] = {}
    calls = list(calls)
    for call in calls:
        try:
            call_needs = needs(call)
        except UnmappedCallError as error:
            problems[str(error)] = None
            continue
        for need in call_needs:
            if not allowed(statements[call.function], need.action, need.resource, need.context):
                problems[_denied(template, call.function, need)] = None
    for function in template.functions():
        for need in platform_needs(template, function):
            if not allowed(
                statements[function.logical_id], need.action, need.resource, need.context
            ):
                problems[_denied(template, function.logical_id, need)] = None
    return list(problems)


def _denied(template: Template, function: str, need: Need) -> str:
    context = "".join(f" with {k}={v}" for k, v in need.context.items())
    return (
        f"{function} ({need.why}) needs {need.action} on {need.resource}{context}; "
        f"its role {role_of(template, function)} does not allow it"
    )


def unused_grants(
    calls: Iterable[Call], template: Template, untested: Mapping[tuple[str, str], str]
) -> list[str]:
    """One line per (action, resource) a role grants that no function using it needed.

    A statement of a managed policy counts as used when any function whose role attaches
    it needed it. ``untested`` maps (policy source, action) to the reason it is kept.
    """
    by_function = needs_by_function(calls, template)
    users: dict[str, set[str]] = {}
    grants: dict[tuple[str, str, str, str], None] = {}
    for function, statements in function_statements(template).items():
        for statement in statements:
            users.setdefault(statement.source, set()).add(function)
            if statement.effect != "Allow":
                continue
            for action in statement.actions:
                for resource in statement.resources:
                    grants[(statement.source, statement.sid, action, resource)] = None
    out = []
    for source, sid, action, resource in grants:
        if (source, action) in untested:
            continue
        used = any(
            action_matches(action, need.action) and resource_matches(resource, need.resource)
            for function in users[source]
            for need in by_function.get(function, [])
        )
        if not used:
            out.append(
                f"{source}/{sid} grants {action} on {resource}, which "
                f"{', '.join(sorted(users[source]))} never needed"
            )
    return out


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    """The pinned botocore model of one operation."""
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation)


def request_errors(call: Call) -> str | None:
    """botocore's own validation report for the call's request, or None when it is valid."""
    report = ParamValidator().validate(
        call.params, operation_model(call.service, call.operation).input_shape
    )
    return report.generate_report() if report.has_errors() else None


def invalid_requests(calls: Iterable[Call]) -> list[str]:
    """One line per request that the pinned service model rejects (empty: all valid)."""
    problems: dict[str, None] = {}
    for call in calls:
        errors = request_errors(call)
        if errors:
            problems[f"{call}: {errors}"] = None
    return list(problems)
