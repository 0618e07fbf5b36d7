"""Clean up's and Decommission's AWS calls against moto: exactly what was added is removed,
a second run finds everything gone, and the instance is stopped, imaged, started, terminated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.adapters.aws_cleanup import AwsCleanup
from bot.adapters.aws_decommission import AwsDecommission
from sandbox.acm import issued_certificate

REGION = "us-east-1"
POLICY = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
    '"Resource": "*"}]}'
)


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


def _express_like(client: Any) -> dict[str, str]:
    """An ALB with an HTTPS listener (default certificate), two added certificates and a rule
    whose hosts are the endpoint, another team's name and the app's name."""
    ec2, elbv2 = client("ec2"), client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    balancer = elbv2.create_load_balancer(Name="ecs-express-gateway-alb-1", Subnets=subnets)[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    group = elbv2.create_target_group(
        Name="tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    account = client("sts").get_caller_identity()["Account"]
    certs = {
        name: issued_certificate(account, REGION, [f"{name}.example.com"])
        for name in ("d", "edge", "other")
    }
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certs["d"]}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.add_listener_certificates(
        ListenerArn=listener,
        Certificates=[{"CertificateArn": certs["other"]}, {"CertificateArn": certs["edge"]}],
    )
    rule = elbv2.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[
            {
                "Field": "host-header",
                "HostHeaderConfig": {
                    "Values": ["svc.ecs.us-east-1.on.aws", "other.example.com", "blog.example.com"]
                },
            }
        ],
        Actions=[{"Type": "forward", "TargetGroupArn": group}],
    )["Rules"][0]["RuleArn"]
    return {"listener": listener, "rule": rule, **certs}


def _state(client: Any, made: dict[str, str]) -> tuple[set[str], list[str]]:
    elbv2 = client("elbv2")
    certs = {
        c["CertificateArn"]
        for c in elbv2.describe_listener_certificates(ListenerArn=made["listener"])["Certificates"]
    }
    (rule,) = elbv2.describe_rules(RuleArns=[made["rule"]])["Rules"]
    hosts = [v for c in rule["Conditions"] for v in c.get("HostHeaderConfig", {}).get("Values", [])]
    return certs, hosts


def test_clean_up_removes_exactly_what_the_edge_added(aws: Any) -> None:
    made = _express_like(aws)
    cleanup = AwsCleanup(aws, "migrate-bot-schedules")
    added = {"certificate_arn": made["edge"], "host": "blog.example.com"}
    removed = cleanup.remove_edge(made["listener"], made["rule"], added)
    assert len(removed) == 2
    certs, hosts = _state(aws, made)
    assert made["edge"] not in certs and {made["d"], made["other"]} <= certs
    assert hosts == ["svc.ecs.us-east-1.on.aws", "other.example.com"]
    # A second run (a redelivery) finds nothing to remove and changes nothing.
    assert cleanup.remove_edge(made["listener"], made["rule"], added) == []
    assert _state(aws, made) == (certs, hosts)
    # ACM refuses to delete a certificate a listener still uses; the edge's one goes.
    from bot.ports import ResourceBusyError
    from sandbox import retirement

    retirement.install(lambda _: None, lambda _: None)
    with pytest.raises(ResourceBusyError):
        cleanup.delete_certificate(made["other"])
    assert cleanup.delete_certificate(made["edge"]) is not None
    assert cleanup.delete_certificate(made["edge"]) is None


def test_task_role_repository_project_and_secret_go_and_stay_gone(aws: Any) -> None:
    iam = aws("iam")
    iam.create_role(
        Path="/migrate-bot/", RoleName="migrate-bot-task-mig-1", AssumeRolePolicyDocument="{}"
    )
    iam.put_role_policy(RoleName="migrate-bot-task-mig-1", PolicyName="data", PolicyDocument=POLICY)
    policy = iam.create_policy(PolicyName="team", PolicyDocument=POLICY)
    iam.attach_role_policy(RoleName="migrate-bot-task-mig-1", PolicyArn=policy["Policy"]["Arn"])
    aws("ecr").create_repository(repositoryName="migrate-bot/mig-1")
    secret = aws("secretsmanager").create_secret(
        Name="migrate-bot/mig-1/environment", SecretString="{}"
    )["ARN"]
    cleanup = AwsCleanup(aws, "migrate-bot-schedules")
    for _ in range(2):  # the second run: everything already gone
        first = _ == 0
        assert (cleanup.delete_task_role("mig-1") is not None) is first
        assert (cleanup.delete_repository("migrate-bot/mig-1") is not None) is first
        assert (cleanup.delete_secret(secret) is not None) is first
        assert cleanup.delete_project("migrate-bot-mig-1") is None  # never made here
    assert aws("secretsmanager").describe_secret(SecretId=secret).get("DeletedDate")
    assert iam.get_policy(PolicyArn=policy["Policy"]["Arn"])  # the managed policy is kept


def test_instance_stopped_imaged_started_and_terminated(aws: Any) -> None:
    from sandbox import retirement

    retirement.install(lambda _: None, lambda _: None)  # CreateImage's snapshot tags (moto gap)
    ec2 = aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    decommission = AwsDecommission(ec2, aws("elbv2"))
    decommission.stop(instance)
    assert decommission.instance_state(instance) == "stopped"
    ami = decommission.create_image(instance, "mig-1")
    assert decommission.create_image(instance, "mig-1") == ami  # found again by name
    assert decommission.image_state(ami) == "available"
    decommission.start(instance)
    assert decommission.instance_state(instance) == "running"
    decommission.terminate(instance)
    assert decommission.instance_state(instance) in ("shutting-down", "terminated")
    assert decommission.image_state(ami) == "available"  # the AMI is kept
