"""Serving the app's name on the Express load balancer: the listener certificate, the rule's
hosts and the probes, against moto's ELBv2 and real local HTTPS servers."""

from __future__ import annotations

import hashlib
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import trustme
from moto import mock_aws

from bot.adapters.aws_certificates import covers
from bot.adapters.aws_edge import AwsEdge, EdgeError
from bot.domain.facts import AliasTarget, ExpressIngress
from sandbox import hosts

REGION = "us-east-1"
Clients = Callable[[str], Any]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def _express(clients: Clients, hosts_in_rule: list[str]) -> ExpressIngress:
    """An Express-like load balancer: HTTPS listener with its own certificate, one rule."""
    ec2, elbv2, acm = clients("ec2"), clients("elbv2"), clients("acm")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="ecs-express-gateway-alb-1a2b3c4d", Subnets=subnets)[
        "LoadBalancers"
    ][0]
    own = acm.request_certificate(DomainName=f"*.ecs.{REGION}.on.aws", ValidationMethod="DNS")
    group = elbv2.create_target_group(
        Name="ecs-gateway-tg-1", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": own["CertificateArn"]}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": hosts_in_rule}}],
        Actions=[{"Type": "forward", "TargetGroupArn": group}],
    )["Rules"][0]["RuleArn"]
    return ExpressIngress(
        load_balancer_arn=balancer["LoadBalancerArn"],
        listener_arn=listener,
        rule_arn=rule,
        alias=AliasTarget(
            dns_name=balancer["DNSName"], hosted_zone_id=balancer["CanonicalHostedZoneId"]
        ),
    )


def _hosts(clients: Clients, rule_arn: str) -> list[str]:
    (rule,) = clients("elbv2").describe_rules(RuleArns=[rule_arn])["Rules"]
    return [v for c in rule["Conditions"] for v in c["HostHeaderConfig"]["Values"]]


def test_serving_a_name_adds_the_certificate_and_the_host_once(clients: Clients) -> None:
    endpoint = "sb-1a2b.ecs.us-east-1.on.aws"
    ingress = _express(clients, [endpoint])
    blog = clients("acm").request_certificate(DomainName="blog.example.com", ValidationMethod="DNS")
    edge = AwsEdge(clients("ecs"), clients("elbv2"))

    added = edge.serve_name(ingress, blog["CertificateArn"], "blog.example.com")
    again = edge.serve_name(ingress, blog["CertificateArn"], "blog.example.com")

    assert added == {"certificate_arn": blog["CertificateArn"], "host": "blog.example.com"}
    assert again == {}  # a redelivered step adds nothing, and says so
    listed = clients("elbv2").describe_listener_certificates(ListenerArn=ingress.listener_arn)
    assert blog["CertificateArn"] in [c["CertificateArn"] for c in listed["Certificates"]]
    assert _hosts(clients, ingress.rule_arn) == [endpoint, "blog.example.com"]


def test_a_rule_with_five_values_takes_no_more(clients: Clients) -> None:
    ingress = _express(clients, [f"h{i}.example.com" for i in range(5)])
    blog = clients("acm").request_certificate(DomainName="blog.example.com", ValidationMethod="DNS")
    edge = AwsEdge(clients("ecs"), clients("elbv2"))

    with pytest.raises(EdgeError, match="already has 5 condition values"):
        edge.serve_name(ingress, blog["CertificateArn"], "blog.example.com")
    assert "blog.example.com" not in _hosts(clients, ingress.rule_arn)


@pytest.mark.parametrize(
    ("domain", "name", "covered"),
    [
        ("blog.example.com", "blog.example.com", True),
        ("BLOG.example.com.", "blog.example.com", True),
        ("*.example.com", "blog.example.com", True),
        ("*.example.com", "example.com", False),
        ("*.example.com", "a.blog.example.com", False),
        ("www.example.com", "blog.example.com", False),
    ],
)
def test_a_certificate_covers_its_names_and_one_wildcard_label(
    domain: str, name: str, covered: bool
) -> None:
    assert covers(domain, name) is covered


class _App(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        body = f"{self.headers['Host']} {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def https_site() -> Iterator[tuple[int, trustme.CA]]:
    """An HTTPS server on loopback with a test CA's certificate for blog.example.com."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("blog.example.com").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], ca
    server.shutdown()
    server.server_close()


def test_the_probe_sends_the_apps_host_and_sni_to_the_load_balancer(
    https_site: tuple[int, trustme.CA],
) -> None:
    port, ca = https_site
    balancer = "ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com"
    hosts.install(lambda name, wanted: port if (name, wanted) == (balancer, 443) else None)
    hosts.trust(ca.cert_pem.bytes())
    try:
        edge = AwsEdge(None, None)
        answer = edge.probe(balancer, "https", "blog.example.com", "/health")
        wrong = edge.probe(balancer, "https", "shop.example.com", "/health")
    finally:
        hosts.uninstall()

    assert answer.status == 200 and answer.error is None
    assert answer.digest == hashlib.sha256(b"blog.example.com /health").hexdigest()  # its Host
    # The certificate is for blog.example.com only: another name fails verification.
    assert answer.status == 200 and wrong.status is None and "CERTIFICATE" in (wrong.error or "")
