"""EC2, ELBv2 and Route 53 reads behind the ``DiscoveryAws`` port."""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from bot.adapters.route53_traffic import LEGACY_ID
from bot.domain.facts import INSTANCE_ID, DnsRecordFacts, InstanceFacts, LoadBalancingFacts
from bot.ports import InstanceNotFoundError

_LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class AwsDiscovery:
    """Finds an instance by id, Name tag or load balancer name, and what routes to it."""

    def __init__(self, ec2: Any, elbv2: Any, route53: Any) -> None:
        self._ec2 = ec2
        self._elbv2 = elbv2
        self._route53 = route53

    def find_instance(self, target: str) -> InstanceFacts:
        """Describe the instance ``target`` names; raise ``InstanceNotFoundError`` if none."""
        return self._facts(self._matching(target))

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

    def find_load_balancing(self, instance: InstanceFacts) -> LoadBalancingFacts | None:
        """The target group (and its ALB and listener) the instance is registered in."""
        paginator = self._elbv2.get_paginator("describe_target_groups")
        for page in paginator.paginate():
            for group in page["TargetGroups"]:
                if group.get("VpcId") != instance.vpc_id or group.get("TargetType") != "instance":
                    continue
                health = self._elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
                for target in health["TargetHealthDescriptions"]:
                    if target["Target"]["Id"] == instance.instance_id and group["LoadBalancerArns"]:
                        port = int(target["Target"].get("Port") or group["Port"])
                        return self._load_balancing(group, port)
        return None

    def find_dns_record(self, load_balancer_dns: str) -> DnsRecordFacts | None:
        """The Route 53 record (alias or CNAME) that points at the load balancer."""
        wanted = _normalise(load_balancer_dns)
        for page in self._route53.get_paginator("list_hosted_zones").paginate():
            for zone in page["HostedZones"]:
                records = self._route53.get_paginator("list_resource_record_sets")
                for records_page in records.paginate(HostedZoneId=zone["Id"]):
                    for record in records_page["ResourceRecordSets"]:
                        apex = _normalise(record["Name"]) == _normalise(zone["Name"])
                        # A zone apex cannot hold the weighted CNAMEs a cutover writes.
                        if not apex and _points_at(record, wanted):
                            return DnsRecordFacts(
                                hosted_zone_id=zone["Id"].removeprefix("/hostedzone/"),
                                record_name=record["Name"],
                            )
        return None

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
        )

    def _load_balancing(self, group: dict[str, Any], port: int) -> LoadBalancingFacts:
        balancer_arn = group["LoadBalancerArns"][0]
        balancer = self._elbv2.describe_load_balancers(LoadBalancerArns=[balancer_arn])[
            "LoadBalancers"
        ][0]
        listeners = self._elbv2.describe_listeners(LoadBalancerArn=balancer_arn)["Listeners"]
        listener = next(
            (
                item["ListenerArn"]
                for item in listeners
                for action in item.get("DefaultActions", [])
                if action.get("TargetGroupArn") == group["TargetGroupArn"]
            ),
            None,
        )
        return LoadBalancingFacts(
            target_group_arn=group["TargetGroupArn"],
            port=port,
            health_check_path=group.get("HealthCheckPath") or "/",
            load_balancer_arn=balancer_arn,
            load_balancer_name=balancer["LoadBalancerName"],
            load_balancer_dns=balancer["DNSName"],
            load_balancer_zone_id=balancer["CanonicalHostedZoneId"],
            listener_arn=listener,
            subnet_ids=[zone["SubnetId"] for zone in balancer.get("AvailabilityZones", [])],
        )


def _normalise(name: str) -> str:
    return name.lower().rstrip(".").removeprefix("dualstack.")


def _points_at(record: dict[str, Any], wanted: str) -> bool:
    alias = record.get("AliasTarget", {}).get("DNSName")
    if alias and _normalise(alias) == wanted:
        return True
    # A plain CNAME, or the bot's own weighted record for the EC2 side (left by a
    # rollback), so the instance can be migrated again.
    if record.get("Type") == "CNAME" and record.get("SetIdentifier") in (None, LEGACY_ID):
        return any(_normalise(r["Value"]) == wanted for r in record.get("ResourceRecords", []))
    return False
