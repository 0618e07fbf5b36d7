"""Builders for AWS service events (EventBridge envelopes) in the shapes AWS documents.

Sources: Amazon ECS Developer Guide, "Amazon ECS events" (task state change, service action,
service deployment state change examples) and AWS CodeBuild User Guide, "Build notifications
input format reference", and the Systems Manager User Guide, "Amazon EventBridge event
examples for Systems Manager" (Run Command). Field names are kept exactly as documented.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

Event = dict[str, Any]

_DEPLOYMENT_REASONS = {
    "SERVICE_DEPLOYMENT_IN_PROGRESS": "ECS deployment {id} in progress.",
    "SERVICE_DEPLOYMENT_COMPLETED": "ECS deployment {id} completed.",
    "SERVICE_DEPLOYMENT_FAILED": "ECS deployment circuit breaker: task failed to start.",
}


def event_time(at: datetime) -> str:
    """Format an envelope `time` the way EventBridge does (second precision, Z)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def detail_time(at: datetime) -> str:
    """Format an ECS detail timestamp the way ECS does (millisecond precision, Z)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def envelope(
    *,
    detail_type: str,
    source: str,
    account: str,
    region: str,
    resources: list[str],
    detail: dict[str, Any],
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """Wrap a detail in a complete EventBridge envelope."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": event_time(at or datetime.now(UTC)),
        "region": region,
        "resources": resources,
        "detail": detail,
    }


def ecs_deployment_state_change(
    *,
    account: str,
    region: str,
    service_arn: str,
    deployment_id: str,
    event_name: str,
    reason: str | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """Build an "ECS Deployment State Change" event (IN_PROGRESS, COMPLETED or FAILED)."""
    if event_name not in _DEPLOYMENT_REASONS:
        raise ValueError(f"unknown deployment event name: {event_name}")
    at = at or datetime.now(UTC)
    detail = {
        "eventType": "ERROR" if event_name == "SERVICE_DEPLOYMENT_FAILED" else "INFO",
        "eventName": event_name,
        "deploymentId": deployment_id,
        "updatedAt": event_time(at),
        "reason": reason or _DEPLOYMENT_REASONS[event_name].format(id=deployment_id),
    }
    return envelope(
        detail_type="ECS Deployment State Change",
        source="aws.ecs",
        account=account,
        region=region,
        resources=[service_arn],
        detail=detail,
        at=at,
        event_id=event_id,
    )


def ecs_service_action(
    *,
    account: str,
    region: str,
    service_arn: str,
    cluster_arn: str,
    event_name: str = "SERVICE_STEADY_STATE",
    event_type: str = "INFO",
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """Build an "ECS Service Action" event (by default SERVICE_STEADY_STATE)."""
    at = at or datetime.now(UTC)
    detail = {
        "eventType": event_type,
        "eventName": event_name,
        "clusterArn": cluster_arn,
        "createdAt": detail_time(at),
    }
    return envelope(
        detail_type="ECS Service Action",
        source="aws.ecs",
        account=account,
        region=region,
        resources=[service_arn],
        detail=detail,
        at=at,
        event_id=event_id,
    )


def ecs_task_container(
    *,
    task_arn: str,
    name: str,
    image: str,
    last_status: str,
    exit_code: int | None = None,
    reason: str | None = None,
    cpu: str = "0",
) -> dict[str, Any]:
    """Build one entry of a task state change's `containers` list."""
    arn_prefix = task_arn.split(":task/")[0]
    container: dict[str, Any] = {
        "containerArn": f"{arn_prefix}:container/{uuid.uuid5(uuid.NAMESPACE_URL, task_arn)}",
        "lastStatus": last_status,
        "name": name,
        "image": image,
        "taskArn": task_arn,
        "networkInterfaces": [],
        "cpu": cpu,
    }
    if exit_code is not None:
        container["exitCode"] = exit_code
    if reason is not None:
        container["reason"] = reason
    return container


def ecs_task_state_change(
    *,
    account: str,
    region: str,
    task_arn: str,
    cluster_arn: str,
    service_name: str,
    task_definition_arn: str,
    last_status: str,
    desired_status: str,
    version: int,
    containers: list[dict[str, Any]],
    started_by: str,
    created_at: datetime,
    cpu: str,
    memory: str,
    availability_zone: str,
    started_at: datetime | None = None,
    stopped_at: datetime | None = None,
    stop_code: str | None = None,
    stopped_reason: str | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """Build an "ECS Task State Change" event for a Fargate task started by a service."""
    at = at or datetime.now(UTC)
    detail: dict[str, Any] = {
        "availabilityZone": availability_zone,
        "clusterArn": cluster_arn,
        "containers": containers,
        "createdAt": detail_time(created_at),
        "launchType": "FARGATE",
        "cpu": cpu,
        "memory": memory,
        "desiredStatus": desired_status,
        "group": f"service:{service_name}",
        "lastStatus": last_status,
        "startedBy": started_by,
        "updatedAt": detail_time(at),
        "taskArn": task_arn,
        "taskDefinitionArn": task_definition_arn,
        "version": version,
        "platformVersion": "1.4.0",
    }
    if started_at is not None:
        detail["startedAt"] = detail_time(started_at)
    if stopped_at is not None:
        detail["stoppedAt"] = detail_time(stopped_at)
    if stop_code is not None:
        detail["stopCode"] = stop_code
    if stopped_reason is not None:
        detail["stoppedReason"] = stopped_reason
    return envelope(
        detail_type="ECS Task State Change",
        source="aws.ecs",
        account=account,
        region=region,
        resources=[task_arn],
        detail=detail,
        at=at,
        event_id=event_id,
    )


def _codebuild_time(at: datetime) -> str:
    """Format a CodeBuild additional-information time ("Sep 1, 2017 4:12:29 PM")."""
    at = at.astimezone(UTC)
    hour = at.hour % 12 or 12
    return f"{at:%b} {at.day}, {at.year} {hour}:{at:%M:%S} {'AM' if at.hour < 12 else 'PM'}"


def codebuild_build_state_change(
    *,
    account: str,
    region: str,
    project_name: str,
    build_uuid: str,
    build_status: str,
    build_number: int = 1,
    initiator: str = "migrate-bot",
    image: str = "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
    source_location: str = "",
    source_type: str = "S3",
    started_at: datetime | None = None,
    at: datetime | None = None,
    event_id: str | None = None,
) -> Event:
    """Build a "CodeBuild Build State Change" event (IN_PROGRESS/SUCCEEDED/FAILED/STOPPED)."""
    if build_status not in {"IN_PROGRESS", "SUCCEEDED", "FAILED", "STOPPED"}:
        raise ValueError(f"unknown build status: {build_status}")
    at = at or datetime.now(UTC)
    started_at = started_at or at
    build_arn = f"arn:aws:codebuild:{region}:{account}:build/{project_name}:{build_uuid}"
    group = f"/aws/codebuild/{project_name}"
    complete = build_status != "IN_PROGRESS"
    logs: dict[str, Any] = {
        "deep-link": f"https://console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#logEvent:group={group};stream={build_uuid}",
    }
    if complete:
        logs = {"group-name": group, "stream-name": build_uuid, **logs}
    detail = {
        "build-status": build_status,
        "project-name": project_name,
        "build-id": build_arn,
        "additional-information": {
            "cache": {"type": "NO_CACHE"},
            "build-number": build_number,
            "timeout-in-minutes": 60,
            "build-complete": complete,
            "initiator": initiator,
            "build-start-time": _codebuild_time(started_at),
            "source": {"location": source_location, "type": source_type},
            "artifact": {"location": ""},
            "environment": {
                "image": image,
                "privileged-mode": True,
                "image-pull-credentials-type": "CODEBUILD",
                "compute-type": "BUILD_GENERAL1_SMALL",
                "type": "LINUX_CONTAINER",
                "environment-variables": [],
            },
            "logs": logs,
            "queued-timeout-in-minutes": 480,
        },
        "current-phase": "COMPLETED" if complete else "SUBMITTED",
        "current-phase-context": "[]",
        "version": "1",
    }
    return envelope(
        detail_type="CodeBuild Build State Change",
        source="aws.codebuild",
        account=account,
        region=region,
        resources=[build_arn],
        detail=detail,
        at=at,
        event_id=event_id,
    )


def _ssm_time(at: datetime) -> str:
    """Format a Run Command detail time the way the examples do (milliseconds, Z)."""
    return detail_time(at)


def ssm_command_status_change(
    *,
    account: str,
    region: str,
    command_id: str,
    document_name: str,
    instance_ids: list[str],
    parameters: dict[str, list[str]],
    status: str,
    requested_at: datetime,
    expires_at: datetime,
    at: datetime | None = None,
) -> Event:
    """Build an "EC2 Command Status-change Notification" (the command's overall status).

    Shape from the Systems Manager User Guide, "Amazon EventBridge event examples for Systems
    Manager", Run Command: detail command-id, document-name, expire-after, parameters (the
    document's, as sent), requested-date-time, status; resources are the instances' ARNs.
    """
    return envelope(
        detail_type="EC2 Command Status-change Notification",
        source="aws.ssm",
        account=account,
        region=region,
        resources=[f"arn:aws:ec2:{region}:{account}:instance/{i}" for i in instance_ids],
        detail={
            "command-id": command_id,
            "document-name": document_name,
            "expire-after": _ssm_time(expires_at),
            "parameters": parameters,
            "requested-date-time": _ssm_time(requested_at),
            "status": status,
        },
        at=at,
    )


def ssm_command_invocation_status_change(
    *,
    account: str,
    region: str,
    command_id: str,
    document_name: str,
    instance_id: str,
    status: str,
    requested_at: datetime,
    at: datetime | None = None,
) -> Event:
    """Build an "EC2 Command Invocation Status-change Notification" (one instance's status).

    Same source as ``ssm_command_status_change``: detail command-id, document-name,
    instance-id, requested-date-time, status.
    """
    return envelope(
        detail_type="EC2 Command Invocation Status-change Notification",
        source="aws.ssm",
        account=account,
        region=region,
        resources=[f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
        detail={
            "command-id": command_id,
            "document-name": document_name,
            "instance-id": instance_id,
            "requested-date-time": _ssm_time(requested_at),
            "status": status,
        },
        at=at,
    )
