"""Domain event contracts: one pydantic model per EventBridge detail-type.

Every event is published on the custom bus with source ``migration-bot`` and
``detail-type`` equal to the class name. Large results (plans, Dockerfiles) are
stored in DynamoDB or S3 and referenced, so payloads stay far below 256 KB.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

SOURCE = "migration-bot"


class DomainEvent(BaseModel):
    """Fields every domain event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detail_type: ClassVar[str] = ""

    migration_id: str = Field(description="The migration this event belongs to.")
    schema_version: Literal[1] = Field(default=1, description="Version of this detail schema.")
    idempotency_key: str = Field(
        description="Stable key for this occurrence; a redelivery carries the same key."
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.detail_type = cls.__name__


class MigrationRequested(DomainEvent):
    """A user asked for a migration with /migrate."""

    target: str = Field(description="Instance id or Name tag / load balancer name.")
    channel_id: str = Field(description="Slack channel the request came from.")
    requested_by: str = Field(description="Slack user id of the requester.")
    account_id: str | None = Field(default=None, description="AWS account of the EC2 side.")
    image_uri: str | None = Field(
        default=None, description="--image: deploy this existing image; nothing is captured."
    )
    source_key: str | None = Field(
        default=None,
        description="--source: key of the user's bundle (tar.gz) in the artifacts bucket.",
    )


class CaptureStarted(DomainEvent):
    """Discovery sent the SSM command that captures the app from its instance."""

    command_id: str = Field(description="SSM Run Command id.")
    instance_id: str = Field(description="The instance the command runs on.")


class DiscoveryCompleted(DomainEvent):
    """Discovery stored a plan for the migration."""

    instance_id: str = Field(description="The discovered EC2 instance.")
    runtime: str = Field(description="Detected runtime.")
    port: int = Field(description="Application port.")
    cpu: str = Field(description="Proposed Fargate CPU units.")
    memory: str = Field(description="Proposed Fargate memory (MiB).")
    blocked: bool = Field(
        default=False, description="The plan says why it cannot be approved (the card shows it)."
    )


class PlanApproved(DomainEvent):
    """A user approved the plan; the build may start."""

    approved_by: str = Field(description="Slack user id of the approver.")


class PlanEdited(DomainEvent):
    """A person changed the plan's cutover steps or bake time (the Edit modal) before approval."""

    edited_by: str = Field(description="Slack user id of who saved the change.")
    cutover_steps: list[int] = Field(
        description="The weights on ECS (percent) the cutover now takes, rising to 100."
    )
    bake_minutes: int | None = Field(
        default=None,
        description="How long each step now bakes (None: the stack's BakeMinutes; 0: no bake).",
    )


class MigrationCancelled(DomainEvent):
    """A user cancelled the migration (before the build, or while it builds or deploys: then
    the build is stopped and the service deleted)."""

    cancelled_by: str = Field(description="Slack user id of who cancelled.")
    build_id: str | None = Field(default=None, description="The build running, if any.")
    service_arn: str | None = Field(default=None, description="The service created, if any.")


class BuildStarted(DomainEvent):
    """CodeBuild started building the container image."""

    build_id: str = Field(description="CodeBuild build id.")
    repository_uri: str = Field(description="ECR repository the image is pushed to.")
    platform: str = Field(
        default="linux/amd64",
        description="Platform the image is built for: linux/amd64 or linux/arm64.",
    )


class ImageBuilt(DomainEvent):
    """The image was built and pushed."""

    build_id: str = Field(description="CodeBuild build id.")
    image_uri: str = Field(description="Pushed image URI with its immutable tag.")


class DeploymentStarted(DomainEvent):
    """The Express Mode service was created and its first deployment began."""

    service_arn: str = Field(description="Express gateway service ARN.")
    endpoint: str | None = Field(default=None, description="HTTPS endpoint Express provisioned.")


class TaskStateChanged(DomainEvent):
    """An ECS task of the service reached RUNNING or STOPPED (newer than any state seen before).

    Other task states are recorded but not announced: the card shows only what these change.
    """

    task_arn: str = Field(description="ECS task ARN.")
    last_status: str = Field(description="PROVISIONING, PENDING, RUNNING, STOPPED, ...")
    desired_status: str | None = Field(default=None, description="RUNNING or STOPPED.")
    stop_code: str | None = Field(default=None, description="Why ECS stopped it (code).")
    stopped_reason: str | None = Field(default=None, description="Why ECS stopped it (text).")
    ecs_version: int = Field(description="detail.version of the ECS event.")


class ServiceHealthy(DomainEvent):
    """The service's deployment completed and it reached steady state."""

    service_arn: str = Field(description="Express gateway service ARN.")
    endpoint: str | None = Field(default=None, description="HTTPS endpoint of the service.")


class CutoverRequested(DomainEvent):
    """A user asked to move a share of traffic to ECS."""

    weight: int = Field(ge=0, le=100, description="Percent of traffic to send to ECS.")
    requested_by: str = Field(description="Slack user id (who started it, for a gradual step).")
    gradual: bool = Field(default=False, description="A step the gradual cutover took on its own.")


class TrafficShifted(DomainEvent):
    """Route 53 weights now send ``weight`` percent of traffic to ECS."""

    weight: int = Field(ge=0, le=100, description="Percent of traffic now on ECS.")


class RollbackRequested(DomainEvent):
    """A user (or a breached alarm) asked to return all traffic to EC2."""

    requested_by: str = Field(description="Slack user id; empty when an alarm asked.")
    reason: str | None = Field(default=None, description="The breached alarm and why.")


class RolledBack(DomainEvent):
    """All traffic is back on EC2."""

    reason: str | None = Field(default=None, description="Why, when an alarm rolled it back.")


class MigrationFailed(DomainEvent):
    """A stage failed in an expected way (or its retries ran out)."""

    stage: str = Field(description="Stage that failed.")
    reason: str = Field(description="Why, in words a person can act on.")


class ApprovalRecorded(DomainEvent):
    """One of the distinct approvals a step needs was given; the step waits for the next."""

    action: str = Field(description="The step approved, e.g. cutover_100.")
    approved_by: str = Field(description="Slack user id.")
    approvals: int = Field(ge=1, description="Approvals given so far.")
    needed: int = Field(ge=2, description="Approvals the policy asks for.")


class CardRefreshRequested(DomainEvent):
    """A click on a card whose buttons expired: the card is drawn again with fresh ones."""

    requested_by: str = Field(description="Slack user id of the expired click.")


class AuditExportRequested(DomainEvent):
    """A person the policy lets read the audit trail asked for it as a CSV file."""

    requested_by: str = Field(description="Slack user id; the file goes to their DM.")


class StatusRequested(DomainEvent):
    """``@migrate-bot status`` in a migration's thread: the notifier answers in that thread
    with the card's facts and the thread's last replies."""

    channel_id: str = Field(description="The channel of the thread.")
    thread_ts: str = Field(description="The thread's root: the migration's status card.")
    requested_by: str = Field(description="Slack user id of who asked.")


class MentionNotUnderstood(DomainEvent):
    """A mention of the bot it cannot answer (not in a migration's thread, or not a word it
    knows): the notifier tells the person why, visible to them only."""

    migration_id: str = Field(
        default="", description="Empty: the mention named no migration the bot could find."
    )
    channel_id: str = Field(description="Where the mention was posted.")
    thread_ts: str = Field(description="The thread to answer in (the mention's own ts if none).")
    requested_by: str = Field(description="Slack user id of who mentioned the bot.")
    reason: str = Field(description="Why the bot cannot answer, and what would work.")


class NameServed(DomainEvent):
    """The Express load balancer serves the app's name (its certificate and host rule), and
    both sides answered alike: cutover may start."""

    record_name: str = Field(description="The name users reach the app by.")
    load_balancer_dns: str = Field(description="The Express load balancer's DNS name.")
    checks: list[str] = Field(description="What the probes of both sides found, one line each.")


class NameNotServed(DomainEvent):
    """The Express side cannot (yet) answer for the app's name as the legacy side does."""

    reason: str = Field(description="Why cutover is not offered, in words a person can act on.")


class CertificateRequested(DomainEvent):
    """No certificate on the legacy side covers the name: the bot asked ACM for one, validated
    by a DNS record it wrote in the app's zone; the cutover waits until ACM issues it."""

    certificate_arn: str = Field(description="The requested ACM certificate.")
    record_name: str = Field(description="The name it is for.")
    validation_record: str = Field(description="The CNAME the bot wrote for ACM's validation.")
    why: str = Field(description="Why the legacy listener's certificate is not reused.")


class CertificateReady(DomainEvent):
    """The certificate for the app's name is issued (the legacy one, or ACM issued the
    requested one): the Express side may serve the name once the service is healthy."""

    certificate_arn: str = Field(description="The ACM certificate.")
    origin: Literal["legacy", "requested"] = Field(description="Found or requested.")


class ProbeDue(DomainEvent):
    """Time to probe both sides again (a one-time schedule emits it): the first probe found
    them answering differently, which a rule change still propagating can explain."""

    attempt: int = Field(ge=2, description="Which probe this is (the first is not scheduled).")


class ServiceRevised(DomainEvent):
    """An Express deployment completed after the edge step (an update of the service): the
    name and certificate are checked on the service's rule and listener again."""

    service_arn: str = Field(description="The Express service.")
    deployment_id: str = Field(description="The ECS deployment that completed.")


class DeadlineDue(DomainEvent):
    """A waiting stage's deadline passed (a one-time schedule emits it): the reconciler asks
    AWS the truth."""

    waiting_for: Literal["discovery", "capture", "build", "deployment", "certificate", "dns"] = (
        Field(description="What the migration was waiting for.")
    )
    stage: str = Field(description="The stage it was waiting in (or the certificate's).")
    ref: str | None = Field(
        default=None,
        description="The build id, service ARN, command id, certificate ARN or change id.",
    )
    attempt: int = Field(default=1, ge=1, description="How many deadlines this wait has had.")


class Reconciled(DomainEvent):
    """The reconciler found what AWS says about a wait that ran past its deadline."""

    waiting_for: str = Field(description="What the migration was waiting for.")
    finding: str = Field(description="What AWS said, in words a person can act on.")
    outcome: Literal["continued", "failed", "extended", "cancelled"] = Field(
        description="What the bot did about it."
    )


class BuildFinished(DomainEvent):
    """A build's outcome the reconciler read from CodeBuild (its own event never came): the
    build-events consumer treats it as CodeBuild's "Build State Change"."""

    project_name: str = Field(description="The CodeBuild project.")
    build_id: str = Field(description="The build (ARN or project:uuid).")
    build_status: str = Field(description="SUCCEEDED, FAILED, FAULT, STOPPED or TIMED_OUT.")


class CommandFinished(DomainEvent):
    """A capture command's end the reconciler read from Systems Manager (its own event never
    came): the capture-events consumer treats it as SSM's status change."""

    command_id: str = Field(description="The Run Command command id.")
    instance_id: str = Field(description="The instance it ran on.")


class DeploymentFound(DomainEvent):
    """The service's deployment ECS reports finished (its own events never came): the
    ECS-events consumer records it and the service may be healthy."""

    service_arn: str = Field(description="The Express service.")
    status: str = Field(description="ECS's service deployment status (SUCCESSFUL).")


class BakeEnded(DomainEvent):
    """The step now on ECS has baked for its time (a one-time schedule emits it)."""

    weight: int = Field(ge=1, le=100, description="The step that baked (percent on ECS).")


class GradualChanged(DomainEvent):
    """A person started, paused or resumed the gradual cutover."""

    state: Literal["started", "paused", "resumed"] = Field(description="What they did.")
    changed_by: str = Field(description="Slack user id.")
    until: int = Field(ge=1, le=100, description="The weight it runs to.")


class StepBaked(DomainEvent):
    """The step on ECS baked without a breach: the next one may be taken."""

    weight: int = Field(ge=1, le=100, description="The step that baked (percent on ECS).")


class DnsChangeCheckDue(DomainEvent):
    """Time to ask Route 53 whether a traffic change is in sync (a one-time schedule emits it)."""

    change_id: str = Field(description="Route 53's id of the change (GetChange).")
    weight: int = Field(ge=0, le=100, description="ECS's share once in sync; 0 for a rollback.")
    attempt: int = Field(default=1, ge=1, description="How many checks of this change so far.")


class CleanupRequested(DomainEvent):
    """A person pressed Clean up: remove the ECS side of the migration, keep the EC2 side."""

    requested_by: str = Field(description="Slack user id.")
    keep_image: bool = Field(
        default=False, description="Keep the ECR repository and the CodeBuild project."
    )


class CleanupDue(DomainEvent):
    """Time to look again whether the deleted Express service has drained (a one-time
    schedule emits it): what its tasks used is deleted after that."""

    attempt: int = Field(ge=1, description="How many looks so far.")
    change_id: str | None = Field(
        default=None, description="The Route 53 change restoring the original record, until INSYNC."
    )


class CleanedUp(DomainEvent):
    """The ECS side of the migration is gone; the EC2 side is as it was."""

    removed: list[str] = Field(description="What was removed (or found already gone).")
    kept: list[str] = Field(default_factory=list, description="What was kept on purpose.")


class DecommissionRequested(DomainEvent):
    """Decommission was approved: image the instance, take it out of its target group, stop it."""

    requested_by: str = Field(description="Slack user id of the (last) approver.")


class DecommissionUndoRequested(DomainEvent):
    """A person pressed Undo decommission: start the instance and register it again."""

    requested_by: str = Field(description="Slack user id.")


class InstanceCheckDue(DomainEvent):
    """Time to look at the instance again (a one-time schedule emits it): stopped yet, running
    yet, or healthy in its target group yet."""

    want: Literal["stopped", "running", "healthy"] = Field(description="What is waited for.")
    attempt: int = Field(ge=1, description="How many looks so far.")


class Decommissioned(DomainEvent):
    """The instance is out of its target group, stopped (not terminated), and imaged."""

    instance_id: str = Field(description="The legacy instance.")
    image_id: str = Field(description="The AMI made of it.")
    terminate_after: str = Field(description="From when Terminate is offered (ISO 8601, UTC).")


class DecommissionUndone(DomainEvent):
    """The instance runs again and is registered in its target group."""

    instance_id: str = Field(description="The legacy instance.")
    healthy: bool = Field(description="The target group reported it healthy.")


class DecommissionStepFailed(DomainEvent):
    """A decommission step was refused or gave up; the stage is kept and Undo repairs."""

    step: str = Field(description="decommission, undo or terminate.")
    reason: str = Field(description="Why, in words a person can act on.")


class TerminationDue(DomainEvent):
    """The waiting time after a decommission is over (a one-time schedule emits it)."""

    image_id: str = Field(description="The AMI kept of the instance.")


class TerminationOffered(DomainEvent):
    """The card now offers Terminate (two distinct approvers needed)."""

    after_days: int = Field(ge=0, description="The days waited since the decommission.")


class TerminateRequested(DomainEvent):
    """Two distinct approvers approved Terminate: the instance is terminated."""

    approved_by: list[str] = Field(description="Slack user ids of the two approvers.")


class InstanceTerminated(DomainEvent):
    """EC2 accepted TerminateInstances; the AMI is kept."""

    instance_id: str = Field(description="The terminated instance.")
    image_id: str | None = Field(default=None, description="The AMI kept of it.")


class HealthReportRequested(DomainEvent):
    """A health report is due: the schedule's (every channel with live or recent migrations),
    or one asked for with ``/migrate report`` (that channel only)."""

    migration_id: str = Field(
        default="", description="Empty: a report is about channels, not one migration."
    )
    scheduled_time: datetime = Field(
        description="The schedule's time (Scheduler's <aws.scheduler.scheduled-time>), or when "
        "the report was asked for: the report covers the 24 hours up to it."
    )
    channel_id: str | None = Field(
        default=None, description="The one channel to report on; None: every channel."
    )
    requested_by: str | None = Field(
        default=None, description="Slack user id of who asked (None: the schedule)."
    )


class HealthReportReady(DomainEvent):
    """A channel's health report is compiled and stored: the notifier posts it, with its
    chart, once."""

    migration_id: str = Field(
        default="", description="Empty: a report is about a channel, not one migration."
    )
    channel_id: str = Field(description="The channel the report is for.")
    report_key: str = Field(description="Where the stored report is (its window's key).")


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.detail_type: cls
    for cls in (
        MigrationRequested,
        CaptureStarted,
        DiscoveryCompleted,
        PlanApproved,
        PlanEdited,
        MigrationCancelled,
        BuildStarted,
        ImageBuilt,
        DeploymentStarted,
        TaskStateChanged,
        ServiceHealthy,
        CutoverRequested,
        TrafficShifted,
        RollbackRequested,
        RolledBack,
        MigrationFailed,
        ApprovalRecorded,
        CardRefreshRequested,
        AuditExportRequested,
        StatusRequested,
        MentionNotUnderstood,
        DnsChangeCheckDue,
        BakeEnded,
        StepBaked,
        GradualChanged,
        NameServed,
        NameNotServed,
        CertificateRequested,
        CertificateReady,
        ServiceRevised,
        ProbeDue,
        DeadlineDue,
        Reconciled,
        BuildFinished,
        CommandFinished,
        DeploymentFound,
        HealthReportRequested,
        HealthReportReady,
        CleanupRequested,
        CleanupDue,
        CleanedUp,
        DecommissionRequested,
        DecommissionUndoRequested,
        InstanceCheckDue,
        Decommissioned,
        DecommissionUndone,
        DecommissionStepFailed,
        TerminationDue,
        TerminationOffered,
        TerminateRequested,
        InstanceTerminated,
    )
}


class UnknownEventError(ValueError):
    """A detail-type this project does not define."""


def parse_detail(detail_type: str, detail: dict[str, object]) -> DomainEvent:
    """Return the model instance for a domain event's detail-type and detail."""
    try:
        model = EVENT_TYPES[detail_type]
    except KeyError:
        raise UnknownEventError(f"unknown detail-type {detail_type!r}") from None
    return model.model_validate(detail)
