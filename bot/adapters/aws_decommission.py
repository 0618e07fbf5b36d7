"""EC2 and ELBv2 calls that retire the legacy instance, behind the ``DecommissionAws`` port.

- ``DeregisterTargets`` (the target drains for the target group's deregistration delay, ELB
  User Guide, "Deregistration delay"; no user is sent there at 100 % on ECS) and
  ``RegisterTargets`` (refused for an instance that is not ``running``: registered only then).
- ``StopInstances``/``StartInstances``: an instance goes ``stopping`` → ``stopped`` and
  ``pending`` → ``running`` (EC2 User Guide, "Amazon EC2 instance state changes"); never
  ``TerminateInstances`` but for Terminate.
- ``CreateImage`` of the stopped instance, named ``migrate-bot-<migration>`` and tagged
  (found again by name, so a retry makes no second image). ``NoReboot=True``: the instance is
  already stopped, its file systems cleanly shut down, so the image is consistent without
  the reboot EC2 would otherwise do (API Reference: ``NoReboot``); and nothing may start it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals


def image_name(migration_id: str) -> str:
    """The AMI of a decommissioned instance."""
    return f"migrate-bot-{migration_id}"


class AwsDecommission:
    """Stops, images, starts and terminates the legacy instance; (de)registers it."""

    def __init__(self, ec2: Any, elbv2: Any) -> None:
        self._ec2 = ec2
        self._elbv2 = elbv2

    @translate_refusals
    def instance_state(self, instance_id: str) -> str:
        """The instance's state name."""
        reservations = self._ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return str(reservations[0]["Instances"][0]["State"]["Name"])

    @translate_refusals
    def target_state(self, target_group_arn: str, instance_id: str, port: int) -> str:
        """The target's health state ("" when it is not registered)."""
        described = self._elbv2.describe_target_health(TargetGroupArn=target_group_arn)
        for item in described["TargetHealthDescriptions"]:
            target = item["Target"]
            if target["Id"] == instance_id and int(target.get("Port", port)) == port:
                return str(item["TargetHealth"]["State"])
        return ""

    @translate_refusals
    def deregister(self, target_group_arn: str, instance_id: str, port: int) -> bool:
        """Out of the target group, if it is in it."""
        if self.target_state(target_group_arn, instance_id, port) in ("", "unused", "draining"):
            return False
        self._elbv2.deregister_targets(
            TargetGroupArn=target_group_arn, Targets=[{"Id": instance_id, "Port": port}]
        )
        return True

    @translate_refusals
    def register(self, target_group_arn: str, instance_id: str, port: int) -> None:
        """Into the target group (RegisterTargets of a registered target changes nothing)."""
        self._elbv2.register_targets(
            TargetGroupArn=target_group_arn, Targets=[{"Id": instance_id, "Port": port}]
        )

    @translate_refusals
    def stop(self, instance_id: str) -> None:
        """StopInstances (never terminate)."""
        self._ec2.stop_instances(InstanceIds=[instance_id])

    @translate_refusals
    def start(self, instance_id: str) -> None:
        """StartInstances."""
        self._ec2.start_instances(InstanceIds=[instance_id])

    @translate_refusals
    def create_image(self, instance_id: str, migration_id: str) -> str:
        """The instance's AMI: the one a retry already made, else a new one."""
        name = image_name(migration_id)
        found = self._ec2.describe_images(
            Owners=["self"], Filters=[{"Name": "name", "Values": [name]}]
        )["Images"]
        if found:
            return str(found[0]["ImageId"])
        tags = [
            {"Key": "managed-by", "Value": "migrate-bot"},
            {"Key": "migrate-bot:migration", "Value": migration_id},
        ]
        return str(
            self._ec2.create_image(
                InstanceId=instance_id,
                Name=name,
                Description=f"{instance_id} when migrate-bot decommissioned it ({migration_id})",
                NoReboot=True,
                TagSpecifications=[
                    {"ResourceType": "image", "Tags": tags},
                    {"ResourceType": "snapshot", "Tags": tags},
                ],
            )["ImageId"]
        )

    @translate_refusals
    def image_state(self, image_id: str) -> str:
        """The AMI's state ("" when it no longer exists)."""
        try:
            images = self._ec2.describe_images(ImageIds=[image_id])["Images"]
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")).startswith("InvalidAMIID"):
                return ""
            raise
        return str(images[0]["State"]) if images else ""

    @translate_refusals
    def terminate(self, instance_id: str) -> None:
        """TerminateInstances (only for Terminate, two approvers later)."""
        self._ec2.terminate_instances(InstanceIds=[instance_id])
