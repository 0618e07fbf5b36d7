"""Estimated monthly cost of each side of a migration, from a pinned price table (pure).

**The prices are a pinned table, not a live read.** They are AWS's public on-demand prices
for US East (N. Virginia), Linux, as the pricing pages below list them, copied by hand on
``PRICES.as_of``; the AWS Price List API is not called (it would need a network path and
rights the functions do not have, and its answers are large). Every report says which table
it used, its region and its date, so a reader knows what the estimate rests on. A stack in
another region is estimated with these prices all the same, and the report says so.

Pages (``PRICES.sources``):

- EC2 on-demand: https://aws.amazon.com/ec2/pricing/on-demand/ (per instance-hour, Linux);
- EBS: https://aws.amazon.com/ebs/pricing/ (per GB-month; gp3 IOPS above 3,000 and
  throughput above 125 MB/s, io1/io2 provisioned IOPS, per month);
- Fargate: https://aws.amazon.com/fargate/pricing/ (per vCPU-hour and GB-hour, Linux/x86 and
  Linux/ARM differ; 20 GB of ephemeral storage is included);
- Elastic Load Balancing: https://aws.amazon.com/elasticloadbalancing/pricing/ (Application
  Load Balancer-hour; LCU-hours are usage and are not estimated here).

A month is 730 hours (the AWS Pricing Calculator's month). The load balancer's share is its
fixed hourly charge divided among the target groups it serves (an ALB serves several apps;
an Express Mode load balancer is shared by the Express services of one network setup).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

HOURS_PER_MONTH = 730
MIB_PER_GB = 1024
CPU_UNITS_PER_VCPU = 1024


class PriceTable(BaseModel):
    """The prices an estimate used, with where and when they were read."""

    region: str = Field(description="The region the prices are for.")
    as_of: date = Field(description="When the table was copied from the pricing pages.")
    sources: tuple[str, ...] = Field(description="The pricing pages the prices come from.")
    instance_hour: dict[str, float] = Field(description="EC2 Linux on-demand, USD per hour.")
    ebs_gb_month: dict[str, float] = Field(description="EBS storage, USD per GB-month.")
    gp3_iops_month: float = Field(description="gp3 IOPS above 3,000, USD per IOPS-month.")
    gp3_throughput_month: float = Field(description="gp3 MB/s above 125, USD per MB/s-month.")
    piops_month: float = Field(description="io1/io2 provisioned IOPS, USD per IOPS-month.")
    fargate_vcpu_hour: dict[str, float] = Field(description="By cpuArchitecture, USD.")
    fargate_gb_hour: dict[str, float] = Field(description="By cpuArchitecture, USD.")
    alb_hour: float = Field(description="Application Load Balancer-hour, USD.")


PRICES = PriceTable(
    region="us-east-1",
    as_of=date(2026, 12, 7),
    sources=(
        "https://aws.amazon.com/ec2/pricing/on-demand/",
        "https://aws.amazon.com/ebs/pricing/",
        "https://aws.amazon.com/fargate/pricing/",
        "https://aws.amazon.com/elasticloadbalancing/pricing/",
    ),
    instance_hour={
        "t2.micro": 0.0116,
        "t2.small": 0.023,
        "t2.medium": 0.0464,
        "t2.large": 0.0928,
        "t3.nano": 0.0052,
        "t3.micro": 0.0104,
        "t3.small": 0.0208,
        "t3.medium": 0.0416,
        "t3.large": 0.0832,
        "t3.xlarge": 0.1664,
        "t3.2xlarge": 0.3328,
        "t3a.micro": 0.0094,
        "t3a.small": 0.0188,
        "t3a.medium": 0.0376,
        "t3a.large": 0.0752,
        "t4g.nano": 0.0042,
        "t4g.micro": 0.0084,
        "t4g.small": 0.0168,
        "t4g.medium": 0.0336,
        "t4g.large": 0.0672,
        "t4g.xlarge": 0.1344,
        "m5.large": 0.096,
        "m5.xlarge": 0.192,
        "m5.2xlarge": 0.384,
        "m6i.large": 0.096,
        "m6i.xlarge": 0.192,
        "m6g.medium": 0.0385,
        "m6g.large": 0.077,
        "m6g.xlarge": 0.154,
        "m7g.medium": 0.0408,
        "m7g.large": 0.0816,
        "m7g.xlarge": 0.1632,
        "c5.large": 0.085,
        "c5.xlarge": 0.17,
        "c6i.large": 0.085,
        "c6g.medium": 0.034,
        "c6g.large": 0.068,
        "c7g.medium": 0.0363,
        "c7g.large": 0.0725,
        "r5.large": 0.126,
        "r6i.large": 0.126,
        "r6g.medium": 0.0504,
        "r6g.large": 0.1008,
    },
    ebs_gb_month={
        "gp3": 0.08,
        "gp2": 0.10,
        "io1": 0.125,
        "io2": 0.125,
        "st1": 0.045,
        "sc1": 0.015,
        "standard": 0.05,
    },
    gp3_iops_month=0.005,
    gp3_throughput_month=0.04,
    piops_month=0.065,
    fargate_vcpu_hour={"X86_64": 0.04048, "ARM64": 0.03238},
    fargate_gb_hour={"X86_64": 0.004445, "ARM64": 0.00356},
    alb_hour=0.0225,
)

#: gp3's baseline, included in its GB price (EBS pricing page).
GP3_FREE_IOPS = 3000
GP3_FREE_THROUGHPUT = 125


class Volume(BaseModel):
    """An EBS volume attached to the instance, as DescribeVolumes lists it."""

    volume_id: str
    volume_type: str = Field(description="gp3, gp2, io1, io2, st1, sc1 or standard.")
    size_gb: int
    iops: int | None = None
    throughput: int | None = Field(default=None, description="MB/s (gp3).")


class Ec2Side(BaseModel):
    """What the EC2 side costs a month, by part (USD); None: not in the price table."""

    instance_type: str
    running: bool = Field(description="A stopped instance costs its volumes only.")
    instance: float | None
    volumes: float | None
    load_balancer: float = Field(description="Its share of the ALB's hourly charge.")
    unpriced: list[str] = Field(
        default_factory=list, description="What the table has no price for."
    )

    @property
    def total(self) -> float | None:
        """The sum; None when a part has no price."""
        if self.instance is None or self.volumes is None:
            return None
        return self.instance + self.volumes + self.load_balancer


class FargateSide(BaseModel):
    """What the Express side costs a month at its current task count (USD)."""

    tasks: int = Field(description="Tasks the estimate counts.")
    vcpu: float = Field(description="vCPU per task.")
    memory_gb: float = Field(description="GB of memory per task.")
    cpu_architecture: str = Field(description="X86_64 or ARM64 (priced differently).")
    compute: float = Field(description="vCPU-hours and GB-hours of the tasks.")
    load_balancer: float = Field(description="Its share of the Express ALB's hourly charge.")

    @property
    def total(self) -> float:
        """The sum."""
        return self.compute + self.load_balancer


class CostComparison(BaseModel):
    """Both sides' estimated monthly cost, with the prices the estimate used."""

    ec2: Ec2Side | None = Field(default=None, description="None: the instance was not read.")
    fargate: FargateSide | None = Field(default=None, description="None: no plan yet.")
    region: str = Field(description="The stack's region (the table may be another's).")


def alb_share(target_groups: int, prices: PriceTable = PRICES) -> float:
    """A month of an ALB's hourly charge, divided among the target groups it serves."""
    return prices.alb_hour * HOURS_PER_MONTH / max(1, target_groups)


def volume_month(volume: Volume, prices: PriceTable = PRICES) -> float | None:
    """A volume's monthly charge (storage, and IOPS/throughput beyond what is included)."""
    per_gb = prices.ebs_gb_month.get(volume.volume_type)
    if per_gb is None:
        return None
    cost = per_gb * volume.size_gb
    if volume.volume_type == "gp3":
        cost += max(0, (volume.iops or GP3_FREE_IOPS) - GP3_FREE_IOPS) * prices.gp3_iops_month
        extra = (volume.throughput or GP3_FREE_THROUGHPUT) - GP3_FREE_THROUGHPUT
        cost += max(0, extra) * prices.gp3_throughput_month
    if volume.volume_type in ("io1", "io2"):
        cost += (volume.iops or 0) * prices.piops_month
    return cost


def ec2_side(
    instance_type: str,
    running: bool,
    volumes: list[Volume],
    target_groups: int,
    prices: PriceTable = PRICES,
) -> Ec2Side:
    """The EC2 side: the instance (if running), its volumes, its share of the ALB."""
    unpriced: list[str] = []
    hourly = prices.instance_hour.get(instance_type)
    instance: float | None = 0.0  # a stopped instance is not charged for its hours
    if running:
        instance = hourly * HOURS_PER_MONTH if hourly is not None else None
        if hourly is None:
            unpriced.append(f"instance type {instance_type}")
    parts = [volume_month(v, prices) for v in volumes]
    unpriced += [
        f"volume type {v.volume_type}" for v, p in zip(volumes, parts, strict=True) if p is None
    ]
    return Ec2Side(
        instance_type=instance_type,
        running=running,
        instance=instance,
        volumes=None if None in parts else sum(p for p in parts if p is not None),
        load_balancer=alb_share(target_groups, prices),
        unpriced=unpriced,
    )


def fargate_side(
    cpu_units: str,
    memory_mib: str,
    cpu_architecture: str,
    tasks: int,
    target_groups: int,
    prices: PriceTable = PRICES,
) -> FargateSide:
    """The Fargate side at ``tasks`` tasks of the plan's size, and its share of the ALB."""
    vcpu = int(cpu_units) / CPU_UNITS_PER_VCPU
    memory_gb = int(memory_mib) / MIB_PER_GB
    arch = "ARM64" if cpu_architecture.upper() == "ARM64" else "X86_64"
    hourly = vcpu * prices.fargate_vcpu_hour[arch] + memory_gb * prices.fargate_gb_hour[arch]
    return FargateSide(
        tasks=tasks,
        vcpu=vcpu,
        memory_gb=memory_gb,
        cpu_architecture=arch,
        compute=hourly * HOURS_PER_MONTH * tasks,
        load_balancer=alb_share(target_groups, prices),
    )
