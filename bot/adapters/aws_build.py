"""ECR, S3 and CodeBuild calls behind the ``BuildAws`` port."""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
import time
import zipfile
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals

#: Keep the newest 20 images of a migration's repository; expire older ones.
LIFECYCLE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "keep the newest 20 images",
            "selection": {
                "tagStatus": "any",
                "countType": "imageCountMoreThan",
                "countNumber": 20,
            },
            "action": {"type": "expire"},
        }
    ]
}
#: CodeBuild environment per instance architecture: an arm64 image is built natively on an
#: arm64 CodeBuild image (environment type ARM_CONTAINER). Image names from CodeBuild's
#: "Docker images provided by CodeBuild" (build-env-ref-available.html); both are Amazon
#: Linux 2 standard images with Docker, and both support BUILD_GENERAL1_SMALL.
BUILD_ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "X86_64": ("LINUX_CONTAINER", "aws/codebuild/amazonlinux2-x86_64-standard:5.0"),
    "ARM64": ("ARM_CONTAINER", "aws/codebuild/amazonlinux2-aarch64-standard:3.0"),
}
BUILD_IMAGE = BUILD_ENVIRONMENTS["X86_64"][1]
_IMAGE_URI = "IMAGE_URI"


class AwsBuild:
    """Creates the repository and CodeBuild project, uploads the source, starts builds."""

    def __init__(self, ecr: Any, s3: Any, codebuild: Any, bucket: str, role_arn: str) -> None:
        self._ecr = ecr
        self._s3 = s3
        self._codebuild = codebuild
        self._bucket = bucket
        self._role = role_arn

    @translate_refusals
    def ensure_repository(self, name: str) -> str:
        """Create (or reuse) a scan-on-push, immutable-tag repository; return its URI."""
        try:
            repository = self._ecr.create_repository(
                repositoryName=name,
                imageTagMutability="IMMUTABLE",
                imageScanningConfiguration={"scanOnPush": True},
                encryptionConfiguration={"encryptionType": "AES256"},
                tags=[{"Key": "managed-by", "Value": "migrate-bot"}],
            )["repository"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
                raise
            repository = self._ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        self._ecr.put_lifecycle_policy(
            repositoryName=name, lifecyclePolicyText=json.dumps(LIFECYCLE_POLICY)
        )
        return str(repository["repositoryUri"])

    @translate_refusals
    def upload_source(self, migration_id: str, files: dict[str, str], bundle_key: str) -> str:
        """Zip the bundle with ``files`` to the artifacts bucket; return the S3 location.

        CodeBuild's S3 source is a ZIP (CodeBuild API Reference, ProjectSource.location), and
        the capture uploads a tar.gz: the bundle's regular files are copied into the ZIP
        (keeping their mode bits), then the generated files, which replace any of the same name.
        """
        bundle = self._s3.get_object(Bucket=self._bucket, Key=bundle_key)["Body"].read()
        buffer = io.BytesIO()
        with (
            tarfile.open(fileobj=io.BytesIO(bundle), mode="r:*") as source,
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            for member in source:
                name = posixpath.normpath(member.name.removeprefix("./"))
                if not member.isfile() or name in files or name.startswith(("../", "/")):
                    continue
                handle = source.extractfile(member)
                if handle is None:
                    continue
                # ZIP dates start in 1980; a file stamped earlier (mtime 0) gets 1980-01-01.
                stamp = max(time.gmtime(member.mtime)[:6], (1980, 1, 1, 0, 0, 0))
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.external_attr = (member.mode & 0o777 | 0o100000) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, handle.read())
            for name, text in sorted(files.items()):
                archive.writestr(name, text)
        key = f"sources/{migration_id}/source.zip"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=buffer.getvalue())
        return f"{self._bucket}/{key}"

    @translate_refusals
    def start_build(
        self,
        project_name: str,
        source_location: str,
        repository_uri: str,
        image_tag: str,
        architecture: str,
    ) -> str:
        """Create or update the project, start a build (or find a retry's); return its id.

        ``architecture`` is the target's: ``linux/amd64`` or ``linux/arm64``. StartBuild's
        idempotency token lasts only 5 minutes (CodeBuild API Reference, StartBuild), so a
        step retried later finds its own build instead: the project exists only for this
        migration, and its build pushes the recorded image URI.
        """
        cpu = "ARM64" if architecture == "linux/arm64" else "X86_64"
        environment_type, image = BUILD_ENVIRONMENTS[cpu]
        image_uri = f"{repository_uri}:{image_tag}"
        project = {
            "name": project_name,
            "source": {"type": "S3", "location": source_location},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": environment_type,
                "image": image,
                "computeType": "BUILD_GENERAL1_SMALL",
                "privilegedMode": True,
                "environmentVariables": [
                    {"name": _IMAGE_URI, "value": image_uri},
                    {"name": "IMAGE_PLATFORM", "value": architecture},
                ],
            },
            "serviceRole": self._role,
            "tags": [{"key": "managed-by", "value": "migrate-bot"}],
        }
        try:
            self._codebuild.create_project(**project)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
            # A retry: the project is there, and perhaps the build too.
            found = self._own_build(project_name, image_uri)
            if found is not None:
                return found
            self._codebuild.update_project(**project)
        build = self._codebuild.start_build(
            projectName=project_name, idempotencyToken=f"{project_name}-{image_tag}"
        )["build"]
        return str(build["id"])

    def _own_build(self, project_name: str, image_uri: str) -> str | None:
        """The newest build of ``project_name`` that pushes ``image_uri``, if one started."""
        ids = self._codebuild.list_builds_for_project(
            projectName=project_name, sortOrder="DESCENDING"
        )["ids"]
        if not ids:
            return None
        builds = self._codebuild.batch_get_builds(ids=ids[:100])["builds"]
        for build in builds:
            variables = build.get("environment", {}).get("environmentVariables", [])
            if {"name": _IMAGE_URI, "value": image_uri} in [
                {"name": v.get("name"), "value": v.get("value")} for v in variables
            ]:
                return str(build["id"])
        return None
