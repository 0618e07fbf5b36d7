"""A legacy account to migrate: "secure-blog", a Node app on EC2 behind an ALB.

Seeded into the AWS stand-in as a real account holds it: a VPC whose public subnets route to
an internet gateway and whose private subnets route out through a NAT gateway; the EC2
instance in a private subnet (instance profile, user data that runs a Node app on port 3000),
its security group admitting only the ALB's security group on that port; a shared
internet-facing ALB; the DynamoDB table and S3 bucket the app uses; and a public Route 53 zone
whose ``blog.example.com`` record aliases the ALB.

The site is served as a production site is, over HTTPS: the ALB's HTTPS:443 listener answers
404 by default and forwards ``blog.example.com`` by a host-header rule to the app's target
group (health check ``/health``), with a certificate for ``blog.example.com`` that the team
imported into ACM (signed by the sandbox's test CA, which stands for the public CA they bought
it from; ACM User Guide, "Importing certificates into AWS Certificate Manager"); its HTTP:80
listener redirects every request to HTTPS:443 with a 301 (ELB User Guide, "Redirect actions":
the usual HTTP to HTTPS redirect). ``served_over="http"`` seeds the older shape instead: one
HTTP:80 listener with the host rule, and no certificate.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from sandbox.acm import sandbox_ca
from sandbox.instances import AppProcess, Instance, app_folder, register

APP = "secure-blog"
DOMAIN = "example.com"
RECORD = f"blog.{DOMAIN}"
PORT = 3000

UNIT_FILE = f"""# /etc/systemd/system/{APP}.service
[Service]
User=blog
WorkingDirectory=/opt/{APP}
Environment=PORT={PORT} TABLE_NAME={APP}-posts ASSETS_BUCKET={APP}-assets
EnvironmentFile=-/opt/{APP}/.env
ExecStart=/usr/bin/node server.js
Restart=always
"""

USER_DATA = f"""#!/bin/bash
set -euo pipefail
dnf install -y nodejs20 git
useradd --system --create-home blog || true
mkdir -p /opt/{APP} && cd /opt/{APP}
aws s3 cp s3://{APP}-assets/releases/current.tgz - | tar xz
npm ci --omit=dev
cat >/etc/systemd/system/{APP}.service <<'UNIT'
[Service]
User=blog
WorkingDirectory=/opt/{APP}
Environment=PORT={PORT} TABLE_NAME={APP}-posts ASSETS_BUCKET={APP}-assets
ExecStart=/usr/bin/node server.js
Restart=always
UNIT
systemctl enable --now {APP}
node server.js &
"""


@dataclass(frozen=True)
class LegacyApp:
    """Where the seeded legacy app lives."""

    instance_id: str
    name: str
    vpc_id: str
    load_balancer_arn: str
    load_balancer_dns: str
    hosted_zone_id: str
    record_name: str
    target_group_arn: str
    certificate_arn: str | None = None  # the certificate the HTTPS listener presents, if any


def seed_legacy(
    clients: Any,
    *,
    architecture: str = "x86_64",
    instance_type: str = "t3.small",
    served_over: str = "https",
    certificate: str = "acm",
) -> LegacyApp:
    """Create the secure-blog account in the stand-in; return where it lives.

    ``served_over`` is ``https`` (HTTPS:443 and HTTP:80 redirecting to it) or ``http``
    (HTTP:80 only). ``certificate`` is where the HTTPS listener's certificate lives: ``acm``
    (imported into ACM) or ``iam`` (an IAM server certificate, as older stacks have: ELB User
    Guide, "SSL certificates": "certificates provided by ACM or IAM").
    """
    if served_over not in ("https", "http"):
        raise ValueError(f"served_over must be https or http, not {served_over!r}")
    if certificate not in ("acm", "iam"):
        raise ValueError(f"certificate must be acm or iam, not {certificate!r}")
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": f"{APP}-vpc"}])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets: dict[str, str] = {}
    for index, (kind, zone) in enumerate(
        [("public", "a"), ("public", "b"), ("private", "a"), ("private", "b")]
    ):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"us-east-1{zone}"
        )["Subnet"]["SubnetId"]
        ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Name", "Value": f"{APP}-{kind}-{zone}"}])
        subnets[f"{kind}-{zone}"] = subnet
    _route_tables(ec2, vpc, igw, subnets)
    alb_sg = ec2.create_security_group(GroupName=f"{APP}-alb", Description="ALB", VpcId=vpc)[
        "GroupId"
    ]
    app_sg = ec2.create_security_group(GroupName=f"{APP}-app", Description="app", VpcId=vpc)[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
            for port in ((443, 80) if served_over == "https" else (80,))
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=app_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": PORT,
                "ToPort": PORT,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
    )
    iam = clients("iam")
    iam.create_role(
        RoleName=f"{APP}-instance",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    iam.put_role_policy(
        RoleName=f"{APP}-instance",
        PolicyName="data",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                        "Resource": f"arn:aws:dynamodb:us-east-1:*:table/{APP}-posts",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:GetObject"],
                        "Resource": f"arn:aws:s3:::{APP}-assets/*",
                    },
                ],
            }
        ),
    )
    # The SSM agent's permissions (AWS managed policy), so Systems Manager manages the node.
    load_aws_managed_policy(clients("sts").get_caller_identity()["Account"], SSM_CORE)
    iam.attach_role_policy(
        RoleName=f"{APP}-instance",
        PolicyArn=f"arn:aws:iam::aws:policy/{SSM_CORE}",
    )
    profile = iam.create_instance_profile(InstanceProfileName=f"{APP}-instance")["InstanceProfile"]
    iam.add_role_to_instance_profile(
        InstanceProfileName=f"{APP}-instance", RoleName=f"{APP}-instance"
    )
    image = _image(ec2, architecture)
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType=instance_type,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets["private-a"],
        SecurityGroupIds=[app_sg],
        UserData=USER_DATA,
        IamInstanceProfile={"Arn": profile["Arn"]},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": APP}]}],
    )["Instances"][0]["InstanceId"]
    register(instance, Instance(app=secure_blog_process()))
    elbv2 = clients("elbv2")
    balancer = elbv2.create_load_balancer(
        Name=f"{APP}-alb",
        Subnets=[subnets["public-a"], subnets["public-b"]],
        SecurityGroups=[alb_sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name=f"{APP}-tg",
        Protocol="HTTP",
        Port=PORT,
        VpcId=vpc,
        TargetType="instance",
        HealthCheckPath="/health",
        HealthCheckProtocol="HTTP",
    )["TargetGroups"][0]
    elbv2.register_targets(
        TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": instance, "Port": PORT}]
    )
    certificate = _listeners(
        clients, balancer["LoadBalancerArn"], group["TargetGroupArn"], served_over, certificate
    )
    clients("dynamodb").create_table(
        TableName=f"{APP}-posts",
        KeySchema=[{"AttributeName": "slug", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "slug", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clients("s3").create_bucket(Bucket=f"{APP}-assets")
    route53 = clients("route53")
    zone = route53.create_hosted_zone(Name=DOMAIN, CallerReference=f"{APP}-zone")["HostedZone"]
    zone_id = zone["Id"].removeprefix("/hostedzone/")
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"{RECORD}.",
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
    return LegacyApp(
        instance_id=instance,
        name=APP,
        vpc_id=vpc,
        load_balancer_arn=balancer["LoadBalancerArn"],
        load_balancer_dns=balancer["DNSName"],
        hosted_zone_id=zone_id,
        record_name=f"{RECORD}.",
        target_group_arn=group["TargetGroupArn"],
        certificate_arn=certificate,
    )


def _listeners(
    clients: Any, balancer: str, group: str, served_over: str, kind: str = "acm"
) -> str | None:
    """The ALB's listeners; return the HTTPS listener's certificate (None over HTTP).

    The forwarding listener is created first, so it is the first ``DescribeListeners`` lists.
    """
    elbv2 = clients("elbv2")
    not_found = {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
    }
    certificate = None
    if served_over == "https":
        pem, key = sandbox_ca().issue([RECORD])
        if kind == "iam":
            certificate = clients("iam").upload_server_certificate(
                ServerCertificateName=f"{APP}-tls",
                CertificateBody=pem.decode(),
                PrivateKey=key.decode(),
                CertificateChain=sandbox_ca().certificate_pem.decode(),
            )["ServerCertificateMetadata"]["Arn"]
        else:
            certificate = clients("acm").import_certificate(
                Certificate=pem, PrivateKey=key, CertificateChain=sandbox_ca().certificate_pem
            )["CertificateArn"]
        forwarding = elbv2.create_listener(
            LoadBalancerArn=balancer,
            Protocol="HTTPS",
            Port=443,
            SslPolicy=SSL_POLICY,
            Certificates=[{"CertificateArn": certificate}],
            DefaultActions=[not_found],
        )["Listeners"][0]
        elbv2.create_listener(
            LoadBalancerArn=balancer,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "StatusCode": "HTTP_301",
                    },
                }
            ],
        )
    else:
        forwarding = elbv2.create_listener(
            LoadBalancerArn=balancer, Protocol="HTTP", Port=80, DefaultActions=[not_found]
        )["Listeners"][0]
    elbv2.create_rule(
        ListenerArn=forwarding["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [RECORD]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    return certificate


#: The HTTPS listener's security policy: the ELB console's default for new listeners (ELB User
#: Guide, "Security policies for your Application Load Balancer").
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
SSM_CORE = "AmazonSSMManagedInstanceCore"


def load_aws_managed_policy(account: str, name: str) -> None:
    """Give the stand-in's IAM one AWS managed policy, as every real account has it.

    moto loads AWS managed policies only all at once (``MOTO_IAM_LOAD_MANAGED_POLICIES``,
    about 1,200 of them, 1.5 s per account); this loads the one named, from the same data.
    """
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account]["global"]
    data = json.loads(aws_managed_policies_data)[name]
    policy = AWSManagedPolicy.from_data(name, account, "us-east-1", data)
    backend.managed_policies.setdefault(policy.arn, policy)


def secure_blog_process() -> AppProcess:
    """secure-blog's process as systemd runs it on the instance (see ``UNIT_FILE``)."""
    return AppProcess(
        folder=app_folder(APP),
        working_directory=f"/opt/{APP}",
        command=["/usr/bin/node", "server.js"],
        executable="/usr/bin/node",
        user="blog",
        port=PORT,
        environment={
            "LANG": "C.UTF-8",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
            "HOME": "/home/blog",
            "LOGNAME": "blog",
            "USER": "blog",
            "INVOCATION_ID": secrets.token_hex(16),
            "JOURNAL_STREAM": "8:23127",
            "PORT": str(PORT),
            "TABLE_NAME": f"{APP}-posts",
            "ASSETS_BUCKET": f"{APP}-assets",
            "NODE_ENV": "production",
            # From the unit's EnvironmentFile: a value made for this run, never stored.
            "SESSION_SECRET": secrets.token_urlsafe(24),
        },
        systemd_unit=f"{APP}.service",
        unit_file=UNIT_FILE,
    )


def _route_tables(ec2: Any, vpc: str, igw: str, subnets: dict[str, str]) -> None:
    """Public subnets route to the internet gateway; private ones out through a NAT gateway."""
    public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    address = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets["public-a"], AllocationId=address)
    private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=private,
        DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId=nat["NatGateway"]["NatGatewayId"],
    )
    for name, subnet in subnets.items():
        table = public if name.startswith("public") else private
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)


#: The image each architecture's instances are launched from, by architecture: moto's AMI
#: catalogue is the same for every run of a process, and listing it (about 900 x86_64 images)
#: costs over a second per call in server mode.
_IMAGES: dict[str, str] = {}


def _image(ec2: Any, architecture: str) -> str:
    known = _IMAGES.get(architecture)
    if known is not None:
        try:
            found = ec2.describe_images(
                ImageIds=[known], Filters=[{"Name": "architecture", "Values": [architecture]}]
            )["Images"]
        except ClientError as error:  # InvalidAMIID.NotFound: another catalogue; list it
            if error.response["Error"]["Code"] != "InvalidAMIID.NotFound":
                raise
            found = []
        if found:
            return known
    images = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "architecture", "Values": [architecture]}]
    )["Images"]
    if not images:
        raise RuntimeError(f"the stand-in has no {architecture} image")
    _IMAGES[architecture] = str(images[0]["ImageId"])
    return _IMAGES[architecture]
