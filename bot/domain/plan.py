"""The migration plan: what discovery found and what the ECS side will look like."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.domain.access import DataStore, TaskRolePlan
from bot.domain.capture import CapturedProcess
from bot.domain.runtimes.model import Detection


class Plan(BaseModel):
    """Everything needed to build and deploy the ECS side, as discovery proposes it."""

    instance_id: str = Field(description="The EC2 instance being migrated.")
    instance_type: str = Field(description="Its EC2 instance type, e.g. t3.small.")
    architecture: str = Field(description="AMI architecture: x86_64 or arm64.")
    cpu_architecture: str = Field(
        default="X86_64", description="Express cpuArchitecture the tasks run on: X86_64 or ARM64."
    )
    runs_on: str | None = Field(
        default=None,
        description="How the image is built and where tasks run, as the plan states it.",
    )
    name: str = Field(description="The application's name (Name tag or instance id).")
    vpc_id: str = Field(description="VPC the instance runs in.")
    subnet_ids: list[str] = Field(description="Subnets the ECS tasks will use.")
    placement: str | None = Field(
        default=None,
        description="Where tasks run and how that differs from the instance, as the plan states it.",
    )
    security_group_ids: list[str] = Field(description="Security groups for the ECS tasks.")
    port: int = Field(description="Port the application listens on.")
    health_check_path: str = Field(description="HTTP path the target group checks.")
    target_group_arn: str | None = Field(default=None, description="Legacy target group.")
    load_balancer_arn: str | None = Field(default=None, description="Legacy ALB.")
    load_balancer_dns: str | None = Field(default=None, description="Legacy ALB DNS name.")
    load_balancer_zone_id: str | None = Field(
        default=None, description="Canonical hosted zone of the legacy ALB."
    )
    load_balancer_scheme: str | None = Field(
        default=None,
        description="Legacy ALB scheme: internet-facing or internal (the app's visibility).",
    )
    express_scheme: str | None = Field(
        default=None,
        description=(
            "Scheme the Express load balancer gets from the chosen subnets: internet-facing "
            "(public subnets) or internal (private); differs from the legacy one only when the "
            "VPC lacks subnets of the legacy kind (the plan warns)."
        ),
    )
    listener_arn: str | None = Field(default=None, description="Legacy ALB listener.")
    listener_rule_arn: str | None = Field(
        default=None, description="Legacy listener rule that forwards to the target group."
    )
    host_names: list[str] = Field(
        default_factory=list, description="Host-header values of that rule (empty: any host)."
    )
    hosted_zone_id: str | None = Field(default=None, description="Route 53 zone of the record.")
    record_name: str | None = Field(default=None, description="DNS name users reach the app by.")
    cpu: str = Field(description="Fargate CPU units, e.g. '1024'.")
    memory: str = Field(description="Fargate memory in MiB, e.g. '2048'.")
    runtime: str = Field(description="Detected runtime: node, python, java, go, ruby, php, static.")
    start_command: list[str] = Field(description="Command that starts the app.")
    instance_profile_arn: str | None = Field(default=None, description="Legacy instance profile.")
    task_role: TaskRolePlan | None = Field(
        default=None,
        description="The task role the deployment creates from the instance role (None: none).",
    )
    data: list[DataStore] = Field(
        default_factory=list,
        description="The data the app reaches: tables, buckets, security groups admitting it.",
    )
    environment: dict[str, str] = Field(
        default_factory=dict,
        description="Environment the app runs with, secrets excluded (they go to Secrets Manager).",
    )
    secret_names: list[str] = Field(
        default_factory=list,
        description="Variables whose names or values look secret: passed from Secrets Manager.",
    )
    secret_arn: str | None = Field(
        default=None, description="The Secrets Manager secret holding those variables."
    )
    source: str | None = Field(
        default=None,
        description=(
            "How the image is made: capture (the app folder, captured through SSM), bundle "
            "(--source, a bundle the user uploaded), image (--image, an existing image); "
            "None while the capture runs or when there is no way in."
        ),
    )
    bundle_key: str | None = Field(
        default=None, description="Key of the app bundle (tar.gz) in the artifacts bucket."
    )
    image_uri: str | None = Field(default=None, description="The existing image (--image).")
    app: CapturedProcess | None = Field(
        default=None, description="The process found on the instance and its bundle."
    )
    detection: Detection | None = Field(
        default=None, description="The runtime read from the bundle, with the reasons."
    )
    ssm: str | None = Field(
        default=None, description="Whether SSM manages the instance, or what is missing."
    )
    blocker: str | None = Field(
        default=None,
        description="Why the plan cannot be approved as it is, and the way out.",
    )
    warnings: list[str] = Field(default_factory=list, description="Things a person should check.")
