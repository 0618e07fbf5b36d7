"""Real VPC subnets in moto, for the calls that read them (Express refuses unknown subnets)."""

from __future__ import annotations

import itertools
from typing import Any

_NEXT = itertools.count(40)


def vpc_with_internet_gateway(ec2: Any, cidr: str) -> str:
    """A VPC whose main route table routes 0.0.0.0/0 to an internet gateway (public subnets)."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    return str(vpc)


def two_subnets(ec2: Any, *, public: bool, region: str = "us-east-1") -> list[str]:
    """Two subnets (zones a and b) in a new VPC; public ones route to an internet gateway."""
    block = next(_NEXT) % 250
    cidr = f"10.{block}.0.0/16"
    vpc = (
        vpc_with_internet_gateway(ec2, cidr)
        if public
        else ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    )
    return [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{block}.{index}.0/24", AvailabilityZone=f"{region}{zone}"
        )["Subnet"]["SubnetId"]
        for index, zone in enumerate("ab")
    ]
