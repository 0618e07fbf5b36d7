"""A second legacy app: "orders", a Python app on Graviton, private, behind a shared internal ALB.

Seeded as a real account holds it, beside secure-blog: its own non-default VPC (10.30.0.0/16)
whose private subnets route out through a NAT gateway; the arm64 instance (t4g.small) in a
private subnet, started by systemd as ``/opt/orders/.venv/bin/python app.py`` on port 8080; an
internal ALB shared with another team's app (inventory, on an instance of its own), whose
HTTPS:443 listener answers 404 by default and forwards ``orders.example.com`` (health check
``/healthz``) and ``inventory.example.com`` (``/status``) by host-header rules, with one
imported certificate for both names, and whose HTTP:80 listener redirects to HTTPS; the app's
table and bucket; and both names in the public zone, aliasing the internal ALB.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sandbox.acm import sandbox_ca
from sandbox.instances import AppProcess, Instance, app_folder, register
from sandbox.legacy import (
    DOMAIN,
    SSL_POLICY,
    SSM_CORE,
    LegacyApp,
    _image,
    _route_tables,
    load_aws_managed_policy,
)

APP = "orders"
RECORD = f"orders.{DOMAIN}"
PORT = 8080
#: Another team's app behind the same ALB, by its own host rule.
INVENTORY = "inventory"
INVENTORY_RECORD = f"inventory.{DOMAIN}"
INVENTORY_PORT = 9000
UNIT_FILE = f"""# /etc/systemd/system/{APP}.service
[Service]
User=orders
WorkingDirectory=/opt/{APP}
Environment=ORDERS_TABLE={APP}-table RECEIPTS_BUCKET={APP}-receipts PYTHONUNBUFFERED=1
EnvironmentFile=-/opt/{APP}/.env
ExecStart=/opt/{APP}/.venv/bin/python app.py
Restart=always
"""


def orders_process() -> AppProcess:
    """orders' process as systemd runs it on the instance (see ``UNIT_FILE``)."""
    return AppProcess(
        folder=app_folder(APP),
        working_directory=f"/opt/{APP}",
        command=[f"/opt/{APP}/.venv/bin/python", "app.py"],
        executable="/usr/bin/python3.12",
        user="orders",
        port=PORT,
        environment={
            "LANG": "C.UTF-8",
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
            "HOME": "/home/orders",
            "INVOCATION_ID": secrets.token_hex(16),
            "ORDERS_TABLE": f"{APP}-table",
            "RECEIPTS_BUCKET": f"{APP}-receipts",
            "PYTHONUNBUFFERED": "1",
            "ORDERS_API_TOKEN": secrets.token_urlsafe(24),  # from the unit's EnvironmentFile
        },
        pid=1184,
        systemd_unit=f"{APP}.service",
        unit_file=UNIT_FILE,
    )


def seed_orders(clients: Any, *, hosted_zone_id: str) -> tuple[LegacyApp, LegacyApp]:
    """Create the orders account beside secure-blog; return where orders and its neighbour
    inventory live."""
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": f"{APP}-vpc"}])
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets: dict[str, str] = {}
    for index, (kind, zone) in enumerate([("public", "a"), ("private", "a"), ("private", "b")]):
        subnets[f"{kind}-{zone}"] = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.30.{index}.0/24", AvailabilityZone=f"us-east-1{zone}"
        )["Subnet"]["SubnetId"]
    _route_tables(ec2, vpc, igw, subnets)
    alb_sg = ec2.create_security_group(GroupName=f"{APP}-alb", Description="ALB", VpcId=vpc)
    app_sg = ec2.create_security_group(GroupName=f"{APP}-app", Description="app", VpcId=vpc)
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
            for port in (443, 80)
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=app_sg["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": PORT,
                "ToPort": PORT,
                "UserIdGroupPairs": [{"GroupId": alb_sg["GroupId"]}],
            }
        ],
    )
    _database(ec2, vpc, subnets["private-b"], app_sg["GroupId"])
    profile_arn = instance_profile(clients)
    instance = ec2.run_instances(
        ImageId=_image(ec2, "arm64"),
        InstanceType="t4g.small",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets["private-a"],
        SecurityGroupIds=[app_sg["GroupId"]],
        UserData=f"#!/bin/bash\ncat >/etc/systemd/system/{APP}.service <<'UNIT'\n{UNIT_FILE}UNIT\n"
        f"systemctl enable --now {APP}\n",
        IamInstanceProfile={"Arn": profile_arn},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": APP}]}],
    )["Instances"][0]["InstanceId"]
    register(instance, Instance(app=orders_process(), platform=("Ubuntu", "24.04")))
    elbv2 = clients("elbv2")
    balancer = elbv2.create_load_balancer(
        Name="shared-internal-alb",
        Subnets=[subnets["private-a"], subnets["private-b"]],
        SecurityGroups=[alb_sg["GroupId"]],
        Scheme="internal",
        Type="application",
    )["LoadBalancers"][0]
    groups = {}
    for name, port, path in ((APP, PORT, "/healthz"), (INVENTORY, INVENTORY_PORT, "/status")):
        groups[name] = elbv2.create_target_group(
            Name=f"{name}-tg",
            Protocol="HTTP",
            Port=port,
            VpcId=vpc,
            TargetType="instance",
            HealthCheckPath=path,
        )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=groups[APP], Targets=[{"Id": instance, "Port": PORT}])
    neighbour = _inventory_instance(ec2, subnets["private-b"], app_sg["GroupId"])
    elbv2.register_targets(
        TargetGroupArn=groups[INVENTORY], Targets=[{"Id": neighbour, "Port": INVENTORY_PORT}]
    )
    # HTTPS:443 with the certificate the team imported for both names (their private CA's;
    # the sandbox's test CA stands for it), HTTP:80 redirecting to it.
    pem, key = sandbox_ca().issue([RECORD, INVENTORY_RECORD])
    certificate = clients("acm").import_certificate(
        Certificate=pem, PrivateKey=key, CertificateChain=sandbox_ca().certificate_pem
    )["CertificateArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        SslPolicy=SSL_POLICY,
        Certificates=[{"CertificateArn": certificate}],
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )["Listeners"][0]
    elbv2.create_listener(
        LoadBalancerArn=balancer["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ],
    )
    for priority, name in ((5, "inventory"), (20, APP)):
        elbv2.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=priority,
            Conditions=[
                {"Field": "host-header", "HostHeaderConfig": {"Values": [f"{name}.{DOMAIN}"]}}
            ],
            Actions=[{"Type": "forward", "TargetGroupArn": groups[name]}],
        )
    clients("dynamodb").create_table(
        TableName=f"{APP}-table",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clients("s3").create_bucket(Bucket=f"{APP}-receipts")
    clients("route53").change_resource_record_sets(
        HostedZoneId=hosted_zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"{record}.",
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": balancer["CanonicalHostedZoneId"],
                            "DNSName": f"{balancer['DNSName']}.",
                            "EvaluateTargetHealth": True,
                        },
                    },
                }
                for record in (RECORD, INVENTORY_RECORD)
            ]
        },
    )

    def app(instance_id: str, name: str, record: str) -> LegacyApp:
        return LegacyApp(
            instance_id=instance_id,
            name=name,
            vpc_id=vpc,
            load_balancer_arn=balancer["LoadBalancerArn"],
            load_balancer_dns=balancer["DNSName"],
            hosted_zone_id=hosted_zone_id,
            record_name=f"{record}.",
            target_group_arn=groups[name],
            certificate_arn=certificate,
        )

    return app(instance, APP, RECORD), app(neighbour, INVENTORY, INVENTORY_RECORD)


def _inventory_instance(ec2: Any, subnet: str, group: str) -> str:
    """The inventory team's instance (Amazon Linux, x86_64), its app started by systemd."""
    instance = ec2.run_instances(
        ImageId=_image(ec2, "x86_64"),
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[group],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": INVENTORY}]}
        ],
    )["Instances"][0]["InstanceId"]
    process = AppProcess(
        folder=app_folder(INVENTORY),
        working_directory=f"/opt/{INVENTORY}",
        command=["/usr/bin/python3", "app.py"],
        executable="/usr/bin/python3.9",
        user="inventory",
        port=INVENTORY_PORT,
        environment={"LANG": "C.UTF-8", "PATH": "/usr/bin"},
        systemd_unit=f"{INVENTORY}.service",
    )
    register(instance, Instance(app=process))
    return str(instance)


def _database(ec2: Any, vpc: str, subnet: str, app_sg: str) -> None:
    """The orders database's group, admitting the app's on 5432, and the database's interface.

    The interface stands for an RDS instance's (the description is the one RDS gives the
    interfaces it creates, as ``DescribeNetworkInterfaces`` shows them); the database itself
    is not modelled: the orders app keeps its data in DynamoDB.
    """
    db_sg = ec2.create_security_group(
        GroupName=f"{APP}-db", Description="orders database", VpcId=vpc
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=db_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": app_sg}],
            }
        ],
    )
    ec2.create_network_interface(SubnetId=subnet, Groups=[db_sg], Description="RDSNetworkInterface")


def instance_profile(clients: Any) -> str:
    """The orders instance's profile and role: an inline data policy, the SSM agent's and a
    customer managed one shared by the team; return the profile's ARN."""
    iam = clients("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=f"{APP}-instance", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=f"{APP}-instance",
        PolicyName="data",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                        "Resource": f"arn:aws:dynamodb:us-east-1:*:table/{APP}-table",
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject"],
                        "Resource": f"arn:aws:s3:::{APP}-receipts/*",
                    },
                ],
            }
        ),
    )
    load_aws_managed_policy(clients("sts").get_caller_identity()["Account"], SSM_CORE)
    iam.attach_role_policy(
        RoleName=f"{APP}-instance", PolicyArn=f"arn:aws:iam::aws:policy/{SSM_CORE}"
    )
    # A customer managed policy the team shares between its apps' roles.
    metrics = iam.create_policy(
        PolicyName="team-metrics",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{APP}-instance", PolicyArn=metrics)
    profile = iam.create_instance_profile(InstanceProfileName=f"{APP}-instance")
    iam.add_role_to_instance_profile(
        InstanceProfileName=f"{APP}-instance", RoleName=f"{APP}-instance"
    )
    return str(profile["InstanceProfile"]["Arn"])
