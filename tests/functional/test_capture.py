"""The capture adapter against moto and the sandbox's SSM stand-in (a modelled instance).

What the stand-in plays is the documented behaviour (``sandbox/ssm.py``); what the script does
on a real machine is ``test_capture_script.py``.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.events.models import EventPattern

from bot.adapters.aws_capture import AwsCapture
from bot.domain.capture import capture_keys, read_answer, refusal
from sandbox import instances, ssm
from sandbox.instances import AppProcess, Instance, app_folder
from sandbox.legacy import SSM_CORE, load_aws_managed_policy
from sandbox.template import Template

REGION = "us-east-1"
BUCKET = "artifacts"
Clients = Callable[[str], Any]


@pytest.fixture
def emitted() -> Iterator[list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    with mock_aws():
        ssm.install(events.append)
        ssm.reset()
        instances.forget()
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        yield events
        instances.forget()
    ssm.install(None)


def _client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


def _capture() -> AwsCapture:
    return AwsCapture(
        _client("ssm"), _client("s3"), _client("iam"), _client("secretsmanager"), BUCKET
    )


def _instance(profile: str | None = None) -> str:
    ec2 = _client("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    extra: dict[str, Any] = {"IamInstanceProfile": {"Name": profile}} if profile else {}
    return str(
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, **extra)["Instances"][0][
            "InstanceId"
        ]
    )


def _profile(name: str, *, with_ssm_policy: bool) -> str:
    iam = _client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    if with_ssm_policy:
        load_aws_managed_policy(_client("sts").get_caller_identity()["Account"], SSM_CORE)
        iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{SSM_CORE}")
    arn = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return str(arn)


def _blog() -> AppProcess:
    return AppProcess(
        folder=app_folder("secure-blog"),
        working_directory="/opt/secure-blog",
        command=["/usr/bin/node", "server.js"],
        executable="/usr/bin/node",
        user="blog",
        port=3000,
        environment={"PORT": "3000", "TABLE_NAME": "posts", "SESSION_SECRET": "s3cr3t"},
        systemd_unit="secure-blog.service",
        unit_file="[Service]\nUser=blog\n",
    )


def test_a_managed_instance_is_online_and_the_capture_uploads_its_folder(
    emitted: list[dict[str, Any]],
) -> None:
    instance_id = _instance()
    instances.register(instance_id, Instance(app=_blog()))
    capture = _capture()

    status = capture.ssm_status(instance_id, None)
    assert status.managed and "agent 3.3.1142.0" in status.detail

    command_id = capture.start_capture("mig-00000001", instance_id, 3000)
    sent = _client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert sent["Comment"] == "migrate-bot capture mig-00000001"
    assert [e["detail-type"] for e in emitted] == [
        "EC2 Command Invocation Status-change Notification",
        "EC2 Command Status-change Notification",
    ]
    finished = emitted[-1]
    assert finished["detail"]["status"] == "Success"
    assert finished["resources"] == [f"arn:aws:ec2:{REGION}:123456789012:instance/{instance_id}"]

    result = capture.capture_result(command_id, instance_id)
    assert (result.migration_id, result.status) == ("mig-00000001", "Success")
    assert refusal(read_answer(result.stdout), port=3000) is None
    source_key, environment_key = capture_keys("mig-00000001")
    bundle = capture.read_bundle(source_key)
    assert sorted(bundle.paths) == ["package-lock.json", "package.json", "server.js"]
    assert "engines" in bundle.text("package.json")
    assert capture.read_environment(environment_key)["SESSION_SECRET"] == "s3cr3t"
    capture.delete_environment(environment_key)
    listed = _client("s3").list_objects_v2(Bucket=BUCKET, Prefix="captures/")["Contents"]
    assert [o["Key"] for o in listed] == [source_key]


def test_the_template_rule_matches_the_capture_and_no_other_command(
    emitted: list[dict[str, Any]],
) -> None:
    instance_id = _instance()
    instances.register(instance_id, Instance(app=_blog()))
    _capture().start_capture("mig-00000001", instance_id, 3000)
    _client("ssm").send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["yum update -y"]},
    )
    pattern = Template.load().resources["CaptureEventsFunction"]["Properties"]["Events"][
        "CaptureCommandFinished"
    ]["Properties"]["Pattern"]
    matcher = EventPattern.load(json.dumps(pattern))
    commands = [e for e in emitted if e["detail-type"] == "EC2 Command Status-change Notification"]
    assert [matcher.matches_event(e) for e in commands] == [True, False]


def test_nothing_listening_on_the_port_is_a_failed_command_with_a_refusal(
    emitted: list[dict[str, Any]],
) -> None:
    instance_id = _instance()
    instances.register(instance_id, Instance(app=_blog()))
    capture = _capture()
    command_id = capture.start_capture("mig-00000001", instance_id, 8080)
    result = capture.capture_result(command_id, instance_id)
    assert result.status == "Failed" and emitted[-1]["detail"]["status"] == "Failed"
    refused = refusal(read_answer(result.stdout), port=8080)
    assert refused is not None and "listens on port 8080" in refused.reason


def test_a_bundle_keeps_the_files_tar_gives_it(emitted: list[dict[str, Any]]) -> None:
    instance_id = _instance()
    app = _blog()
    (app.folder / "public").mkdir()
    (app.folder / "public" / "style.css").write_text("body {}\n")
    instances.register(instance_id, Instance(app=app))
    capture = _capture()
    capture.start_capture("mig-00000002", instance_id, 3000)
    body = _client("s3").get_object(Bucket=BUCKET, Key=capture_keys("mig-00000002")[0])["Body"]
    with tarfile.open(fileobj=io.BytesIO(body.read()), mode="r:gz") as archive:
        names = sorted(m.name for m in archive.getmembers() if m.isfile())
    assert names == ["./package-lock.json", "./package.json", "./public/style.css", "./server.js"]


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("no profile", ["has no instance profile", SSM_CORE]),
        ("profile without the policy", ["lacks AmazonSSMManagedInstanceCore", "plain-role"]),
        (
            "policy but no agent",
            ["has AmazonSSMManagedInstanceCore", "not installed or not running"],
        ),
    ],
)
def test_an_unmanaged_instance_is_told_by_its_missing_piece(
    emitted: list[dict[str, Any]], setup: str, words: list[str]
) -> None:
    profile = None
    if setup == "profile without the policy":
        profile = _profile("plain-role", with_ssm_policy=False)
    elif setup == "policy but no agent":
        profile = _profile("ssm-role", with_ssm_policy=True)
    instance_id = _instance(profile.rsplit("/", 1)[-1] if profile else None)
    instances.register(instance_id, Instance(app=_blog(), ssm_agent=False))

    status = _capture().ssm_status(instance_id, profile)

    assert not status.managed
    for word in words:
        assert word in status.detail


def test_a_command_runs_only_on_the_instance_it_names(emitted: list[dict[str, Any]]) -> None:
    # moto alone would add every instance of the Region to a command without Targets.
    first, second = _instance(), _instance()
    instances.register(first, Instance(app=_blog()))
    instances.register(second, Instance(app=_blog()))
    command_id = _capture().start_capture("mig-00000003", first, 3000)
    sent = _client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert sent["InstanceIds"] == [first] and sent["TargetCount"] == 1
    finished = [e for e in emitted if e["detail-type"] == "EC2 Command Status-change Notification"]
    assert finished[-1]["resources"] == [f"arn:aws:ec2:{REGION}:123456789012:instance/{first}"]
    with pytest.raises(ClientError, match="InvocationDoesNotExist"):
        _client("ssm").get_command_invocation(CommandId=command_id, InstanceId=second)
