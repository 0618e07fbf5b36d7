"""Other apps in the legacy account: many target groups, rules and records besides secure-blog.

A busy account as it really looks: apps share Application Load Balancers by host-header rules
(at most 100 rules per ALB by the default quota, so ``PER_BALANCER`` apps to each), every app
has its own target group of instances on its own port, its ALB's security group, and a record
in the public zone aliasing its ALB. Used by the discovery benchmark and tests to show that
discovery's cost does not grow with them. ``route_by_default_action`` turns secure-blog into
the other common shape, a single-app ALB whose listener's default action forwards to it (no
host rule), and ``seed_other_zones`` adds public zones of other domains full of records.
"""

from __future__ import annotations

from typing import Any

from sandbox.legacy import DOMAIN, LegacyApp

PER_BALANCER = 50


def seed_neighbours(
    clients: Any, legacy: LegacyApp, count: int, *, in_vpc: str | None = None
) -> None:
    """Add ``count`` other apps (target group, host rule, record) to the legacy account."""
    ec2, elbv2, route53 = clients("ec2"), clients("elbv2"), clients("route53")
    vpc = in_vpc or legacy.vpc_id
    in_zone: dict[str, str] = {}
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        in_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    zones = [in_zone[zone] for zone in sorted(in_zone)]
    assert len(zones) >= 2, "the VPC needs subnets in two zones"
    changes: list[dict[str, Any]] = []
    listener = balancer = None
    for index in range(count):
        if index % PER_BALANCER == 0:
            group_id = ec2.create_security_group(
                GroupName=f"shared-alb-{vpc}-{index}", Description="shared ALB", VpcId=vpc
            )["GroupId"]
            balancer = elbv2.create_load_balancer(
                Name=f"shared-{index // PER_BALANCER}-{vpc[-6:]}",
                Subnets=zones[:2],
                SecurityGroups=[group_id],
                Scheme="internet-facing",
                Type="application",
            )["LoadBalancers"][0]
            listener = elbv2.create_listener(
                LoadBalancerArn=balancer["LoadBalancerArn"],
                Protocol="HTTP",
                Port=80,
                DefaultActions=[
                    {
                        "Type": "fixed-response",
                        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
                    }
                ],
            )["Listeners"][0]
        assert listener is not None and balancer is not None
        group = elbv2.create_target_group(
            Name=f"app-{index}-{vpc[-6:]}",
            Protocol="HTTP",
            Port=8000 + index % 1000,
            VpcId=vpc,
            TargetType="instance",
            HealthCheckPath="/health",
        )["TargetGroups"][0]
        host = f"app-{index}.{DOMAIN}"
        elbv2.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=1 + index % PER_BALANCER,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [host]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
        )
        changes.append(
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": f"{host}.",
                    "Type": "A",
                    "AliasTarget": {
                        "HostedZoneId": balancer["CanonicalHostedZoneId"],
                        "DNSName": f"dualstack.{balancer['DNSName']}.",
                        "EvaluateTargetHealth": True,
                    },
                },
            }
        )
    for start in range(0, len(changes), 500):  # a change batch holds at most 1,000 changes
        route53.change_resource_record_sets(
            HostedZoneId=legacy.hosted_zone_id,
            ChangeBatch={"Changes": changes[start : start + 500]},
        )


def route_by_default_action(clients: Any, legacy: LegacyApp) -> str:
    """Make secure-blog's listener forward to it by its default action, with no host rule."""
    elbv2 = clients("elbv2")
    balancer = elbv2.describe_load_balancers(Names=[f"{legacy.name}-alb"])["LoadBalancers"][0]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
    for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        if not rule["IsDefault"]:
            elbv2.delete_rule(RuleArn=rule["RuleArn"])
    elbv2.modify_listener(
        ListenerArn=listener["ListenerArn"],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": legacy.target_group_arn}],
    )
    return str(listener["ListenerArn"])


def seed_other_zones(clients: Any, zones: int, records: int) -> list[str]:
    """Add ``zones`` public zones (``other-N.biz``, listed before example.com) of ``records``.

    Each record is a CNAME to some other load balancer. Returns the zone ids.
    """
    route53 = clients("route53")
    ids = []
    for index in range(zones):
        name = f"other-{index}.biz"
        zone = route53.create_hosted_zone(Name=name, CallerReference=f"other-{index}")
        zone_id = str(zone["HostedZone"]["Id"]).removeprefix("/hostedzone/")
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": f"app-{n}.{name}.",
                    "Type": "CNAME",
                    "TTL": 300,
                    "ResourceRecords": [{"Value": f"other-{n}.us-east-1.elb.amazonaws.com"}],
                },
            }
            for n in range(records)
        ]
        for start in range(0, len(changes), 500):
            route53.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Changes": changes[start : start + 500]}
            )
        ids.append(zone_id)
    return ids
