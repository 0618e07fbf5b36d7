"""Discovery in busy accounts: from the instance to its ALB, rule, target group and record.

moto in process; the account is the sandbox's seeded legacy account (a non-default VPC, a
shared ALB routing ``blog.example.com`` by a host-header rule) plus other apps
(``sandbox.neighbours``) and, where a test needs it, one more app on the same shared ALB.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.adapters.aws_discovery import SEARCH_CALLS, AwsDiscovery
from bot.adapters.aws_routing import SCAN_LIMIT
from bot.adapters.route53_traffic import Route53Traffic
from bot.domain.facts import AliasTarget, DnsRecordFacts, LoadBalancingFacts
from bot.domain.planning import make_plan
from sandbox.legacy import DOMAIN, LegacyApp, seed_legacy
from sandbox.neighbours import route_by_default_action, seed_neighbours, seed_other_zones

REGION = "us-east-1"
NEIGHBOURS = 60
ORDERS_PORT = 8443  # registered on this port; its target group's own port is 80

Clients = Callable[[str], Any]


@dataclass(frozen=True)
class Orders:
    """A second app on secure-blog's shared ALB, registered on a non-default port."""

    instance_id: str
    target_group_arn: str
    rule_arn: str
    record_name: str


@dataclass(frozen=True)
class Busy:
    """The seeded account with many other apps, and the discovery's counted clients."""

    clients: Clients
    legacy: LegacyApp
    orders: Orders
    discovery: AwsDiscovery
    calls: collections.Counter[str]


def _counted(clients: Clients, calls: collections.Counter[str]) -> dict[str, Any]:
    own = {name: clients(name) for name in ("ec2", "elbv2", "route53")}
    for client in own.values():
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    return own


def _shared_alb(clients: Clients) -> tuple[dict[str, Any], str]:
    elbv2 = clients("elbv2")
    balancer = elbv2.describe_load_balancers(Names=["secure-blog-alb"])["LoadBalancers"][0]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
    return balancer, listener["ListenerArn"]


def _subnet(clients: Clients, name: str) -> str:
    subnets = clients("ec2").describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])
    return str(subnets["Subnets"][0]["SubnetId"])


def add_orders(clients: Clients, legacy: LegacyApp) -> Orders:
    """Put "orders" on the shared ALB: host rule, a target group on port 80, target on 8443."""
    ec2, elbv2, route53 = clients("ec2"), clients("elbv2"), clients("route53")
    balancer, listener_arn = _shared_alb(clients)
    alb_sg = balancer["SecurityGroups"][0]
    sg = ec2.create_security_group(GroupName="orders", Description="orders", VpcId=legacy.vpc_id)
    ec2.authorize_security_group_ingress(
        GroupId=sg["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": ORDERS_PORT,
                "ToPort": ORDERS_PORT,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
    )
    image = ec2.describe_instances(InstanceIds=[legacy.instance_id])["Reservations"][0][
        "Instances"
    ][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="m5.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=_subnet(clients, "secure-blog-private-b"),
        SecurityGroupIds=[sg["GroupId"]],
    )["Instances"][0]["InstanceId"]
    group = elbv2.create_target_group(
        Name="orders-tg", Protocol="HTTP", Port=80, VpcId=legacy.vpc_id, TargetType="instance"
    )["TargetGroups"][0]
    elbv2.register_targets(
        TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": instance, "Port": ORDERS_PORT}]
    )
    rule = elbv2.create_rule(
        ListenerArn=listener_arn,
        Priority=20,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"orders.{DOMAIN}"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )["Rules"][0]
    route53.change_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"orders.{DOMAIN}.",
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": balancer["CanonicalHostedZoneId"],
                            "DNSName": f"dualstack.{balancer['DNSName']}.",
                            "EvaluateTargetHealth": True,
                        },
                    },
                }
            ]
        },
    )
    return Orders(instance, group["TargetGroupArn"], rule["RuleArn"], f"orders.{DOMAIN}.")


@pytest.fixture(scope="class")
def busy() -> Iterator[Busy]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():

            def clients(service: str) -> Any:
                return boto3.client(service, region_name=REGION)

            legacy = seed_legacy(clients)
            seed_neighbours(clients, legacy, NEIGHBOURS)
            orders = add_orders(clients, legacy)
            calls: collections.Counter[str] = collections.Counter()
            own = _counted(clients, calls)
            discovery = AwsDiscovery(own["ec2"], own["elbv2"], own["route53"])
            yield Busy(clients, legacy, orders, discovery, calls)


@pytest.fixture
def fresh() -> Iterator[tuple[Clients, LegacyApp]]:
    """A seeded account of the test's own, for tests that change it."""
    with mock_aws():

        def clients(service: str) -> Any:
            return boto3.client(service, region_name=REGION)

        yield clients, seed_legacy(clients)


def test_an_instance_admitting_the_alb_by_cidr_is_found_by_a_bounded_scan(
    fresh: tuple[Clients, LegacyApp],
) -> None:
    clients, legacy = fresh
    ec2 = clients("ec2")
    app_sg = ec2.describe_instances(InstanceIds=[legacy.instance_id])["Reservations"][0][
        "Instances"
    ][0]["SecurityGroups"][0]["GroupId"]
    rule = ec2.describe_security_groups(GroupIds=[app_sg])["SecurityGroups"][0]["IpPermissions"]
    ec2.revoke_security_group_ingress(GroupId=app_sg, IpPermissions=rule)
    ec2.authorize_security_group_ingress(
        GroupId=app_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 3000,
                "ToPort": 3000,
                "IpRanges": [{"CidrIp": "10.20.0.0/16"}],
            }
        ],
    )
    discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), clients("route53"))

    facts = discovery.find_load_balancing(discovery.find_instance(legacy.instance_id))

    assert facts is not None and facts.target_group_arn == legacy.target_group_arn
    assert any("looking through the VPC's target groups" in note for note in facts.notes)
    assert any("admit no load balancer" in note for note in facts.notes)


def test_the_scan_gives_up_after_its_limit(fresh: tuple[Clients, LegacyApp]) -> None:
    clients, legacy = fresh
    elbv2 = clients("elbv2")
    balancer, _ = _shared_alb(clients)
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]
    for index in range(SCAN_LIMIT + 1):  # more attached groups than the scan looks through
        group = elbv2.create_target_group(
            Name=f"aaa-{index}", Protocol="HTTP", Port=80, VpcId=legacy.vpc_id
        )["TargetGroups"][0]
        elbv2.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=index + 1,
            Conditions=[{"Field": "path-pattern", "Values": [f"/{index}/*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
        )
    loner = clients("ec2").run_instances(
        ImageId=clients("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=_subnet(clients, "secure-blog-private-a"),
    )["Instances"][0]["InstanceId"]
    calls: collections.Counter[str] = collections.Counter()
    own = _counted(clients, calls)
    discovery = AwsDiscovery(own["ec2"], own["elbv2"], own["route53"])

    assert discovery.find_load_balancing(discovery.find_instance(loner)) is None
    assert calls["DescribeTargetHealth"] == SCAN_LIMIT


def _private_zone_with_blog(clients: Clients, legacy: LegacyApp) -> str:
    """A private example.com zone whose blog record also aliases the ALB."""
    route53 = clients("route53")
    zone = route53.create_hosted_zone(
        Name=DOMAIN,
        CallerReference="private-example",
        VPC={"VPCRegion": REGION, "VPCId": legacy.vpc_id},
        HostedZoneConfig={"Comment": "inside", "PrivateZone": True},
    )["HostedZone"]
    zone_id = str(zone["Id"]).removeprefix("/hostedzone/")
    public = route53.list_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id, StartRecordName=legacy.record_name, MaxItems="1"
    )["ResourceRecordSets"][0]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": public}]},
    )
    return zone_id


def test_private_zones_are_skipped_unless_configured(fresh: tuple[Clients, LegacyApp]) -> None:
    clients, legacy = fresh
    private = _private_zone_with_blog(clients, legacy)  # holds the only aliasing record
    ec2, elbv2, route53 = clients("ec2"), clients("elbv2"), clients("route53")
    instance_id = legacy.instance_id

    default = AwsDiscovery(ec2, elbv2, route53)
    configured = AwsDiscovery(ec2, elbv2, route53, hosted_zone_id=f"/hostedzone/{private}")

    found = default.find_load_balancing(default.find_instance(instance_id))
    assert found is not None and found.dns_record is not None
    assert found.dns_record.hosted_zone_id == legacy.hosted_zone_id
    found = configured.find_load_balancing(configured.find_instance(instance_id))
    assert found is not None and found.dns_record is not None
    assert found.dns_record.hosted_zone_id == private
    # The search used when no rule names a host follows the same rule.
    for discovery, zone in ((default, legacy.hosted_zone_id), (configured, private)):
        record = discovery.find_dns_record(legacy.load_balancer_dns)
        assert record == DnsRecordFacts(hosted_zone_id=zone, record_name=legacy.record_name)


def _route53_calls(route53: Any) -> tuple[collections.Counter[str], list[str]]:
    """Count ``route53``'s calls by operation, and list the zones whose records it reads."""
    calls: collections.Counter[str] = collections.Counter()
    read: list[str] = []
    route53.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
    route53.meta.events.register(
        "provide-client-params.route53.ListResourceRecordSets",
        lambda params, **_: read.append(params["HostedZoneId"]),
    )
    return calls, read


def test_a_default_action_path_has_no_host_and_its_record_is_searched_for(
    fresh: tuple[Clients, LegacyApp],
) -> None:
    clients, legacy = fresh
    listener_arn = route_by_default_action(clients, legacy)
    route53 = clients("route53")
    calls, _ = _route53_calls(route53)
    discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), route53)

    facts = discovery.find_load_balancing(discovery.find_instance(legacy.instance_id))

    blog = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name=legacy.record_name)
    assert facts is not None and facts.listener_arn == listener_arn
    assert (facts.host_names, facts.dns_record) == ([], blog)
    assert any("default action" in note and legacy.record_name in note for note in facts.notes)
    searched = sum(calls.values())
    # Discovery asks for the record next: the search's answer, without asking Route 53 again.
    assert discovery.find_dns_record(facts.load_balancer_dns) == blog
    assert sum(calls.values()) == searched
    # Asked again on its own, it searches again and finds the same.
    assert discovery.find_dns_record(facts.load_balancer_dns) == blog
    assert sum(calls.values()) == 2 * searched


def test_the_record_a_rollback_left_is_found_for_a_default_action_app(
    fresh: tuple[Clients, LegacyApp],
) -> None:
    clients, legacy = fresh
    route_by_default_action(clients, legacy)
    blog = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name=legacy.record_name)
    traffic = Route53Traffic(clients("route53"))
    (balancer,) = clients("elbv2").describe_load_balancers(
        LoadBalancerArns=[legacy.load_balancer_arn]
    )["LoadBalancers"]
    ec2_side = AliasTarget(
        dns_name=balancer["DNSName"], hosted_zone_id=balancer["CanonicalHostedZoneId"]
    )
    ecs_side = AliasTarget(
        dns_name="ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com",
        hosted_zone_id=balancer["CanonicalHostedZoneId"],
    )
    originals = traffic.originals(blog)
    traffic.set_weights(blog, ec2_side, ecs_side, 50)
    traffic.restore(blog, originals)  # what a full rollback does
    discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), clients("route53"))

    facts = discovery.find_load_balancing(discovery.find_instance(legacy.instance_id))

    assert facts is not None and facts.dns_record == blog


def test_a_private_zone_is_never_searched_for_a_default_action_app(
    fresh: tuple[Clients, LegacyApp],
) -> None:
    clients, legacy = fresh
    route_by_default_action(clients, legacy)
    private = _private_zone_with_blog(clients, legacy)  # holds the only aliasing record
    route53 = clients("route53")
    public = route53.list_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id, StartRecordName=legacy.record_name, MaxItems="1"
    )["ResourceRecordSets"][0]
    route53.change_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": public}]},
    )
    _, read = _route53_calls(route53)
    discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), route53)

    facts = discovery.find_load_balancing(discovery.find_instance(legacy.instance_id))

    assert facts is not None and facts.dns_record is None
    assert read == [legacy.hosted_zone_id] and private not in read
    assert any("TrafficHostedZoneId" in note for note in facts.notes)


@dataclass(frozen=True)
class Crowded:
    """secure-blog routed by its listener's default action, behind zones of other records."""

    clients: Clients
    legacy: LegacyApp
    other_zones: list[str]


@pytest.fixture(scope="class")
def crowded() -> Iterator[Crowded]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():

            def clients(service: str) -> Any:
                return boto3.client(service, region_name=REGION)

            legacy = seed_legacy(clients)
            route_by_default_action(clients, legacy)
            # Three zones of 1,000 records listed before example.com: more than the bound reads.
            others = seed_other_zones(clients, 3, 1000)
            _private_zone_with_blog(clients, legacy)
            yield Crowded(clients, legacy, others)


class TestADefaultActionAppAmongManyRecords:
    def _discover(
        self, crowded: Crowded, zone: str | None = None
    ) -> tuple[LoadBalancingFacts, collections.Counter[str], list[str]]:
        route53 = crowded.clients("route53")
        calls, read = _route53_calls(route53)
        discovery = AwsDiscovery(
            crowded.clients("ec2"), crowded.clients("elbv2"), route53, hosted_zone_id=zone
        )
        facts = discovery.find_load_balancing(discovery.find_instance(crowded.legacy.instance_id))
        assert facts is not None and facts.host_names == []
        assert discovery.find_dns_record(facts.load_balancer_dns) == facts.dns_record
        return facts, calls, read

    def test_the_search_of_public_zones_stops_at_its_bound_and_says_how_to_be_exact(
        self, crowded: Crowded
    ) -> None:
        facts, calls, read = self._discover(crowded)

        assert facts.dns_record is None
        assert sum(calls.values()) == SEARCH_CALLS
        assert set(read) <= set(crowded.other_zones)  # stopped before example.com
        plan = make_plan(
            AwsDiscovery(crowded.clients("ec2"), None, None).find_instance(
                crowded.legacy.instance_id
            ),
            facts,
            None,
        )
        stopped = [w for w in plan.warnings if f"stopped after {SEARCH_CALLS}" in w]
        assert len(stopped) == 1
        assert "TrafficHostedZoneId" in stopped[0] and "host-header rule" in stopped[0]

    def test_the_configured_zone_is_searched_alone_and_the_record_found(
        self, crowded: Crowded
    ) -> None:
        zone = crowded.legacy.hosted_zone_id

        facts, calls, read = self._discover(crowded, zone=f"/hostedzone/{zone}")

        assert facts.dns_record == DnsRecordFacts(
            hosted_zone_id=zone, record_name=crowded.legacy.record_name
        )
        assert set(read) == {zone}
        assert calls["ListHostedZonesByName"] == 0


def test_a_wildcard_host_is_not_looked_up_and_says_so(fresh: tuple[Clients, LegacyApp]) -> None:
    clients, legacy = fresh
    elbv2 = clients("elbv2")
    _, listener_arn = _shared_alb(clients)
    rule = next(
        r for r in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"] if not r["IsDefault"]
    )
    elbv2.modify_rule(
        RuleArn=rule["RuleArn"],
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"*.{DOMAIN}"]}}],
    )
    discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), clients("route53"))

    facts = discovery.find_load_balancing(discovery.find_instance(legacy.instance_id))

    assert facts is not None and facts.dns_record is None
    assert any("wildcard" in note for note in facts.notes)


class TestBusyAccount:
    """Reads only: the account with many other apps, as the class fixture seeded it."""

    def test_the_app_on_a_non_default_port_is_found_among_many_groups(self, busy: Busy) -> None:
        busy.calls.clear()
        instance = busy.discovery.find_instance(busy.orders.instance_id)
        facts = busy.discovery.find_load_balancing(instance)

        assert facts is not None
        default_vpc = busy.clients("ec2").describe_vpcs(
            Filters=[{"Name": "is-default", "Values": ["true"]}]
        )["Vpcs"][0]["VpcId"]
        assert instance.vpc_id == busy.legacy.vpc_id != default_vpc
        assert (facts.target_group_arn, facts.port) == (busy.orders.target_group_arn, ORDERS_PORT)
        assert (facts.rule_arn, facts.host_names) == (busy.orders.rule_arn, [f"orders.{DOMAIN}"])
        assert facts.dns_record == DnsRecordFacts(
            hosted_zone_id=busy.legacy.hosted_zone_id, record_name=busy.orders.record_name
        )
        balancer, listener_arn = _shared_alb(busy.clients)
        assert (facts.load_balancer_arn, facts.listener_arn) == (
            balancer["LoadBalancerArn"],
            listener_arn,
        )
        assert facts.scheme == "internet-facing" and facts.notes == []
        # Only the shared ALB's two target groups are health-checked, not the account's 62.
        groups = busy.clients("elbv2").describe_target_groups()["TargetGroups"]
        assert len(groups) == NEIGHBOURS + 2
        assert busy.calls["DescribeTargetHealth"] <= 2
        assert "ListHostedZones" not in busy.calls

    def test_secure_blog_is_found_by_its_host_rule_on_the_shared_alb(self, busy: Busy) -> None:
        instance = busy.discovery.find_instance(busy.legacy.instance_id)
        facts = busy.discovery.find_load_balancing(instance)

        assert facts is not None
        assert (facts.target_group_arn, facts.port) == (busy.legacy.target_group_arn, 3000)
        assert facts.host_names == [f"blog.{DOMAIN}"]
        assert facts.dns_record == DnsRecordFacts(
            hosted_zone_id=busy.legacy.hosted_zone_id, record_name=busy.legacy.record_name
        )
        plan = make_plan(instance, facts, facts.dns_record)
        assert plan.record_name == busy.legacy.record_name
        assert plan.load_balancer_scheme == "internet-facing"
        public = {_subnet(busy.clients, f"secure-blog-public-{z}") for z in "ab"}
        assert set(plan.subnet_ids) == public
        assert plan.placement is not None and "private subnet" in plan.placement
