"""What Clean up and Decommission meet in AWS that moto 5.2.1 does not do, done here.

- **EC2 instance states** (EC2 User Guide, "Amazon EC2 instance state changes" and "State
  change events for Amazon EC2 instances": "When you stop an instance, it enters the stopping
  state and then the stopped state"; a started one is ``pending``, then ``running``; a
  terminated one ``shutting-down``, then ``terminated``). moto jumps to the end state at once;
  here StopInstances leaves the instance ``stopping`` for ``STOP_SECONDS`` and StartInstances
  ``pending`` for ``START_SECONDS`` (simulated, scaled like every delay). What runs on the
  instance follows (the data plane): its app stops when the instance starts stopping (the OS
  shuts down) or terminating, and starts again before it is ``running`` (its unit starts at
  boot). A stopped target is ``unused`` (``Target.InvalidState``) in DescribeTargetHealth, as
  moto already reports, so the ALB stand-in sends it nothing.
- **DeleteSecurityGroup** "fails with DependencyViolation" when the group "is associated with
  an instance or network interface" (EC2 API Reference). An Express service's tasks hold
  network interfaces in its security groups until the service has drained (its status
  ``INACTIVE``: "After all tasks stop, the service and infrastructure are permanently
  removed", DeleteExpressGatewayService); moto knows no such interfaces, so the group of a
  service not yet ``INACTIVE`` is refused here. (Groups of instances are not checked: the
  bot deletes only its tasks' group.)
- **CreateImage with snapshot tags**: ``TagSpecifications`` may tag "the snapshots that are
  created of the root volume and of other Amazon EBS volumes" (``ResourceType`` ``snapshot``,
  EC2 API Reference, CreateImage); moto 5.2.1 raises NotImplementedError for them. Here they
  are applied to the snapshot moto makes for the image.
- **DeleteCertificate**: "You cannot delete an ACM certificate that is being used by another
  AWS service" (ACM API Reference; ``ResourceInUseException``: "The certificate is in use by
  another AWS service in the caller's account"). moto deletes it anyway; here a certificate
  any ELBv2 listener lists (default or added) is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.acm.models import AWSCertificateManagerBackend
from moto.core.exceptions import AWSError
from moto.ec2.exceptions import DependencyViolationError
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.instances import Instance
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.elbv2.models import elbv2_backends

from sandbox import express

#: Simulated seconds an instance spends stopping, and pending after a start (AWS documents
#: no figure; a minute or less is what instances of this size take).
STOP_SECONDS = 30.0
START_SECONDS = 30.0

Hook = Callable[[str], None]
_state: dict[str, Any] = {
    "installed": False,
    "time_scale": 0.0,
    "on_stop": None,
    "on_start": None,
}


class ResourceInUseError(AWSError):
    """ACM's refusal of a certificate some listener uses."""

    TYPE = "ResourceInUseException"


def install(on_stop: Hook, on_start: Hook, time_scale: float = 0.0) -> None:
    """Patch moto (idempotent); ``on_stop``/``on_start`` get the instance id as its app
    stops (stopping, terminating) and must start (before ``running``)."""
    _state.update(time_scale=time_scale, on_stop=on_stop, on_start=on_start)
    if _state["installed"]:
        return
    original_stop = Instance.stop
    original_start = Instance.start
    original_terminate = Instance.terminate
    original_delete_group = SecurityGroupBackend.delete_security_group
    original_delete_certificate = AWSCertificateManagerBackend.delete_certificate
    original_create_image = AmiBackend.create_image

    def create_image(
        self: AmiBackend,
        instance_id: str,
        name: str,
        description: str,
        tag_specifications: list[dict[str, Any]],
    ) -> Any:
        snapshot_tags = [
            tag
            for spec in tag_specifications
            if spec["ResourceType"] == "snapshot"
            for tag in spec["Tags"]
        ]
        others = [s for s in tag_specifications if s["ResourceType"] != "snapshot"]
        ami = original_create_image(self, instance_id, name, description, others)
        snapshot = getattr(ami, "ebs_snapshot", None)
        if snapshot is not None and snapshot_tags:
            self.create_tags(  # type: ignore[attr-defined]
                [snapshot.id], {t["Key"]: t["Value"] for t in snapshot_tags}
            )
        return ami

    def stop(self: Instance) -> Any:
        previous = original_stop(self)
        _hook("on_stop", self.id)
        _pass_through(self, ("stopping", 64), ("stopped", 80), STOP_SECONDS, None)
        return previous

    def start(self: Instance) -> Any:
        previous = original_start(self)
        _pass_through(self, ("pending", 0), ("running", 16), START_SECONDS, "on_start")
        return previous

    def terminate(self: Instance, *args: Any, **kwargs: Any) -> Any:
        _hook("on_stop", self.id)
        return original_terminate(self, *args, **kwargs)

    def delete_group(self: SecurityGroupBackend, *args: Any, **kwargs: Any) -> Any:
        group_id = kwargs.get("group_id") or (args[1] if len(args) > 1 else None)
        if group_id and _used_by_express(str(group_id)):
            raise DependencyViolationError(
                f"resource {group_id} has a dependent object"  # EC2's wording
            )
        return original_delete_group(self, *args, **kwargs)

    def delete_certificate(self: AWSCertificateManagerBackend, arn: str) -> None:
        if _on_a_listener(self.account_id, self.region_name, arn):
            raise ResourceInUseError(f"Certificate {arn} is in use by another AWS service")
        original_delete_certificate(self, arn)

    AmiBackend.create_image = create_image  # type: ignore[method-assign]
    Instance.stop = stop  # type: ignore[method-assign]
    Instance.start = start  # type: ignore[method-assign]
    Instance.terminate = terminate  # type: ignore[method-assign]
    SecurityGroupBackend.delete_security_group = delete_group  # type: ignore[method-assign]
    AWSCertificateManagerBackend.delete_certificate = delete_certificate  # type: ignore[method-assign]
    _state["installed"] = True


def _hook(name: str, instance_id: str) -> None:
    hook = _state[name]
    if hook is not None:
        hook(instance_id)


def _pass_through(
    instance: Instance,
    passing: tuple[str, int],
    final: tuple[str, int],
    seconds: float,
    before_final: str | None,
) -> None:
    """Show ``passing`` now and ``final`` after ``seconds`` (scaled); run ``before_final``."""

    def arrive() -> None:
        if (instance._state.name, instance._state.code) != passing:
            return  # changed meanwhile (stopped again, terminated)
        if before_final:
            _hook(before_final, instance.id)
        instance._state.name, instance._state.code = final

    instance._state.name, instance._state.code = passing
    delay = seconds * _state["time_scale"]
    if delay <= 0:
        arrive()
        return
    timer = threading.Timer(delay, arrive)
    timer.daemon = True
    timer.start()


def _used_by_express(group_id: str) -> bool:
    for service in express._live_services():
        if service.status_code() == "INACTIVE" or not service.deployments:
            continue
        network = service.deployments[-1].config.get("networkConfiguration") or {}
        if group_id in (network.get("securityGroups") or []):
            return True
    return False


def _on_a_listener(account: str, region: str, arn: str) -> bool:
    backend = elbv2_backends[account][region]
    return any(
        arn in (listener.certificates or [])
        for balancer in backend.load_balancers.values()
        for listener in balancer.listeners.values()
    )
