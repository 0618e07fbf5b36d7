"""The sandbox's network as AWS's: Express's managed resources in ELBv2, EC2 and ACM."""

from __future__ import annotations

import ipaddress
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from sandbox import express, tasks
from sandbox.acm import sandbox_ca
from sandbox.load_balancers import PROPAGATION_SECONDS, Balancers, fetch
from sandbox.request_log import RequestLog
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


# --- one ALB stand-in for both sides, read from ELBv2 ----------------------------------------


class _App(BaseHTTPRequestHandler):
    """A task's app: answers every path with its service's name."""

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        body = f"{self.server.service_name} {self.path} {self.headers['X-Forwarded-Proto']}"  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def served(aws: dict[str, Any]) -> Iterator[Balancers]:
    """Express tasks that really answer (a small server per service) behind the stand-ins."""
    apps: list[ThreadingHTTPServer] = []

    def run(service: express.ExpressService, config: dict[str, Any]) -> str:
        app = ThreadingHTTPServer(("127.0.0.1", 0), _App)
        app.service_name = service.name  # type: ignore[attr-defined]
        threading.Thread(target=app.serve_forever, daemon=True).start()
        apps.append(app)
        log = Path(tempfile.mkstemp()[1])
        tasks.RUNNING[service.arn] = tasks.Running(service.name, None, app.server_address[1], log)
        return "healthy"

    express.set_runner(run)
    balancers = Balancers(aws["elbv2"], aws["acm"], log=RequestLog())
    yield balancers
    balancers.stop()
    express.set_runner(None)
    for app in apps:
        app.shutdown()
    for name in [n for n in tasks.RUNNING if not n.startswith("legacy/")]:
        tasks.RUNNING.pop(name).log.unlink(missing_ok=True)


def _express_port(aws: dict[str, Any], balancers: Balancers, service: dict[str, Any]) -> int:
    return balancers.port(ingress_path(aws["ecs"], service)["loadBalancer"]["arn"], 443)


def test_the_express_listener_routes_its_endpoint_and_answers_other_names_404(
    aws: dict[str, Any], served: Balancers
) -> None:
    service = create(aws["ecs"], "secure-blog", two_subnets(aws["ec2"], public=True))
    endpoint = ingress_path(aws["ecs"], service)["endpoint"]
    port = _express_port(aws, served, service)
    trusted = sandbox_ca().client_context()

    ok = fetch(port, endpoint, "/posts", trusted)
    assert (ok.status, ok.body) == (200, b"secure-blog /posts https")
    # A name under the listener's wildcard certificate that no rule names: the default action.
    other = fetch(port, f"zz-{'0' * 32}.ecs.{REGION}.on.aws", "/", trusted)
    assert (other.status, other.body) == (404, b"")

    records = served.log.records()
    assert [(r.host, r.elb_status, r.target_status) for r in records] == [
        (endpoint, 200, 200),
        (f"zz-{'0' * 32}.ecs.{REGION}.on.aws", 404, None),
    ]
    target_group = ingress_path(aws["ecs"], service)["targetGroups"][0]["arn"]
    assert records[0].target_group_arn == target_group and records[1].target_group_arn is None
    assert records[0].target_seconds is not None and records[1].target_seconds is None


def test_a_name_no_certificate_covers_fails_tls_verification(
    aws: dict[str, Any], served: Balancers
) -> None:
    service = create(aws["ecs"], "secure-blog", two_subnets(aws["ec2"], public=True))
    port = _express_port(aws, served, service)
    with pytest.raises(ssl.SSLCertVerificationError, match="blog.example.com"):
        fetch(port, "blog.example.com", "/", sandbox_ca().client_context())
    assert served.log.records() == []  # no request was answered


def test_the_apps_certificate_and_host_on_the_express_listener_reach_the_task(
    aws: dict[str, Any], served: Balancers
) -> None:
    ecs, elbv2, acm = aws["ecs"], aws["elbv2"], aws["acm"]
    service = create(ecs, "secure-blog", two_subnets(aws["ec2"], public=True))
    path = ingress_path(ecs, service)
    port = _express_port(aws, served, service)
    trusted = sandbox_ca().client_context()
    certificate, key = sandbox_ca().issue(["blog.example.com"])
    imported = acm.import_certificate(
        Certificate=certificate, PrivateKey=key, CertificateChain=sandbox_ca().certificate_pem
    )["CertificateArn"]

    elbv2.add_listener_certificates(
        ListenerArn=path["listener"]["arn"], Certificates=[{"CertificateArn": imported}]
    )
    time.sleep(PROPAGATION_SECONDS)  # the stand-in's copy of the listener is that old at most
    # The certificate alone: TLS now verifies, but no rule names the host yet.
    assert fetch(port, "blog.example.com", "/", trusted).status == 404
    elbv2.modify_rule(
        RuleArn=path["rule"]["arn"],
        Conditions=[
            {
                "Field": "host-header",
                "HostHeaderConfig": {"Values": [path["endpoint"], "blog.example.com"]},
            }
        ],
    )
    time.sleep(PROPAGATION_SECONDS)
    answered = fetch(port, "blog.example.com", "/hello", trusted)
    assert (answered.status, answered.body) == (200, b"secure-blog /hello https")
    assert fetch(port, path["endpoint"], "/", trusted).status == 200  # the endpoint still works


def test_a_deleted_service_is_no_longer_served(aws: dict[str, Any], served: Balancers) -> None:
    service = create(aws["ecs"], "secure-blog", two_subnets(aws["ec2"], public=True))
    endpoint = ingress_path(aws["ecs"], service)["endpoint"]
    port = _express_port(aws, served, service)
    aws["ecs"].delete_express_gateway_service(serviceArn=service["serviceArn"])
    with pytest.raises(OSError):  # its ALB is gone with its last service: no answer
        fetch(port, endpoint, "/", sandbox_ca().client_context(), timeout=3)
    served.sync()
    assert served.ports() == {}


def _plain_alb(aws: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A customer's ALB with an instance target group, as ELBv2 holds it."""
    ec2, elbv2 = aws["ec2"], aws["elbv2"]
    subnets = two_subnets(ec2, public=True)
    vpc = ec2.describe_subnets(SubnetIds=subnets)["Subnets"][0]["VpcId"]
    balancer = elbv2.create_load_balancer(Name="shop-alb", Subnets=subnets)["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name="shop-tg", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    return balancer, group


def test_an_http_listener_redirect_answers_as_alb_builds_it(
    aws: dict[str, Any], served: Balancers
) -> None:
    balancer, _ = _plain_alb(aws)
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    aws["elbv2"].create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": redirect}],
    )
    answer = fetch(served.port(balancer["LoadBalancerArn"], 80), "shop.example.com", "/a/b?c=1")
    assert (answer.status, answer.location) == (301, "https://shop.example.com:443/a/b?c=1")
    (record,) = served.log.records()
    assert (record.elb_status, record.target_group_arn, record.path) == (301, None, "/a/b")


def test_a_forward_to_no_registered_target_is_503_and_to_a_dead_one_502(
    aws: dict[str, Any], served: Balancers
) -> None:
    ec2, elbv2 = aws["ec2"], aws["elbv2"]
    balancer, group = _plain_alb(aws)
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    port = served.port(balancer["LoadBalancerArn"], 80)
    assert fetch(port, "shop.example.com", "/").status == 503

    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    subnet = balancer["AvailabilityZones"][0]["SubnetId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet)[
        "Instances"
    ][0]["InstanceId"]
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": instance, "Port": 8080}])
    # Registered, but no app runs on it: the only target is unhealthy, the ALB fails open to it
    # and the connection is refused.
    assert fetch(port, "shop.example.com", "/").status == 502
    assert [(r.elb_status, r.target_group_arn) for r in served.log.records()] == [
        (503, group),
        (502, group),
    ]


def test_a_name_reaches_its_load_balancers_listener_by_dns_name_or_endpoint(
    aws: dict[str, Any], served: Balancers
) -> None:
    service = create(aws["ecs"], "secure-blog", two_subnets(aws["ec2"], public=True))
    path = ingress_path(aws["ecs"], service)
    (balancer,) = aws["elbv2"].describe_load_balancers(
        LoadBalancerArns=[path["loadBalancer"]["arn"]]
    )["LoadBalancers"]
    port = served.port(balancer["LoadBalancerArn"], 443)
    assert served.port_for(f"dualstack.{balancer['DNSName'].upper()}.", 443) == port
    assert served.port_for(path["endpoint"], 443) == port
    assert served.port_for(path["endpoint"], 80) is None  # Express listens on HTTPS only
    assert served.port_for("nothing.example.com", 443) is None
    assert served.ports() == {(balancer["LoadBalancerArn"], 443): port}
