"""The sandbox's network as AWS's: Express's managed resources in ELBv2, EC2 and ACM."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox import express
from tests.functional.network import two_subnets

REGION = "us-east-1"
ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/secure-blog:1"


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    """moto in-process with the Express stand-in, and clients for what Express creates."""
    express.install(emit=lambda event: None)
    with mock_aws():
        yield {
            name: boto3.client(name, region_name=REGION) for name in ("ecs", "elbv2", "acm", "ec2")
        }
    express.reset()


def create(ecs: Any, name: str, subnets: list[str], **overrides: Any) -> dict[str, Any]:
    request = {
        "serviceName": name,
        "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/exec",
        "infrastructureRoleArn": f"arn:aws:iam::{ACCOUNT}:role/infra",
        "primaryContainer": {"image": IMAGE, "containerPort": 3000},
        "healthCheckPath": "/health",
        "networkConfiguration": {"subnets": subnets},
        **overrides,
    }
    return ecs.create_express_gateway_service(**request)["service"]


def ingress_path(ecs: Any, service: dict[str, Any]) -> dict[str, Any]:
    """What DescribeServiceRevisions reports of the service's newest revision's ingress."""
    arn = ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"][
        "activeConfigurations"
    ][0]["serviceRevisionArn"]
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    return revision["ecsManagedResources"]["ingressPaths"][0]


def test_express_creates_its_load_balancer_listener_rule_and_target_group_in_elbv2(
    aws: dict[str, Any],
) -> None:
    ecs, elbv2, acm, ec2 = aws["ecs"], aws["elbv2"], aws["acm"], aws["ec2"]
    subnets = two_subnets(ec2, public=True)
    path = ingress_path(ecs, create(ecs, "secure-blog", subnets))
    endpoint = path["endpoint"]

    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])[
        "LoadBalancers"
    ]
    assert re.fullmatch(r"ecs-express-gateway-alb-[0-9a-f]{8}", balancer["LoadBalancerName"])
    assert balancer["Scheme"] == "internet-facing"
    assert sorted(z["SubnetId"] for z in balancer["AvailabilityZones"]) == sorted(subnets)
    assert balancer["SecurityGroups"] == path["loadBalancer"]["securityGroupIds"]
    (group,) = ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"]
    assert [(p["FromPort"], p["IpRanges"]) for p in group["IpPermissions"]] == [
        (443, [{"CidrIp": "0.0.0.0/0"}])
    ]

    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert listener["ListenerArn"] == path["listener"]["arn"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    assert listener["DefaultActions"][0]["Type"] == "fixed-response"
    assert listener["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"
    default = listener["Certificates"][0]["CertificateArn"]
    wildcard = acm.describe_certificate(CertificateArn=default)["Certificate"]
    assert (wildcard["DomainName"], wildcard["Status"]) == (f"*.ecs.{REGION}.on.aws", "ISSUED")
    listed = elbv2.describe_listener_certificates(ListenerArn=listener["ListenerArn"])
    assert [c["CertificateArn"] for c in listed["Certificates"]] == [
        default,
        path["certificate"]["arn"],
    ]
    own = acm.describe_certificate(CertificateArn=path["certificate"]["arn"])["Certificate"]
    assert (own["DomainName"], own["Status"], own["Type"]) == (endpoint, "ISSUED", "AMAZON_ISSUED")

    rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    (rule,) = [r for r in rules if not r["IsDefault"]]
    assert rule["RuleArn"] == path["rule"]["arn"]
    assert rule["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": [endpoint]}}
    ]
    target_group_arn = path["targetGroups"][0]["arn"]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": target_group_arn}]
    (target_group,) = elbv2.describe_target_groups(TargetGroupArns=[target_group_arn])[
        "TargetGroups"
    ]
    assert re.fullmatch(r"ecs-gateway-tg-[0-9a-f]{17}", target_group["TargetGroupName"])
    assert (target_group["TargetType"], target_group["Port"]) == ("ip", 3000)
    assert target_group["HealthCheckPath"] == "/health"
    assert target_group["VpcId"] == group["VpcId"]

    # The running task is registered by its IP, an address of the service's subnets.
    (target,) = elbv2.describe_target_health(TargetGroupArn=target_group_arn)[
        "TargetHealthDescriptions"
    ]
    assert target["Target"]["Port"] == 3000
    cidrs = [s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]]
    address = ipaddress.ip_address(target["Target"]["Id"])
    assert any(address in ipaddress.ip_network(cidr) for cidr in cidrs)


def test_the_tasks_group_admits_the_container_port_from_the_load_balancers_group(
    aws: dict[str, Any],
) -> None:
    ecs, ec2 = aws["ecs"], aws["ec2"]
    service = create(ecs, "secure-blog", two_subnets(ec2, public=True))
    arn = service["activeConfigurations"][0]["serviceRevisionArn"]
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    managed = revision["ecsManagedResources"]
    tasks_group = managed["serviceSecurityGroups"][0]["arn"].rsplit("/", 1)[1]
    balancer_group = managed["ingressPaths"][0]["loadBalancer"]["securityGroupIds"][0]
    (group,) = ec2.describe_security_groups(GroupIds=[tasks_group])["SecurityGroups"]
    ((permission,),) = [group["IpPermissions"]]
    assert (permission["FromPort"], permission["ToPort"]) == (3000, 3000)
    assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [balancer_group]


def test_private_subnets_get_an_internal_load_balancer_open_to_the_vpc_only(
    aws: dict[str, Any],
) -> None:
    ecs, elbv2, ec2 = aws["ecs"], aws["elbv2"], aws["ec2"]
    subnets = two_subnets(ec2, public=False)
    path = ingress_path(ecs, create(ecs, "internal-app", subnets))
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])[
        "LoadBalancers"
    ]
    assert balancer["Scheme"] == "internal"
    (vpc,) = ec2.describe_vpcs(VpcIds=[balancer["VpcId"]])["Vpcs"]
    (group,) = ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"]
    assert group["IpPermissions"][0]["IpRanges"] == [{"CidrIp": vpc["CidrBlock"]}]


def test_an_update_changes_the_target_groups_health_check(aws: dict[str, Any]) -> None:
    ecs, elbv2 = aws["ecs"], aws["elbv2"]
    service = create(ecs, "secure-blog", two_subnets(aws["ec2"], public=True))
    ecs.update_express_gateway_service(serviceArn=service["serviceArn"], healthCheckPath="/ready")
    group = ingress_path(ecs, service)["targetGroups"][0]["arn"]
    (described,) = elbv2.describe_target_groups(TargetGroupArns=[group])["TargetGroups"]
    assert described["HealthCheckPath"] == "/ready"


def test_services_share_the_alb_and_a_drained_service_takes_only_its_own_resources(
    aws: dict[str, Any],
) -> None:
    ecs, elbv2, acm, ec2 = aws["ecs"], aws["elbv2"], aws["acm"], aws["ec2"]
    subnets = two_subnets(ec2, public=True)
    blog, shop = create(ecs, "secure-blog", subnets), create(ecs, "shop", subnets)
    blog_path, shop_path = ingress_path(ecs, blog), ingress_path(ecs, shop)
    balancer = blog_path["loadBalancer"]["arn"]
    assert shop_path["loadBalancer"]["arn"] == balancer
    listener = blog_path["listener"]["arn"]
    wildcard = elbv2.describe_listeners(ListenerArns=[listener])["Listeners"][0]["Certificates"][0]

    ecs.delete_express_gateway_service(serviceArn=blog["serviceArn"])  # time scale 0: drained

    rules = elbv2.describe_rules(ListenerArn=listener)["Rules"]
    assert [r["RuleArn"] for r in rules if not r["IsDefault"]] == [shop_path["rule"]["arn"]]
    names = [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    assert names == [shop_path["targetGroups"][0]["arn"]]
    listed = elbv2.describe_listener_certificates(ListenerArn=listener)["Certificates"]
    assert blog_path["certificate"]["arn"] not in [c["CertificateArn"] for c in listed]
    with pytest.raises(acm.exceptions.ResourceNotFoundException):
        acm.describe_certificate(CertificateArn=blog_path["certificate"]["arn"])

    ecs.delete_express_gateway_service(serviceArn=shop["serviceArn"])

    with pytest.raises(elbv2.exceptions.LoadBalancerNotFoundException):
        elbv2.describe_load_balancers(LoadBalancerArns=[balancer])
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    for arn in (wildcard["CertificateArn"], shop_path["certificate"]["arn"]):
        with pytest.raises(acm.exceptions.ResourceNotFoundException):
            acm.describe_certificate(CertificateArn=arn)
    left = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["ecs-express-*"]}]
    )["SecurityGroups"]
    assert left == []


def test_without_subnets_the_alb_is_in_the_default_vpcs_subnets(aws: dict[str, Any]) -> None:
    ecs, elbv2, ec2 = aws["ecs"], aws["elbv2"], aws["ec2"]
    service = ecs.create_express_gateway_service(
        executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/exec",
        infrastructureRoleArn=f"arn:aws:iam::{ACCOUNT}:role/infra",
        primaryContainer={"image": IMAGE},
    )["service"]
    balancer = ingress_path(ecs, service)["loadBalancer"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    (described,) = elbv2.describe_load_balancers(LoadBalancerArns=[balancer["arn"]])[
        "LoadBalancers"
    ]
    assert described["VpcId"] == default_vpc["VpcId"]
    assert sorted(balancer["subnetIds"]) == sorted(
        z["SubnetId"] for z in described["AvailabilityZones"]
    )
