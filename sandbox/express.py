"""moto extension for ECS Express Mode: the four *ExpressGatewayService operations, a store
per (account, region), the requests Express refuses (``check_request``), the `aws.ecs` events
AWS emits while a deployment runs, and DescribeServiceRevisions reporting the resources Express
provisions (see express_resources)."""

from __future__ import annotations

import copy
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import (
    ClusterNotFoundException,
    ECSException,
    InvalidParameterException,
)
from moto.ecs.models import ecs_backends
from moto.ecs.responses import EC2ContainerServiceResponse

from sandbox import aws_events, express_network
from sandbox.express_checks import access_type, check_request
from sandbox.express_resources import (
    Gateway,
    Managed,
    describe_service_revisions,
    provision,
    service_revision,
)

Emit = Callable[[dict[str, Any]], None]
Plan = list[tuple[float, dict[str, Any]]]  # events with their offsets in simulated seconds
BEHAVIOURS = ("healthy", "failing-health-check", "crash-loop", "cannot-pull")
#: Runs a deployment's task for real (``sandbox.dataplane``) and says how it went: one of
#: BEHAVIOURS. Without one, deployments play out as their behaviour says.
TaskRunner = Callable[["ExpressService", dict[str, Any]], str]
DRAIN_SECONDS = 60.0  # simulated seconds a deleted service stays DRAINING
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_CONFIG_KEYS = (
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
    "networkConfiguration",
    "healthCheckPath",
    "primaryContainer",
    "scalingTarget",
)
# CreateExpressGatewayService's documented defaults (API Reference: cpu 256, memory 512);
# cpuArchitecture defaults to X86_64 as ECS's RuntimePlatform does for Fargate.
_DEFAULTS = {"cpu": "256", "memory": "512", "healthCheckPath": "/ping", "cpuArchitecture": "X86_64"}
_SCALING_DEFAULTS = {
    "minTaskCount": 1,
    "autoScalingMetric": "AVERAGE_CPU",
    "autoScalingTargetValue": 60,
}


class ResourceNotFoundException(ECSException):
    """DescribeExpressGatewayService of an unknown ARN (the error the model declares)."""

    code = "ResourceNotFoundException"


class ServiceNotActiveException(ECSException):
    """Update or delete of a service that is DRAINING or INACTIVE."""

    code = "ServiceNotActiveException"


class ServiceNotFoundException(ECSException):
    """Update or delete of an unknown ARN."""

    code = "ServiceNotFoundException"


@dataclass
class _Settings:
    emit: Emit | None = None
    time_scale: float = 0.0
    behaviours: dict[str | None, str] = field(default_factory=dict)
    emitted: list[dict[str, Any]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    runner: TaskRunner | None = None
    on_delete: Callable[[str], None] | None = None


_settings = _Settings()
_lock = threading.RLock()


@dataclass
class Deployment:
    """One deployment of a service: its ARN, its ECS event id and the revision it rolls out."""

    arn: str
    deployment_id: str  # the "ecs-svc/..." id that ECS events carry
    config: dict[str, Any]
    #: As ``ListServiceDeployments`` reports it, following the deployment's own events.
    status: str = "PENDING"
    status_reason: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None


@dataclass
class ExpressService:
    """One Express service as the API reports it."""

    account: str
    region: str
    cluster: str
    name: str
    infrastructure_role_arn: str
    tags: list[dict[str, str]]
    endpoint: str
    created_at: datetime
    updated_at: datetime
    resources: Managed
    status: str = "ACTIVE"
    drained_by: float = 0.0
    deployments: list[Deployment] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:service/{self.cluster}/{self.name}"

    @property
    def cluster_arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:cluster/{self.cluster}"

    def status_code(self) -> str:
        if self.status == "DRAINING" and time.monotonic() >= self.drained_by:
            self.status = "INACTIVE"
        return self.status

    def describe(self, *, tags: bool, status: str | None = None) -> dict[str, Any]:
        status = status or self.status_code()
        out: dict[str, Any] = {
            "cluster": self.cluster,
            "serviceName": self.name,
            "serviceArn": self.arn,
            "infrastructureRoleArn": self.infrastructure_role_arn,
            "status": {"statusCode": status},
            "currentDeployment": self.deployments[-1].arn,
            "activeConfigurations": [] if status == "INACTIVE" else [self.deployments[-1].config],
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if tags:
            out["tags"] = self.tags
        return out


class ExpressBackend:
    """Express services of one account and region."""

    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        self.services: dict[str, ExpressService] = {}
        self.gateways: list[Gateway] = []  # load balancers shared by the services of a network
        self.retired: list[ExpressService] = []  # replaced by a service of the same name

    def create(self, params: dict[str, Any]) -> tuple[ExpressService, Plan]:
        name = params.get("serviceName") or f"express-service-{secrets.token_hex(4)}"
        if not _NAME.match(name):
            raise InvalidParameterException(f"Invalid service name: {name}")
        cluster = self._cluster(params.get("cluster") or "default")
        arn = f"arn:aws:ecs:{self.region}:{self.account}:service/{cluster}/{name}"
        existing = self.services.get(arn)
        if existing and existing.status_code() != "INACTIVE":
            raise InvalidParameterException(
                f"An Express service named {name} already exists in cluster {cluster}."
            )
        check_request(
            self.account, self.region, "CreateExpressGatewayService", params, {}, _DEFAULTS
        )
        now = datetime.now(UTC)
        endpoint = _endpoint_host(name, self.region)
        network = params.get("networkConfiguration") or {}
        scheme = access_type(self.account, self.region, list(network.get("subnets") or ()))
        container = params.get("primaryContainer") or {}
        resources = provision(
            self.gateways,
            account=self.account,
            region=self.region,
            cluster=cluster,
            service=name,
            endpoint=endpoint,
            subnets=network.get("subnets") or (),
            port=int(container.get("containerPort") or 80),
            health_check_path=params.get("healthCheckPath") or _DEFAULTS["healthCheckPath"],
            now=now,
            time_scale=_settings.time_scale,
            access_type=scheme,
        )
        service = ExpressService(
            account=self.account,
            region=self.region,
            cluster=cluster,
            name=name,
            infrastructure_role_arn=params["infrastructureRoleArn"],
            tags=params.get("tags") or [],
            endpoint=endpoint,
            created_at=now,
            updated_at=now,
            resources=resources,
        )
        resources.service_status = service.status_code
        if existing:
            self.retired.append(existing)  # its revisions stay describable
        self.services[arn] = service
        return service, _deploy(service, _configuration(service, params, {}))

    def get(self, arn: str, missing: type[ECSException]) -> ExpressService:
        service = self.services.get(arn)
        if service is None:
            raise missing(f"Express service {arn} not found.")
        return service

    def update(self, arn: str, params: dict[str, Any]) -> tuple[ExpressService, Plan]:
        service = self._active(arn)
        previous = service.deployments[-1].config
        check_request(
            self.account, self.region, "UpdateExpressGatewayService", params, previous, _DEFAULTS
        )
        service.updated_at = datetime.now(UTC)
        config = _configuration(service, params, previous)
        if config["healthCheckPath"] != previous["healthCheckPath"]:
            express_network.update_health_check(
                self.account,
                self.region,
                service.resources.target_group_arn,
                config["healthCheckPath"],
            )
        return service, _deploy(service, config)

    def delete(self, arn: str) -> ExpressService:
        service = self._active(arn)
        service.status, service.updated_at = "DRAINING", datetime.now(UTC)
        service.drained_by = time.monotonic() + DRAIN_SECONDS * _settings.time_scale
        service.resources.deprovision(service.updated_at, DRAIN_SECONDS * _settings.time_scale)
        express_network.deregister_tasks(
            self.account, self.region, service.resources.target_group_arn
        )
        _later(DRAIN_SECONDS * _settings.time_scale, service.resources.release)
        return service

    def revision(self, arn: str) -> dict[str, Any] | None:
        """The ServiceRevision of an Express revision ARN, or None when it is not one."""
        for service in [*self.services.values(), *self.retired]:
            for number, deployment in enumerate(service.deployments, start=1):
                if deployment.config["serviceRevisionArn"] == arn:
                    return service_revision(
                        service.resources,
                        service_arn=service.arn,
                        cluster_arn=service.cluster_arn,
                        config=deployment.config,
                        task_definition=f"arn:aws:ecs:{self.region}:{self.account}:"
                        f"task-definition/{service.name}:{number}",
                    )
        return None

    def _active(self, arn: str) -> ExpressService:
        service = self.get(arn, ServiceNotFoundException)
        if service.status_code() != "ACTIVE":
            raise ServiceNotActiveException(f"Express service {arn} is not ACTIVE.")
        return service

    def _cluster(self, cluster: str) -> str:
        name = cluster.rsplit("/", 1)[-1]
        ecs = ecs_backends[self.account][self.region]
        if name not in ecs.clusters:
            if name != "default":
                raise ClusterNotFoundException()
            ecs.create_cluster("default")  # Express Mode creates the default cluster
        return name


def _backend(account: str, region: str) -> ExpressBackend:
    """Return the store kept on moto's ECS backend, so moto's resets clear it too."""
    ecs = ecs_backends[account][region]
    with _lock:
        store = ecs.__dict__.get("_express_gateway")
        if store is None:
            store = ecs.__dict__["_express_gateway"] = ExpressBackend(account, region)
        return store


def _endpoint_host(name: str, region: str) -> str:
    prefix = re.sub(r"[^a-z0-9]", "x", name[:2].lower()).ljust(2, "x")
    return f"{prefix}-{uuid.uuid4().hex}.ecs.{region}.on.aws"


def _configuration(
    service: ExpressService, params: dict[str, Any], previous: dict[str, Any]
) -> dict[str, Any]:
    config = {**_DEFAULTS, **copy.deepcopy(previous)}
    config.update({k: copy.deepcopy(params[k]) for k in _CONFIG_KEYS if params.get(k) is not None})
    config["primaryContainer"] = {"containerPort": 80, **config["primaryContainer"]}
    config["scalingTarget"] = {**_SCALING_DEFAULTS, **config.get("scalingTarget", {})}
    revision = random.randrange(10**18, 10**19)
    config["serviceRevisionArn"] = (
        f"arn:aws:ecs:{service.region}:{service.account}:service-revision/"
        f"{service.cluster}/{service.name}/{revision}"
    )
    scheme = service.resources.gateway.access_type
    config["ingressPaths"] = [{"accessType": scheme, "endpoint": service.endpoint}]
    config["createdAt"] = datetime.now(UTC)
    return config


def _deploy(service: ExpressService, config: dict[str, Any]) -> Plan:
    token = secrets.token_urlsafe(15)[:20]
    deployment = Deployment(
        arn=f"arn:aws:ecs:{service.region}:{service.account}:service-deployment/"
        f"{service.cluster}/{service.name}/{token}",
        deployment_id=f"ecs-svc/{random.randrange(10**18, 10**19)}",
        config=config,
    )
    service.deployments.append(deployment)
    behaviour = _behaviour_for(service.name)
    if behaviour is None:
        behaviour = _settings.runner(service, config) if _settings.runner else "healthy"
    resources = service.resources
    if behaviour == "healthy":  # the task runs and passes its checks: ECS registers it
        express_network.register_task(
            service.account,
            service.region,
            resources.gateway.network,
            resources.target_group_arn,
            int(config["primaryContainer"]["containerPort"]),
        )
    else:  # the task stopped (or never ran): nothing of the service is registered
        express_network.deregister_tasks(
            service.account, service.region, resources.target_group_arn
        )
    return _plan(service, deployment, behaviour)


def _behaviour_for(name: str) -> str | None:
    """The behaviour set for this service's name (longest prefix), or the default one, if any."""
    with _lock:
        prefixes = [p for p in _settings.behaviours if p is not None and name.startswith(p)]
        if prefixes:
            return _settings.behaviours[max(prefixes, key=len)]
        return _settings.behaviours.get(None)


def _plan(service: ExpressService, deployment: Deployment, behaviour: str) -> Plan:
    """All events of one deployment, each with its offset in simulated seconds."""
    start = datetime.now(UTC)
    common = {"account": service.account, "region": service.region}

    def deployment_event(
        offset: float, name: str, reason: str | None = None
    ) -> tuple[float, dict[str, Any]]:
        event = aws_events.ecs_deployment_state_change(
            **common,
            service_arn=service.arn,
            deployment_id=deployment.deployment_id,
            event_name=name,
            reason=reason,
            at=start + timedelta(seconds=offset),
        )
        return offset, event

    tasks = max(1, int(deployment.config["scalingTarget"].get("minTaskCount") or 1))
    plan = [deployment_event(0, "SERVICE_DEPLOYMENT_IN_PROGRESS")]
    for index in range(tasks):
        plan += _task_events(service, deployment, behaviour, index, start)
    if behaviour == "healthy":
        plan.append(deployment_event(90 + tasks, "SERVICE_DEPLOYMENT_COMPLETED"))
        for offset in (91 + tasks, 96 + tasks):  # AWS repeats SERVICE_STEADY_STATE
            at = start + timedelta(seconds=offset)
            plan.append(
                (
                    offset,
                    aws_events.ecs_service_action(
                        **common, service_arn=service.arn, cluster_arn=service.cluster_arn, at=at
                    ),
                )
            )
    else:
        plan.append(
            deployment_event(
                90 + tasks,
                "SERVICE_DEPLOYMENT_FAILED",
                "ECS deployment circuit breaker: task failed to start.",
            )
        )
    return sorted(plan, key=lambda item: item[0])


def _task_events(
    service: ExpressService, deployment: Deployment, behaviour: str, index: int, start: datetime
) -> Plan:
    prefix = f"arn:aws:ecs:{service.region}:{service.account}"
    task_arn = f"{prefix}:task/{service.cluster}/{uuid.uuid4().hex}"
    steps: list[tuple[str, str, float]] = [
        ("PROVISIONING", "RUNNING", 2),
        ("PENDING", "RUNNING", 20),
        ("RUNNING", "RUNNING", 45),
    ]
    stop_code = stopped_reason = None
    exit_code: int | None = None
    if behaviour == "failing-health-check":
        steps.append(("STOPPED", "STOPPED", 80))
        target_group = service.resources.target_group_arn  # the one the revision reports
        stop_code = "ServiceSchedulerInitiated"
        stopped_reason = f"Task failed ELB health checks in (target-group {target_group})"
    elif behaviour == "cannot-pull":
        # The image cannot be pulled: the task never runs (ECS Developer Guide, "Stopped
        # tasks error codes": CannotPullContainerError, stop code TaskFailedToStart).
        image = deployment.config["primaryContainer"]["image"]
        steps = [("PROVISIONING", "RUNNING", 2), ("PENDING", "RUNNING", 20)]
        steps.append(("STOPPED", "STOPPED", 40))
        stop_code = "TaskFailedToStart"
        stopped_reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            f"failed to resolve ref {image}: {image}: not found"
        )
    elif behaviour == "crash-loop":
        steps.append(("STOPPED", "STOPPED", 50))
        stop_code, stopped_reason, exit_code = (
            "EssentialContainerExited",
            "Essential container in task exited",
            1,
        )
    config = deployment.config
    created = start + timedelta(seconds=2 + index)
    events: Plan = []
    for version, (last, desired, offset) in enumerate(steps, start=1):
        at = start + timedelta(seconds=offset + index)
        stopped = last == "STOPPED"
        container = aws_events.ecs_task_container(
            task_arn=task_arn,
            name=service.name,
            image=config["primaryContainer"]["image"],
            last_status="PENDING" if last == "PROVISIONING" else last,
            exit_code=exit_code if stopped else None,
        )
        events.append(
            (
                offset + index,
                aws_events.ecs_task_state_change(
                    account=service.account,
                    region=service.region,
                    task_arn=task_arn,
                    cluster_arn=service.cluster_arn,
                    service_name=service.name,
                    task_definition_arn=f"{prefix}:task-definition/{service.name}:"
                    f"{len(service.deployments)}",
                    last_status=last,
                    desired_status=desired,
                    version=version,
                    containers=[container],
                    started_by=deployment.deployment_id,
                    created_at=created,
                    cpu=config["cpu"],
                    memory=config["memory"],
                    availability_zone=f"{service.region}{'abc'[index % 3]}",
                    started_at=start + timedelta(seconds=45 + index) if version >= 3 else None,
                    stopped_at=at if stopped else None,
                    stop_code=stop_code if stopped else None,
                    stopped_reason=stopped_reason if stopped else None,
                    at=at,
                ),
            )
        )
    return events


def _later(delay: float, step: Callable[[], None]) -> None:
    """Run ``step`` (under the lock) after ``delay`` real seconds, or now when it is 0;
    ``reset()`` cancels what is still waiting."""
    if delay <= 0:
        step()
        return
    cancel = _settings.cancel

    def run() -> None:
        if not cancel.wait(delay):
            with _lock:
                step()

    threading.Thread(target=run, name="express-later", daemon=True).start()


def _record(event: dict[str, Any]) -> None:
    with _lock:
        _settings.emitted.append(event)


#: A deployment's ``ListServiceDeployments`` status once ECS has said this of it: IN_PROGRESS,
#: SUCCESSFUL, and for a first deployment the circuit breaker stopped, STOPPED (there is no
#: earlier revision to roll back to; what ECS reports then is not documented).
_LISTED_STATUS = {
    "SERVICE_DEPLOYMENT_IN_PROGRESS": "IN_PROGRESS",
    "SERVICE_DEPLOYMENT_COMPLETED": "SUCCESSFUL",
    "SERVICE_DEPLOYMENT_FAILED": "STOPPED",
}


def _follow(event: dict[str, Any]) -> None:
    """Keep the deployment's listed status in step with the event ECS emits about it."""
    detail = event.get("detail", {})
    status = _LISTED_STATUS.get(str(detail.get("eventName")))
    if status is None:
        return
    with _lock:
        backends = [
            ecs.__dict__.get("_express_gateway")
            for account in list(ecs_backends.values())
            for ecs in list(account.values())
        ]
        for backend in [b for b in backends if b is not None]:
            for service in list(backend.services.values()) + backend.retired:
                for deployment in service.deployments:
                    if deployment.deployment_id == detail.get("deploymentId"):
                        deployment.status = status
                        if status == "STOPPED":  # why it stopped; no reason is given else
                            deployment.status_reason = detail.get("reason")
                        if status != "IN_PROGRESS":
                            deployment.finished_at = datetime.now(UTC)


def _dispatch(plan: Plan) -> None:
    """Emit a deployment's events: in order now, or spaced out from a daemon thread."""
    send, scale, cancel = _settings.emit or _record, _settings.time_scale, _settings.cancel

    def emit(event: dict[str, Any]) -> None:
        _follow(event)
        send(event)

    if scale <= 0:
        for _, event in plan:
            emit(event)
        return

    def run() -> None:
        elapsed = 0.0
        for offset, event in plan:
            if cancel.wait((offset - elapsed) * scale):
                return
            elapsed = offset
            emit(event)

    threading.Thread(target=run, name="express-events", daemon=True).start()


def _params(response: EC2ContainerServiceResponse, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: response._get_param(key) for key in keys}


def _create(self: EC2ContainerServiceResponse) -> ActionResult:
    keys = ("serviceName", "cluster", "infrastructureRoleArn", "tags", *_CONFIG_KEYS)
    backend = _backend(self.current_account, self.region)
    with _lock:
        service, plan = backend.create(_params(self, keys))
        body = service.describe(tags=True)
    _dispatch(plan)  # outside the lock: an emit may call back into this API
    return ActionResult({"service": body})


def _describe(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = _backend(self.current_account, self.region)
    tags = "TAGS" in (self._get_param("include") or [])
    with _lock:
        service = backend.get(self._get_param("serviceArn"), ResourceNotFoundException)
        return ActionResult({"service": service.describe(tags=tags)})


def _update(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = _backend(self.current_account, self.region)
    with _lock:
        service, plan = backend.update(self._get_param("serviceArn"), _params(self, _CONFIG_KEYS))
        body = {
            "serviceArn": service.arn,
            "cluster": service.cluster,
            "serviceName": service.name,
            "status": {"statusCode": service.status_code()},
            "targetConfiguration": service.deployments[-1].config,
            "createdAt": service.created_at,
            "updatedAt": service.updated_at,
        }
    _dispatch(plan)
    return ActionResult({"service": body})


def _delete(self: EC2ContainerServiceResponse) -> ActionResult:
    backend = _backend(self.current_account, self.region)
    with _lock:
        service = backend.delete(self._get_param("serviceArn"))
        if _settings.on_delete is not None:
            _settings.on_delete(service.arn)  # its tasks stop
        return ActionResult({"service": service.describe(tags=False, status="DRAINING")})


_moto_list_services = EC2ContainerServiceResponse.list_services


def _list(self: EC2ContainerServiceResponse) -> Any:
    """ListServices: Express services are ECS-managed (``resourceManagementType=ECS``)."""
    managed = self._get_param("resourceManagementType")
    cluster = (self._get_param("cluster") or "default").rsplit("/", 1)[-1]
    if managed == "CUSTOMER":
        return _moto_list_services(self)
    listed: dict[str, list[str]] = {"serviceArns": []}
    if managed != "ECS":
        listed = _moto_list_services(self).result  # type: ignore[assignment]
    moto_arns = listed["serviceArns"]
    backend = _backend(self.current_account, self.region)
    with _lock:
        express = [
            arn
            for arn, service in backend.services.items()
            if service.cluster == cluster and service.status_code() != "INACTIVE"
        ]
    return ActionResult({"serviceArns": [*moto_arns, *express]})


_moto_describe_service_revisions = getattr(
    EC2ContainerServiceResponse, "describe_service_revisions", None
)


def _describe_revisions(self: EC2ContainerServiceResponse) -> ActionResult:
    """DescribeServiceRevisions: Express revisions answered here, any others left to moto."""
    backend, moto = _backend(self.current_account, self.region), _moto_describe_service_revisions

    def lookup(arn: str) -> dict[str, Any] | None:
        with _lock:
            return backend.revision(arn)

    fallback = None if moto is None else (lambda: moto(self))
    arns = self._get_param("serviceRevisionArns") or []
    return ActionResult(describe_service_revisions(arns, lookup, fallback))


def _list_deployments(self: EC2ContainerServiceResponse) -> ActionResult:
    """ListServiceDeployments for an Express service: its deployments, newest first, with the
    status its events have reached (ECS API Reference, ListServiceDeployments,
    ``ServiceDeploymentBrief``)."""
    backend = _backend(self.current_account, self.region)
    arn = str(self._get_param("service"))
    with _lock:
        service = backend.services.get(arn)
        if service is None:
            raise ServiceNotFoundException(f"Service not found: {arn}")
        briefs = [
            {
                "serviceDeploymentArn": d.arn,
                "serviceArn": service.arn,
                "clusterArn": service.cluster_arn,
                "createdAt": d.created_at,
                "startedAt": d.created_at,
                **({"finishedAt": d.finished_at} if d.finished_at else {}),
                "targetServiceRevisionArn": d.config.get("serviceRevisionArn"),
                "status": d.status,
                **({"statusReason": d.status_reason} if d.status_reason else {}),
            }
            for d in reversed(service.deployments)
        ]
    return ActionResult({"serviceDeployments": briefs})


_OPERATIONS = {
    "list_service_deployments": _list_deployments,
    "list_services": _list,
    "describe_service_revisions": _describe_revisions,
    "create_express_gateway_service": _create,
    "describe_express_gateway_service": _describe,
    "update_express_gateway_service": _update,
    "delete_express_gateway_service": _delete,
}


def install(emit: Emit | None = None, time_scale: float = 0.0) -> None:
    """Add the Express Mode operations to moto's ECS and configure event emission."""
    with _lock:
        _settings.emit, _settings.time_scale = emit, time_scale
        for name, operation in _OPERATIONS.items():
            setattr(EC2ContainerServiceResponse, name, operation)


def set_behaviour(service_name_prefix: str | None, behaviour: str) -> None:
    """Choose how deployments of services whose name starts with the prefix play out."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"behaviour must be one of {BEHAVIOURS}, not {behaviour!r}")
    with _lock:
        _settings.behaviours[service_name_prefix] = behaviour


def set_runner(runner: TaskRunner | None, on_delete: Callable[[str], None] | None = None) -> None:
    """Run each deployment's task with ``runner`` (None: play out behaviours only)."""
    with _lock:
        _settings.runner, _settings.on_delete = runner, on_delete


def endpoints() -> dict[str, str]:
    """Every live service's endpoint host → its ARN (what Express's host rules route)."""
    with _lock:
        return {s.endpoint: s.arn for s in _live_services() if s.status_code() == "ACTIVE"}


def _live_services() -> list[ExpressService]:
    found = []
    for account in list(ecs_backends.values()):
        for ecs in list(account.values()):
            backend = ecs.__dict__.get("_express_gateway")
            found += [s for s in (backend.services.values() if backend else ())]
    return found


def service_for_target_group(target_group_arn: str) -> str | None:
    """The ARN of the live service whose tasks the target group holds, if it is one."""
    with _lock:
        for service in _live_services():
            if service.resources.target_group_arn == target_group_arn:
                if service.status_code() != "INACTIVE":
                    return service.arn
    return None


def load_balancer_for(endpoint: str) -> str | None:
    """The ARN of the ALB that serves an Express endpoint host, if a live service has it."""
    with _lock:
        for service in _live_services():
            if (
                service.endpoint == endpoint.lower().rstrip(".")
                and service.status_code() == "ACTIVE"
            ):
                return service.resources.gateway.arn
    return None


def emitted() -> list[dict[str, Any]]:
    """Return the events recorded so far (only recorded when install() got no emit)."""
    with _lock:
        return list(_settings.emitted)


def reset() -> None:
    """Forget services, behaviours and recorded events, and stop pending emissions."""
    with _lock:
        _settings.cancel.set()
        _settings.cancel = threading.Event()
        _settings.behaviours.clear()
        _settings.emitted.clear()
        for account in list(ecs_backends.values()):
            for ecs in list(account.values()):
                ecs.__dict__.pop("_express_gateway", None)
