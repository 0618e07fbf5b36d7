"""Compare recorded calls with the roles in ``template.yaml``, and with the service models."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.validate import ParamValidator

from sandbox.template import Template
from tests.iam.matching import action_matches, allowed, resource_matches
from tests.iam.permissions import Known, Need, UnmappedCallError, needs
from tests.iam.platform import platform_needs
from tests.iam.recording import Call
from tests.iam.template_policies import function_statements, role_of, role_statements


def needs_by_function(calls: Iterable[Call], template: Template) -> dict[str, list[Need]]:
    """What each function needs: its recorded calls' needs plus Lambda's own."""
    out: dict[str, list[Need]] = {
        f.logical_id: platform_needs(template, f) for f in template.functions()
    }
    calls = list(calls)
    known = Known.of(calls)
    for call in calls:
        out.setdefault(call.function, []).extend(needs(call, known))
    return out


def missing_permissions(calls: Iterable[Call], template: Template) -> list[str]:
    """One line per action a function needs that its role does not allow (empty: all allowed)."""
    statements = function_statements(template)
    problems: dict[str, None] = {}
    calls = list(calls)
    known = Known.of(calls)
    for call in calls:
        try:
            call_needs = needs(call, known)
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
    """One line per (action, resource) a role grants that its function never needed.

    Each role is checked on its own, whatever the statement's source: an inline statement
    or a statement of a managed policy the role attaches must be needed by a function that
    runs as that role. A managed policy is not excused on one role because another role
    attaching it used it. ``untested`` maps (role, action) to the reason it is kept.
    """
    by_function = needs_by_function(calls, template)
    functions_of: dict[str, list[str]] = {}
    for function in template.functions():
        functions_of.setdefault(role_of(template, function.logical_id), []).append(
            function.logical_id
        )
    out: dict[str, None] = {}
    for role, functions in functions_of.items():
        role_needs = [need for f in functions for need in by_function.get(f, [])]
        for statement in role_statements(template, role):
            if statement.effect != "Allow":
                continue
            where = (
                f"{role}/{statement.sid}"
                if statement.source == role
                else f"{role} (via {statement.source}/{statement.sid})"
            )
            for action in statement.actions:
                if (role, action) in untested:
                    continue
                for resource in statement.resources:
                    used = any(
                        action_matches(action, need.action)
                        and resource_matches(resource, need.resource)
                        for need in role_needs
                    )
                    if not used:
                        out[
                            f"{where} grants {action} on {resource}, which "
                            f"{', '.join(sorted(functions))} never needed"
                        ] = None
    return list(out)


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    """The pinned botocore model of one operation."""
    model = botocore.session.get_session().get_service_model(service)
    return model.operation_model(operation)


def enum_errors(value: Any, shape: Shape | None, path: str = "") -> list[str]:
    """One line per string in ``value`` that its shape's ``enum`` does not list.

    botocore's ``ParamValidator`` checks types, required members and ranges, not enum
    values; this walks the request through the input shape's structures, lists and maps
    (keys and values) and checks every string whose shape has an ``enum``.
    """
    if shape is None:
        return []
    out: list[str] = []
    if isinstance(value, str) and shape.type_name == "string":
        allowed_values = getattr(shape, "enum", None) or []
        if allowed_values and value not in allowed_values:
            out.append(
                f"Invalid enum value for parameter {path or 'input'} ({shape.name}): "
                f"{value!r}, valid values: {', '.join(allowed_values)}"
            )
    elif isinstance(value, Mapping) and isinstance(shape, StructureShape):
        for name, member in value.items():
            if name in shape.members:
                out += enum_errors(member, shape.members[name], f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping) and isinstance(shape, MapShape):
        for key, member in value.items():
            out += enum_errors(key, shape.key, f"{path} (key {key!r})")
            out += enum_errors(member, shape.value, f"{path}.{key}")
    elif isinstance(value, list | tuple) and isinstance(shape, ListShape):
        for index, member in enumerate(value):
            out += enum_errors(member, shape.member, f"{path}[{index}]")
    return out


def request_errors(call: Call) -> str | None:
    """What the pinned model rejects in the call's request, or None when it is valid.

    botocore's own validation report, then one line per enum value the model does not
    list (botocore does not check those; the service would refuse the request).
    """
    input_shape = operation_model(call.service, call.operation).input_shape
    report = ParamValidator().validate(call.params, input_shape)
    lines = [report.generate_report()] if report.has_errors() else []
    lines += enum_errors(call.params, input_shape)
    return "\n".join(lines) if lines else None


def invalid_requests(calls: Iterable[Call]) -> list[str]:
    """One line per request that the pinned service model rejects (empty: all valid)."""
    problems: dict[str, None] = {}
    for call in calls:
        errors = request_errors(call)
        if errors:
            problems[f"{call}: {errors}"] = None
    return list(problems)
