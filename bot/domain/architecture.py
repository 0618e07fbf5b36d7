"""CPU architecture: from the instance's to the image's platform and Express's cpuArchitecture.

EC2 reports an instance's ``Architecture`` as i386, x86_64, arm64, x86_64_mac or arm64_mac
(EC2 API Reference, ``Instance.Architecture``). ECS Express Mode's
``CreateExpressGatewayService`` takes ``cpuArchitecture`` X86_64 or ARM64 (the botocore
model's enum), so a Graviton instance migrates as arm64: the image is built for
linux/arm64 on an arm64 CodeBuild image and tasks run on ARM64 Fargate.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedArchitectureError(ValueError):
    """The instance's architecture has no Fargate counterpart."""


@dataclass(frozen=True)
class Target:
    """Where an architecture's image is built and run."""

    platform: str  # docker build --platform
    cpu_architecture: str  # Express cpuArchitecture
    label: str  # as the plan says it


_TARGETS = {
    "x86_64": Target("linux/amd64", "X86_64", "x86_64"),
    "arm64": Target("linux/arm64", "ARM64", "arm64 (Graviton)"),
}


def target_for(architecture: str) -> Target:
    """The build platform and Express cpuArchitecture of an EC2 architecture."""
    try:
        return _TARGETS[architecture]
    except KeyError:
        raise UnsupportedArchitectureError(
            f"instances of architecture {architecture!r} cannot move to Fargate "
            "(it runs x86_64 and arm64 Linux only); build an image yourself and use --image"
        ) from None
