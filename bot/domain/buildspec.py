"""The CodeBuild buildspec that builds and pushes a linux/amd64 image."""

from __future__ import annotations


def render_buildspec() -> str:
    """Return a buildspec building ``$IMAGE_URI`` for linux/amd64 and pushing it to ECR."""
    return "\n".join(
        [
            "version: 0.2",
            "phases:",
            "  pre_build:",
            "    commands:",
            "      - aws ecr get-login-password | docker login --username AWS"
            " --password-stdin ${IMAGE_URI%%/*}",
            "  build:",
            "    commands:",
            "      - docker build --platform linux/amd64 -t $IMAGE_URI .",
            "  post_build:",
            "    commands:",
            "      - docker push $IMAGE_URI",
            "",
        ]
    )
