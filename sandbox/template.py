"""Reading ``template.yaml``: functions, their rules and environment, tables and the bus.

The template is the single source of truth for wiring; the local runner and the
tests read it here instead of copying patterns by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
DEFAULT_BUS = "default"


class TemplateError(ValueError):
    """The template has a shape the local runner does not understand."""


#: libyaml's safe loader when PyYAML was built with it (ten times faster on the template,
#: the same document), else the pure-Python one.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CfnLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A YAML loader that keeps CloudFormation's short-form tags as ``{Fn: value}``."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """Parse the SAM template, keeping intrinsic functions as data."""
    with path.open() as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class Rule:
    """One EventBridge rule of a function: which bus and which pattern."""

    name: str
    bus: str
    pattern: dict[str, Any]


@dataclass(frozen=True)
class Function:
    """One Lambda function as the template declares it."""

    logical_id: str
    handler: str
    environment: dict[str, Any]
    rules: list[Rule] = field(default_factory=list)
    queues: list[str] = field(default_factory=list)
    retry_attempts: int = 2
    on_failure: str | None = None

    @property
    def module(self) -> str:
        """Python module of the handler, e.g. ``handlers.discovery``."""
        return self.handler.rsplit(".", 1)[0]


def _logical_id(value: Any) -> str:
    """The resource a ``!Ref X`` or ``!GetAtt X.Arn`` names."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise TemplateError(f"expected a Ref or GetAtt, got {value!r}")


class Template:
    """Accessors over a loaded template."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.resources: dict[str, Any] = document.get("Resources", {})
        self.parameters: dict[str, Any] = document.get("Parameters", {})
        self._globals = document.get("Globals", {}).get("Function", {})
        self._global_env = self._globals.get("Environment", {}).get("Variables", {})

    @classmethod
    def load(cls, path: Path = TEMPLATE) -> Template:
        """Load ``template.yaml``."""
        return cls(load_template(path))

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        """Resources of one CloudFormation/SAM type, by logical id."""
        return {k: v for k, v in self.resources.items() if v.get("Type") == kind}

    def functions(self) -> list[Function]:
        """Every ``AWS::Serverless::Function`` with its rules and environment."""
        out = []
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource.get("Properties", {})
            rules = [
                Rule(
                    name=f"{logical_id}-{event_id}",
                    bus=self._bus_name(event["Properties"].get("EventBusName")),
                    pattern=event["Properties"]["Pattern"],
                )
                for event_id, event in props.get("Events", {}).items()
                if event.get("Type") == "EventBridgeRule"
            ]
            queues = [
                _logical_id(event["Properties"]["Queue"])
                for event in props.get("Events", {}).values()
                if event.get("Type") == "SQS"
            ]
            invoke = props.get("EventInvokeConfig") or self._globals.get("EventInvokeConfig", {})
            destination = (
                invoke.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            )
            out.append(
                Function(
                    logical_id=logical_id,
                    handler=props["Handler"],
                    environment={
                        **self._global_env,
                        **props.get("Environment", {}).get("Variables", {}),
                    },
                    rules=rules,
                    queues=queues,
                    retry_attempts=int(invoke.get("MaximumRetryAttempts", 2)),
                    on_failure=_logical_id(destination) if destination else None,
                )
            )
        return out

    def parameter_default(self, name: str) -> Any:
        """A parameter's default value."""
        try:
            return self.parameters[name]["Default"]
        except KeyError:
            raise TemplateError(f"parameter {name} has no default") from None

    def custom_bus_name(self) -> str:
        """Name of the custom bus the domain events travel on."""
        buses = self.of_type("AWS::Events::EventBus")
        if len(buses) != 1:
            raise TemplateError(f"expected one custom bus, found {sorted(buses)}")
        name = next(iter(buses.values()))["Properties"]["Name"]
        return self._plain(name)

    def _bus_name(self, value: Any) -> str:
        if value is None:
            return DEFAULT_BUS
        if isinstance(value, dict) and value.get("Ref") in self.of_type("AWS::Events::EventBus"):
            return self.custom_bus_name()
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self.custom_bus_name()
        return self._plain(value)

    def _plain(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in self.parameters:
            return str(self.parameter_default(value["Ref"]))
        raise TemplateError(f"cannot resolve {value!r} locally")
