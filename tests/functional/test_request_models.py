"""Every request the adapters build is valid for the pinned botocore service models.

botocore validates each request against its service model before sending it, unless a
client turns ``parameter_validation`` off. The requests recorded from real migrations
(``driven_calls``) are checked here with botocore's own ``ParamValidator`` against the
models of the pinned botocore, so an SDK upgrade that renames or removes a member fails
this test, not a migration.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import botocore
from botocore.validate import ParamValidator

from tests.iam.checks import invalid_requests, operation_model, request_errors
from tests.iam.recording import Call
from tests.iam.scenarios import EXPECTED_ENDS

BOT = Path(__file__).resolve().parents[2] / "bot"
PINNED_BOTOCORE = "1.44.5"


def _calls(driven_calls: tuple[list[Call], list[str]]) -> list[Call]:
    calls, ends = driven_calls
    assert ends == EXPECTED_ENDS, ends
    return calls


def test_the_models_are_the_pinned_botocore_ones() -> None:
    assert botocore.__version__ == PINNED_BOTOCORE


def test_every_recorded_request_is_valid_for_its_service_model(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    calls = _calls(driven_calls)
    assert {(c.service, c.operation) for c in calls} >= {
        ("ecs", "CreateExpressGatewayService"),
        ("ecr", "CreateRepository"),
        ("codebuild", "CreateProject"),
        ("route53", "ChangeResourceRecordSets"),
        ("dynamodb", "TransactWriteItems"),
    }
    problems = invalid_requests(calls)
    assert problems == [], "\n".join(problems)


def test_every_client_the_bot_used_validates_its_requests(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    unvalidated = sorted({str(c) for c in _calls(driven_calls) if not c.parameter_validation})
    assert unvalidated == []


def test_no_client_in_bot_is_created_with_parameter_validation_off() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.keyword) and node.arg == "parameter_validation":
                offenders.append(f"{path.relative_to(BOT.parent)}:{node.value.lineno}")
            if isinstance(node, ast.Constant) and node.value == "parameter_validation":
                offenders.append(f"{path.relative_to(BOT.parent)}:{node.lineno}")
    assert offenders == []


def test_a_renamed_member_fails_the_check_with_the_models_own_words(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    create = next(c for c in _calls(driven_calls) if c.operation == "CreateExpressGatewayService")
    params = copy.deepcopy(create.params)
    params["primaryContainers"] = params.pop("primaryContainer")
    renamed = Call(create.function, create.service, create.operation, params, True)
    errors = request_errors(renamed)
    assert errors is not None
    assert 'Unknown parameter in input: "primaryContainers"' in errors
    assert request_errors(create) is None


def test_an_enum_value_the_model_does_not_list_fails_the_check(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    # botocore's ParamValidator accepts any string here; the enum walk does not.
    create = next(c for c in _calls(driven_calls) if c.operation == "CreateExpressGatewayService")
    params = copy.deepcopy(create.params)
    params["cpuArchitecture"] = "AMD64"
    bad = Call(create.function, create.service, create.operation, params, True)
    assert (
        not ParamValidator()
        .validate(params, operation_model("ecs", "CreateExpressGatewayService").input_shape)
        .has_errors()
    )
    assert request_errors(bad) == (
        "Invalid enum value for parameter cpuArchitecture (ExpressCpuArchitecture): "
        "'AMD64', valid values: X86_64, ARM64"
    )
    assert request_errors(create) is None


def test_the_enum_walk_reaches_lists_maps_and_nested_structures() -> None:
    # ECS RunTask: overrides.containerOverrides[].environmentFiles[].type is an enum
    # inside a structure inside a list inside a structure.
    params = {
        "taskDefinition": "app",
        "launchType": "FARGATE",
        "overrides": {"containerOverrides": [{"environmentFiles": [{"value": "x", "type": "s4"}]}]},
    }
    errors = request_errors(Call("F", "ecs", "RunTask", params, True))
    assert errors is not None
    assert "overrides.containerOverrides[0].environmentFiles[0].type" in errors
    assert "'s4', valid values: s3" in errors
    # DynamoDB: a map of attribute name to a structure holding an enum.
    table = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "X"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    errors = request_errors(Call("F", "dynamodb", "CreateTable", table, True))
    assert errors is not None and "AttributeDefinitions[0].AttributeType" in errors
    update = {
        "TableName": "t",
        "Key": {"pk": {"S": "a"}},
        "AttributeUpdates": {"n": {"Action": "MULTIPLY"}},
    }
    errors = request_errors(Call("F", "dynamodb", "UpdateItem", update, True))
    assert errors is not None and "AttributeUpdates.n.Action" in errors
