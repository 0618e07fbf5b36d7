"""EC2, ELBv2 and Route 53 reads behind the ``DiscoveryAws`` port.

The path from the instance to its load balancer, rule and DNS name is ``aws_routing``'s; this
module reads the instance and its VPC's subnets. A subnet is public when its route table (its
explicit association, else the VPC's main route table) has a route to an internet gateway:
https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html#subnet-types and
https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.aws_errors import translate_refusals
from bot.adapters.aws_routing import LoadBalancerPath, normalise, points_at
from bot.domain.facts import (
    INSTANCE_ID,
    DnsRecordFacts,
    InstanceFacts,
    LoadBalancingFacts,
    SubnetFacts,
)
from bot.ports import InstanceNotFoundError

_LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class AwsDiscovery:
    """Finds an instance by id, Name tag or load balancer name, and what routes to it."""

    def __init__(
        self, ec2: Any, elbv2: Any, route53: Any, hosted_zone_id: str | None = None
    ) -> None:
        """Read with these clients; ``hosted_zone_id`` (TrafficHostedZoneId) limits DNS to it.

        ``None``, empty or ``*`` (the template parameter's "any zone") means every public zone.
        """
        self._ec2 = ec2
        self._elbv2 = elbv2
        self._route53 = route53
        zone = (hosted_zone_id or "").removeprefix("/hostedzone/")
        self._zone_id = zone if zone not in ("", "*") else None
        self._path = LoadBalancerPath(ec2, elbv2, route53, self._zone_id)

    @translate_refusals
    def find_instance(self, target: str) -> InstanceFacts:
        """Describe the instance ``target`` names; raise ``InstanceNotFoundError`` if none."""
        return self._facts(self._matching(target))

    @translate_refusals
    def resolve_instance(self, target: str) -> str:
        """The id of the instance ``target`` names (one Describe call, no user data)."""
        return str(self._matching(target)["InstanceId"])

    def _matching(self, target: str) -> dict[str, Any]:
        if INSTANCE_ID.match(target):
            instances = self._describe(InstanceIds=[target])
        else:
            instances = self._describe(
                Filters=[
                    {"Name": "tag:Name", "Values": [target]},
                    {"Name": "instance-state-name", "Values": _LIVE_STATES},
                ]
            ) or self._instances_behind_load_balancer(target)
        live = [i for i in instances if i["State"]["Name"] in _LIVE_STATES]
        if not live:
            raise InstanceNotFoundError(
                f"no running or stopped EC2 instance matches {target!r} "
                "(looked for an instance id, a Name tag and a load balancer name)"
            )
        if len(live) > 1:
            ids = ", ".join(i["InstanceId"] for i in live)
            raise InstanceNotFoundError(f"{target!r} matches several instances ({ids}); use an id")
        return live[0]

    @translate_refusals
    def find_load_balancing(self, instance: InstanceFacts) -> LoadBalancingFacts | None:
        """The target group, ALB, listener rule (and the rule's DNS record) leading to it."""
        return self._path.find(instance)

    @translate_refusals
    def find_dns_record(self, load_balancer_dns: str) -> DnsRecordFacts | None:
        """A Route 53 record (alias or CNAME) that points at the load balancer.

        Used only when no listener rule names the app's host: it reads every record of the
        configured zone, else of every public zone, so its cost grows with them. Zones are
        listed with ``ListHostedZonesByName`` (no name: every zone, in name order) and a
        zone's apex is its SOA record's name, so the role needs no other Route 53 read.
        """
        wanted = normalise(load_balancer_dns)
        for zone_id in self._zone_ids():
            apex = None
            records = self._route53.get_paginator("list_resource_record_sets")
            for records_page in records.paginate(HostedZoneId=zone_id):
                for record in records_page["ResourceRecordSets"]:
                    if record["Type"] == "SOA":
                        apex = normalise(record["Name"])
                    # A zone apex cannot hold the weighted CNAMEs a cutover writes.
                    if normalise(record["Name"]) != apex and points_at(record, wanted):
                        return DnsRecordFacts(hosted_zone_id=zone_id, record_name=record["Name"])
        return None

    def _zone_ids(self) -> Iterator[str]:
        """The configured zone, else every public zone."""
        if self._zone_id:
            yield self._zone_id
            return
        request: dict[str, Any] = {"MaxItems": "100"}
        while True:
            page = self._route53.list_hosted_zones_by_name(**request)
            for zone in page["HostedZones"]:
                if not zone.get("Config", {}).get("PrivateZone"):
                    yield zone["Id"].removeprefix("/hostedzone/")
            if not page.get("IsTruncated"):
                return
            request = {
                "MaxItems": "100",
                "DNSName": page["NextDNSName"],
                "HostedZoneId": page["NextHostedZoneId"],
            }

    def _describe(self, **kwargs: Any) -> list[dict[str, Any]]:
        try:
            pages = self._ec2.get_paginator("describe_instances").paginate(**kwargs)
            return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]
        except ClientError as error:
            if error.response["Error"]["Code"].startswith("InvalidInstanceID"):
                return []
            raise

    def _instances_behind_load_balancer(self, name: str) -> list[dict[str, Any]]:
        try:
            balancers = self._elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("LoadBalancerNotFound", "ValidationError"):
                return []
            raise
        groups = self._elbv2.describe_target_groups(
            LoadBalancerArn=balancers[0]["LoadBalancerArn"]
        )["TargetGroups"]
        ids = [
            target["Target"]["Id"]
            for group in groups
            for target in self._elbv2.describe_target_health(
                TargetGroupArn=group["TargetGroupArn"]
            )["TargetHealthDescriptions"]
        ]
        return self._describe(InstanceIds=sorted(set(ids))) if ids else []

    def _facts(self, instance: dict[str, Any]) -> InstanceFacts:
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        attribute = self._ec2.describe_instance_attribute(
            InstanceId=instance["InstanceId"], Attribute="userData"
        )
        encoded = attribute.get("UserData", {}).get("Value", "")
        user_data = base64.b64decode(encoded).decode("utf-8", "replace") if encoded else ""
        return InstanceFacts(
            instance_id=instance["InstanceId"],
            instance_type=instance["InstanceType"],
            architecture=instance.get("Architecture", "x86_64"),
            state=instance["State"]["Name"],
            name=tags.get("Name"),
            vpc_id=instance["VpcId"],
            subnet_id=instance["SubnetId"],
            security_group_ids=[g["GroupId"] for g in instance.get("SecurityGroups", [])],
            private_ip=instance.get("PrivateIpAddress"),
            instance_profile_arn=instance.get("IamInstanceProfile", {}).get("Arn"),
            user_data=user_data,
            tags=tags,
            subnets=self._subnets(instance["VpcId"]),
        )

    def _subnets(self, vpc_id: str) -> list[SubnetFacts]:
        """Every subnet of the VPC, public when its route table routes to an internet gateway."""
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        subnets = [
            subnet
            for page in self._ec2.get_paginator("describe_subnets").paginate(Filters=in_vpc)
            for subnet in page["Subnets"]
        ]
        tables = [
            table
            for page in self._ec2.get_paginator("describe_route_tables").paginate(Filters=in_vpc)
            for table in page["RouteTables"]
        ]
        main = next(
            (t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None
        )
        explicit = {
            a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")
        }
        return [
            SubnetFacts(
                subnet_id=s["SubnetId"],
                availability_zone=s["AvailabilityZone"],
                public=_to_internet_gateway(explicit.get(s["SubnetId"], main)),
            )
            for s in subnets
        ]


def _to_internet_gateway(table: dict[str, Any] | None) -> bool:
    return table is not None and any(
        str(route.get("GatewayId", "")).startswith("igw-") and route.get("State") != "blackhole"
        for route in table.get("Routes", [])
    )
