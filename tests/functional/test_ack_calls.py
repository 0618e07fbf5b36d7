"""The /migrate ack's AWS calls, counted at botocore through the real ingress handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from bot import bootstrap
from sandbox.aws_calls import counting_calls
from sandbox.harness import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with mock_aws(), Sandbox() as box:
        yield box


def test_a_started_migration_costs_five_aws_calls_with_its_audit_record(
    sandbox: Sandbox,
) -> None:
    assert sandbox.legacy is not None
    instance = sandbox.legacy.instance_id
    response, calls = counting_calls(lambda: sandbox.slash(instance, user="U0ALICE"))

    assert "started" in response["json"]["text"]
    assert calls == [
        "dynamodb:GetItem",  # the channel's own policy (none: the stack's default applies)
        "ec2:DescribeInstances",  # the target exists
        "dynamodb:GetItem",  # who holds the instance's lock (nobody)
        "dynamodb:TransactWriteItems",  # migration, lock and audit record together
        "events:PutEvents",  # MigrationRequested
    ]
    migration = sandbox.migration()
    (audit,) = bootstrap.core().store.audit_trail(migration.migration_id)
    assert (audit.actor, audit.action) == ("U0ALICE", "request")
