"""``migrate-bot plan`` against the sandbox's seeded legacy account (moto in process).

The command builds its own clients from a ``boto3.Session``, so the tests reach them through
``boto3.Session``: a recording session counts every operation, and a refusing one answers a
call as EC2 answers a caller without the permission.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bot.domain.plan import Plan
from sandbox.cli import main
from sandbox.legacy import APP, RECORD, LegacyApp, seed_legacy

REGION = "us-east-1"
READS = ("Describe", "List", "Get")


@pytest.fixture
def legacy() -> Iterator[LegacyApp]:
    """The secure-blog account, seeded inside one moto account."""
    with mock_aws():
        yield seed_legacy(lambda service: boto3.client(service, region_name=REGION))


def _sessions_calling(monkeypatch: pytest.MonkeyPatch, handler: Callable[..., Any]) -> None:
    """Make every ``boto3.Session`` the command builds call ``handler`` before each call."""
    real = boto3.Session

    def session(*args: Any, **kwargs: Any) -> boto3.Session:
        made = real(*args, **kwargs)
        made.events.register("before-call", handler)
        return made

    monkeypatch.setattr(boto3, "Session", session)


def _plan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["plan", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_prints_the_plan_card_for_a_name_tag(
    legacy: LegacyApp, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _plan(capsys, APP, "--region", REGION)

    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"Plan for {APP} ({legacy.instance_id})"
    assert f"Instance:        {legacy.instance_id} (t3.small, x86_64)" in lines
    assert "Fargate size:    1024 CPU units · 2048 MiB" in lines
    # Read-only: the app is captured only once /migrate runs, so its runtime is not read yet.
    assert "App:             runtime not read yet, port 3000, health /health" in lines
    assert f"DNS:             {RECORD}" in lines
    text = " ".join(out.split())  # long lines wrap at 100 columns
    assert "Where tasks run: tasks in public subnets" in text
    assert "where the instance ran in private subnet" in text
    assert any(line.startswith("Architecture:") and "linux/amd64" in line for line in lines)
    assert "Cannot be migrated: nothing found" in lines


def test_the_instance_id_finds_the_same_plan_as_json(
    legacy: LegacyApp, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _plan(capsys, legacy.instance_id, "--region", REGION, "--json")

    assert status == 0
    plan = Plan.model_validate_json(out)
    assert (plan.instance_id, plan.name, plan.record_name) == (
        legacy.instance_id,
        APP,
        f"{RECORD}.",  # Route 53's form; the text drops the final dot
    )
    assert (plan.cpu, plan.memory, plan.port, plan.runtime) == ("1024", "2048", 3000, "unknown")
    assert json.loads(plan.model_dump_json()) == json.loads(out)


def test_discovery_makes_only_describe_list_and_get_calls(
    legacy: LegacyApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    operations: list[str] = []
    _sessions_calling(monkeypatch, lambda model, **_: operations.append(model.name))

    status, _, _ = _plan(capsys, APP, "--region", REGION)

    assert status == 0
    assert "DescribeInstances" in operations and "ListResourceRecordSets" in operations
    assert [name for name in operations if not name.startswith(READS)] == []


def test_an_unknown_instance_is_said_on_stderr_with_status_1(
    legacy: LegacyApp, capsys: pytest.CaptureFixture[str]
) -> None:
    for target in ("no-such-app", "i-0123456789abcdef0"):
        status, out, err = _plan(capsys, target, "--region", REGION)

        assert (status, out) == (1, "")
        assert err.startswith("migrate-bot plan: no running or stopped EC2 instance matches")
        assert repr(target) in err and "Traceback" not in err


@pytest.mark.parametrize("target", ["i-123", "i-0ABCDEF12", ""])
def test_a_malformed_id_is_a_usage_error(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["plan", target])

    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: migrate-bot plan")
    assert "not an instance id" in err or "give an instance id" in err


def test_an_access_denied_is_said_with_the_permission_and_status_1(
    legacy: LegacyApp, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Forbidden:
        status_code = 403

    def refuse(model: Any, **_: Any) -> tuple[Forbidden, dict[str, Any]] | None:
        if model.name != "DescribeInstances":
            return None
        message = (
            "You are not authorized to perform this operation. User: arn:aws:iam::123456789012:"
            "user/dev is not authorized to perform: ec2:DescribeInstances because no "
            "identity-based policy allows the ec2:DescribeInstances action"
        )
        return Forbidden(), {"Error": {"Code": "UnauthorizedOperation", "Message": message}}

    _sessions_calling(monkeypatch, refuse)

    status, out, err = _plan(capsys, APP, "--region", REGION)

    assert (status, out) == (1, "")
    assert err.startswith("migrate-bot plan: AWS refused a read:")
    assert "ec2:DescribeInstances" in err and "Traceback" not in err


def test_missing_credentials_say_how_to_give_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    status, out, err = _plan(capsys, APP, "--region", REGION)

    assert (status, out) == (1, "")
    assert err.startswith("migrate-bot plan: no AWS credentials found")
    assert "--profile" in err and "AWS_ACCESS_KEY_ID" in err


def test_an_unknown_profile_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    status, out, err = _plan(capsys, APP, "--profile", "nobody", "--region", REGION)

    assert (status, out) == (1, "")
    assert "nobody" in err and "Traceback" not in err


def test_no_region_is_said(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))

    status, out, err = _plan(capsys, APP)

    assert (status, out) == (1, "")
    assert err.startswith("migrate-bot plan: no AWS region. Pass --region")
