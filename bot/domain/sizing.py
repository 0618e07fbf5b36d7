"""Fargate sizing from an EC2 instance type."""

from __future__ import annotations

# vCPU and memory (MiB) of the instance families the bot meets most; others
# fall back to the size suffix below.
_SIZE_SUFFIX: dict[str, tuple[int, int]] = {
    "nano": (2, 512),
    "micro": (2, 1024),
    "small": (2, 2048),
    "medium": (2, 4096),
    "large": (2, 8192),
    "xlarge": (4, 16384),
    "2xlarge": (8, 32768),
    "4xlarge": (16, 65536),
}

# Valid Fargate (cpu units, memory MiB) pairs, smallest first; the bot picks the
# smallest pair that covers the instance's vCPUs and memory, capped at 16 vCPU.
_FARGATE: list[tuple[int, int]] = [
    (256, 512),
    (512, 1024),
    (1024, 2048),
    (1024, 4096),
    (2048, 4096),
    (2048, 8192),
    (4096, 8192),
    (4096, 16384),
    (8192, 16384),
    (8192, 32768),
    (16384, 65536),
]


class UnknownInstanceTypeError(ValueError):
    """The instance type does not have the form family.size."""


def instance_shape(instance_type: str) -> tuple[int, int]:
    """Return (vCPUs, memory MiB) for an instance type such as ``t3.small``."""
    family, _, size = instance_type.partition(".")
    if not family or size not in _SIZE_SUFFIX:
        raise UnknownInstanceTypeError(f"unrecognised instance type {instance_type!r}")
    return _SIZE_SUFFIX[size]


def fargate_size(instance_type: str) -> tuple[str, str]:
    """Return the Fargate (cpu, memory) strings that cover ``instance_type``.

    Burstable instances (t-family) rarely use their full vCPUs, so their CPU is
    halved before matching; memory is always covered in full.
    """
    vcpus, memory = instance_shape(instance_type)
    cpu_units = vcpus * 1024
    if instance_type.startswith(("t2.", "t3.", "t3a.", "t4g.")):
        cpu_units //= 2
    for cpu, mem in _FARGATE:
        if cpu >= cpu_units and mem >= memory:
            return str(cpu), str(mem)
    cpu, mem = _FARGATE[-1]
    return str(cpu), str(mem)
