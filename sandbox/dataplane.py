"""Wiring the data plane into the stand-ins: Express tasks and the legacy app run for real.

``run_task`` is the Express stand-in's task runner (``express.set_runner``): a deployment's task
is the image the sandbox's CodeBuild built (``sandbox.images``), run by ``sandbox.tasks`` with
the service's container settings; its outcome decides the events ECS would emit. An image the
sandbox never built cannot be pulled (``CannotPullContainerError``), as on ECS.
``start_legacy`` runs a modelled instance's app from its folder.
"""

from __future__ import annotations

from typing import Any

from moto.secretsmanager.models import secretsmanager_backends

from sandbox import images, tasks
from sandbox.express import ExpressService
from sandbox.instances import Instance


def run_task(service: ExpressService, config: dict[str, Any]) -> str:
    """Run the deployment's task; return its behaviour (healthy, crash-loop, ...)."""
    container = config["primaryContainer"]
    image = images.IMAGES.get(container["image"])
    if image is None:
        tasks.stop(service.arn)
        return "cannot-pull"
    backend = secretsmanager_backends[service.account][service.region]

    def read(arn: str) -> str:
        return str(backend.get_secret_value(arn, None, None)["SecretString"])

    environment = {
        **image.environment,
        **{e["name"]: e["value"] for e in container.get("environment") or []},
        **tasks.secret_values(container.get("secrets") or [], read),
    }
    running = tasks.start(
        service.arn,
        list(container.get("command") or image.command),
        cwd=image.root,
        workdir=image.workdir,
        environment=environment,
        health_path=config.get("healthCheckPath") or "/ping",
    )
    return running.outcome


def stop_task(service_arn: str) -> None:
    """The service was deleted: its task stops."""
    tasks.stop(service_arn)


def start_legacy(instance_id: str, instance: Instance, health_path: str) -> tasks.Running:
    """Run the instance's app from its folder with the instance's environment."""
    app = instance.app
    assert app is not None, "the instance runs an app"
    running = tasks.start(
        f"legacy/{instance_id}",
        app.command,
        cwd=app.folder,
        workdir=app.working_directory,
        environment=dict(app.environment),
        health_path=health_path,
    )
    if running.outcome != "healthy":
        raise RuntimeError(
            f"the legacy app on {instance_id} did not start ({running.outcome}): "
            f"{running.log_tail()}"
        )
    if running.process is not None:
        app.pid = running.process.pid
    return running
