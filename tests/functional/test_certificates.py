"""The certificate adapter against moto's ELBv2, ACM, IAM and Route 53, and the sandbox's ACM
validation: a requested certificate is issued only once its validation record is in DNS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.adapters.aws_certificates import MIGRATION_TAG, AwsCertificates
from bot.events.aws import AcmCertificateAvailable
from sandbox.acm import sandbox_ca
from sandbox.acm_validation import AcmValidator

REGION = "us-east-1"
ACCOUNT = "123456789012"
Clients = Callable[[str], Any]


@pytest.fixture
def clients() -> Iterator[Clients]:
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def _listener(clients: Clients, certificate_arn: str) -> str:
    ec2, elbv2 = clients("ec2"), clients("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="legacy", Subnets=subnets)["LoadBalancers"][0]
    return str(
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="HTTPS",
            Port=443,
            Certificates=[{"CertificateArn": certificate_arn}],
            DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}
            ],
        )["Listeners"][0]["ListenerArn"]
    )


def _imported(clients: Clients, names: list[str]) -> str:
    pem, key = sandbox_ca().issue(names)
    return str(
        clients("acm").import_certificate(
            Certificate=pem, PrivateKey=key, CertificateChain=sandbox_ca().certificate_pem
        )["CertificateArn"]
    )


def _aws(clients: Clients) -> AwsCertificates:
    return AwsCertificates(clients("elbv2"), clients("acm"), clients("route53"))


def test_the_legacy_listeners_acm_certificate_is_reused_when_it_covers_the_name(
    clients: Clients,
) -> None:
    arn = _imported(clients, ["*.example.com"])
    listener = _listener(clients, arn)
    assert _aws(clients).certificate_for(listener, "blog.example.com") == (arn, "")


def test_a_certificate_for_other_names_is_not_reused_and_the_reason_names_them(
    clients: Clients,
) -> None:
    listener = _listener(clients, _imported(clients, ["shop.example.com"]))
    found, why = _aws(clients).certificate_for(listener, "blog.example.com")
    assert found is None
    assert "covers shop.example.com, not blog.example.com" in why


def test_an_iam_server_certificate_is_not_reused(clients: Clients) -> None:
    pem, key = sandbox_ca().issue(["blog.example.com"])
    arn = clients("iam").upload_server_certificate(
        ServerCertificateName="blog-tls", CertificateBody=pem.decode(), PrivateKey=key.decode()
    )["ServerCertificateMetadata"]["Arn"]
    found, why = _aws(clients).certificate_for(_listener(clients, arn), "blog.example.com")
    assert found is None and "IAM server certificate blog-tls" in why


def test_a_requested_certificate_is_tagged_idempotent_and_validated_in_the_zone(
    clients: Clients,
) -> None:
    aws = _aws(clients)
    zone = (
        clients("route53")
        .create_hosted_zone(Name="example.com", CallerReference="z")["HostedZone"]["Id"]
        .removeprefix("/hostedzone/")
    )
    arn = aws.request_certificate("blog.example.com", "mig-0a1b2c3d")
    assert aws.request_certificate("blog.example.com", "mig-0a1b2c3d") == arn  # a retry
    tags = clients("acm").list_tags_for_certificate(CertificateArn=arn)["Tags"]
    assert {"Key": MIGRATION_TAG, "Value": "mig-0a1b2c3d"} in tags
    assert aws.migration_of(arn) == "mig-0a1b2c3d"
    assert aws.certificate_status(arn) == "PENDING_VALIDATION"

    record = aws.validation_record(arn)
    assert record is not None and record[0].endswith(".blog.example.com.")
    aws.write_validation_record(zone, *record)
    aws.write_validation_record(zone, *record)  # UPSERT: a retry changes nothing
    listed = clients("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    cnames = [r for r in listed if r["Type"] == "CNAME"]
    assert [(r["Name"], r["ResourceRecords"][0]["Value"]) for r in cnames] == [record]


def test_a_certificate_acm_never_saw_belongs_to_no_migration(clients: Clients) -> None:
    unknown = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000"
    assert _aws(clients).migration_of(unknown) is None


def test_the_sandbox_issues_a_certificate_only_once_its_record_is_in_public_dns(
    clients: Clients,
) -> None:
    emitted: list[dict[str, Any]] = []
    validator = AcmValidator(clients, emitted.append, ACCOUNT, REGION, time_scale=0.0)
    aws = _aws(clients)
    route53 = clients("route53")
    private = route53.create_hosted_zone(
        Name="example.com",
        CallerReference="private",
        VPC={
            "VPCRegion": REGION,
            "VPCId": clients("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"],
        },
        HostedZoneConfig={"PrivateZone": True},
    )["HostedZone"]["Id"].removeprefix("/hostedzone/")
    public = route53.create_hosted_zone(Name="example.com", CallerReference="public")["HostedZone"][
        "Id"
    ].removeprefix("/hostedzone/")
    arn = aws.request_certificate("blog.example.com", "mig-0a1b2c3d")
    record = aws.validation_record(arn)
    assert record is not None

    assert validator.check_once() == []  # no record anywhere
    aws.write_validation_record(private, *record)
    assert validator.check_once() == []  # ACM looks in public DNS only
    assert aws.certificate_status(arn) == "PENDING_VALIDATION" and emitted == []

    aws.write_validation_record(public, *record)
    assert validator.check_once() == [arn]
    assert aws.certificate_status(arn) == "ISSUED"
    (event,) = emitted
    assert (event["source"], event["detail-type"], event["resources"]) == (
        "aws.acm",
        "ACM Certificate Available",
        [arn],
    )
    detail = AcmCertificateAvailable.model_validate(event["detail"])
    assert (detail.action, detail.common_name) == ("ISSUANCE", "blog.example.com")
    assert validator.check_once() == []  # issued once
