"""CodeBuild's events, which moto lacks: a started build reports its state on the default bus.

moto records ``StartBuild`` but never runs the build nor emits "CodeBuild Build
State Change". This extension wraps moto's ``start_build`` so that, like AWS,
the build goes IN_PROGRESS and then SUCCEEDED, each as an event in AWS's documented shape.

``BatchGetBuilds`` reports each build's own state (moto marks every build it is asked about
SUCCEEDED, a stopped or running one included): IN_PROGRESS until the build ends, then its
outcome (CodeBuild API Reference, ``Build``: ``buildStatus``). ``StopBuild`` on a running
build makes it STOPPED, reported by a state-change event, and its outcome is never reported
("CodeBuild User Guide, "Stop a build"); on a finished build it changes nothing.
``drop_final_events(True)`` loses every build's final event while the build still ends (the
``stuck-build`` scenario: EventBridge delivery is best effort).
"""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from moto.codebuild.exceptions import ResourceNotFoundException
from moto.codebuild.models import CodeBuildBackend, codebuild_backends
from moto.codebuild.responses import CodeBuildResponse
from moto.s3.models import s3_backends

from sandbox import images
from sandbox.aws_bus import Emit
from sandbox.aws_events import codebuild_build_state_change

_state: dict[str, Any] = {
    "emit": None,
    "delay": 0.0,
    "installed": False,
    "drop_final": False,
    "hold": 0.0,
}
#: Set by StopBuild: wakes a build held by ``hold_builds`` so it ends at once.
_stopped = threading.Event()
_original_start_build = CodeBuildResponse.start_build


#: StartBuild's idempotency token is valid for 5 minutes (CodeBuild API Reference,
#: StartBuild: "If you repeat the StartBuild request with the same token ... valid for 5
#: minutes"); moto ignores it.
TOKEN_SECONDS = 300.0


def _start_build(self: CodeBuildResponse) -> str:
    """StartBuild as CodeBuild runs it: the token is honoured, the build carries the project.

    A repeated token within its 5 minutes returns the same build and starts none. The
    build's ``source`` and ``environment`` are the project's (CodeBuild API Reference,
    ``Build``: "Information about the build environment for this build"), where moto
    reports a fixed placeholder environment.
    """
    project_name = self._get_param("projectName")
    token = self._get_param("idempotencyToken")
    # Kept on moto's backend, so moto's resets forget them with the builds.
    tokens = self.codebuild_backend.__dict__.setdefault("_idempotency_tokens", {})
    key = (project_name, token)
    if token:
        seen = tokens.get(key)
        if seen is not None and time.monotonic() - seen[0] < TOKEN_SECONDS:
            return json.dumps({"build": seen[1]}, default=str)
    body = _original_start_build(self)
    build = json.loads(body)["build"]
    project = self.codebuild_backend.codebuild_projects.get(project_name)
    if project is not None:
        stored = self.codebuild_backend.build_metadata_history[project_name][-1]
        for member in ("environment", "source"):
            if project.project_metadata.get(member):
                stored[member] = copy.deepcopy(project.project_metadata[member])
                build[member] = copy.deepcopy(project.project_metadata[member])
        body = json.dumps({"build": build}, default=str)
    if token:
        tokens[key] = (time.monotonic(), build)
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

        account = self.current_account

        region = self.region
        _set_status(account, region, build["id"], "IN_PROGRESS")

        def report() -> None:
            emit(codebuild_build_state_change(build_status="IN_PROGRESS", **common))
            if (
                _state["hold"] > 0
                and _stopped.wait(_state["hold"])
                and _is_stopped(account, region, build["id"])
            ):
                return  # stopped while it ran: StopBuild reported it
            status = _build_image(account, build)
            if not _finish(account, region, build["id"], status):
                return  # stopped meanwhile: StopBuild reported it
            if not _state["drop_final"]:
                emit(codebuild_build_state_change(build_status=status, **common))

        if _state["delay"] <= 0 and _state["hold"] <= 0:
            report()
        else:
            timer = threading.Timer(_state["delay"], report)
            timer.daemon = True
            timer.start()
    return body


#: Why each failed build failed, by build id (what its BUILD phase log would say).
FAILURES: dict[str, str] = {}


def _build_image(account: str, build: dict[str, Any]) -> str:
    """Run the build as the buildspec would (``docker build`` of the S3 source): SUCCEEDED/FAILED.

    The image is built by ``sandbox.images`` from the project's S3 source ZIP and kept under
    the build's ``IMAGE_URI``. A build without those (not the bot's) just succeeds.
    """
    source = build.get("source") or {}
    variables = {
        v.get("name"): v.get("value")
        for v in (build.get("environment") or {}).get("environmentVariables", [])
    }
    uri, location = variables.get("IMAGE_URI"), source.get("location", "")
    if source.get("type") != "S3" or not uri or "/" not in location:
        return "SUCCEEDED"
    bucket, key = location.split("/", 1)
    try:
        body = s3_backends[account]["global"].get_object(bucket, key).value
    except Exception as error:  # noqa: BLE001  (any failure to read is CodeBuild's CLIENT_ERROR)
        FAILURES[build["id"]] = f"CLIENT_ERROR: could not read s3://{location}: {error}"
        return "FAILED"
    try:
        images.build(str(uri), body)
    except images.BuildFailedError as error:
        FAILURES[build["id"]] = str(error)
        return "FAILED"
    return "SUCCEEDED"


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


_status_lock = threading.Lock()


def _stored(account: str, region: str, build_id: str) -> dict[str, Any] | None:
    backend = codebuild_backends[account][region]
    for history in backend.build_metadata_history.values():
        for build in history:
            if build["id"] == build_id:
                return build  # type: ignore[no-any-return]
    return None


def _set_status(account: str, region: str, build_id: str, status: str) -> None:
    with _status_lock:
        build = _stored(account, region, build_id)
        if build is not None:
            build["buildStatus"] = status
            build["currentPhase"] = "BUILD" if status == "IN_PROGRESS" else "COMPLETED"


def _finish(account: str, region: str, build_id: str, status: str) -> bool:
    """Record a build's outcome unless it was stopped first; whether it was recorded."""
    with _status_lock:
        build = _stored(account, region, build_id)
        if build is None:
            return True
        if build.get("buildStatus") == "STOPPED":
            return False
        build["buildStatus"] = status
        build["currentPhase"] = "COMPLETED"
        return True


def _batch_get_builds(self: Any, ids: list[str]) -> list[dict[str, Any]]:
    """BatchGetBuilds as CodeBuild answers it: each build as it stands."""
    with _status_lock:
        return [
            copy.deepcopy(build)
            for history in self.build_metadata_history.values()
            for build in history
            if build["id"] in ids
        ]


def _stop_build(self: CodeBuildResponse) -> str:
    """StopBuild: a running build becomes STOPPED (and says so); a finished one is as it was."""
    build_id = self._get_param("id")
    account, region = self.current_account, self.region
    with _status_lock:
        build = _stored(account, region, build_id)
        if build is None:
            raise ResourceNotFoundException(f"Build {build_id} does not exist")
        running = build.get("buildStatus") == "IN_PROGRESS"
        if running:
            build["buildStatus"] = "STOPPED"
            build["currentPhase"] = "COMPLETED"
        answer = copy.deepcopy(build)
    emit: Emit | None = _state["emit"]
    if running:
        _stopped.set()
    if running and emit is not None:
        emit(
            codebuild_build_state_change(
                build_status="STOPPED",
                account=account,
                region=region,
                project_name=answer["projectName"],
                build_uuid=build_id.split(":", 1)[1],
            )
        )
    return json.dumps({"build": answer}, default=str)


def _is_stopped(account: str, region: str, build_id: str) -> bool:
    with _status_lock:
        build = _stored(account, region, build_id)
        return build is not None and build.get("buildStatus") == "STOPPED"


def hold_builds(seconds: float) -> None:
    """Make every build run ``seconds`` (real) before its outcome (0: as fast as it can)."""
    _stopped.clear()
    _state["hold"] = seconds


def drop_final_events(drop: bool) -> None:
    """Lose (or stop losing) every build's final state-change event."""
    _state["drop_final"] = drop


def install_operations() -> None:
    """Give moto's CodeBuild UpdateProject and a faithful StartBuild, BatchGetBuilds and
    StopBuild (idempotent; no events)."""
    CodeBuildResponse.update_project = _update_project  # type: ignore[attr-defined]
    CodeBuildResponse.start_build = _start_build  # type: ignore[method-assign]
    CodeBuildResponse.stop_build = _stop_build  # type: ignore[method-assign]
    CodeBuildBackend.batch_get_builds = _batch_get_builds  # type: ignore[method-assign]


def install(emit: Emit, delay_seconds: float = 0.0) -> None:
    """Make every StartBuild report IN_PROGRESS then its outcome through ``emit``."""
    _state["emit"] = emit
    _state["delay"] = delay_seconds
    _state["drop_final"] = False
    hold_builds(0.0)
    if not _state["installed"]:
        install_operations()
        _state["installed"] = True


def expire_tokens() -> None:
    """Let every StartBuild idempotency token lapse, as 5 minutes passing would."""
    for regions in codebuild_backends.values():
        for backend in regions.values():
            backend.__dict__.pop("_idempotency_tokens", None)
