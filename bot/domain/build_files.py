"""The files the image build gets beside the app's bundle: Dockerfile, .dockerignore, buildspec."""

from __future__ import annotations

from bot.domain.buildspec import render_buildspec
from bot.domain.plan import Plan
from bot.domain.runtimes import UnsupportedRuntimeError, render_dockerfile, render_dockerignore

#: Names the generated files take in the build's source; a bundle's own files of these names
#: are replaced (the plan says which runtime and command the image uses).
GENERATED = ("Dockerfile", ".dockerignore", "buildspec.yml")


def build_files(plan: Plan) -> dict[str, str]:
    """The generated files for the plan's bundle; raise ``UnsupportedRuntimeError`` with why."""
    if plan.blocker:
        raise UnsupportedRuntimeError(plan.blocker)
    detection = plan.detection
    if plan.source not in ("capture", "bundle") or plan.bundle_key is None or detection is None:
        raise UnsupportedRuntimeError(
            "There is no app bundle to build from. Migrate with --image <uri> or --source s3://…"
        )
    if plan.app is not None:  # the command as the instance ran it, from its folder
        command, workdir = plan.app.command, plan.app.working_directory
    else:  # a bundle's command is relative to the bundle
        command, workdir = plan.start_command, ""
    dockerfile = render_dockerfile(
        detection,
        port=plan.port,
        health_path=plan.health_check_path,
        command=command,
        instance_workdir=workdir,
        environment=[*plan.environment, *plan.secret_names],
    )
    return {
        "Dockerfile": dockerfile,
        ".dockerignore": render_dockerignore(detection),
        "buildspec.yml": render_buildspec(),
    }
