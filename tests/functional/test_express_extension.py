"""The ECS Express Mode moto extension and the AWS event builders, through real boto3 clients."""

from __future__ import annotations

import calendar
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.model import Shape
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.server import ThreadedMotoServer

from sandbox import aws_events, express, express_resources
from tests.functional.network import vpc_with_internet_gateway

ACCOUNT, REGION = "123456789012", "us-east-1"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
INFRA_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/secure-blog:3f2a9c1"
CORPUS = Path(__file__).resolve().parents[1] / "events" / "aws"
ENVELOPE_KEYS = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield
    express.install()
    express.reset()


@pytest.fixture
def events() -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    express.install(emit=received.append)
    return received


@pytest.fixture
def ecs(events: list[dict[str, Any]]) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION)


def subnet(number: str, client: Any = None) -> str:
    """A public subnet of the test network ("1", "2", "9" or "4": zones a, b, c, d), made once
    per moto account.

    Express reads the subnets' route tables (public subnets → an internet-facing load
    balancer) and refuses subnets that do not exist, so the tests use real ones.
    """
    region = client.meta.region_name if client is not None else REGION
    endpoint = client.meta.endpoint_url if client is not None else None
    local = endpoint if endpoint and "amazonaws.com" not in endpoint else None
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=local)
    tagged = ec2.describe_subnets(Filters=[{"Name": "tag-key", "Values": ["express-test"]}])
    found = {
        t["Value"]: s["SubnetId"]
        for s in tagged["Subnets"]
        for t in s.get("Tags", [])
        if t["Key"] == "express-test"
    }
    if not found:
        vpc = vpc_with_internet_gateway(ec2, "10.9.0.0/16")
        for index, name in enumerate(("1", "2", "9", "4")):
            found[name] = ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=f"10.9.{index}.0/24",
                AvailabilityZone=f"{region}{'abcd'[index]}",
                TagSpecifications=[
                    {"ResourceType": "subnet", "Tags": [{"Key": "express-test", "Value": name}]}
                ],
            )["Subnet"]["SubnetId"]
    return found[number]


def create(client: Any, **overrides: Any) -> dict[str, Any]:
    request = {
        "executionRoleArn": EXEC_ROLE,
        "infrastructureRoleArn": INFRA_ROLE,
        "serviceName": "secure-blog",
        "primaryContainer": {
            "image": IMAGE,
            "containerPort": 3000,
            "environment": [{"name": "NODE_ENV", "value": "production"}],
        },
        "healthCheckPath": "/health",
        "cpu": "512",
        "memory": "1024",
        "networkConfiguration": {
            "subnets": [subnet("1", client), subnet("2", client)],
            "securityGroups": ["sg-1"],
        },
        "scalingTarget": {"minTaskCount": 1, "maxTaskCount": 4},
        "tags": [{"key": "migration_id", "value": "m-1"}],
    }
    request.update(overrides)
    request = {k: v for k, v in request.items() if v is not None}
    return client.create_express_gateway_service(**request)["service"]


def names(events: list[dict[str, Any]]) -> list[str]:
    out = []
    for event in events:
        detail = event["detail"]
        label = detail.get("eventName") or f"TASK {detail['lastStatus']}"
        out.append(label)
    return out


# --- API behaviour -------------------------------------------------------------------------


def test_create_then_describe_returns_the_active_service_with_its_endpoint(ecs: Any) -> None:
    created = create(ecs)
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/default/secure-blog"
    assert created["serviceArn"] == arn
    assert created["status"]["statusCode"] == "ACTIVE"
    assert created["tags"] == [{"key": "migration_id", "value": "m-1"}]

    described = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert described["cluster"] == "default" and described["serviceName"] == "secure-blog"
    assert described["infrastructureRoleArn"] == INFRA_ROLE
    assert described["status"]["statusCode"] == "ACTIVE"
    assert "tags" not in described  # tags only come back with include=["TAGS"]
    assert re.fullmatch(
        rf"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/default/secure-blog/[\w-]{{20}}",
        described["currentDeployment"],
    )
    config = described["activeConfigurations"][0]
    assert config["primaryContainer"]["image"] == IMAGE
    assert config["primaryContainer"]["containerPort"] == 3000
    assert config["primaryContainer"]["environment"] == [
        {"name": "NODE_ENV", "value": "production"}
    ]
    assert (config["cpu"], config["memory"], config["healthCheckPath"]) == (
        "512",
        "1024",
        "/health",
    )
    assert config["executionRoleArn"] == EXEC_ROLE
    assert config["networkConfiguration"]["subnets"] == [subnet("1"), subnet("2")]
    assert config["scalingTarget"]["maxTaskCount"] == 4
    assert re.fullmatch(
        rf"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/default/secure-blog/"
        r"\d{19}",
        config["serviceRevisionArn"],
    )
    assert config["createdAt"].tzinfo is not None
    (ingress,) = config["ingressPaths"]
    assert ingress["accessType"] == "PUBLIC"
    assert re.fullmatch(rf"se-[0-9a-f]{{32}}\.ecs\.{REGION}\.on\.aws", ingress["endpoint"])
    assert ingress == created["activeConfigurations"][0]["ingressPaths"][0]

    with_tags = ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])
    assert with_tags["service"]["tags"] == [{"key": "migration_id", "value": "m-1"}]


def test_create_without_name_or_cluster_uses_generated_name_and_default_cluster(ecs: Any) -> None:
    created = create(
        ecs,
        serviceName=None,
        cpu=None,
        memory=None,
        healthCheckPath=None,
        primaryContainer={"image": IMAGE},
        scalingTarget=None,
    )
    assert re.fullmatch(r"express-service-[0-9a-f]{8}", created["serviceName"])
    assert created["cluster"] == "default"
    assert created["serviceArn"].endswith(f":service/default/{created['serviceName']}")
    config = created["activeConfigurations"][0]
    assert (config["cpu"], config["memory"], config["healthCheckPath"]) == ("256", "512", "/ping")
    assert config["primaryContainer"]["containerPort"] == 80
    assert config["scalingTarget"]["minTaskCount"] == 1
    assert ecs.list_clusters()["clusterArns"] == [f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"]


def test_a_named_cluster_must_exist(ecs: Any) -> None:
    with pytest.raises(ClientError) as missing:
        create(ecs, cluster="prod")
    assert missing.value.response["Error"]["Code"] == "ClusterNotFoundException"

    ecs.create_cluster(clusterName="prod")
    created = create(ecs, cluster=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod")
    assert created["serviceArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/secure-blog"


def test_creating_an_active_name_again_is_an_invalid_parameter(ecs: Any) -> None:
    create(ecs)
    with pytest.raises(ClientError) as duplicate:
        create(ecs)
    error = duplicate.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert "already exists" in error["Message"]
    assert duplicate.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_of_an_unknown_arn_is_the_error_the_model_declares(ecs: Any) -> None:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/default/nothing-here"
    with pytest.raises(ecs.exceptions.ResourceNotFoundException):
        ecs.describe_express_gateway_service(serviceArn=arn)
    for operation in (ecs.update_express_gateway_service, ecs.delete_express_gateway_service):
        with pytest.raises(ecs.exceptions.ServiceNotFoundException):
            operation(serviceArn=arn)


def test_update_creates_a_new_deployment_and_revision(ecs: Any, events: list[dict]) -> None:
    created = create(ecs)
    first = created["activeConfigurations"][0]
    events.clear()

    updated = ecs.update_express_gateway_service(
        serviceArn=created["serviceArn"],
        primaryContainer={"image": f"{IMAGE}-2"},
        cpu="1024",
        memory="2048",
    )["service"]
    target = updated["targetConfiguration"]
    assert target["primaryContainer"] == {"image": f"{IMAGE}-2", "containerPort": 80}
    assert (target["cpu"], target["memory"]) == ("1024", "2048")
    assert target["healthCheckPath"] == "/health"  # unchanged settings carry over
    assert target["serviceRevisionArn"] != first["serviceRevisionArn"]
    assert target["ingressPaths"] == first["ingressPaths"]  # the endpoint survives updates
    assert updated["updatedAt"] >= updated["createdAt"]

    described = ecs.describe_express_gateway_service(serviceArn=created["serviceArn"])["service"]
    assert described["currentDeployment"] != created["currentDeployment"]
    assert (
        described["activeConfigurations"][0]["serviceRevisionArn"] == target["serviceRevisionArn"]
    )
    assert names(events)[0] == "SERVICE_DEPLOYMENT_IN_PROGRESS"
    assert names(events)[-3:] == [
        "SERVICE_DEPLOYMENT_COMPLETED",
        "SERVICE_STEADY_STATE",
        "SERVICE_STEADY_STATE",
    ]
    running = [e for e in events if e["detail-type"] == "ECS Task State Change"][-1]
    assert running["detail"]["containers"][0]["image"] == f"{IMAGE}-2"
    assert running["detail"]["taskDefinitionArn"].endswith("task-definition/secure-blog:2")


def test_delete_drains_then_goes_inactive_and_frees_the_name(ecs: Any) -> None:
    arn = create(ecs)["serviceArn"]
    deleted = ecs.delete_express_gateway_service(serviceArn=arn)["service"]
    assert deleted["status"]["statusCode"] == "DRAINING"

    described = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert described["status"]["statusCode"] == "INACTIVE"
    assert described["activeConfigurations"] == []
    for operation in (ecs.update_express_gateway_service, ecs.delete_express_gateway_service):
        with pytest.raises(ClientError) as inactive:
            operation(serviceArn=arn)
        assert inactive.value.response["Error"]["Code"] == "ServiceNotActiveException"

    again = create(ecs)
    assert again["status"]["statusCode"] == "ACTIVE"


def test_list_services_lists_express_services_as_ecs_managed(ecs: Any) -> None:
    arn = create(ecs)["serviceArn"]
    assert ecs.list_services(resourceManagementType="ECS")["serviceArns"] == [arn]
    assert ecs.list_services(resourceManagementType="CUSTOMER")["serviceArns"] == []
    assert arn in ecs.list_services()["serviceArns"]
    ecs.delete_express_gateway_service(serviceArn=arn)  # drains at once with time_scale 0
    assert ecs.list_services(resourceManagementType="ECS")["serviceArns"] == []


def test_services_are_kept_per_account_and_region(ecs: Any) -> None:
    arn = create(ecs)["serviceArn"]
    west = boto3.client("ecs", region_name="us-west-2")
    with pytest.raises(west.exceptions.ResourceNotFoundException):
        west.describe_express_gateway_service(serviceArn=arn)
    assert create(west)["serviceArn"].startswith("arn:aws:ecs:us-west-2:")


# --- events --------------------------------------------------------------------------------


def test_a_healthy_deployment_emits_the_documented_sequence(ecs: Any, events: list) -> None:
    created = create(ecs)
    assert names(events) == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS",
        "TASK PROVISIONING",
        "TASK PENDING",
        "TASK RUNNING",
        "SERVICE_DEPLOYMENT_COMPLETED",
        "SERVICE_STEADY_STATE",
        "SERVICE_STEADY_STATE",
    ]
    service_arn = created["serviceArn"]
    deployments = [e for e in events if e["detail-type"] == "ECS Deployment State Change"]
    assert {e["detail"]["deploymentId"] for e in deployments} == {
        deployments[0]["detail"]["deploymentId"]
    }
    assert re.fullmatch(r"ecs-svc/\d{19}", deployments[0]["detail"]["deploymentId"])
    assert all(e["resources"] == [service_arn] for e in deployments)
    assert [e["detail"]["eventType"] for e in deployments] == ["INFO", "INFO"]
    steady = [e for e in events if e["detail-type"] == "ECS Service Action"]
    assert all(e["detail"]["clusterArn"].endswith(":cluster/default") for e in steady)
    assert steady[0]["id"] != steady[1]["id"]

    tasks = [e for e in events if e["detail-type"] == "ECS Task State Change"]
    assert [e["detail"]["version"] for e in tasks] == [1, 2, 3]
    assert {e["detail"]["taskArn"] for e in tasks} == {tasks[0]["resources"][0]}
    running = tasks[-1]["detail"]
    assert running["group"] == "service:secure-blog"
    assert running["startedBy"] == deployments[0]["detail"]["deploymentId"]
    assert (running["launchType"], running["cpu"], running["memory"]) == ("FARGATE", "512", "1024")
    assert "stopCode" not in running and "startedAt" in running
    times = [e["time"] for e in events]
    assert times == sorted(times)


def test_a_failing_health_check_stops_tasks_and_fails_the_deployment(
    ecs: Any, events: list
) -> None:
    express.set_behaviour("secure-", "failing-health-check")
    create(ecs)
    assert names(events) == [
        "SERVICE_DEPLOYMENT_IN_PROGRESS",
        "TASK PROVISIONING",
        "TASK PENDING",
        "TASK RUNNING",
        "TASK STOPPED",
        "SERVICE_DEPLOYMENT_FAILED",
    ]
    stopped = events[4]["detail"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["version"] == 4
    assert stopped["stopCode"] == "ServiceSchedulerInitiated"
    assert re.fullmatch(
        r"Task failed ELB health checks in \(target-group arn:aws:"
        rf"elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/[\w-]+/[0-9a-f]+\)",
        stopped["stoppedReason"],
    )
    failed = events[-1]["detail"]
    assert failed["eventType"] == "ERROR"
    assert failed["reason"].startswith("ECS deployment circuit breaker")


def test_a_crash_loop_stops_tasks_with_the_exit_code(ecs: Any, events: list) -> None:
    express.set_behaviour(None, "crash-loop")
    create(ecs, scalingTarget={"minTaskCount": 2})
    tasks = [e["detail"] for e in events if e["detail-type"] == "ECS Task State Change"]
    by_task: dict[str, list[dict]] = {}
    for detail in tasks:
        by_task.setdefault(detail["taskArn"], []).append(detail)
    assert len(by_task) == 2
    for history in by_task.values():
        assert [d["version"] for d in history] == [1, 2, 3, 4]
        stopped = history[-1]
        assert stopped["lastStatus"] == "STOPPED"
        assert stopped["stopCode"] == "EssentialContainerExited"
        assert stopped["stoppedReason"] == "Essential container in task exited"
        assert stopped["containers"][0]["exitCode"] == 1
    assert names(events)[-1] == "SERVICE_DEPLOYMENT_FAILED"


def test_the_longest_matching_prefix_chooses_the_behaviour(ecs: Any, events: list) -> None:
    express.set_behaviour(None, "crash-loop")
    express.set_behaviour("secure", "failing-health-check")
    express.set_behaviour("secure-blog", "healthy")
    create(ecs)
    create(ecs, serviceName="secure-shop")
    create(ecs, serviceName="other")
    finals = [
        e["detail"]["eventName"]
        for e in events
        if e["detail-type"] == "ECS Deployment State Change"
        and e["detail"]["eventName"] != "SERVICE_DEPLOYMENT_IN_PROGRESS"
    ]
    assert finals == [
        "SERVICE_DEPLOYMENT_COMPLETED",
        "SERVICE_DEPLOYMENT_FAILED",
        "SERVICE_DEPLOYMENT_FAILED",
    ]
    with pytest.raises(ValueError):
        express.set_behaviour(None, "on-fire")


def test_every_emitted_event_is_a_complete_envelope(ecs: Any, events: list) -> None:
    express.set_behaviour("bad", "failing-health-check")
    create(ecs)
    create(ecs, serviceName="bad-app")
    assert events
    for event in events:
        assert set(event) == ENVELOPE_KEYS
        assert (event["version"], event["source"]) == ("0", "aws.ecs")
        assert (event["account"], event["region"]) == (ACCOUNT, REGION)
        assert TIME.match(event["time"]) and len(event["resources"]) == 1
        assert re.fullmatch(r"[0-9a-f-]{36}", event["id"])
        corpus = _corpus_for(event)
        assert set(event["detail"]) == set(corpus["detail"]), event["detail-type"]
    assert len({e["id"] for e in events}) == len(events)


def test_without_emit_events_are_kept_for_emitted() -> None:
    express.install()
    with mock_aws():
        create(boto3.client("ecs", region_name=REGION))
    assert names(express.emitted())[0] == "SERVICE_DEPLOYMENT_IN_PROGRESS"
    assert len(express.emitted()) == 7
    express.reset()
    assert express.emitted() == []


def test_with_a_time_scale_events_arrive_later_from_another_thread() -> None:
    received: list[tuple[str, dict]] = []
    done = threading.Event()

    def emit(event: dict) -> None:
        received.append((threading.current_thread().name, event))
        if event["detail"].get("eventName") == "SERVICE_STEADY_STATE" and len(received) == 7:
            done.set()

    scale = 0.01  # a deployment's 97 simulated seconds take about 1 s
    express.install(emit=emit, time_scale=scale)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        arn = create(ecs)["serviceArn"]
        assert len(received) < 7  # the call returned before the deployment finished
        assert done.wait(5)
        assert names([e for _, e in received]) == [
            "SERVICE_DEPLOYMENT_IN_PROGRESS",
            "TASK PROVISIONING",
            "TASK PENDING",
            "TASK RUNNING",
            "SERVICE_DEPLOYMENT_COMPLETED",
            "SERVICE_STEADY_STATE",
            "SERVICE_STEADY_STATE",
        ]
        assert {name for name, _ in received} == {"express-events"}

        ecs.delete_express_gateway_service(serviceArn=arn)
        status = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]
        assert status["statusCode"] == "DRAINING"  # for 60 simulated seconds
        time.sleep(express.DRAIN_SECONDS * scale + 0.1)
        status = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]
        assert status["statusCode"] == "INACTIVE"


def test_reset_cancels_pending_emissions() -> None:
    received: list[dict] = []
    express.install(emit=received.append, time_scale=0.05)  # COMPLETED due after 4.5 s
    with mock_aws():
        create(boto3.client("ecs", region_name=REGION))
    express.reset()
    time.sleep(0.05)
    at_reset = len(received)
    time.sleep(1.2)  # PENDING was due after 1 s
    assert len(received) == at_reset
    assert names(received)[0] == "SERVICE_DEPLOYMENT_IN_PROGRESS"
    assert "TASK PENDING" not in names(received)


def test_install_is_idempotent(events: list) -> None:
    express.install(emit=events.append)
    express.install(emit=events.append)
    with mock_aws():
        create(boto3.client("ecs", region_name=REGION))
    assert len(events) == 7


# --- DescribeServiceRevisions: the resources Express provisions --------------------------


def _epoch_millis(at: datetime) -> float:
    """A timestamp as moto serializes it: epoch seconds truncated to milliseconds."""
    return calendar.timegm(at.timetuple()) + (at.microsecond // 1000) / 1000.0


def revision_arn(service: dict[str, Any]) -> str:
    return service["activeConfigurations"][0]["serviceRevisionArn"]


def capture_bodies(client: Any) -> dict[str, list[tuple[dict, Shape]]]:
    """Record every raw JSON response body with the output shape the model gives it."""
    bodies: dict[str, list[tuple[dict, Shape]]] = {}

    def capture(response_dict: dict, operation_model: Any, **_: Any) -> None:
        body = json.loads(response_dict["body"] or b"{}")
        bodies.setdefault(operation_model.name, []).append((body, operation_model.output_shape))

    client.meta.events.register("before-parse.ecs.*", capture)
    return bodies


def statuses(resources: dict[str, Any]) -> set[str]:
    """Every ManagedResourceStatus found in an ecsManagedResources structure."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "status" in value and "updatedAt" in value:
                found.add(value["status"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resources)
    return found


def test_describe_service_revisions_reports_what_express_provisions(ecs: Any) -> None:
    bodies = capture_bodies(ecs)
    created = create(ecs)
    config = created["activeConfigurations"][0]
    described = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(created)])
    assert described["failures"] == []
    (revision,) = described["serviceRevisions"]
    assert revision["serviceRevisionArn"] == config["serviceRevisionArn"]
    assert revision["serviceArn"] == created["serviceArn"]
    assert revision["clusterArn"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/default"
    assert revision["launchType"] == "FARGATE"
    assert revision["taskDefinition"].endswith(":task-definition/secure-blog:1")
    assert revision["containerImages"] == [{"containerName": "secure-blog", "image": IMAGE}]
    assert revision["createdAt"] == config["createdAt"]
    assert revision["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [
        subnet("1"),
        subnet("2"),
    ]

    managed = revision["ecsManagedResources"]
    assert statuses(managed) == {"ACTIVE"}  # time_scale 0: provisioned at once
    (ingress,) = managed["ingressPaths"]
    assert ingress["accessType"] == "PUBLIC"
    assert ingress["endpoint"] == config["ingressPaths"][0]["endpoint"]
    balancer = ingress["loadBalancer"]
    lb = re.fullmatch(
        rf"{ELB}:loadbalancer/app/(ecs-express-gateway-alb-[0-9a-f]{{8}})/([0-9a-f]{{16}})",
        balancer["arn"],
    )
    assert lb, balancer["arn"]
    assert balancer["scheme"] == "internet-facing"
    assert balancer["subnetIds"] == sorted([subnet("1"), subnet("2")])
    (lb_group,) = ingress["loadBalancerSecurityGroups"]
    assert lb_group["arn"] == (
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{balancer['securityGroupIds'][0]}"
    )
    listener = f"{ELB}:listener/app/{lb[1]}/{lb[2]}/"
    assert re.fullmatch(rf"{listener}[0-9a-f]{{16}}", ingress["listener"]["arn"])
    assert ingress["rule"]["arn"].startswith(
        ingress["listener"]["arn"].replace(":listener/", ":listener-rule/") + "/"
    )
    assert re.fullmatch(
        rf"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/[0-9a-f-]{{36}}",
        ingress["certificate"]["arn"],
    )
    assert ingress["certificate"]["domainName"] == ingress["endpoint"]
    (target_group,) = ingress["targetGroups"]
    assert re.fullmatch(
        rf"{ELB}:targetgroup/ecs-gateway-tg-[0-9a-f]{{17}}/[0-9a-f]{{16}}", target_group["arn"]
    )
    assert (target_group["healthCheckPath"], target_group["port"]) == ("/health", 3000)
    assert target_group["healthCheckPort"] == 3000
    assert revision["loadBalancers"] == [
        {
            "targetGroupArn": target_group["arn"],
            "containerName": "secure-blog",
            "containerPort": 3000,
        }
    ]
    assert revision["resolvedConfiguration"]["loadBalancers"] == [
        {"targetGroupArn": target_group["arn"], "productionListenerRule": ingress["rule"]["arn"]}
    ]

    scaling = managed["autoScaling"]
    assert (scaling["scalableTarget"]["minCapacity"], scaling["scalableTarget"]["maxCapacity"]) == (
        1,
        4,
    )
    assert scaling["scalableTarget"]["arn"].startswith(
        f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/"
    )
    (policy,) = scaling["applicationAutoScalingPolicies"]
    assert (policy["policyType"], policy["metric"], policy["targetValue"]) == (
        "TargetTrackingScaling",
        "ECSServiceAverageCPUUtilization",
        60.0,
    )
    assert ":resource/ecs/service/default/secure-blog:policyName/" in policy["arn"]
    alarms = [alarm["arn"] for alarm in managed["metricAlarms"]]
    assert all(a.startswith(f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:") for a in alarms)
    assert sum("TargetTracking-service/default/secure-blog-Alarm" in a for a in alarms) == 2
    (service_group,) = managed["serviceSecurityGroups"]
    group_id = service_group["arn"].rsplit("/", 1)[1]
    assert re.fullmatch(r"sg-[0-9a-f]{17}", group_id)
    assert group_id in revision["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    (log_group,) = managed["logGroups"]
    assert re.fullmatch(r"/aws/ecs/default/secure-blog-[0-9a-f]{4}", log_group["logGroupName"])
    assert log_group["arn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group['logGroupName']}"
    )

    ((body, shape),) = bodies["DescribeServiceRevisions"]
    _assert_matches_shape(body, shape, "DescribeServiceRevisions")
    # moto's serializer drops members the model lacks; check what the extension builds too
    with express._lock:
        built = express._backend(ACCOUNT, REGION).revision(revision_arn(created))
    built = json.loads(json.dumps(built, default=_epoch_millis))
    _assert_matches_shape(built, shape.members["serviceRevisions"].member, "ServiceRevision")
    assert built == body["serviceRevisions"][0]


def test_unknown_revision_arns_come_back_as_failures(ecs: Any) -> None:
    known = revision_arn(create(ecs))
    unknown = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/default/secure-blog/1"
    described = ecs.describe_service_revisions(serviceRevisionArns=[unknown, known])
    assert [r["serviceRevisionArn"] for r in described["serviceRevisions"]] == [known]
    assert described["failures"] == [{"arn": unknown, "reason": "MISSING"}]
    only_unknown = ecs.describe_service_revisions(serviceRevisionArns=[unknown])
    assert only_unknown["serviceRevisions"] == []
    assert only_unknown["failures"] == [{"arn": unknown, "reason": "MISSING"}]
    with pytest.raises(ecs.exceptions.InvalidParameterException):
        ecs.describe_service_revisions(serviceRevisionArns=[f"{unknown}{i}" for i in range(21)])
    west = boto3.client("ecs", region_name="us-west-2")  # revisions are regional
    assert west.describe_service_revisions(serviceRevisionArns=[known])["failures"][0] == {
        "arn": known,
        "reason": "MISSING",
    }


def test_provisioned_resources_are_stable_across_describes(ecs: Any) -> None:
    arn = revision_arn(create(ecs))
    first = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    second = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    assert first == second


def test_an_update_keeps_the_provisioned_resources(ecs: Any) -> None:
    created = create(ecs)
    updated = ecs.update_express_gateway_service(
        serviceArn=created["serviceArn"],
        primaryContainer={"image": f"{IMAGE}-2", "containerPort": 3000},
        healthCheckPath="/ready",
        scalingTarget={"minTaskCount": 2, "maxTaskCount": 6, "autoScalingMetric": "AVERAGE_MEMORY"},
    )["service"]
    arns = [revision_arn(created), updated["targetConfiguration"]["serviceRevisionArn"]]
    old, new = ecs.describe_service_revisions(serviceRevisionArns=arns)["serviceRevisions"]
    assert [old["serviceRevisionArn"], new["serviceRevisionArn"]] == arns
    assert new["taskDefinition"].endswith(":task-definition/secure-blog:2")
    assert new["containerImages"][0]["image"] == f"{IMAGE}-2"
    before, after = old["ecsManagedResources"], new["ecsManagedResources"]
    old_path, new_path = before["ingressPaths"][0], after["ingressPaths"][0]
    for key in ("endpoint", "loadBalancer", "listener", "rule", "certificate"):
        assert old_path[key] == new_path[key], key
    assert old_path["loadBalancerSecurityGroups"] == new_path["loadBalancerSecurityGroups"]
    assert old_path["targetGroups"][0]["arn"] == new_path["targetGroups"][0]["arn"]
    assert new_path["targetGroups"][0]["healthCheckPath"] == "/ready"
    assert old_path["targetGroups"][0]["healthCheckPath"] == "/health"
    for key in ("serviceSecurityGroups", "logGroups", "metricAlarms"):
        assert before[key] == after[key], key
    target = after["autoScaling"]["scalableTarget"]
    assert target["arn"] == before["autoScaling"]["scalableTarget"]["arn"]
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    (policy,) = after["autoScaling"]["applicationAutoScalingPolicies"]
    assert policy["metric"] == "ECSServiceAverageMemoryUtilization"
    assert policy["arn"] == before["autoScaling"]["applicationAutoScalingPolicies"][0]["arn"]


def test_services_of_one_network_share_the_load_balancer(ecs: Any) -> None:
    def balancer(service: dict) -> dict:
        (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(service)])[
            "serviceRevisions"
        ]
        return revision["ecsManagedResources"]["ingressPaths"][0]

    blog, shop = balancer(create(ecs)), balancer(create(ecs, serviceName="shop"))
    other = balancer(
        create(
            ecs, serviceName="other", networkConfiguration={"subnets": [subnet("9"), subnet("4")]}
        )
    )
    assert blog["loadBalancer"] == shop["loadBalancer"] and blog["listener"] == shop["listener"]
    assert blog["loadBalancer"]["arn"] != other["loadBalancer"]["arn"]
    assert blog["rule"]["arn"] != shop["rule"]["arn"]
    assert blog["targetGroups"][0]["arn"] != shop["targetGroups"][0]["arn"]
    assert blog["certificate"]["domainName"] != shop["certificate"]["domainName"]


def test_the_failing_health_check_names_the_revisions_target_group(ecs: Any, events: list) -> None:
    express.set_behaviour(None, "failing-health-check")
    created = create(ecs)
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(created)])[
        "serviceRevisions"
    ]
    target_group = revision["ecsManagedResources"]["ingressPaths"][0]["targetGroups"][0]["arn"]
    stopped = [e["detail"] for e in events if e["detail"].get("lastStatus") == "STOPPED"]
    assert stopped and all(
        d["stoppedReason"] == f"Task failed ELB health checks in (target-group {target_group})"
        for d in stopped
    )


def test_a_deleted_service_keeps_its_revisions_with_deleted_resources(ecs: Any) -> None:
    created = create(ecs)
    arn = revision_arn(created)
    ecs.delete_express_gateway_service(serviceArn=created["serviceArn"])  # INACTIVE at once
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    assert statuses(revision["ecsManagedResources"]) == {"DELETED"}

    recreated = create(ecs)  # the name is free again, with new resources and a new ALB
    (fresh,) = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(recreated)])[
        "serviceRevisions"
    ]
    assert statuses(fresh["ecsManagedResources"]) == {"ACTIVE"}
    (again,) = ecs.describe_service_revisions(serviceRevisionArns=[arn])["serviceRevisions"]
    assert again == revision  # the old service's revision is still there
    old_path = revision["ecsManagedResources"]["ingressPaths"][0]
    new_path = fresh["ecsManagedResources"]["ingressPaths"][0]
    assert old_path["loadBalancer"]["arn"] != new_path["loadBalancer"]["arn"]
    assert old_path["targetGroups"][0]["arn"] != new_path["targetGroups"][0]["arn"]


def test_resource_statuses_follow_the_service_lifecycle(monkeypatch: pytest.MonkeyPatch) -> None:
    # The stand-in's clocks read time.monotonic(); a fake one moves only when the test says
    # so, so a slow machine cannot let provisioning finish before the first look.
    now = [1000.0]
    clock = type("Clock", (), {"monotonic": staticmethod(lambda: now[0])})
    monkeypatch.setattr(express, "time", clock)
    monkeypatch.setattr(express_resources, "time", clock)
    scale = 0.02  # provisioning takes 0.4 s, draining 1.2 s
    express.install(emit=lambda event: None, time_scale=scale)
    with mock_aws():
        ecs = boto3.client("ecs", region_name=REGION)
        created = create(ecs)
        other = create(ecs, serviceName="shop")

        def resources(service: dict) -> dict:
            (revision,) = ecs.describe_service_revisions(
                serviceRevisionArns=[revision_arn(service)]
            )["serviceRevisions"]
            return revision["ecsManagedResources"]

        now[0] += express_resources.PROVISION_SECONDS * scale - 0.01
        assert statuses(resources(created)) == {"PROVISIONING"}
        now[0] += 0.02
        active = resources(created)
        assert statuses(active) == {"ACTIVE"}
        assert active["logGroups"][0]["updatedAt"] > created["createdAt"]

        ecs.delete_express_gateway_service(serviceArn=created["serviceArn"])
        draining = resources(created)
        assert draining["logGroups"][0]["status"] == "DEPROVISIONING"
        assert draining["ingressPaths"][0]["loadBalancer"]["status"] == "ACTIVE"  # shop uses it
        assert draining["ingressPaths"][0]["rule"]["status"] == "DEPROVISIONING"
        ecs.delete_express_gateway_service(serviceArn=other["serviceArn"])
        now[0] += express.DRAIN_SECONDS * scale - 0.01
        assert statuses(resources(created)) == {"DEPROVISIONING"}
        now[0] += 0.02
        deleted = resources(created)
        assert statuses(deleted) == {"DELETED"}
        assert deleted["logGroups"][0]["updatedAt"] > draining["logGroups"][0]["updatedAt"]


def test_other_revision_arns_are_left_to_moto_when_moto_answers_them(
    ecs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = revision_arn(create(ecs))
    plain = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/default/plain/123"
    gone = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/default/gone/456"
    seen: list[list[str]] = []

    def moto_operation(response: Any) -> Any:
        seen.append(response._get_param("serviceRevisionArns"))
        return ActionResult(
            {
                "serviceRevisions": [{"serviceRevisionArn": plain, "launchType": "EC2"}],
                "failures": [
                    {"arn": known, "reason": "MISSING"},
                    {"arn": gone, "reason": "MISSING"},
                ],
            }
        )

    monkeypatch.setattr(express, "_moto_describe_service_revisions", moto_operation)
    described = ecs.describe_service_revisions(serviceRevisionArns=[plain, known, gone])
    assert [r["serviceRevisionArn"] for r in described["serviceRevisions"]] == [plain, known]
    assert described["serviceRevisions"][0]["launchType"] == "EC2"
    assert described["failures"] == [{"arn": gone, "reason": "MISSING"}]
    assert seen == [[plain, known, gone]]
    ecs.describe_service_revisions(serviceRevisionArns=[known])
    assert len(seen) == 1  # moto is only asked about ARNs that are not Express revisions


# --- moto server mode ----------------------------------------------------------------------


def _assert_matches_shape(value: Any, shape: Shape, path: str) -> None:
    """Fail on any key the botocore model does not declare, or a missing required member."""
    if shape.type_name == "structure":
        assert isinstance(value, dict), path
        assert set(value) <= set(shape.members), f"{path}: {set(value) - set(shape.members)}"
        assert set(shape.required_members) <= set(value), path
        for key, item in value.items():
            _assert_matches_shape(item, shape.members[key], f"{path}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), path
        for index, item in enumerate(value):
            _assert_matches_shape(item, shape.member, f"{path}[{index}]")
    elif shape.type_name == "string":
        assert isinstance(value, str), path
        assert not shape.enum or value in shape.enum, f"{path}: {value}"
    elif shape.type_name == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), path
    elif shape.type_name in ("double", "float"):
        assert isinstance(value, int | float) and not isinstance(value, bool), path
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), path
    elif shape.type_name == "timestamp":
        assert isinstance(value, int | float), path
    else:
        raise AssertionError(f"{path}: no check for {shape.type_name}")


def test_server_mode_serves_the_operations_with_model_exact_bodies(events: list) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        ecs = boto3.client("ecs", region_name=REGION, endpoint_url=f"http://{host}:{port}")
        raw: dict[str, Any] = {}

        def capture(response_dict: dict, operation_model: Any, **_: Any) -> None:
            raw[operation_model.name] = (
                json.loads(response_dict["body"]),
                operation_model.output_shape,
            )

        ecs.meta.events.register("before-parse.ecs.*", capture)
        created = create(ecs)
        arn = created["serviceArn"]
        assert ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"][
            "activeConfigurations"
        ][0]["ingressPaths"][0]["endpoint"].endswith(".ecs.us-east-1.on.aws")
        updated = ecs.update_express_gateway_service(serviceArn=arn, healthCheckPath="/ready")
        revision_arn = updated["service"]["targetConfiguration"]["serviceRevisionArn"]
        unknown = revision_arn[:-1] + ("1" if revision_arn[-1] != "1" else "2")
        described = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn, unknown])
        (revision,) = described["serviceRevisions"]
        assert revision["serviceRevisionArn"] == revision_arn
        ingress = revision["ecsManagedResources"]["ingressPaths"][0]
        assert ingress["targetGroups"][0]["healthCheckPath"] == "/ready"
        assert ingress["loadBalancer"]["status"] == "ACTIVE"
        assert described["failures"] == [{"arn": unknown, "reason": "MISSING"}]
        assert ecs.delete_express_gateway_service(serviceArn=arn)["service"]["status"] == {
            "statusCode": "DRAINING"
        }
        for operation, (body, shape) in raw.items():
            _assert_matches_shape(body, shape, operation)
        assert set(raw) == {
            "CreateExpressGatewayService",
            "DescribeExpressGatewayService",
            "UpdateExpressGatewayService",
            "DeleteExpressGatewayService",
            "DescribeServiceRevisions",
        }

        with pytest.raises(ClientError) as duplicate:
            create(ecs, serviceName="other")
            create(ecs, serviceName="other")
        assert duplicate.value.response["Error"]["Code"] == "InvalidParameterException"
        with pytest.raises(ecs.exceptions.ResourceNotFoundException):
            ecs.describe_express_gateway_service(serviceArn=arn.replace("secure-blog", "nope"))
        assert names(events).count("SERVICE_DEPLOYMENT_COMPLETED") == 3
    finally:
        server.stop()


# --- the shared corpus and the builders ----------------------------------------------------


def _corpus_for(event: dict[str, Any]) -> dict[str, Any]:
    detail = event["detail"]
    name = {
        "ECS Deployment State Change": "ecs_deployment_state_change_in_progress",
        "ECS Service Action": "ecs_service_action_steady_state",
        "ECS Task State Change": {
            "PROVISIONING": "ecs_task_state_change_provisioning",
            "PENDING": "ecs_task_state_change_provisioning",
            "RUNNING": "ecs_task_state_change_running",
            "STOPPED": "ecs_task_state_change_stopped_health_check",
        }.get(detail.get("lastStatus", ""), ""),
        "CodeBuild Build State Change": "codebuild_build_state_change_succeeded",
    }[event["detail-type"]]
    return json.loads((CORPUS / f"{name}.json").read_text())


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_corpus_events_are_complete_documented_envelopes(path: Path) -> None:
    event = json.loads(path.read_text())
    assert set(event) == ENVELOPE_KEYS and TIME.match(event["time"])
    detail = event["detail"]
    if event["source"] == "aws.codebuild":
        assert event["resources"] == [detail["build-id"]]
        assert detail["build-status"] in {"IN_PROGRESS", "SUCCEEDED", "FAILED", "STOPPED"}
        assert detail["version"] == "1" and detail["current-phase-context"] == "[]"
        info = detail["additional-information"]
        assert info["build-complete"] is (detail["build-status"] != "IN_PROGRESS")
    elif event["detail-type"] == "ECS Deployment State Change":
        assert set(detail) == {"eventType", "eventName", "deploymentId", "updatedAt", "reason"}
        assert detail["eventType"] == (
            "ERROR" if detail["eventName"].endswith("FAILED") else "INFO"
        )
    elif event["detail-type"] == "ECS Service Action":
        assert set(detail) == {"eventType", "eventName", "clusterArn", "createdAt"}
        assert MILLIS.match(detail["createdAt"])
    elif event["source"] == "aws.ssm":
        # Systems Manager User Guide, "Amazon EventBridge event examples", Run Command.
        assert set(detail) == {
            "command-id",
            "document-name",
            "expire-after",
            "parameters",
            "requested-date-time",
            "status",
        }
        assert all(":instance/i-" in arn for arn in event["resources"])
        assert MILLIS.match(detail["requested-date-time"])
    else:
        assert event["resources"] == [detail["taskArn"]]
        assert MILLIS.match(detail["createdAt"]) and MILLIS.match(detail["updatedAt"])
        assert ("stopCode" in detail) is (detail["lastStatus"] == "STOPPED")


def test_codebuild_builder_tracks_completion_and_rejects_unknown_statuses() -> None:
    common = {"account": ACCOUNT, "region": REGION, "project_name": "p", "build_uuid": "u-1"}
    started = aws_events.codebuild_build_state_change(**common, build_status="IN_PROGRESS")
    failed = aws_events.codebuild_build_state_change(**common, build_status="FAILED")
    arn = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:build/p:u-1"
    assert started["resources"] == [arn] and started["detail"]["build-id"] == arn
    assert started["detail"]["current-phase"] == "SUBMITTED"
    assert failed["detail"]["current-phase"] == "COMPLETED"
    assert failed["detail"]["additional-information"]["logs"]["group-name"] == "/aws/codebuild/p"
    assert re.fullmatch(
        r"[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M",
        failed["detail"]["additional-information"]["build-start-time"],
    )
    with pytest.raises(ValueError):
        aws_events.codebuild_build_state_change(**common, build_status="DONE")
    with pytest.raises(ValueError):
        aws_events.ecs_deployment_state_change(
            account=ACCOUNT,
            region=REGION,
            service_arn="s",
            deployment_id="d",
            event_name="SERVICE_DEPLOYMENT_DONE",
        )


def test_private_subnets_get_an_internal_load_balancer_and_a_private_path(ecs: Any) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]  # no internet gateway
    private = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    created = create(ecs, serviceName="internal-app", networkConfiguration={"subnets": private})

    (path,) = created["activeConfigurations"][0]["ingressPaths"]
    assert path["accessType"] == "PRIVATE"
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(created)])[
        "serviceRevisions"
    ]
    balancer = revision["ecsManagedResources"]["ingressPaths"][0]["loadBalancer"]
    assert balancer["scheme"] == "internal"
    public = create(ecs, serviceName="public-app")["activeConfigurations"][0]["ingressPaths"]
    assert [p["accessType"] for p in public] == ["PUBLIC"]


def test_a_subnet_that_does_not_exist_is_refused(ecs: Any) -> None:
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="subnet-0000dead"):
        create(ecs, networkConfiguration={"subnets": ["subnet-0000dead"]})


# --- what Express refuses -----------------------------------------------------------------


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> str:
    """The message of an InvalidParameterException answered with HTTP 400."""
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(error.value.response["Error"]["Message"])


@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        ("4096", "16384"),  # a Fargate size, above Express's 8 GiB
        ("8192", "16384"),  # a Fargate size, above Express's 4 vCPU
        ("256", "8192"),  # within Express's range, not a Fargate pairing
        ("1024", "1024"),  # below 1024 cpu's smallest memory
        ("3", "5"),
        ("1 vCPU", "2 GB"),  # task-definition forms, not documented for Express
    ],
)
def test_create_refuses_a_size_that_is_not_an_express_fargate_size(
    ecs: Any, cpu: str, memory: str
) -> None:
    with pytest.raises(ClientError) as refused:
        create(ecs, cpu=cpu, memory=memory)
    assert _refusal(refused).startswith("No Fargate configuration exists for given values")
    assert f"{cpu} CPU, {memory} memory" in _refusal(refused)
    assert ecs.list_services(resourceManagementType="ECS")["serviceArns"] == []


def test_create_accepts_the_edges_of_expresss_sizes(ecs: Any) -> None:
    sizes = [("256", "512"), ("256", "2048"), ("512", "4096"), ("2048", "8192"), ("4096", "8192")]
    for index, (cpu, memory) in enumerate(sizes):
        created = create(ecs, serviceName=f"size-{index}", cpu=cpu, memory=memory)
        config = created["activeConfigurations"][0]
        assert (config["cpu"], config["memory"]) == (cpu, memory)


def test_create_refuses_an_architecture_outside_the_models_enum(ecs: Any) -> None:
    with pytest.raises(ClientError) as refused:
        create(ecs, cpuArchitecture="AMD64")
    assert "Value 'AMD64' at 'cpuArchitecture'" in _refusal(refused)
    assert "[X86_64, ARM64]" in _refusal(refused)

    arm = create(ecs, serviceName="arm", cpuArchitecture="ARM64")
    assert arm["activeConfigurations"][0]["cpuArchitecture"] == "ARM64"


def test_create_refuses_subnets_in_fewer_than_two_availability_zones(ecs: Any) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    same_zone = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=f"{REGION}a")[
            "Subnet"
        ]["SubnetId"]
        for i in range(2)
    ]
    for subnets in ([subnet("9")], same_zone):
        with pytest.raises(ClientError) as refused:
            create(ecs, networkConfiguration={"subnets": subnets, "securityGroups": ["sg-1"]})
        assert "two different Availability Zones" in _refusal(refused)
    assert ecs.list_services(resourceManagementType="ECS")["serviceArns"] == []

    # Without a network configuration Express uses the default VPC.
    default = create(ecs, networkConfiguration=None)["activeConfigurations"][0]
    assert [p["accessType"] for p in default["ingressPaths"]] == ["PUBLIC"]


def test_update_refuses_what_create_refuses_and_keeps_the_service(ecs: Any) -> None:
    created = create(ecs)  # cpu 512, memory 1024
    arn = created["serviceArn"]
    refusals = [
        ({"cpu": "4096"}, "4096 CPU, 1024 memory"),  # the new cpu with the kept memory
        ({"cpu": "4096", "memory": "16384"}, "4096 CPU, 16384 memory"),
        ({"cpuArchitecture": "AMD64"}, "'cpuArchitecture'"),
        ({"networkConfiguration": {"subnets": [subnet("9")]}}, "Availability Zones"),
        ({"networkConfiguration": {"subnets": ["subnet-0000dead"]}}, "subnet-0000dead"),
    ]
    for change, wording in refusals:
        with pytest.raises(ClientError) as refused:
            ecs.update_express_gateway_service(serviceArn=arn, **change)
        assert wording in _refusal(refused), change
    described = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert described["currentDeployment"] == created["currentDeployment"]

    updated = ecs.update_express_gateway_service(serviceArn=arn, cpu="4096", memory="8192")
    target = updated["service"]["targetConfiguration"]
    assert (target["cpu"], target["memory"]) == ("4096", "8192")


def test_list_service_deployments_follows_each_deployments_events(ecs: Any) -> None:
    """ListServiceDeployments, newest first, read through the reconciler's adapter."""
    from bot.adapters.aws_reconcile import AwsReconcile

    arn = create(ecs)["serviceArn"]
    reconcile = AwsReconcile(None, ecs, None, None)
    assert reconcile.deployment_status(arn) == ("SUCCESSFUL", None)  # time scale 0: done
    express.set_behaviour("secure-blog", "failing-health-check")
    ecs.update_express_gateway_service(serviceArn=arn, primaryContainer={"image": f"{IMAGE}-2"})
    listed = ecs.list_service_deployments(service=arn, cluster="default")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["STOPPED", "SUCCESSFUL"]
    assert listed[0]["statusReason"] == "ECS deployment circuit breaker: task failed to start."
    assert reconcile.deployment_status(arn)[0] == "STOPPED"
    reconcile.delete_service(arn)
    reconcile.delete_service(arn)  # already draining: a retried delete is not an error
