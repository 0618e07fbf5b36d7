"""Domain event contracts: one pydantic model per EventBridge detail-type.

Every event is published on the custom bus with source ``migration-bot`` and
``detail-type`` equal to the class name. Large results (plans, Dockerfiles) are
stored in DynamoDB or S3 and referenced, so payloads stay far below 256 KB.
"""

from __future__ import annotations

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
    """A user cancelled the migration before the build."""

    cancelled_by: str = Field(description="Slack user id of who cancelled.")


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
