"""ECS Express Mode calls behind the ``DeployAws`` port."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals
from bot.adapters.aws_task_access import AwsTaskAccess
from bot.domain.access import TaskRolePlan
from bot.domain.deployments import OWNER_TAG
from bot.domain.facts import ServiceFacts, ServiceSpec
from bot.ports import DeployError


class EndpointNotReadyError(RuntimeError):
    """The service exists but reports no endpoint yet (retried: the next read may have it)."""


class AwsExpress:
    """Creates Express gateway services (idempotently, by name) and what their tasks need."""

    def __init__(
        self,
        ecs: Any,
        sts: Any,
        execution_role_arn: str,
        infrastructure_role_arn: str,
        *,
        access: AwsTaskAccess,
    ) -> None:
        self._ecs = ecs
        self._sts = sts
        self._execution_role = execution_role_arn
        self._infrastructure_role = infrastructure_role_arn
        self._access = access

    def ensure_task_role(self, migration_id: str, role: TaskRolePlan) -> str:
        """The migration's task role (``aws_task_access``); its ARN."""
        return self._access.ensure_task_role(migration_id, role)

    def ensure_task_security_group(self, migration_id: str, vpc_id: str, port: int) -> str:
        """The tasks' own security group (``aws_task_access``); its id."""
        return self._access.ensure_task_security_group(migration_id, vpc_id, port)

    @translate_refusals
    def create_service(self, spec: ServiceSpec) -> ServiceFacts:
        """Create the service (a retry finds this migration's); return it as AWS describes it.

        The endpoint is read back with ``DescribeExpressGatewayService`` and taken from the
        ingress path whose ``accessType`` matches the app's visibility (PUBLIC for an
        internet-facing legacy ALB, PRIVATE for an internal one).
        """
        container: dict[str, Any] = {
            "image": spec.image_uri,
            "containerPort": spec.port,
            "environment": [{"name": k, "value": v} for k, v in sorted(spec.environment.items())],
        }
        if spec.secrets:
            container["secrets"] = [
                {"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())
            ]
        if spec.command:
            container["command"] = spec.command
        request: dict[str, Any] = {
            "serviceName": spec.service_name,
            "executionRoleArn": self._execution_role,
            "infrastructureRoleArn": self._infrastructure_role,
            "healthCheckPath": spec.health_check_path,
            "primaryContainer": container,
            "networkConfiguration": {
                "subnets": spec.subnet_ids,
                "securityGroups": spec.security_group_ids,
            },
            "cpu": spec.cpu,
            "memory": spec.memory,
            "cpuArchitecture": spec.cpu_architecture,
            "scalingTarget": {
                "minTaskCount": spec.min_tasks,
                "maxTaskCount": spec.max_tasks,
                "autoScalingMetric": "AVERAGE_CPU",
                "autoScalingTargetValue": 60,
            },
            "tags": [{"key": k, "value": v} for k, v in sorted(spec.tags.items())],
        }
        if spec.task_role_arn:
            request["taskRoleArn"] = spec.task_role_arn
        existing = self._existing(spec)  # a retry after a crash: the service is already there
        if existing is None:
            created = self._ecs.create_express_gateway_service(**request)["service"]
            existing = self._ecs.describe_express_gateway_service(serviceArn=created["serviceArn"])[
                "service"
            ]
        return _facts(existing, spec.access_type)

    def _existing(self, spec: ServiceSpec) -> dict[str, Any] | None:
        """The active service of this name if it is this migration's; None if there is none."""
        try:
            service: dict[str, Any] = self._ecs.describe_express_gateway_service(
                serviceArn=self._arn(spec.service_name), include=["TAGS"]
            )["service"]
        except ClientError as error:
            if error.response["Error"]["Code"] in (
                "ResourceNotFoundException",
                "ServiceNotFoundException",
                "ClusterNotFoundException",  # a first deploy: Express creates the cluster
            ):
                return None
            raise
        status = service.get("status", {}).get("statusCode")
        if status == "INACTIVE":
            return None  # the name is free again
        tags = {t["key"]: t["value"] for t in service.get("tags", [])}
        if status != "ACTIVE" or tags.get(OWNER_TAG) != spec.tags.get(OWNER_TAG):
            raise DeployError(
                f"an Express service named {spec.service_name} already exists "
                f"({status}, not created by this migration); remove or rename it"
            )
        return service

    def _arn(self, name: str) -> str:
        caller = self._sts.get_caller_identity()
        partition = caller["Arn"].split(":")[1]  # aws, aws-cn, aws-us-gov
        region = self._ecs.meta.region_name
        return f"arn:{partition}:ecs:{region}:{caller['Account']}:service/default/{name}"


def _facts(service: dict[str, Any], access_type: str) -> ServiceFacts:
    """The service's ARN, status and the endpoint of its ``access_type`` ingress path."""
    configurations = service.get("activeConfigurations") or [{}]
    paths = configurations[0].get("ingressPaths") or []
    matching = [p for p in paths if p.get("accessType") == access_type and p.get("endpoint")]
    if not any(p.get("endpoint") for p in paths):
        # Whether Express fills the ingress paths in before CreateExpressGatewayService
        # returns is not documented: raise so the step is retried, and read them again.
        raise EndpointNotReadyError(f"{service['serviceArn']} reports no ingress endpoint yet")
    if not matching:
        found = ", ".join(str(p.get("accessType")) for p in paths) or "none"
        raise DeployError(
            f"the Express service {service.get('serviceName', service['serviceArn'])} has no "
            f"{access_type} ingress path with an endpoint (it has: {found}); its subnets decide "
            "whether its load balancer is internet-facing or internal: check the plan's subnets"
        )
    endpoint = matching[0]["endpoint"]
    # Express returns the endpoint's host name; the bot keeps it as an HTTPS URL.
    if endpoint and "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    return ServiceFacts(
        service_arn=service["serviceArn"],
        status=service.get("status", {}).get("statusCode", "UNKNOWN"),
        endpoint=endpoint,
    )
