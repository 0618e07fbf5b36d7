"""ECR, S3 and CodeBuild calls behind the ``BuildAws`` port."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from botocore.exceptions import ClientError

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
# Standard x86_64 image: Express Mode runs linux/amd64 only.
BUILD_IMAGE = "aws/codebuild/amazonlinux2-x86_64-standard:5.0"


class AwsBuild:
    """Creates the repository and CodeBuild project, uploads the source, starts builds."""

    def __init__(self, ecr: Any, s3: Any, codebuild: Any, bucket: str, role_arn: str) -> None:
        self._ecr = ecr
        self._s3 = s3
        self._codebuild = codebuild
        self._bucket = bucket
        self._role = role_arn

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

    def upload_source(self, migration_id: str, files: dict[str, str]) -> str:
        """Zip ``files`` to the artifacts bucket; return the CodeBuild S3 location."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in sorted(files.items()):
                archive.writestr(name, text)
        key = f"sources/{migration_id}/source.zip"
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=buffer.getvalue())
        return f"{self._bucket}/{key}"

    def start_build(
        self, project_name: str, source_location: str, repository_uri: str, image_tag: str
    ) -> str:
        """Create or update the project, start a build; return the build id."""
        project = {
            "name": project_name,
            "source": {"type": "S3", "location": source_location},
            "artifacts": {"type": "NO_ARTIFACTS"},
            "environment": {
                "type": "LINUX_CONTAINER",
                "image": BUILD_IMAGE,
                "computeType": "BUILD_GENERAL1_SMALL",
                "privilegedMode": True,
                "environmentVariables": [
                    {"name": "IMAGE_URI", "value": f"{repository_uri}:{image_tag}"}
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
            self._codebuild.update_project(**project)
        build = self._codebuild.start_build(
            projectName=project_name, idempotencyToken=f"{project_name}-{image_tag}"
        )["build"]
        return str(build["id"])
