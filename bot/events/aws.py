"""Models of the AWS service events the bot consumes (default bus), as AWS documents them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _AwsDetail(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class EcsDeploymentStateChange(_AwsDetail):
    """detail of "ECS Deployment State Change"."""

    event_type: str = Field(alias="eventType", description="INFO or ERROR.")
    event_name: str = Field(alias="eventName", description="SERVICE_DEPLOYMENT_*.")
    deployment_id: str = Field(alias="deploymentId", description="ecs-svc/... deployment id.")
    reason: str | None = Field(default=None, description="Why the state changed.")


class EcsServiceAction(_AwsDetail):
    """detail of "ECS Service Action"."""

    event_type: str = Field(alias="eventType", description="INFO, WARN or ERROR.")
    event_name: str = Field(alias="eventName", description="e.g. SERVICE_STEADY_STATE.")
    cluster_arn: str | None = Field(default=None, alias="clusterArn", description="Cluster ARN.")


class EcsTaskStateChange(_AwsDetail):
    """detail of "ECS Task State Change"."""

    task_arn: str = Field(alias="taskArn", description="Task ARN.")
    cluster_arn: str = Field(alias="clusterArn", description="Cluster ARN.")
    group: str | None = Field(default=None, description="service:<name> for service tasks.")
    last_status: str = Field(alias="lastStatus", description="Task's current status.")
    desired_status: str | None = Field(default=None, alias="desiredStatus", description="Goal.")
    version: int = Field(description="Increases with every change of the task.")
    stop_code: str | None = Field(default=None, alias="stopCode", description="Why it stopped.")
    stopped_reason: str | None = Field(
        default=None, alias="stoppedReason", description="Why it stopped, in words."
    )

    def service_arn(self) -> str | None:
        """The ARN of the service that owns the task, if it is a service task."""
        if not self.group or not self.group.startswith("service:"):
            return None
        prefix, _, cluster = self.cluster_arn.partition(":cluster/")
        return f"{prefix}:service/{cluster}/{self.group.removeprefix('service:')}"


class CodeBuildStateChange(_AwsDetail):
    """detail of "CodeBuild Build State Change"."""

    build_status: str = Field(alias="build-status", description="SUCCEEDED, FAILED, ...")
    project_name: str = Field(alias="project-name", description="CodeBuild project.")
    build_id: str = Field(alias="build-id", description="Build ARN.")


class SsmCommandStatusChange(_AwsDetail):
    """detail of Systems Manager's "EC2 Command Status-change Notification".

    Shape from the Systems Manager User Guide, "Amazon EventBridge event examples for Systems
    Manager" (Run Command): command-id, document-name, expire-after, parameters (the document's,
    ``commands`` included), requested-date-time and status; the instances are in the
    envelope's ``resources`` as EC2 instance ARNs.
    """

    command_id: str = Field(alias="command-id", description="The command's id.")
    document_name: str = Field(alias="document-name", description="e.g. AWS-RunShellScript.")
    status: str = Field(description="The command's overall status: Success, Failed, ...")


def instance_ids(resources: list[str]) -> list[str]:
    """The EC2 instance ids of an event's ``resources`` (``arn:…:instance/i-…``)."""
    return [arn.rsplit("/", 1)[1] for arn in resources if ":instance/" in arn]


class LambdaFailureRecord(_AwsDetail):
    """What Lambda sends an on-failure destination after the last retry of an async event."""

    request_context: dict[str, object] = Field(
        alias="requestContext", description="functionArn, condition, approximateInvokeCount."
    )
    request_payload: dict[str, object] = Field(
        alias="requestPayload", description="The event that failed (an EventBridge envelope)."
    )
    response_payload: dict[str, object] | None = Field(
        default=None, alias="responsePayload", description="errorType and errorMessage."
    )

    def function_name(self) -> str:
        """Name of the function that gave up (from its ARN, without the qualifier)."""
        arn = str(self.request_context.get("functionArn", ""))
        parts = arn.split(":")
        return parts[6] if len(parts) > 6 else arn

    def attempts(self) -> int:
        """How many times Lambda tried."""
        return int(str(self.request_context.get("approximateInvokeCount", 0)))

    def error(self) -> str:
        """The last error, as ``Type: message``."""
        payload = self.response_payload or {}
        kind = payload.get("errorType", "Error")
        return f"{kind}: {payload.get('errorMessage', 'no message')}"


class AlarmState(_AwsDetail):
    """An alarm state in "CloudWatch Alarm State Change"."""

    value: str = Field(description="OK, ALARM or INSUFFICIENT_DATA.")
    reason: str | None = Field(default=None, description="Why, in CloudWatch's words.")


class CloudWatchAlarmStateChange(_AwsDetail):
    """detail of "CloudWatch Alarm State Change" (CloudWatch User Guide, "Alarm events and
    EventBridge")."""

    alarm_name: str = Field(alias="alarmName", description="The alarm's name.")
    state: AlarmState = Field(description="The new state.")
    previous_state: AlarmState | None = Field(
        default=None, alias="previousState", description="The state before."
    )


class AcmCertificateAvailable(_AwsDetail):
    """detail of "ACM Certificate Available": a certificate is ready for use, on issuance,
    renewal or import (ACM User Guide, "Amazon EventBridge support for ACM"). The certificate's
    ARN is the envelope's only resource."""

    action: str = Field(
        alias="Action", description="ISSUANCE, RENEWAL, IMPORT or REIMPORT (ACM's words)."
    )
    common_name: str | None = Field(
        default=None, alias="CommonName", description="The certificate's common name."
    )
