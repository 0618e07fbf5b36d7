"""Task size for ECS Express Mode from an EC2 instance type.

What Express Mode accepts is the intersection of two documented limits:

- Fargate's valid task sizes for Linux (cpu units and the memory each allows): "Task CPU and
  memory", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
  and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
- Express Mode's own range, which AWS's ECS pages do not state (the botocore model gives only
  the defaults 256/512, the Developer Guide's "Resources created by Amazon ECS Express Mode
  services" only 1024/2048). The Terraform AWS provider's ``aws_ecs_express_gateway_service``
  reference states it: "cpu ... Valid values are powers of 2 between 256 and 4096", "memory ...
  Valid values are between 512 and 8192" (MiB),
  https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/ecs_express_gateway_service
  — which agrees with AWS refusing 4096/16384. ``EXPRESS_MAX_CPU``/``EXPRESS_MAX_MEMORY`` are
  the two numbers to change if AWS documents otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

# vCPU and memory (MiB) by size suffix, as the general-purpose families (m5, t3, c6i…) come;
# memory-optimised families have more memory per vCPU, which the cap below then reports.
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

EXPRESS_MIN_CPU, EXPRESS_MAX_CPU = 256, 4096
EXPRESS_MIN_MEMORY, EXPRESS_MAX_MEMORY = 512, 8192


def _fargate_linux_sizes() -> list[tuple[int, int]]:
    """Fargate's valid (cpu units, memory MiB) pairs for Linux tasks, from the documented table."""
    gib = 1024
    table: dict[int, list[int]] = {
        256: [512, 1 * gib, 2 * gib],
        512: [n * gib for n in range(1, 5)],
        1024: [n * gib for n in range(2, 9)],
        2048: [n * gib for n in range(4, 17)],
        4096: [n * gib for n in range(8, 31)],
        8192: [n * gib for n in range(16, 61, 4)],
        16384: [n * gib for n in range(32, 121, 8)],
    }
    return [(cpu, memory) for cpu, memories in table.items() for memory in memories]


#: Every (cpu units, memory MiB) pair Express Mode accepts, smallest first.
EXPRESS_SIZES: list[tuple[int, int]] = sorted(
    (cpu, memory)
    for cpu, memory in _fargate_linux_sizes()
    if EXPRESS_MIN_CPU <= cpu <= EXPRESS_MAX_CPU
    and EXPRESS_MIN_MEMORY <= memory <= EXPRESS_MAX_MEMORY
)


class UnknownInstanceTypeError(ValueError):
    """The instance type does not have the form family.size."""


@dataclass(frozen=True)
class TaskSize:
    """The Express task size chosen for an instance, and whether it had to be capped."""

    cpu: int
    memory: int
    instance_vcpus: int
    instance_memory: int
    capped: bool


def instance_shape(instance_type: str) -> tuple[int, int]:
    """Return (vCPUs, memory MiB) for an instance type such as ``t3.small``."""
    family, _, size = instance_type.partition(".")
    if not family or size not in _SIZE_SUFFIX:
        raise UnknownInstanceTypeError(f"unrecognised instance type {instance_type!r}")
    return _SIZE_SUFFIX[size]


def express_size(instance_type: str) -> TaskSize:
    """The smallest size Express accepts that covers ``instance_type``, else the largest one.

    Burstable instances (t-family) rarely use their full vCPUs, so their CPU is halved before
    matching; memory is always covered in full when Express allows it.
    """
    vcpus, memory = instance_shape(instance_type)
    cpu_units = vcpus * 1024
    if instance_type.startswith(("t2.", "t3.", "t3a.", "t4g.")):
        cpu_units //= 2
    for cpu, mem in EXPRESS_SIZES:
        if cpu >= cpu_units and mem >= memory:
            return TaskSize(cpu, mem, vcpus, memory, capped=False)
    cpu, mem = max(EXPRESS_SIZES)
    return TaskSize(cpu, mem, vcpus, memory, capped=True)


def fargate_size(instance_type: str) -> tuple[str, str]:
    """Return the (cpu, memory) strings Express is called with for ``instance_type``."""
    size = express_size(instance_type)
    return str(size.cpu), str(size.memory)
