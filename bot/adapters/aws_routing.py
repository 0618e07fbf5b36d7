"""The path users take to an instance: security groups → ALB → rule → target group → DNS name.

Discovery's cost must not grow with the account, so it follows references instead of
listing everything:

1. The instance's security groups admit the load balancer's security group on the app port
   (AWS's recommended rules for an ALB's targets:
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html).
   ``DescribeSecurityGroups`` on the instance's groups gives those source groups and ports.
2. The load balancers in the instance's VPC that carry one of those groups
   (``DescribeLoadBalancers`` has no security-group filter, so it is listed with the largest
   page, 400; the default quota is 50 Application Load Balancers per Region,
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html,
   so this is one call in almost every account).
3. Only their target groups (``DescribeTargetGroups(LoadBalancerArn)``; at most 100 per ALB by
   the same quotas), of type ``instance`` in the VPC, and ``DescribeTargetHealth`` on each with
   ``Targets=[{Id, Port}]`` for the port the rule admits (the instance may be registered on a
   port other than the group's):
   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
4. The listener rule that forwards to that group (``DescribeRules``,
   https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeRules.html);
   its host-header condition names the app.
5. That exact name in Route 53: its zone by ``ListHostedZonesByName`` on the name's suffixes
   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html), then
   ``ListResourceRecordSets`` from ``StartRecordName``
   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).
   Only public zones, or only the configured zone when there is one. A rule with no host
   (the default action) names nothing to look up: ``AwsDiscovery`` then searches the
   configured zone, else public zones within ``SEARCH_CALLS`` calls, and the plan says so.

Only when the instance's groups admit no load balancer's group does it look through the VPC's
target groups, at most ``SCAN_LIMIT`` of them, and the plan says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.route53_traffic import LEGACY_ID
from bot.domain.facts import DnsRecordFacts, InstanceFacts, LoadBalancingFacts

PAGE = 400  # the largest PageSize ELBv2's Describe calls accept
SCAN_LIMIT = 50  # target groups health-checked when no security-group rule leads anywhere
_RECORDS_PAGE = "20"

Ranges = list[tuple[int, int]]


class LoadBalancerPath:
    """Finds the ALB, rule, target group and DNS record that lead to one instance."""

    def __init__(self, ec2: Any, elbv2: Any, route53: Any, hosted_zone_id: str | None) -> None:
        self._ec2 = ec2
        self._elbv2 = elbv2
        self._route53 = route53
        self._zone_id = hosted_zone_id.removeprefix("/hostedzone/") if hosted_zone_id else None

    def find(self, instance: InstanceFacts) -> LoadBalancingFacts | None:
        """The path to ``instance``, by its security groups first, else by a bounded scan."""
        admitted = self._admitted_groups(instance.security_group_ids)
        referenced = False
        for balancer in self._balancers_with(instance.vpc_id, set(admitted)):
            referenced = True
            ranges = [r for g in balancer.get("SecurityGroups", []) for r in admitted.get(g, [])]
            groups = self._pages(
                self._elbv2.describe_target_groups,
                "TargetGroups",
                LoadBalancerArn=balancer["LoadBalancerArn"],
            )
            for group in groups:
                port = self._registered_port(group, instance, ranges)
                if port is not None:
                    return self._facts(balancer, group, port, [])
        return self._scan(instance, referenced=referenced)

    def find_record(
        self, hosts: list[str], load_balancer_dns: str
    ) -> tuple[DnsRecordFacts | None, list[str]]:
        """The record of the first of ``hosts`` that points at the load balancer, and notes."""
        notes: list[str] = []
        wanted = normalise(load_balancer_dns)
        for host in hosts:
            name = normalise(host)
            if "*" in name or "?" in name:
                notes.append(f"The rule's host {host} is a wildcard; pick the record by hand.")
                continue
            zone = self._zone_for(name)
            if zone is None:
                where = f"the configured zone {self._zone_id}" if self._zone_id else "a public zone"
                notes.append(
                    f"{host} is not in {where} of Route 53; cutover needs its record there."
                )
                continue
            zone_id = zone["Id"].removeprefix("/hostedzone/")
            for record in self._records_named(zone_id, name):
                if points_at(record, wanted):
                    return DnsRecordFacts(hosted_zone_id=zone_id, record_name=record["Name"]), notes
            notes.append(
                f"{host} in zone {zone_id} does not alias the load balancer (a CDN in front?); "
                "cutover needs a record that does."
            )
        return None, notes

    # --- security groups and load balancers ---------------------------------------------------

    def _admitted_groups(self, group_ids: list[str]) -> dict[str, Ranges]:
        """Source security group → the TCP port ranges the instance's groups admit from it."""
        if not group_ids:
            return {}
        admitted: dict[str, Ranges] = {}
        for group in self._ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]:
            for permission in group.get("IpPermissions", []):
                protocol = str(permission.get("IpProtocol"))
                if protocol not in ("tcp", "6", "-1"):
                    continue
                low, high = (
                    (0, 65535)
                    if protocol == "-1"
                    else (int(permission["FromPort"]), int(permission["ToPort"]))
                )
                for pair in permission.get("UserIdGroupPairs", []):
                    if pair.get("GroupId") and pair["GroupId"] != group["GroupId"]:
                        admitted.setdefault(pair["GroupId"], []).append((low, high))
        return admitted

    def _balancers_with(self, vpc_id: str, groups: set[str]) -> Iterator[dict[str, Any]]:
        if not groups:
            return
        for balancer in self._pages(self._elbv2.describe_load_balancers, "LoadBalancers"):
            if (
                balancer.get("Type") == "application"
                and balancer.get("VpcId") == vpc_id
                and groups & set(balancer.get("SecurityGroups", []))
            ):
                yield balancer

    def _registered_port(
        self, group: dict[str, Any], instance: InstanceFacts, ranges: Ranges
    ) -> int | None:
        """The port ``instance`` is registered on in ``group``, if it is (and ranges admit it)."""
        if group.get("VpcId") != instance.vpc_id or group.get("TargetType") != "instance":
            return None
        request: dict[str, Any] = {"TargetGroupArn": group["TargetGroupArn"]}
        ports = sorted({low for low, high in ranges if low == high})
        if ranges and all(low == high for low, high in ranges):
            request["Targets"] = [{"Id": instance.instance_id, "Port": p} for p in ports]
        try:
            descriptions = self._elbv2.describe_target_health(**request)["TargetHealthDescriptions"]
        except ClientError as error:
            if error.response["Error"]["Code"] == "InvalidTarget":
                return None  # the instance cannot be a target of this group
            raise
        for description in descriptions:
            target = description["Target"]
            if target["Id"] != instance.instance_id:
                continue
            if description.get("TargetHealth", {}).get("Reason") == "Target.NotRegistered":
                continue
            port = int(target.get("Port") or group["Port"])
            if not ranges or any(low <= port <= high for low, high in ranges):
                return port
        return None

    def _scan(self, instance: InstanceFacts, *, referenced: bool) -> LoadBalancingFacts | None:
        """Health-check at most ``SCAN_LIMIT`` of the VPC's instance target groups."""
        checked = 0
        for group in self._pages(self._elbv2.describe_target_groups, "TargetGroups"):
            if group.get("VpcId") != instance.vpc_id or group.get("TargetType") != "instance":
                continue
            if not group.get("LoadBalancerArns"):
                continue
            if checked == SCAN_LIMIT:
                return None
            checked += 1
            port = self._registered_port(group, instance, [])
            if port is not None:
                balancer = self._elbv2.describe_load_balancers(
                    LoadBalancerArns=group["LoadBalancerArns"][:1]
                )["LoadBalancers"][0]
                why = (
                    "the load balancers its security groups admit do not route to it"
                    if referenced
                    else "its security groups admit no load balancer's security group"
                )
                note = (
                    f"The target group was found by looking through the VPC's target groups "
                    f"({checked} checked) because {why}; check it is the app's."
                )
                return self._facts(balancer, group, port, [note])
        return None

    # --- listener rules -----------------------------------------------------------------------

    def _facts(
        self, balancer: dict[str, Any], group: dict[str, Any], port: int, notes: list[str]
    ) -> LoadBalancingFacts:
        listener, rule = self._rule_forwarding_to(
            balancer["LoadBalancerArn"], group["TargetGroupArn"]
        )
        hosts = _condition(rule, "host-header")
        if listener is not None and listener.get("Protocol") == "HTTP":
            notes = [*notes, http_only_note(hosts, int(listener.get("Port", 80)))]
        facts = LoadBalancingFacts(
            target_group_arn=group["TargetGroupArn"],
            port=port,
            health_check_path=group.get("HealthCheckPath") or "/",
            load_balancer_arn=balancer["LoadBalancerArn"],
            load_balancer_name=balancer["LoadBalancerName"],
            load_balancer_dns=balancer["DNSName"],
            load_balancer_zone_id=balancer["CanonicalHostedZoneId"],
            listener_arn=listener["ListenerArn"] if listener else None,
            subnet_ids=[zone["SubnetId"] for zone in balancer.get("AvailabilityZones", [])],
            scheme=balancer.get("Scheme"),
            availability_zones=[z["ZoneName"] for z in balancer.get("AvailabilityZones", [])],
            rule_arn=rule.get("RuleArn") if rule else None,
            host_names=hosts,
            path_patterns=_condition(rule, "path-pattern"),
            notes=notes,
        )
        if not hosts:
            return facts  # AwsDiscovery searches for the record (bounded) and says how
        record, record_notes = self.find_record(hosts, balancer["DNSName"])
        return facts.model_copy(update={"dns_record": record, "notes": notes + record_notes})

    def _rule_forwarding_to(
        self, balancer_arn: str, group_arn: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The (listener, rule) forwarding to the group; a host rule on HTTPS is preferred."""
        listeners = sorted(
            self._pages(self._elbv2.describe_listeners, "Listeners", LoadBalancerArn=balancer_arn),
            key=lambda item: (item.get("Protocol") != "HTTPS", item.get("Port", 0)),
        )
        fallback: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
        for listener in listeners:
            rules = self._pages(
                self._elbv2.describe_rules, "Rules", ListenerArn=listener["ListenerArn"]
            )
            for rule in rules:
                if not _forwards_to(rule.get("Actions", []), group_arn):
                    continue
                if _condition(rule, "host-header"):
                    return listener, rule
                if fallback == (None, None):
                    fallback = (listener, rule)
            if fallback == (None, None) and _forwards_to(
                listener.get("DefaultActions", []), group_arn
            ):
                fallback = (listener, None)
        return fallback

    # --- Route 53 -----------------------------------------------------------------------------

    def _zone_for(self, name: str) -> dict[str, Any] | None:
        """The most specific public (or the configured) zone that holds ``name``."""
        labels = name.split(".")
        for start in range(len(labels) - 1):  # a zone for a bare TLD is never the app's
            suffix = ".".join(labels[start:]) + "."
            listed = self._route53.list_hosted_zones_by_name(DNSName=suffix, MaxItems="10")
            for zone in listed["HostedZones"]:
                if normalise(zone["Name"]) != normalise(suffix):
                    continue
                zone_id = zone["Id"].removeprefix("/hostedzone/")
                if self._zone_id and zone_id != self._zone_id:
                    continue
                if not self._zone_id and zone.get("Config", {}).get("PrivateZone"):
                    continue
                return dict(zone)
        return None

    def _records_named(self, zone_id: str, name: str) -> Iterator[dict[str, Any]]:
        """Every record set called ``name`` in the zone, read from ``StartRecordName`` on."""
        request: dict[str, Any] = {
            "HostedZoneId": zone_id,
            "StartRecordName": name + ".",
            "MaxItems": _RECORDS_PAGE,
        }
        starts: set[tuple[str, str, str]] = set()
        while True:
            page = self._route53.list_resource_record_sets(**request)
            for record in page["ResourceRecordSets"]:
                if normalise(record["Name"]) != name:
                    return
                yield record
            if not page.get("IsTruncated") or normalise(page.get("NextRecordName", "")) != name:
                return
            if not next_records_request(page, request, starts):
                return

    def _pages(self, call: Any, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a Marker-paginated ELBv2 Describe call, in pages of ``PAGE``."""
        request = {**kwargs, "PageSize": PAGE}
        while True:
            page = call(**request)
            yield from page[key]
            if not page.get("NextMarker"):
                return
            request["Marker"] = page["NextMarker"]


def http_only_note(hosts: list[str], port: int) -> str:
    """What the plan says of a site its load balancer serves over plain HTTP only."""
    name = hosts[0] if hosts else "the site"
    return (
        f"{name} is served over HTTP only (port {port}). An Express load balancer serves "
        "HTTPS only, on 443, so cutover will not be offered: users of http:// would reach "
        "nothing there. Serve the site over HTTPS on the legacy load balancer first (an ACM "
        "certificate on an HTTPS:443 listener, HTTP:80 redirecting to it), then migrate; the "
        "service is still deployed and compared, and EC2 keeps all traffic."
    )


def _forwards_to(actions: list[dict[str, Any]], group_arn: str) -> bool:
    for action in actions:
        if action.get("Type") != "forward":
            continue
        if action.get("TargetGroupArn") == group_arn:
            return True
        weighted = action.get("ForwardConfig", {}).get("TargetGroups", [])
        if any(t.get("TargetGroupArn") == group_arn and t.get("Weight", 1) > 0 for t in weighted):
            return True
    return False


def _condition(rule: dict[str, Any] | None, field: str) -> list[str]:
    """The values of a rule's condition on ``field`` (host-header, path-pattern)."""
    config = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}[field]
    values: list[str] = []
    for condition in (rule or {}).get("Conditions", []):
        if condition.get("Field") == field:
            values += condition.get(config, {}).get("Values") or condition.get("Values", [])
    return values


def normalise(name: str) -> str:
    """A DNS name compared as Route 53 and ELB spell it: lower case, no final dot or dualstack."""
    return name.lower().rstrip(".").removeprefix("dualstack.").replace("\\052", "*")


def points_at(record: dict[str, Any], wanted: str) -> bool:
    """Whether a record set aliases (or is a CNAME to) the load balancer named ``wanted``."""
    alias = record.get("AliasTarget", {}).get("DNSName")
    if alias and normalise(alias) == wanted:
        return True
    # A plain CNAME, or the bot's own weighted record for the EC2 side (left by a
    # rollback), so the instance can be migrated again.
    if record.get("Type") == "CNAME" and record.get("SetIdentifier") in (None, LEGACY_ID):
        return any(normalise(r["Value"]) == wanted for r in record.get("ResourceRecords", []))
    return False


def next_records_request(
    page: dict[str, Any], request: dict[str, Any], starts: set[tuple[str, str, str]]
) -> bool:
    """Point ``request`` at the next ListResourceRecordSets page; False when there is none.

    Route 53 pages by (``NextRecordName``, ``NextRecordType``, ``NextRecordIdentifier``).
    A start already seen ends the walk: a service that ignores ``StartRecordIdentifier``
    would otherwise loop.
    """
    start = (
        page["NextRecordName"],
        page["NextRecordType"],
        page.get("NextRecordIdentifier", ""),
    )
    if start in starts:
        return False
    starts.add(start)
    request["StartRecordName"], request["StartRecordType"] = start[:2]
    request.pop("StartRecordIdentifier", None)
    if start[2]:
        request["StartRecordIdentifier"] = start[2]
    return True
