"""What AWS says about a wait that ran past its deadline, and stopping what a cancel leaves
running, behind the ``ReconcileAws`` port.

- a build: CodeBuild's ``BatchGetBuilds`` (``buildStatus``: SUCCEEDED, FAILED, FAULT,
  TIMED_OUT, IN_PROGRESS, STOPPED; CodeBuild API Reference, ``Build``); ``StopBuild``;
- a deployment: ECS ``ListServiceDeployments`` for the service, newest first (``status``
  PENDING, SUCCESSFUL, STOPPED, STOP_REQUESTED, IN_PROGRESS, ROLLBACK_REQUESTED,
  ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED; ECS API Reference,
  ``ServiceDeploymentBrief``), which also shows a rollback Express made on its own;
  ``DeleteExpressGatewayService``;
- a capture command: Systems Manager's ``GetCommandInvocation`` (``Status``);
- a certificate: ACM's ``DescribeCertificate`` (``Status``).

A thing that is already gone (a build that finished, a service deleted) is what a retried stop
or delete wants, so it is not an error.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals


class AwsReconcile:
    """CodeBuild, ECS, Systems Manager and ACM reads (and the stops a cancel needs)."""

    def __init__(self, codebuild: Any, ecs: Any, ssm: Any, acm: Any) -> None:
        self._codebuild = codebuild
        self._ecs = ecs
        self._ssm = ssm
        self._acm = acm

    @translate_refusals
    def build_status(self, build_id: str) -> str | None:
        """CodeBuild's ``buildStatus`` of the build; None if CodeBuild does not know it."""
        builds = self._codebuild.batch_get_builds(ids=[build_id]).get("builds", [])
        return str(builds[0]["buildStatus"]) if builds else None

    @translate_refusals
    def stop_build(self, build_id: str) -> None:
        """Stop the build if it still runs."""
        if self.build_status(build_id) != "IN_PROGRESS":
            return
        try:
            self._codebuild.stop_build(id=build_id)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    @translate_refusals
    def deployment_status(self, service_arn: str) -> tuple[str | None, str | None]:
        """The newest service deployment's (status, statusReason); (None, None) if none."""
        cluster = service_arn.split(":service/", 1)[-1].split("/", 1)[0]
        listed = self._ecs.list_service_deployments(service=service_arn, cluster=cluster)
        deployments = sorted(
            listed.get("serviceDeployments", []),
            key=lambda d: d.get("createdAt") or 0,
            reverse=True,
        )
        if not deployments:
            return None, None
        newest = deployments[0]
        return newest.get("status"), newest.get("statusReason")

    @translate_refusals
    def delete_service(self, service_arn: str) -> None:
        """Delete the Express service (its resources drain on their own)."""
        try:
            self._ecs.delete_express_gateway_service(serviceArn=service_arn)
        except ClientError as error:
            if error.response["Error"]["Code"] not in (
                "ServiceNotFoundException",
                "ServiceNotActiveException",
            ):
                raise

    @translate_refusals
    def command_status(self, command_id: str, instance_id: str) -> str | None:
        """The capture command's invocation status on the instance; None if unknown."""
        try:
            answer = self._ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        except ClientError as error:
            if error.response["Error"]["Code"] == "InvocationDoesNotExist":
                return None
            raise
        return str(answer.get("Status"))

    @translate_refusals
    def certificate_status(self, certificate_arn: str) -> str | None:
        """ACM's status of the certificate; None if ACM does not know it."""
        try:
            described = self._acm.describe_certificate(CertificateArn=certificate_arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return str(described["Certificate"].get("Status"))
