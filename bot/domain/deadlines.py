"""Nothing waits forever: each waiting stage's deadline, and what to do when AWS is asked the
truth after it (pure).

A stage that waits for AWS (discovery, the capture command, the build, the deployment, the
certificate) gets a deadline when it starts; a Route 53 change has its own (the traffic
consumer's scheduled checks). When it passes and the migration still waits for the same
thing, the reconciler reads AWS's own state and decides: go on with what the missed event
would have said, fail with a reason, or wait once more when AWS says the work is still
under way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeGuard

from bot.domain.migration import Migration
from bot.domain.state import Stage

Waiting = Literal["discovery", "capture", "build", "deployment", "certificate"]

#: How long each wait may take before AWS is asked. The build's is CodeBuild's default
#: timeout (60 minutes, CodeBuild API Reference, ``timeoutInMinutes``); ACM gives up on DNS
#: validation after 72 hours (ACM User Guide, "DNS validation": ``VALIDATION_TIMED_OUT``).
DEADLINES: dict[Waiting, timedelta] = {
    "discovery": timedelta(minutes=15),
    "capture": timedelta(minutes=20),
    "build": timedelta(minutes=60),
    "deployment": timedelta(minutes=30),
    "certificate": timedelta(hours=72),
}

#: How many deadlines a wait gets while AWS says the work is still under way.
ATTEMPTS: dict[Waiting, int] = {
    "discovery": 1,
    "capture": 2,
    "build": 2,
    "deployment": 2,
    "certificate": 1,
}

#: The stage each wait happens in (the certificate is waited for beside the build and deploy).
STAGES: dict[Waiting, tuple[Stage, ...]] = {
    "discovery": (Stage.REQUESTED, Stage.DISCOVERING),
    "capture": (Stage.CAPTURING,),
    "build": (Stage.BUILDING,),
    "deployment": (Stage.DEPLOYING,),
    "certificate": (Stage.BUILDING, Stage.DEPLOYING, Stage.HEALTHY),
}


def armed(waiting_for: str) -> TypeGuard[Waiting]:
    """Whether a deadline of this name is still set: a ``DeadlineDue`` from an older
    release may name one no longer armed (a Route 53 change's, now the traffic consumer's)."""
    return waiting_for in DEADLINES


@dataclass(frozen=True)
class Wait:
    """A wait that has started: what for, in which stage, and the AWS thing it is about."""

    waiting_for: Waiting
    stage: Stage
    ref: str | None


def wait_started(detail_type: str, migration: Migration) -> Wait | None:
    """The wait a domain event starts, read off the migration as it is now (None: none)."""
    match detail_type:
        case "MigrationRequested":
            return Wait("discovery", migration.stage, None)
        case "CaptureStarted":
            return Wait("capture", Stage.CAPTURING, migration.capture_command_id)
        case "BuildStarted":
            return Wait("build", Stage.BUILDING, migration.build_id)
        case "DeploymentStarted":
            return Wait("deployment", Stage.DEPLOYING, migration.service_arn)
        case "CertificateRequested":
            arn = migration.certificate.arn if migration.certificate else None
            return Wait("certificate", migration.stage, arn)
    # A Route 53 change has its own deadline: the traffic consumer's scheduled GetChange
    # checks give up after MAX_CHECKS (bot/services/traffic.py).
    return None


def still_waiting(migration: Migration, waiting_for: Waiting, ref: str | None) -> bool:
    """Whether the migration still waits for the same thing its deadline was set for."""
    if migration.stage not in STAGES[waiting_for]:
        return False
    match waiting_for:
        case "capture":
            return migration.capture_command_id == ref
        case "build":
            return migration.build_id == ref
        case "deployment":
            return migration.service_arn == ref
        case "certificate":
            certificate = migration.certificate
            return (
                certificate is not None
                and certificate.arn == ref
                and certificate.status != "ISSUED"
                and migration.express_alias is None
            )
    return True


Verdict = Literal["continue", "fail", "extend"]


@dataclass(frozen=True)
class Decision:
    """What the reconciler does, and what it tells the thread."""

    verdict: Verdict
    finding: str


def _in_progress(what: str, attempt: int, waiting_for: Waiting) -> Decision:
    waited = DEADLINES[waiting_for] * attempt
    if attempt < ATTEMPTS[waiting_for]:
        return Decision(
            "extend", f"{what} is still under way after {_span(waited)}; waiting once more"
        )
    return Decision("fail", f"{what} is still under way after {_span(waited)}; giving up")


def decide_build(status: str | None, attempt: int) -> Decision:
    """CodeBuild's ``buildStatus`` (BatchGetBuilds) after the build's deadline."""
    if status is None:
        return Decision("fail", "CodeBuild has no record of the build")
    if status == "IN_PROGRESS":
        return _in_progress("the build", attempt, "build")
    if status == "SUCCEEDED":
        return Decision("continue", "the build's event never came; CodeBuild says it SUCCEEDED")
    return Decision("fail", f"the build's event never came; CodeBuild says it {status}")


def decide_deployment(status: str | None, reason: str | None, attempt: int) -> Decision:
    """The service's newest ECS service deployment (``ListServiceDeployments``)."""
    why = f" ({reason})" if reason else ""
    if status is None:
        return Decision("fail", "ECS reports no deployment of the service")
    if status in ("PENDING", "IN_PROGRESS"):
        return _in_progress("the deployment", attempt, "deployment")
    if status == "SUCCESSFUL":
        return Decision("continue", "the deployment's events never came; ECS says it SUCCESSFUL")
    if status.startswith("ROLLBACK"):
        return Decision("fail", f"Express rolled the deployment back on its own: {status}{why}")
    return Decision("fail", f"the deployment ended {status}{why}")


def decide_capture(status: str | None, attempt: int) -> Decision:
    """The capture command's invocation status (``GetCommandInvocation``)."""
    if status is None:
        return Decision("fail", "Systems Manager has no record of the capture command")
    if status in ("Pending", "InProgress", "Delayed"):
        return _in_progress("the capture command", attempt, "capture")
    return Decision("continue", f"the capture command's event never came; SSM says {status}")


def decide_certificate(status: str | None) -> Decision:
    """ACM's status of the certificate the bot requested, 72 hours on."""
    if status == "ISSUED":
        return Decision("continue", "ACM's event never came; ACM says the certificate is ISSUED")
    return Decision(
        "fail",
        f"ACM has not issued the certificate in {_span(DEADLINES['certificate'])} "
        f"(status {status or 'unknown'}): check its validation record in the zone",
    )


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes"
