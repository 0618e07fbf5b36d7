"""The CodeBuild buildspec that builds the image for its platform and pushes it to ECR."""

from __future__ import annotations


def render_buildspec() -> str:
    """Return a buildspec building ``$IMAGE_URI`` for ``$IMAGE_PLATFORM`` and pushing it.

    The project sets both variables; an arm64 image is built on an arm64 CodeBuild image,
    so ``--platform`` matches the host and no emulation is involved.
    """
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
            '      - docker build --platform "$IMAGE_PLATFORM" -t "$IMAGE_URI" .',
            "  post_build:",
            "    commands:",
            '      - docker push "$IMAGE_URI"',
            "",
        ]
    )
