"""SSM Run Command and S3 calls behind the ``CaptureAws`` port: capture the app from its instance.

The capture is ``AWS-RunShellScript`` with the script of ``bot.domain.capture``; its outcome
arrives as Systems Manager's "EC2 Command Status-change Notification" event (never polled).
The bundle and the environment come back through presigned PUT URLs for the artifacts bucket,
signed by this function's role (which therefore needs ``s3:PutObject`` on their keys), so the
instance needs no S3 permission of its own.
"""

from __future__ import annotations

import io
import json
import tarfile
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals
from bot.domain.capture import (
    MAX_BUNDLE_BYTES,
    capture_keys,
    comment_for,
    migration_of,
    parse_environment,
    render_script,
)
from bot.domain.runtimes import Bundle
from bot.ports import BundleError, CaptureResult, SsmStatus

DOCUMENT = "AWS-RunShellScript"
#: How long the instance may take to start the command (SendCommand TimeoutSeconds, the
#: delivery timeout) and to run it (the document's executionTimeout), in seconds.
DELIVERY_SECONDS = 600
EXECUTION_SECONDS = 900
#: The presigned URLs outlive both (AWS caps them at the signing credentials' own expiry).
URL_SECONDS = DELIVERY_SECONDS + EXECUTION_SECONDS + 300
#: The SSM agent's permissions, as AWS's "Troubleshooting managed node availability" names them.
SSM_CORE_POLICY = "AmazonSSMManagedInstanceCore"
# Files whose text detection reads (manifests, lockfiles, version files) are small; a larger
# file's content is not needed, only its name.
_TEXT_LIMIT = 256 * 1024
_TEXT_DEPTH = 3


class AwsCapture:
    """Asks SSM about the instance, sends the capture, reads its result and the bundle."""

    def __init__(self, ssm: Any, s3: Any, iam: Any, secrets: Any, bucket: str) -> None:
        self._ssm = ssm
        self._s3 = s3
        self._iam = iam
        self._secrets = secrets
        self._bucket = bucket

    @translate_refusals
    def ssm_status(self, instance_id: str, instance_profile_arn: str | None) -> SsmStatus:
        """Whether SSM manages the instance now; if not, which prerequisite is missing."""
        found = self._ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
        )["InstanceInformationList"]
        if found:
            info = found[0]
            ping = info.get("PingStatus", "unknown")
            if ping == "Online":
                platform = " ".join(
                    str(info[k]) for k in ("PlatformName", "PlatformVersion") if info.get(k)
                )
                return SsmStatus(
                    managed=True,
                    detail=f"managed by SSM (agent {info.get('AgentVersion', '?')}, "
                    f"{platform or info.get('PlatformType', 'Linux')})",
                )
            seen = info.get("LastPingDateTime")
            return SsmStatus(
                managed=False,
                detail=f"the SSM agent on {instance_id} is {ping}"
                + (f" (last seen {seen:%Y-%m-%d %H:%M} UTC)" if isinstance(seen, datetime) else "")
                + "; check that it runs and reaches Systems Manager.",
            )
        return SsmStatus(
            managed=False, detail=self._why_unmanaged(instance_id, instance_profile_arn)
        )

    def _why_unmanaged(self, instance_id: str, instance_profile_arn: str | None) -> str:
        if not instance_profile_arn:
            return (
                f"{instance_id} is not a managed node: it has no instance profile, so "
                f"the SSM agent has no permission (attach a profile whose role has "
                f"{SSM_CORE_POLICY})."
            )
        profile = instance_profile_arn.rsplit("/", 1)[-1]
        roles = self._iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"][
            "Roles"
        ]
        for role in roles:
            attached = self._iam.list_attached_role_policies(RoleName=role["RoleName"])
            if any(p["PolicyName"] == SSM_CORE_POLICY for p in attached["AttachedPolicies"]):
                return (
                    f"{instance_id} is not a managed node although its role "
                    f"{role['RoleName']} has {SSM_CORE_POLICY}: the SSM agent is not installed "
                    "or not running, or cannot reach Systems Manager (outbound HTTPS or VPC "
                    "endpoints for ssm, ssmmessages and ec2messages)."
                )
        names = ", ".join(r["RoleName"] for r in roles) or "no role"
        return (
            f"{instance_id} is not a managed node: its instance profile {profile} "
            f"({names}) lacks {SSM_CORE_POLICY}, the permission the SSM agent needs."
        )

    @translate_refusals
    def start_capture(self, migration_id: str, instance_id: str, port: int) -> str:
        """Send the capture command to the instance; return its command id."""
        source_key, environment_key = capture_keys(migration_id)
        script = render_script(
            port=port,
            source_url=self._presigned_put(source_key),
            environment_url=self._presigned_put(environment_key),
            max_bytes=MAX_BUNDLE_BYTES,
        )
        command = self._ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName=DOCUMENT,
            Comment=comment_for(migration_id),
            TimeoutSeconds=DELIVERY_SECONDS,
            Parameters={"commands": [script], "executionTimeout": [str(EXECUTION_SECONDS)]},
        )["Command"]
        return str(command["CommandId"])

    def _presigned_put(self, key: str) -> str:
        return str(
            self._s3.generate_presigned_url(
                "put_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=URL_SECONDS
            )
        )

    @translate_refusals
    def find_capture(self, migration_id: str, instance_id: str, since: datetime) -> str | None:
        """The id of a capture command a crashed attempt already sent, if there is one."""
        comment = comment_for(migration_id)
        pages = self._ssm.get_paginator("list_commands").paginate(
            InstanceId=instance_id,
            Filters=[
                {"key": "InvokedAfter", "value": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
                {"key": "DocumentName", "value": DOCUMENT},
            ],
        )
        for page in pages:
            for command in page["Commands"]:
                if command.get("Comment") == comment:
                    return str(command["CommandId"])
        return None

    @translate_refusals
    def capture_result(self, command_id: str, instance_id: str) -> CaptureResult:
        """The finished command's status, output and the migration its Comment names."""
        invocation = self._ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return CaptureResult(
            migration_id=migration_of(invocation.get("Comment")),
            status=invocation.get("Status", "unknown"),
            status_details=invocation.get("StatusDetails", ""),
            stdout=invocation.get("StandardOutputContent", ""),
            stderr=invocation.get("StandardErrorContent", ""),
        )

    @translate_refusals
    def read_bundle(self, key: str) -> Bundle:
        """The bundle's paths and the text of its small files (manifests, version files)."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BundleError(f"no bundle at s3://{self._bucket}/{key}") from error
            raise
        return bundle_of(body, f"s3://{self._bucket}/{key}")

    @translate_refusals
    def read_environment(self, key: str) -> dict[str, str]:
        """The captured environment (``/proc/<pid>/environ``) the instance uploaded."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BundleError(
                    f"no captured environment at s3://{self._bucket}/{key}"
                ) from error
            raise
        return parse_environment(body)

    @translate_refusals
    def delete_environment(self, key: str) -> None:
        """Delete the captured environment once the plan holds what it needs (it may hold secrets)."""
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    @translate_refusals
    def store_secrets(self, migration_id: str, values: dict[str, str]) -> str:
        """Keep the app's secret variables in one Secrets Manager secret; return its ARN.

        Created once per migration (a retry finds it and writes the same value again).
        """
        name = f"migrate-bot/{migration_id}/environment"
        text = json.dumps(values, sort_keys=True)
        try:
            created = self._secrets.create_secret(
                Name=name,
                Description=f"Secret environment of the app migrated by {migration_id}",
                SecretString=text,
                Tags=[
                    {"Key": "managed-by", "Value": "migrate-bot"},
                    {"Key": "migrate-bot:migration-id", "Value": migration_id},
                ],
            )
            return str(created["ARN"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceExistsException":
                raise
        return str(self._secrets.put_secret_value(SecretId=name, SecretString=text)["ARN"])


def bundle_of(body: bytes, where: str) -> Bundle:
    """Read a tar.gz bundle into paths and the text of its small, shallow files."""
    files: dict[str, str | bytes | None] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                name = member.name.removeprefix("./")
                small = member.size <= _TEXT_LIMIT and name.count("/") < _TEXT_DEPTH
                handle = archive.extractfile(member) if small else None
                files[name] = handle.read() if handle else None
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BundleError(f"{where} is not a tar.gz bundle ({error})") from error
    if not files:
        raise BundleError(f"{where} holds no files")
    return Bundle.of(files)
