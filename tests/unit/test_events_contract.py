"""Event contracts: committed JSON Schemas match the models; every field is documented."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bot.adapters.envelopes import envelope
from bot.events.aws import (
    CodeBuildStateChange,
    EcsDeploymentStateChange,
    EcsServiceAction,
    EcsTaskStateChange,
    SsmCommandStatusChange,
    instance_ids,
)
from bot.events.models import EVENT_TYPES, SOURCE, UnknownEventError, parse_detail
from bot.events.schemas import SCHEMA_DIR, render_schemas


def test_committed_schemas_match_the_models() -> None:
    rendered = render_schemas()
    committed = {p.name: p.read_text() for p in SCHEMA_DIR.glob("*.json")}
    assert sorted(committed) == sorted(rendered), "run: python -m bot.events.schemas"
    for name, text in rendered.items():
        assert committed[name] == text, f"{name} is stale; run: python -m bot.events.schemas"


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_has_the_common_fields_and_documented_fields(name: str) -> None:
    model = EVENT_TYPES[name]
    assert model.detail_type == name
    fields = model.model_fields
    assert {"migration_id", "schema_version", "idempotency_key"} <= set(fields)
    for field_name, field in fields.items():
        assert field.description, f"{name}.{field_name} has no description"


def test_a_detail_validates_against_its_committed_schema() -> None:
    schema = json.loads((SCHEMA_DIR / "CutoverRequested.json").read_text())
    detail = {"migration_id": "mig-1", "idempotency_key": "k", "weight": 50, "requested_by": "U1"}
    jsonschema.validate(detail, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**detail, "weight": 150}, schema)


def test_parse_detail_round_trips_and_refuses_unknown_types() -> None:
    event = parse_detail(
        "TrafficShifted", {"migration_id": "m", "idempotency_key": "k", "weight": 10}
    )
    assert event.detail_type == "TrafficShifted" and SOURCE == "migration-bot"
    with pytest.raises(UnknownEventError):
        parse_detail("SomethingHappened", {})


AWS_CORPUS = sorted((Path(__file__).resolve().parents[1] / "events" / "aws").glob("*.json"))


@pytest.mark.parametrize("path", AWS_CORPUS, ids=lambda p: p.name)
def test_the_consumers_models_read_every_corpus_event(path: Path) -> None:
    event = json.loads(path.read_text())
    parsed = envelope(event)  # Powertools' envelope model, as the handlers use it
    model = {
        "ECS Deployment State Change": EcsDeploymentStateChange,
        "ECS Service Action": EcsServiceAction,
        "ECS Task State Change": EcsTaskStateChange,
        "CodeBuild Build State Change": CodeBuildStateChange,
        "EC2 Command Status-change Notification": SsmCommandStatusChange,
    }[parsed.detail_type]
    detail = model.model_validate(parsed.detail)
    if isinstance(detail, EcsTaskStateChange):
        service = detail.service_arn()
        assert service is not None and ":service/" in service
        assert detail.version >= 1
    if isinstance(detail, CodeBuildStateChange):
        assert detail.build_id.startswith("arn:aws:codebuild:")
    if isinstance(detail, SsmCommandStatusChange):
        assert instance_ids(list(parsed.resources)) and detail.command_id


def test_the_capture_rule_matches_the_bots_command_and_not_aws_example() -> None:
    # The documented example (AWS-RunPowerShellScript "date") is another workload's command.
    from moto.events.models import EventPattern

    from sandbox.template import Template

    rule = Template.load().resources["CaptureEventsFunction"]["Properties"]["Events"]
    pattern = EventPattern.load(json.dumps(rule["CaptureCommandFinished"]["Properties"]["Pattern"]))
    corpus = Path(__file__).resolve().parents[1] / "events" / "aws"
    capture = json.loads((corpus / "ssm_command_status_change_capture.json").read_text())
    documented = json.loads((corpus / "ssm_command_status_change_documented.json").read_text())
    assert pattern.matches_event(capture) and not pattern.matches_event(documented)
