"""What discovery reads off an AWS account, as plain data."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

#: An EC2 instance id: ``i-`` and 8 or 17 lowercase hex digits.
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$")


class SubnetFacts(BaseModel):
    """One subnet of the instance's VPC, as its route table makes it."""

    subnet_id: str
    availability_zone: str
    public: bool = Field(
        description="Its route table (explicit, else the VPC's main one) routes to an internet gateway."
    )


class InstanceFacts(BaseModel):
    """An EC2 instance and what surrounds it."""

    instance_id: str
    instance_type: str
    architecture: str
    state: str
    name: str | None = None
    vpc_id: str
    subnet_id: str
    security_group_ids: list[str]
    private_ip: str | None = None
    instance_profile_arn: str | None = None
    user_data: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    subnets: list[SubnetFacts] = Field(
        default_factory=list, description="Every subnet of the instance's VPC (empty: not read)."
    )


class DnsRecordFacts(BaseModel):
    """The Route 53 record users reach the legacy ALB by."""

    hosted_zone_id: str
    record_name: str


class AliasTarget(BaseModel):
    """A load balancer as a Route 53 alias names it: its DNS name and its canonical hosted
    zone id (``DescribeLoadBalancers``' ``DNSName`` and ``CanonicalHostedZoneId``)."""

    dns_name: str
    hosted_zone_id: str


class LoadBalancingFacts(BaseModel):
    """The ALB path that sends traffic to the instance."""

    target_group_arn: str
    port: int
    health_check_path: str
    load_balancer_arn: str
    load_balancer_name: str
    load_balancer_dns: str
    load_balancer_zone_id: str
    listener_arn: str | None = None
    subnet_ids: list[str] = Field(default_factory=list)
    scheme: str | None = Field(default=None, description="internet-facing or internal.")
    availability_zones: list[str] = Field(default_factory=list, description="The ALB's zones.")
    rule_arn: str | None = Field(default=None, description="Listener rule forwarding to the group.")
    host_names: list[str] = Field(
        default_factory=list, description="The rule's host-header values (empty: any host)."
    )
    path_patterns: list[str] = Field(default_factory=list, description="The rule's path patterns.")
    dns_record: DnsRecordFacts | None = Field(
        default=None, description="The record of the rule's host, when discovery looked it up."
    )
    notes: list[str] = Field(
        default_factory=list, description="How discovery found this, where a person should check."
    )


class ServiceSpec(BaseModel):
    """What CreateExpressGatewayService is called with."""

    service_name: str
    image_uri: str
    port: int
    health_check_path: str
    cpu: str
    memory: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    environment: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Variable name → valueFrom (a Secrets Manager secret's JSON key ARN).",
    )
    command: list[str] = Field(default_factory=list)
    task_role_arn: str | None = None
    cpu_architecture: str = Field(
        default="X86_64", description="Express cpuArchitecture: X86_64 or ARM64."
    )
    access_type: str = Field(
        default="PUBLIC",
        description="Ingress path to use as the endpoint: PUBLIC or PRIVATE (the app's visibility).",
    )
    min_tasks: int = 1
    max_tasks: int = 4
    tags: dict[str, str] = Field(default_factory=dict)


class ServiceFacts(BaseModel):
    """An Express gateway service as AWS reports it."""

    service_arn: str
    status: str
    endpoint: str | None = None


class ExpressIngress(BaseModel):
    """Where an Express service's traffic comes in, from its managed resources: the shared
    load balancer, its HTTPS listener and the service's own listener rule."""

    load_balancer_arn: str
    listener_arn: str
    rule_arn: str
    alias: AliasTarget
    target_group_arn: str | None = None
    endpoint: str | None = None


class ProbeAnswer(BaseModel):
    """What one side answered a probe (GET with the app's Host and SNI)."""

    status: int | None = Field(default=None, description="HTTP status; None: no answer.")
    digest: str | None = Field(default=None, description="SHA-256 of the body.")
    error: str | None = Field(default=None, description="Why there was no answer (TLS, refused).")

    def said(self) -> str:
        """The answer in a few words."""
        if self.status is None:
            return f"no answer ({self.error})"
        return f"{self.status}, body {self.digest[:12] if self.digest else '-'}"


class ValidationRecord(BaseModel):
    """The CNAME that proves to ACM the bot's account controls a name (DNS validation)."""

    name: str = Field(description="The record's name, as ACM gives it (``_x.blog.example.com.``).")
    value: str = Field(description="Its value (``_y.acm-validations.aws.``).")
    hosted_zone_id: str = Field(description="The zone the bot wrote it in (the app's own).")


class CertificateFacts(BaseModel):
    """The certificate the Express listener will present for the app's name."""

    arn: str = Field(description="The ACM certificate.")
    origin: Literal["legacy", "requested"] = Field(
        description="``legacy``: the legacy HTTPS listener's own; ``requested``: one the bot "
        "requested from ACM for this migration (clean up deletes it)."
    )
    status: Literal["PENDING_VALIDATION", "ISSUED"] = Field(
        description="ISSUED once ACM says so (its ``ACM Certificate Available`` event)."
    )
    validation_record: ValidationRecord | None = Field(
        default=None, description="The validation record the bot wrote (requested only)."
    )
    why: str = Field(
        default="", description="Why the legacy listener's certificate was not reused."
    )
