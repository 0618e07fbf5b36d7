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

from bot.adapters.aws_access import AccessReader
from bot.adapters.aws_errors import translate_refusals
from bot.adapters.aws_routing import LoadBalancerPath, next_records_request, normalise, points_at
from bot.domain.access import AccessFacts
from bot.domain.facts import (
    INSTANCE_ID,
    DnsRecordFacts,
    InstanceFacts,
    LoadBalancingFacts,
    SubnetFacts,
)
from bot.ports import InstanceNotFoundError

_LIVE_STATES = ["pending", "running", "stopping", "stopped"]

# Route 53 calls (zone listings and record pages) one search for an app with no host may make
# when no zone is configured. Route 53 answers five API requests per second per account, shared
# with every other tool there and the bot's own cutover writes
# (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests):
# 10 calls are two seconds of that, and read up to 9 pages of 300 records, 2,700 records, the
# public zones of a small account. Past that, searching is the wrong tool and the plan says
# what makes it exact (TrafficHostedZoneId, or a host-header rule).
SEARCH_CALLS = 10
_SEARCH_PAGE = "300"  # the most records one ListResourceRecordSets page holds


class AwsDiscovery:
    """Finds an instance by id, Name tag or load balancer name, and what routes to it."""

    def __init__(
        self,
        ec2: Any,
        elbv2: Any,
        route53: Any,
        hosted_zone_id: str | None = None,
        *,
        iam: Any | None = None,
    ) -> None:
        """Read with these clients; ``hosted_zone_id`` (TrafficHostedZoneId) limits DNS to it.

        ``None``, empty or ``*`` (the template parameter's "any zone") means every public zone.
        Without ``iam`` the instance role is not read (the plan says so).
        """
        self._ec2 = ec2
        self._elbv2 = elbv2
        self._route53 = route53
        zone = (hosted_zone_id or "").removeprefix("/hostedzone/")
        self._zone_id = zone if zone not in ("", "*") else None
        self._path = LoadBalancerPath(ec2, elbv2, route53, self._zone_id)
        self._access = AccessReader(ec2, iam)
        # The last search's (load balancer, record), kept for the find_dns_record that follows.
        self._searched: tuple[str, DnsRecordFacts | None] | None = None

    @translate_refusals
    def find_instance(self, target: str) -> InstanceFacts:
        """Describe the instance ``target`` names; raise ``InstanceNotFoundError`` if none."""
        return self._facts(self._matching(target))

    @translate_refusals
    def find_access(self, instance: InstanceFacts) -> AccessFacts:
        """The instance role's policies and the security groups that admit the instance."""
        return self._access.read(instance)

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
        """The target group, ALB, listener rule (and its DNS record) leading to the instance.

        When no rule names a host (the app takes the listener's default action), the record is
        searched for here, within ``SEARCH_CALLS`` unless a zone is configured, and a note
        says how it was found or why it was not.
        """
        self._searched = None
        facts = self._path.find(instance)
        if facts is None or facts.host_names:
            return facts
        wanted = normalise(facts.load_balancer_dns)
        record, complete = self._search(wanted)
        self._searched = (wanted, record)
        note = _unnamed_host_note(record, complete, self._zone_id)
        return facts.model_copy(update={"dns_record": record, "notes": [*facts.notes, note]})

    @translate_refusals
    def find_dns_record(self, load_balancer_dns: str) -> DnsRecordFacts | None:
        """A Route 53 record (alias or CNAME) that points at the load balancer.

        Discovery asks this right after ``find_load_balancing`` found a path with no host, so
        the answer of that search is returned once without asking Route 53 again. Otherwise it
        searches as that does: the configured zone, else public zones within ``SEARCH_CALLS``
        (``None`` when the bound stops it).
        """
        wanted = normalise(load_balancer_dns)
        searched, self._searched = self._searched, None
        if searched is not None and searched[0] == wanted:
            return searched[1]
        return self._search(wanted)[0]

    def _search(self, wanted: str) -> tuple[DnsRecordFacts | None, bool]:
        """The record aliasing ``wanted``, and whether every record it could be was read.

        Zones are listed with ``ListHostedZonesByName`` (no name: every zone, in name order)
        and a zone's apex is its SOA record's name, so the role needs no other Route 53 read.
        """
        budget = _Budget(None if self._zone_id else SEARCH_CALLS)
        zones = iter([self._zone_id]) if self._zone_id else self._public_zones(budget)
        try:
            for zone_id in zones:
                for record in self._records_below_apex(zone_id, budget):
                    if points_at(record, wanted):
                        return DnsRecordFacts(
                            hosted_zone_id=zone_id, record_name=record["Name"]
                        ), True
        except _SearchStoppedError:
            return None, False
        return None, True

    def _public_zones(self, budget: _Budget) -> Iterator[str]:
        request: dict[str, Any] = {"MaxItems": "100"}
        while True:
            budget.spend()
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

    def _records_below_apex(self, zone_id: str, budget: _Budget) -> Iterator[dict[str, Any]]:
        """The zone's records but its apex, which cannot hold the weighted CNAMEs of a cutover."""
        request: dict[str, Any] = {"HostedZoneId": zone_id, "MaxItems": _SEARCH_PAGE}
        apex = None
        starts: set[tuple[str, str, str]] = set()
        while True:
            budget.spend()
            page = self._route53.list_resource_record_sets(**request)
            for record in page["ResourceRecordSets"]:
                if record["Type"] == "SOA":
                    apex = normalise(record["Name"])
                elif normalise(record["Name"]) != apex:
                    yield record
            if not page.get("IsTruncated") or not next_records_request(page, request, starts):
                return

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


class _SearchStoppedError(Exception):
    """The search spent its Route 53 calls before reading every record it could be."""


class _Budget:
    """Route 53 calls a search may still make (``None``: as many as the zone needs)."""

    def __init__(self, calls: int | None) -> None:
        self._left = calls

    def spend(self) -> None:
        """Count one call; raise ``_SearchStoppedError`` when none is left."""
        if self._left is None:
            return
        if self._left == 0:
            raise _SearchStoppedError
        self._left -= 1


def _unnamed_host_note(record: DnsRecordFacts | None, complete: bool, zone_id: str | None) -> str:
    """What the plan says about the DNS record of an app no listener rule names a host for."""
    why = "No listener rule names a host for this app (its traffic comes by the default action)"
    where = f"zone {zone_id}" if zone_id else "the public zones"
    if record is not None:
        return (
            f"{why}, so its record {record.record_name} was found by searching {where} for one "
            "aliasing its load balancer; check it is the app's."
        )
    if not complete:
        return (
            f"{why}, and the search of {where} for a record aliasing its load balancer stopped "
            f"after {SEARCH_CALLS} Route 53 calls without finding one. To make it exact, set the "
            "stack parameter TrafficHostedZoneId to the app's zone, or route the app by a "
            "host-header rule."
        )
    hint = "" if zone_id else " (a private zone is searched only when TrafficHostedZoneId names it)"
    return f"{why}, and no record in {where} aliases its load balancer{hint}."
