"""CodeBuild's events, which moto lacks: a started build reports its state on the default bus.

moto records ``StartBuild`` but never runs the build nor emits "CodeBuild Build
State Change". This extension wraps moto's ``start_build`` so that, like AWS,
the build goes IN_PROGRESS and then SUCCEEDED, each as an event in AWS's documented shape.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from moto.codebuild.exceptions import ResourceNotFoundException
from moto.codebuild.responses import CodeBuildResponse

from sandbox.aws_bus import Emit
from sandbox.aws_events import codebuild_build_state_change

_state: dict[str, Any] = {"emit": None, "delay": 0.0, "installed": False}
_original_start_build = CodeBuildResponse.start_build


def _start_build(self: CodeBuildResponse) -> str:
    body = _original_start_build(self)
    build = json.loads(body)["build"]
    emit: Emit | None = _state["emit"]
    if emit is not None:
        project = build["projectName"]
        uuid = build["id"].split(":", 1)[1]
        common = {
            "account": self.current_account,
            "region": self.region,
            "project_name": project,
            "build_uuid": uuid,
        }

        def report() -> None:
            emit(codebuild_build_state_change(build_status="IN_PROGRESS", **common))
            emit(codebuild_build_state_change(build_status="SUCCEEDED", **common))

        if _state["delay"] <= 0:
            report()
        else:
            timer = threading.Timer(_state["delay"], report)
            timer.daemon = True
            timer.start()
    return body


# UpdateProject request members and where CodeBuild keeps them in the project.
_UPDATABLE = {
    "description": "description",
    "source": "source",
    "artifacts": "artifacts",
    "environment": "environment",
    "serviceRole": "serviceRole",
    "tags": "tags",
    "timeoutInMinutes": "timeoutInMinutes",
}


def _update_project(self: CodeBuildResponse) -> str:
    """UpdateProject, which moto 5.2 lacks: change the given members of an existing project."""
    name = self._get_param("name")
    project = self.codebuild_backend.codebuild_projects.get(name)
    if project is None:
        raise ResourceNotFoundException(
            f"Project cannot be found: arn:aws:codebuild:{self.region}:"
            f"{self.current_account}:project/{name}"
        )
    for member, key in _UPDATABLE.items():
        value = self._get_param(member)
        if value is not None:
            project.project_metadata[key] = value
    project.project_metadata["lastModifiedDate"] = datetime.now(UTC).timestamp()
    return json.dumps({"project": project.project_metadata}, default=str)


def add_update_project() -> None:
    """Give moto's CodeBuild the UpdateProject operation (idempotent)."""
    CodeBuildResponse.update_project = _update_project  # type: ignore[attr-defined]


def install(emit: Emit, delay_seconds: float = 0.0) -> None:
    """Make every StartBuild report IN_PROGRESS then its outcome through ``emit``."""
    _state["emit"] = emit
    _state["delay"] = delay_seconds
    if not _state["installed"]:
        CodeBuildResponse.start_build = _start_build  # type: ignore[method-assign]
        add_update_project()
        _state["installed"] = True
