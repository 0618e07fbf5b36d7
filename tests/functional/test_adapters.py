"""The AWS adapters against moto, in process: real boto3 calls, assertions on resulting state.

Tables come from ``template.yaml`` (``BotStack.provision``), so keys and indexes are the
template's; the legacy account is the sandbox's seeded "secure-blog".
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from bot.adapters.aws_build import BUILD_IMAGE, LIFECYCLE_POLICY, AwsBuild
from bot.adapters.aws_discovery import AwsDiscovery
from bot.adapters.aws_express import AwsExpress
from bot.adapters.aws_side_by_side import AwsSideBySide
from bot.adapters.aws_task_access import AwsTaskAccess
from bot.adapters.dynamodb_store import DynamoStore
from bot.adapters.eventbridge import MAX_ATTEMPTS, EventBridgePublisher, PublishError
from bot.adapters.route53_traffic import EXPRESS_ID, LEGACY_ID, Route53Traffic
from bot.domain.capture import CapturedProcess
from bot.domain.facts import (
    AliasTarget,
    CertificateFacts,
    DnsRecordFacts,
    ExpressIngress,
    ServiceSpec,
    ValidationRecord,
)
from bot.domain.gates import Side
from bot.domain.migration import Migration
from bot.domain.plan import Plan
from bot.domain.retirement import CleanupRecord, DecommissionRecord
from bot.domain.runtimes import detect
from bot.domain.side_by_side import SideBySide, SideFigures, Window, window
from bot.domain.state import Stage
from bot.events.models import (
    SOURCE,
    DiscoveryCompleted,
    DomainEvent,
    MigrationFailed,
    MigrationRequested,
    TrafficShifted,
)
from bot.ports import (
    AuditRecord,
    DeployError,
    InstanceBusyError,
    InstanceNotFoundError,
    MigrationNotFoundError,
    SideBySideReadError,
    StaleVersionError,
    TaskRecord,
)
from sandbox import express, metric_data
from sandbox.cloud import BotStack
from sandbox.codebuild import install_operations
from sandbox.legacy import USER_DATA, LegacyApp, seed_legacy
from sandbox.live_traffic import ScaledClock
from sandbox.template import Template
from tests.functional.bundles import put_bundle
from tests.functional.network import two_subnets

REGION = "us-east-1"
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
COMPLETED, FAILED = "SERVICE_DEPLOYMENT_COMPLETED", "SERVICE_DEPLOYMENT_FAILED"
IN_PROGRESS = "SERVICE_DEPLOYMENT_IN_PROGRESS"
MIGRATIONS, CLAIMS = "MigrationsTable", "IdempotencyTable"  # the template's logical ids

Clients = Callable[[str], Any]


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def clients() -> Iterator[Clients]:
    """A boto3 client factory inside one moto account."""
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def account(clients: Clients) -> str:
    return str(clients("sts").get_caller_identity()["Account"])


@pytest.fixture
def stack(clients: Clients, account: str) -> BotStack:
    """The bot's tables, bucket and roles, created from the template."""
    bot_stack = BotStack(Template.load(), clients, account)
    bot_stack.provision()
    return bot_stack


@pytest.fixture
def tables(clients: Clients) -> dict[str, str]:
    """Only the template's tables, created as ``BotStack.provision`` does (IAM is slow in moto)."""
    keys = ("KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes")
    declared = Template.load().of_type("AWS::DynamoDB::Table")
    assert set(declared) == {MIGRATIONS, CLAIMS}
    dynamodb = clients("dynamodb")
    for name, resource in declared.items():
        props = resource["Properties"]
        dynamodb.create_table(TableName=name, **{k: props[k] for k in keys if k in props})
    return {"migrations": MIGRATIONS, "claims": CLAIMS}


@pytest.fixture
def store(clients: Clients, tables: dict[str, str]) -> DynamoStore:
    return DynamoStore(clients("dynamodb"), tables["migrations"], tables["claims"])


@pytest.fixture
def legacy(clients: Clients) -> LegacyApp:
    return seed_legacy(clients)


@pytest.fixture
def discovery(clients: Clients) -> AwsDiscovery:
    return AwsDiscovery(clients("ec2"), clients("elbv2"), clients("route53"))


def full_migration(migration_id: str = "mig-0000abcd", **changes: Any) -> Migration:
    """A migration with every field off its default but the notifier's own (``slack_ts``,
    ``card_version``, ``card_tasks``: each has its own call)."""
    plan = Plan(
        instance_id="i-0123456789abcdef0",
        instance_type="t3.small",
        architecture="x86_64",
        name="secure-blog",
        vpc_id="vpc-1",
        subnet_ids=["subnet-a", "subnet-b"],
        security_group_ids=["sg-1"],
        port=3000,
        health_check_path="/health",
        target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1",
        load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/alb/1",
        load_balancer_dns="alb-1.us-east-1.elb.amazonaws.com",
        load_balancer_zone_id="Z35SXDOTRQ7X7K",
        listener_arn="arn:aws:elasticloadbalancing:us-east-1:1:listener/app/alb/1/2",
        hosted_zone_id="Z0EXAMPLE",
        record_name="blog.example.com.",
        cpu="1024",
        memory="2048",
        runtime="node",
        start_command=["node", "server.js"],
        instance_profile_arn="arn:aws:iam::1:instance-profile/secure-blog-instance",
        environment={"PORT": "3000", "TABLE_NAME": "secure-blog-posts"},
        secret_names=["SESSION_SECRET"],
        secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:migrate-bot/mig-0000abcd/environment-AbCdEf",
        source="capture",
        bundle_key="captures/mig-0000abcd/source.tgz",
        app=CapturedProcess(
            pid=2917,
            user="blog",
            working_directory="/opt/secure-blog",
            command=["/usr/bin/node", "server.js"],
            executable="/usr/bin/node",
            systemd_unit="secure-blog.service",
            unit_file="[Service]\nUser=blog\n",
            bundle_bytes=1200,
            bundle_files=3,
        ),
        detection=detect({"package.json": '{"engines": {"node": "22"}}', "server.js": None}),
        ssm="managed by SSM (agent 3.3.1142.0, Amazon Linux 2023)",
        warnings=["user data installs packages at boot"],
    )
    values: dict[str, Any] = {
        "migration_id": migration_id,
        "version": 7,  # create() must reset it to 1
        "stage": Stage.FAILED,
        "target": "secure-blog",
        "channel_id": "C0123",
        "requested_by": "U0456",
        "account_id": "111122223333",
        "created_at": T0,
        "updated_at": T0 + timedelta(minutes=5, microseconds=250),
        "weight": 50,
        "requested_weight": 100,
        "full_approvals": ["U0789"],
        "weighted_dns": True,
        "original_records": [
            {
                "Name": "blog.example.com.",
                "Type": record_type,
                "AliasTarget": {
                    "HostedZoneId": "Z35SXDOTRQ7X7K",
                    "DNSName": "alb-1.us-east-1.elb.amazonaws.com.",
                    "EvaluateTargetHealth": False,
                },
            }
            for record_type in ("A", "AAAA")
        ],
        "express_alias": AliasTarget(
            dns_name="ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com",
            hosted_zone_id="Z35SXDOTRQ7X7K",
        ),
        "edge_added": {
            "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/0f1e2d3c",
            "host": "blog.example.com",
        },
        "express_ingress": ExpressIngress(
            load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:1:"
            "loadbalancer/app/ecs-express-gateway-alb-1a2b3c4d/1",
            listener_arn="arn:aws:elasticloadbalancing:us-east-1:1:"
            "listener/app/ecs-express-gateway-alb-1a2b3c4d/1/2",
            rule_arn="arn:aws:elasticloadbalancing:us-east-1:1:"
            "listener-rule/app/ecs-express-gateway-alb-1a2b3c4d/1/2/3",
            alias=AliasTarget(
                dns_name="ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com",
                hosted_zone_id="Z35SXDOTRQ7X7K",
            ),
            target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/ecs-tg/9",
            endpoint="https://mi-abc.ecs.us-east-1.on.aws",
        ),
        "edge_blocker": "no certificate on the Express listener covers blog.example.com",
        "certificate": CertificateFacts(
            arn="arn:aws:acm:us-east-1:1:certificate/0f1e2d3c",
            origin="requested",
            status="PENDING_VALIDATION",
            validation_record=ValidationRecord(
                name="_x1.blog.example.com.", value="_y2.acm-validations.aws.", hosted_zone_id="Z1"
            ),
            why="IAM server certificate blog-tls (not reused: ACM cannot renew it)",
        ),
        "bake_ends_at": T0 + timedelta(minutes=35, microseconds=125),
        "shifted_at": T0 + timedelta(minutes=25, microseconds=500),
        "side_by_side": SideBySide(
            weight=50,
            moment="rollback",
            start=T0 + timedelta(minutes=25, microseconds=500),
            end=T0 + timedelta(minutes=31),
            legacy=SideFigures(requests=5400, errors_5xx=1, p99_seconds=0.012),
            express=SideFigures(requests=5350, errors_5xx=270, p99_seconds=0.034),
            legacy_healthy=2,
            legacy_unhealthy=1,
        ),
        "cutover_steps": (25, 100),
        "bake_minutes": 5,
        "cleanup": CleanupRecord(
            requested_by="U0BOB",
            keep_image=True,
            started_at=T0 + timedelta(hours=2),
            removed=["the Express service"],
            problems=["the security group is still in use"],
            service_deleted=True,
            attempt=2,
        ),
        "decommission": DecommissionRecord(
            instance_id="i-0abc1234def567890",
            target_group_arn="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/blog/1",
            port=3000,
            requested_by="U0BOB",
            approvals=["U0BOB", "U0CAROL"],
            image_id="ami-0123456789abcdef0",
            decommissioned_at=T0 + timedelta(days=1),
            terminate_after=T0 + timedelta(days=8),
            terminable=True,
            terminate_approvals=["U0CAROL"],
            undone_by="U0DAVE",
            healthy=True,
        ),
        "gradual_until": 100,
        "paused": True,
        "rollback_reason": "alarm migrate-bot-mig-0000abcd-5xx: Threshold Crossed",
        "gradual_by": "U0789",
        "dns_change_id": "C2682N5HXP0BZ4",
        "plan": plan,
        "capture_command_id": "0b6c1a52-7f3e-4d1e-9a7b-2f4c8e9d1a3b",
        "build_id": "mig-0000abcd:5c7e",
        "repository_uri": "1.dkr.ecr.us-east-1.amazonaws.com/mig-0000abcd",
        "image_uri": "1.dkr.ecr.us-east-1.amazonaws.com/mig-0000abcd:3f2a9c1",
        "service_arn": f"arn:aws:ecs:us-east-1:1:service/default/{migration_id}",
        "endpoint": "https://mi-abc.ecs.us-east-1.on.aws",
        "failure": "Deployment failed: circuit breaker",
        "failed_stage": Stage.DEPLOYING,
    }
    values.update(changes)
    return Migration(**values)


def new_migration(
    migration_id: str, channel_id: str = "C0123", created_at: datetime = T0
) -> Migration:
    """A just-requested migration (no service yet) of its own instance."""
    return Migration(
        migration_id=migration_id,
        stage=Stage.REQUESTED,
        target=f"i-{migration_id.removeprefix('mig-')}",
        channel_id=channel_id,
        requested_by="U0456",
        created_at=created_at,
        updated_at=created_at,
    )


def stored_item(clients: Clients, migration_id: str, sk: str) -> dict[str, Any]:
    """One raw item of the migrations table."""
    response = clients("dynamodb").get_item(
        TableName=MIGRATIONS,
        Key={"pk": {"S": f"MIGRATION#{migration_id}"}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    return dict(response.get("Item", {}))


# --- DynamoStore -----------------------------------------------------------------------------


def test_create_then_get_round_trips_every_field(store: DynamoStore) -> None:
    migration = full_migration()
    unset = [
        name
        for name, info in Migration.model_fields.items()
        if getattr(migration, name) == info.get_default(call_default_factory=True)
    ]
    # The round trip covers every other field; these belong to the notifier's own writes.
    assert unset == ["slack_ts", "card_version", "card_tasks"]

    created = store.create(migration)

    assert created == migration.model_copy(update={"version": 1})
    assert store.get(migration.migration_id) == created


def test_get_of_an_unknown_migration_raises_not_found(store: DynamoStore) -> None:
    with pytest.raises(MigrationNotFoundError):
        store.get("mig-0000f00d")


def test_create_never_overwrites_an_existing_migration(store: DynamoStore) -> None:
    first = store.create(new_migration("mig-00000001"))

    with pytest.raises(ClientError):
        store.create(full_migration("mig-00000001"))

    assert store.get("mig-00000001") == first


def test_save_bumps_the_version_and_a_stale_save_changes_nothing(store: DynamoStore) -> None:
    created = store.create(new_migration("mig-00000002"))
    saved = store.save(created.model_copy(update={"stage": Stage.DISCOVERING}))
    assert saved.version == 2
    assert store.get("mig-00000002") == saved

    stale = created.model_copy(update={"stage": Stage.CANCELLED, "failure": "late click"})
    with pytest.raises(StaleVersionError):
        store.save(stale)

    assert store.get("mig-00000002") == saved


def test_save_of_an_unknown_migration_is_refused(store: DynamoStore) -> None:
    with pytest.raises(StaleVersionError):
        store.save(new_migration("mig-0000dead").model_copy(update={"version": 1}))


def test_set_slack_ts_once_only_without_bumping_the_version(store: DynamoStore) -> None:
    created = store.create(new_migration("mig-00000003"))

    assert store.set_slack_ts("mig-00000003", "1764061200.000100") is True
    assert store.set_slack_ts("mig-00000003", "1764061299.000200") is False

    stored = store.get("mig-00000003")
    assert stored.slack_ts == "1764061200.000100"
    assert stored.version == created.version == 1
    # the version is untouched, so a copy read before the ts was set still saves
    saved = store.save(created.model_copy(update={"stage": Stage.DISCOVERING}))
    assert store.get("mig-00000003").slack_ts == "1764061200.000100"
    assert saved.version == 2


def test_set_slack_ts_of_an_unknown_migration_creates_nothing(
    store: DynamoStore, clients: Clients
) -> None:
    assert store.set_slack_ts("mig-0000beef", "1764061200.000100") is False
    assert stored_item(clients, "mig-0000beef", "STATE") == {}


def test_find_by_service_arn_finds_only_after_a_save_sets_it(store: DynamoStore) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:service/default/mig-00000004"
    created = store.create(new_migration("mig-00000004"))
    store.create(new_migration("mig-00000005"))
    assert store.find_by_service_arn(arn) is None

    saved = store.save(created.model_copy(update={"stage": Stage.DISCOVERING, "service_arn": arn}))

    assert store.find_by_service_arn(arn) == saved
    assert store.find_by_service_arn(arn + "-other") is None


def test_find_by_service_arn_returns_the_latest_state(store: DynamoStore) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:service/default/mig-00000006"
    created = store.create(new_migration("mig-00000006"))
    saved = store.save(created.model_copy(update={"service_arn": arn}))
    store.set_slack_ts("mig-00000006", "1764061200.000100")
    latest = store.save(saved.model_copy(update={"stage": Stage.DISCOVERING}))

    found = store.find_by_service_arn(arn)

    assert found == latest.model_copy(update={"slack_ts": "1764061200.000100"})


def test_list_by_channel_returns_the_channels_migrations_newest_first(
    store: DynamoStore,
) -> None:
    # whole seconds and fractions mixed: isoformat() drops ".000000", the sort key must cope
    times = [T0 + timedelta(seconds=1, microseconds=500_000), T0, T0 + timedelta(hours=2)]
    created = [
        store.create(new_migration(f"mig-0000010{index}", "C-ops", created_at))
        for index, created_at in enumerate(times)
    ]
    store.create(new_migration("mig-00000200", "C-other", T0 + timedelta(days=1)))

    listed = store.list_by_channel("C-ops")

    assert listed == sorted(created, key=lambda m: m.created_at, reverse=True)
    assert store.list_by_channel("C-empty") == []


def test_audit_trail_is_append_only_and_oldest_first(store: DynamoStore) -> None:
    store.create(new_migration("mig-00000007"))
    records = [
        AuditRecord(
            migration_id="mig-00000007",
            actor=actor,
            action=action,
            decision="accepted",
            at=T0 + offset,
        )
        for actor, action, offset in [
            ("U1", "cutover_10", timedelta(minutes=3)),
            ("bot", "request", timedelta(0)),
            ("U2", "approve_plan", timedelta(seconds=1, microseconds=1)),
            ("U3", "cutover_50", timedelta(minutes=3)),  # same instant as cutover_10
        ]
    ]
    for record in records:
        store.append_audit(record)
    store.append_audit(records[1])  # the same record again is a second entry, not an overwrite
    store.append_audit(records[1].model_copy(update={"migration_id": "mig-00000008"}))

    trail = store.audit_trail("mig-00000007")

    assert sorted(trail, key=lambda r: r.action) == sorted(
        [*records, records[1]], key=lambda r: r.action
    )
    assert [r.at for r in trail] == sorted(r.at for r in trail)
    assert len(store.audit_trail("mig-00000008")) == 1
    assert store.audit_trail("mig-00000009") == []


def test_claim_once_until_released(store: DynamoStore) -> None:
    assert store.claim("slack:action:1764061200.000100") is True
    assert store.claim("slack:action:1764061200.000100") is False
    assert store.claim("slack:action:other") is True

    store.release("slack:action:1764061200.000100")

    assert store.claim("slack:action:1764061200.000100") is True
    assert store.claim("slack:action:other") is False


def test_release_of_an_unclaimed_key_is_harmless(store: DynamoStore) -> None:
    store.release("never-claimed")
    assert store.claim("never-claimed") is True


def test_record_task_refuses_older_versions(store: DynamoStore, clients: Clients) -> None:
    task = "arn:aws:ecs:us-east-1:123456789012:task/default/abc"
    assert store.record_task(
        "mig-00000010", TaskRecord(task_arn=task, last_status="PENDING", ecs_version=2)
    )
    assert not store.record_task(
        "mig-00000010", TaskRecord(task_arn=task, last_status="PROVISIONING", ecs_version=1)
    )
    # The same version is the same state (ECS numbers each change): written again, so a
    # retry after a crash before the notice was published can publish it.
    assert store.record_task(
        "mig-00000010", TaskRecord(task_arn=task, last_status="PENDING", ecs_version=2)
    )
    # another migration's item with the same task is independent
    assert store.record_task(
        "mig-00000011", TaskRecord(task_arn=task, last_status="PROVISIONING", ecs_version=1)
    )

    item = stored_item(clients, "mig-00000010", f"TASK#{task}")
    assert (item["last_status"]["S"], item["ecs_version"]["N"]) == ("PENDING", "2")


@st.composite
def shuffled_versions(draw: st.DrawFn) -> list[int]:
    """Distinct ECS versions plus some repeats, in any order."""
    distinct = draw(st.lists(st.integers(1, 60), min_size=1, max_size=10, unique=True))
    repeats = draw(st.lists(st.sampled_from(distinct), max_size=10))
    return draw(st.permutations(distinct + repeats))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(versions=shuffled_versions())
def test_record_task_keeps_the_max_and_accepts_exactly_the_running_maxima_and_repeats(
    store: DynamoStore, clients: Clients, versions: list[int]
) -> None:
    task = f"arn:aws:ecs:us-east-1:123456789012:task/default/{uuid.uuid4().hex}"

    accepted = [
        store.record_task(
            "mig-0000cafe", TaskRecord(task_arn=task, last_status=f"S{v}", ecs_version=v)
        )
        for v in versions
    ]

    expected = [i == 0 or v >= max(versions[:i]) for i, v in enumerate(versions)]
    assert accepted == expected
    item = stored_item(clients, "mig-0000cafe", f"TASK#{task}")
    assert int(item["ecs_version"]["N"]) == max(versions)
    assert item["last_status"]["S"] == f"S{max(versions)}"


@pytest.mark.parametrize("terminal", [COMPLETED, FAILED])
def test_record_deployment_never_overwrites_a_terminal_status(
    store: DynamoStore, terminal: str
) -> None:
    assert store.record_deployment("mig-00000012", "ecs-svc/1", IN_PROGRESS) is True
    assert store.record_deployment("mig-00000012", "ecs-svc/1", terminal) is True

    for later in (IN_PROGRESS, COMPLETED, FAILED):
        assert store.record_deployment("mig-00000012", "ecs-svc/1", later) is False

    assert store.deployment_statuses("mig-00000012") == {"ecs-svc/1": terminal}


def test_record_deployment_rejects_the_same_status_twice(store: DynamoStore) -> None:
    assert store.record_deployment("mig-00000013", "steady-state", "SERVICE_STEADY_STATE")
    assert not store.record_deployment("mig-00000013", "steady-state", "SERVICE_STEADY_STATE")
    assert store.record_deployment("mig-00000013", "ecs-svc/2", IN_PROGRESS)
    assert not store.record_deployment("mig-00000013", "ecs-svc/2", IN_PROGRESS)

    assert store.deployment_statuses("mig-00000013") == {
        "steady-state": "SERVICE_STEADY_STATE",
        "ecs-svc/2": IN_PROGRESS,
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    statuses=st.lists(
        st.sampled_from(
            [IN_PROGRESS, "SERVICE_DEPLOYMENT_ROLLBACK_IN_PROGRESS", COMPLETED, FAILED]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_record_deployment_follows_the_terminal_and_duplicate_rules(
    store: DynamoStore, statuses: list[str]
) -> None:
    migration_id = f"mig-{uuid.uuid4().hex[:8]}"

    current: str | None = None
    for status in statuses:
        expected = current is None or (current not in (COMPLETED, FAILED) and current != status)
        assert store.record_deployment(migration_id, "ecs-svc/9", status) is expected
        current = status if expected else current

    assert store.deployment_statuses(migration_id) == {"ecs-svc/9": current}


def test_deployment_statuses_lists_only_that_migrations_deployments(
    store: DynamoStore,
) -> None:
    store.create(new_migration("mig-00000014"))
    store.record_task(
        "mig-00000014", TaskRecord(task_arn="arn:task/1", last_status="RUNNING", ecs_version=3)
    )
    store.record_deployment("mig-00000014", "ecs-svc/1", COMPLETED)
    store.record_deployment("mig-00000014", "ecs-svc/2", IN_PROGRESS)
    store.record_deployment("mig-00000015", "ecs-svc/3", FAILED)

    assert store.deployment_statuses("mig-00000014") == {
        "ecs-svc/1": COMPLETED,
        "ecs-svc/2": IN_PROGRESS,
    }
    assert store.deployment_statuses("mig-00000016") == {}


# --- EventBridgePublisher --------------------------------------------------------------------


def sample_events(count: int) -> list[DomainEvent]:
    """``count`` events of several detail-types, each with its own idempotency key."""
    makers: list[Callable[[int], DomainEvent]] = [
        lambda i: MigrationRequested(
            migration_id=f"mig-{i:08x}",
            idempotency_key=f"req-{i}",
            target="secure-blog",
            channel_id="C0123",
            requested_by="U0456",
        ),
        lambda i: DiscoveryCompleted(
            migration_id=f"mig-{i:08x}",
            idempotency_key=f"disc-{i}",
            instance_id="i-0123456789abcdef0",
            runtime="node",
            port=3000,
            cpu="1024",
            memory="2048",
        ),
        lambda i: TrafficShifted(
            migration_id=f"mig-{i:08x}", idempotency_key=f"shift-{i}", weight=i % 101
        ),
        lambda i: MigrationFailed(
            migration_id=f"mig-{i:08x}",
            idempotency_key=f"fail-{i}",
            stage="building",
            reason='npm ci failed: "ENOENT" <package.json>',
        ),
    ]
    return [makers[i % len(makers)](i) for i in range(count)]


@pytest.fixture
def bus_to_queue(clients: Clients) -> tuple[str, str]:
    """The template's custom bus, with a rule sending migration-bot events to an SQS queue."""
    bus = Template.load().custom_bus_name()
    events, sqs = clients("events"), clients("sqs")
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(Name="tap", EventBusName=bus, EventPattern=json.dumps({"source": [SOURCE]}))
    events.put_targets(Rule="tap", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return bus, queue_url


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not messages:
            return received
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_published_events_reach_the_bus_in_the_documented_envelope(
    clients: Clients, bus_to_queue: tuple[str, str]
) -> None:
    bus, queue_url = bus_to_queue
    events = sample_events(4)

    EventBridgePublisher(clients("events"), bus).publish(events)

    received = drain(clients("sqs"), queue_url)
    by_key = {envelope["detail"]["idempotency_key"]: envelope for envelope in received}
    assert len(received) == len(by_key) == 4
    for event in events:
        envelope = by_key[event.idempotency_key]
        assert envelope["source"] == "migration-bot"
        assert envelope["detail-type"] == type(event).__name__
        assert envelope["detail"] == event.model_dump(mode="json")
        assert envelope["region"] == REGION  # moto's envelope has no "account" key
        assert envelope["id"] and envelope["time"] and envelope["version"] == "0"
        assert isinstance(envelope["resources"], list)


def test_more_than_ten_events_are_split_into_batches(
    clients: Clients, bus_to_queue: tuple[str, str]
) -> None:
    bus, queue_url = bus_to_queue
    events = sample_events(23)  # moto, like AWS, refuses more than 10 entries a call

    EventBridgePublisher(clients("events"), bus).publish(events)

    received = drain(clients("sqs"), queue_url)
    assert sorted(e["detail"]["idempotency_key"] for e in received) == sorted(
        e.idempotency_key for e in events
    )


@dataclass
class ScriptedBus:
    """A stand-in EventBridge client: each call fails the entries its script names."""

    script: list[dict[str, str]]  # per call: idempotency key -> entry error code
    delivered: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0
    largest_batch: int = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        self.largest_batch = max(self.largest_batch, len(Entries))
        failures = self.script.pop(0) if self.script else {}
        results: list[dict[str, Any]] = []
        for entry in Entries:
            code = failures.get(json.loads(entry["Detail"])["idempotency_key"])
            if code:
                results.append({"ErrorCode": code, "ErrorMessage": f"{code} for this entry"})
            else:
                self.delivered.append(entry)
                results.append({"EventId": str(uuid.uuid4())})
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def delivered_keys(self) -> list[str]:
        return [json.loads(e["Detail"])["idempotency_key"] for e in self.delivered]


def test_throttled_entries_alone_are_resent() -> None:
    events = sample_events(12)
    bus = ScriptedBus(
        script=[
            {"req-0": "ThrottlingException", "shift-2": "ThrottlingException"},
            {},  # the retry of the first batch succeeds
            {"fail-11": "ThrottlingException"},  # the second batch
            {},
        ]
    )

    EventBridgePublisher(bus, "migration-bot", backoff_seconds=0).publish(events)

    assert sorted(bus.delivered_keys()) == sorted(e.idempotency_key for e in events)
    assert bus.calls == 4 and bus.largest_batch == 10


@pytest.mark.parametrize("code", ["MalformedDetail", "AccessDeniedException"])
def test_a_non_retryable_entry_error_raises_naming_the_detail_type(code: str) -> None:
    events = sample_events(4)
    bus = ScriptedBus(script=[{"disc-1": code, "shift-2": "ThrottlingException"}])

    with pytest.raises(PublishError) as raised:
        EventBridgePublisher(bus, "migration-bot", backoff_seconds=0).publish(events)

    assert "DiscoveryCompleted" in str(raised.value) and code in str(raised.value)
    assert sorted(bus.delivered_keys()) == ["fail-3", "req-0"]  # nothing sent twice


def test_persistent_throttling_gives_up_after_max_attempts() -> None:
    events = sample_events(3)
    throttled = {"shift-2": "ThrottlingException"}
    bus = ScriptedBus(script=[dict(throttled) for _ in range(MAX_ATTEMPTS + 3)])

    with pytest.raises(PublishError) as raised:
        EventBridgePublisher(bus, "migration-bot", backoff_seconds=0).publish(events)

    assert "TrafficShifted" in str(raised.value)
    assert f"{MAX_ATTEMPTS} attempts" in str(raised.value)
    assert bus.calls == MAX_ATTEMPTS
    assert sorted(bus.delivered_keys()) == ["disc-1", "req-0"]


# --- AwsDiscovery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededAccount:
    """The seeded legacy account, shared by the read-only discovery tests (seeding is slow)."""

    clients: Clients
    legacy: LegacyApp
    discovery: AwsDiscovery


@pytest.fixture(scope="class")
def seeded() -> Iterator[SeededAccount]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():

            def clients(service: str) -> Any:
                return boto3.client(service, region_name=REGION)

            discovery = AwsDiscovery(clients("ec2"), clients("elbv2"), clients("route53"))
            yield SeededAccount(clients, seed_legacy(clients), discovery)


class TestDiscoveryOfTheSeededAccount:
    """Reads only: every test here sees the account exactly as ``seed_legacy`` left it."""

    def test_find_instance_by_id_reads_its_facts_and_user_data(self, seeded: SeededAccount) -> None:
        facts = seeded.discovery.find_instance(seeded.legacy.instance_id)

        assert facts.instance_id == seeded.legacy.instance_id
        assert facts.name == "secure-blog" and facts.tags["Name"] == "secure-blog"
        assert (facts.instance_type, facts.architecture, facts.state) == (
            "t3.small",
            "x86_64",
            "running",
        )
        assert facts.vpc_id == seeded.legacy.vpc_id
        app_sg = seeded.clients("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["secure-blog-app"]}]
        )["SecurityGroups"][0]["GroupId"]
        assert facts.security_group_ids == [app_sg]
        assert facts.instance_profile_arn is not None
        assert facts.instance_profile_arn.endswith("instance-profile/secure-blog-instance")
        assert facts.user_data == USER_DATA

    @pytest.mark.parametrize("target", ["secure-blog", "secure-blog-alb"])
    def test_find_instance_by_name_tag_or_load_balancer_name(
        self, seeded: SeededAccount, target: str
    ) -> None:
        assert seeded.discovery.find_instance(target).instance_id == seeded.legacy.instance_id

    @pytest.mark.parametrize(
        "target",
        [
            "i-0123456789abcdef0",  # well-formed, unknown
            "i-00000000",  # short legacy form, unknown
            "i-ABCDEF12",  # not an id (upper case): looked up as a name
            "no-such-app",
            "bad name!",
        ],
    )
    def test_find_instance_of_nothing_raises_instance_not_found(
        self, seeded: SeededAccount, target: str
    ) -> None:
        with pytest.raises(InstanceNotFoundError, match="no running or stopped"):
            seeded.discovery.find_instance(target)

    def test_find_load_balancing_reads_the_alb_path(self, seeded: SeededAccount) -> None:
        instance = seeded.discovery.find_instance(seeded.legacy.instance_id)

        facts = seeded.discovery.find_load_balancing(instance)

        assert facts is not None
        elbv2, ec2 = seeded.clients("elbv2"), seeded.clients("ec2")
        balancer = elbv2.describe_load_balancers(Names=["secure-blog-alb"])["LoadBalancers"][0]
        listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])[
            "Listeners"
        ][0]
        public = ec2.describe_subnets(
            Filters=[
                {"Name": "tag:Name", "Values": ["secure-blog-public-a", "secure-blog-public-b"]}
            ]
        )["Subnets"]
        assert facts.port == 3000
        assert facts.health_check_path == "/health"
        assert facts.target_group_arn == seeded.legacy.target_group_arn
        assert facts.listener_arn == listener["ListenerArn"]
        assert facts.load_balancer_arn == balancer["LoadBalancerArn"]
        assert facts.load_balancer_name == "secure-blog-alb"
        assert facts.load_balancer_dns == seeded.legacy.load_balancer_dns
        assert facts.load_balancer_zone_id == balancer["CanonicalHostedZoneId"]
        assert sorted(facts.subnet_ids) == sorted(s["SubnetId"] for s in public)

    @pytest.mark.parametrize("spelling", [str.lower, str.upper, lambda dns: dns + "."])
    def test_find_dns_record_finds_the_alias_to_the_alb(
        self, seeded: SeededAccount, spelling: Callable[[str], str]
    ) -> None:
        record = seeded.discovery.find_dns_record(spelling(seeded.legacy.load_balancer_dns))

        assert record == DnsRecordFacts(
            hosted_zone_id=seeded.legacy.hosted_zone_id, record_name="blog.example.com."
        )

    def test_find_dns_record_of_another_load_balancer_is_none(self, seeded: SeededAccount) -> None:
        assert seeded.discovery.find_dns_record("other-alb.us-east-1.elb.amazonaws.com") is None


class _Pages:
    def __init__(self, error: ClientError) -> None:
        self._error = error

    def paginate(self, **_: Any) -> Any:
        raise self._error


class MalformedIdEc2:
    """An EC2 stand-in that, like AWS, refuses an id it considers malformed."""

    def get_paginator(self, name: str) -> _Pages:
        error = {"Code": "InvalidInstanceID.Malformed", "Message": "Invalid id"}
        return _Pages(ClientError({"Error": error}, "DescribeInstances"))


def test_find_instance_of_a_malformed_but_matching_id_raises_instance_not_found() -> None:
    discovery = AwsDiscovery(MalformedIdEc2(), elbv2=None, route53=None)

    with pytest.raises(InstanceNotFoundError):
        discovery.find_instance("i-0000000000000000f")


def run_instance(ec2: Any, like: str, name: str | None) -> str:
    """Launch another instance in the subnet of ``like``, optionally Name-tagged."""
    original = ec2.describe_instances(InstanceIds=[like])["Reservations"][0]["Instances"][0]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    return str(
        ec2.run_instances(
            ImageId=original["ImageId"],
            InstanceType="t3.micro",
            MinCount=1,
            MaxCount=1,
            SubnetId=original["SubnetId"],
            TagSpecifications=tags if name else [],
        )["Instances"][0]["InstanceId"]
    )


def test_find_instance_skips_terminated_refuses_ambiguous_and_sees_unbalanced(
    discovery: AwsDiscovery, legacy: LegacyApp, clients: Clients
) -> None:
    ec2 = clients("ec2")
    gone = run_instance(ec2, legacy.instance_id, "old-blog")
    ec2.terminate_instances(InstanceIds=[gone])
    with pytest.raises(InstanceNotFoundError):
        discovery.find_instance(gone)
    with pytest.raises(InstanceNotFoundError):
        discovery.find_instance("old-blog")

    loner = run_instance(ec2, legacy.instance_id, None)
    assert discovery.find_load_balancing(discovery.find_instance(loner)) is None

    twin = run_instance(ec2, legacy.instance_id, "secure-blog")
    with pytest.raises(InstanceNotFoundError, match="several") as raised:
        discovery.find_instance("secure-blog")
    assert legacy.instance_id in str(raised.value) and twin in str(raised.value)


# --- AwsBuild --------------------------------------------------------------------------------


@pytest.fixture
def build(clients: Clients, stack: BotStack) -> AwsBuild:
    return AwsBuild(
        clients("ecr"),
        clients("s3"),
        clients("codebuild"),
        bucket=stack.physical["ArtifactsBucket"],
        role_arn=stack.physical["CodeBuildServiceRole.Arn"],
    )


def test_ensure_repository_is_idempotent_and_hardened(build: AwsBuild, clients: Clients) -> None:
    first = build.ensure_repository("mig-0000abcd")
    second = build.ensure_repository("mig-0000abcd")

    ecr = clients("ecr")
    repositories = ecr.describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in repositories] == ["mig-0000abcd"]
    repository = repositories[0]
    assert first == second == repository["repositoryUri"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    policy = ecr.get_lifecycle_policy(repositoryName="mig-0000abcd")["lifecyclePolicyText"]
    assert json.loads(policy) == LIFECYCLE_POLICY


def _put_bundle(clients: Clients, stack: BotStack, files: dict[str, str], key: str) -> None:
    put_bundle(clients("s3"), stack.physical["ArtifactsBucket"], files, key)


def test_upload_source_zips_the_bundle_with_the_generated_files(
    build: AwsBuild, clients: Clients, stack: BotStack
) -> None:
    bundle = {
        "server.js": "require('http').createServer().listen(3000)\n",
        "bin/start.sh": "#!/bin/sh\nexec node server.js\n",
        "Dockerfile": "FROM the-apps-own\n",  # replaced by the generated one
    }
    _put_bundle(clients, stack, bundle, "captures/mig-0000abcd/source.tgz")
    files = {
        "Dockerfile": "FROM public.ecr.aws/docker/library/node:24\n",
        "buildspec.yml": "version: 0.2\n",
    }

    location = build.upload_source("mig-0000abcd", files, "captures/mig-0000abcd/source.tgz")

    bucket, key = location.split("/", 1)
    assert key == "sources/mig-0000abcd/source.zip"
    body = clients("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == [
            "Dockerfile",
            "bin/start.sh",
            "buildspec.yml",
            "server.js",
        ]
        assert archive.read("Dockerfile").decode() == files["Dockerfile"]
        assert archive.read("server.js").decode() == bundle["server.js"]
        mode = archive.getinfo("bin/start.sh").external_attr >> 16
        assert mode & 0o777 == 0o755  # an executable stays executable


@pytest.fixture
def codebuild_update() -> None:
    install_operations()  # the sandbox's moto extension: UpdateProject, faithful StartBuild


def test_start_build_creates_the_project_and_starts_a_build(
    build: AwsBuild, clients: Clients, stack: BotStack
) -> None:
    uri = build.ensure_repository("mig-0000abcd")
    _put_bundle(clients, stack, {"server.js": "x"}, "captures/mig-0000abcd/source.tgz")
    source = build.upload_source(
        "mig-0000abcd", {"Dockerfile": "FROM scratch\n"}, "captures/mig-0000abcd/source.tgz"
    )

    build_id = build.start_build("mig-0000abcd", source, uri, "3f2a9c1", "linux/amd64")

    codebuild = clients("codebuild")
    project = codebuild.batch_get_projects(names=["mig-0000abcd"])["projects"][0]
    environment = project["environment"]
    assert environment["image"] == BUILD_IMAGE and "x86_64" in environment["image"]
    assert environment["privilegedMode"] is True
    assert {"name": "IMAGE_URI", "value": f"{uri}:3f2a9c1"} in [
        {"name": v["name"], "value": v["value"]} for v in environment["environmentVariables"]
    ]
    assert project["source"] == {"type": "S3", "location": source}
    assert project["serviceRole"] == stack.physical["CodeBuildServiceRole.Arn"]
    builds = codebuild.batch_get_builds(ids=[build_id])["builds"]
    assert [b["projectName"] for b in builds] == ["mig-0000abcd"]


def test_start_build_twice_updates_the_project(
    build: AwsBuild, clients: Clients, stack: BotStack, codebuild_update: None
) -> None:
    uri = build.ensure_repository("mig-0000abcd")
    _put_bundle(clients, stack, {"server.js": "x"}, "captures/mig-0000abcd/source.tgz")
    source = build.upload_source(
        "mig-0000abcd", {"Dockerfile": "FROM scratch\n"}, "captures/mig-0000abcd/source.tgz"
    )

    first = build.start_build("mig-0000abcd", source, uri, "3f2a9c1", "linux/amd64")
    second = build.start_build("mig-0000abcd", source, uri, "9e8d7c6", "linux/amd64")

    codebuild = clients("codebuild")
    assert first != second
    assert sorted(codebuild.list_builds_for_project(projectName="mig-0000abcd")["ids"]) == sorted(
        [first, second]
    )
    assert codebuild.list_projects()["projects"] == ["mig-0000abcd"]
    project = codebuild.batch_get_projects(names=["mig-0000abcd"])["projects"][0]
    variables = {v["name"]: v["value"] for v in project["environment"]["environmentVariables"]}
    assert variables["IMAGE_URI"] == f"{uri}:9e8d7c6"


# --- Route53Traffic --------------------------------------------------------------------------


def records_named(clients: Clients, zone_id: str, name: str) -> list[dict[str, Any]]:
    sets = clients("route53").list_resource_record_sets(HostedZoneId=zone_id)
    return [r for r in sets["ResourceRecordSets"] if r["Name"] == name]


def weights(records: list[dict[str, Any]]) -> dict[str, tuple[str, int, str, str]]:
    return {
        r["SetIdentifier"]: (
            r["Type"],
            r["Weight"],
            r["AliasTarget"]["DNSName"],
            r["AliasTarget"]["HostedZoneId"],
        )
        for r in records
    }


def _express_alb(clients: Clients, legacy: LegacyApp) -> AliasTarget:
    """A second ALB in the legacy VPC, standing for the Express one."""
    ec2, elbv2 = clients("ec2"), clients("elbv2")
    subnets = [
        s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == legacy.vpc_id
    ]
    balancer = elbv2.create_load_balancer(
        Name="ecs-express-gateway-alb-1a2b3c4d", Subnets=subnets[:2]
    )["LoadBalancers"][0]
    return AliasTarget(
        dns_name=balancer["DNSName"], hosted_zone_id=balancer["CanonicalHostedZoneId"]
    )


def _legacy_alb(clients: Clients, legacy: LegacyApp) -> AliasTarget:
    (balancer,) = clients("elbv2").describe_load_balancers(
        LoadBalancerArns=[legacy.load_balancer_arn]
    )["LoadBalancers"]
    return AliasTarget(
        dns_name=balancer["DNSName"], hosted_zone_id=balancer["CanonicalHostedZoneId"]
    )


def test_set_weights_replaces_the_record_by_two_weighted_alias_records_in_one_batch(
    legacy: LegacyApp, clients: Clients
) -> None:
    traffic = Route53Traffic(clients("route53"))
    record = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name="blog.example.com")
    ec2_side, ecs_side = _legacy_alb(clients, legacy), _express_alb(clients, legacy)
    before = records_named(clients, legacy.hosted_zone_id, "blog.example.com.")
    assert [(r["Type"], "AliasTarget" in r) for r in before] == [("A", True)]
    assert traffic.originals(record) == before

    for express_weight in (10, 50, 100):
        change = traffic.set_weights(record, ec2_side, ecs_side, express_weight)

        assert traffic.change_status(change) in ("PENDING", "INSYNC")
        after = records_named(clients, legacy.hosted_zone_id, "blog.example.com.")
        assert all("SetIdentifier" in r and "TTL" not in r for r in after)
        assert weights(after) == {
            LEGACY_ID: (
                "A",
                100 - express_weight,
                ec2_side.dns_name + ".",
                ec2_side.hosted_zone_id,
            ),
            EXPRESS_ID: ("A", express_weight, ecs_side.dns_name + ".", ecs_side.hosted_zone_id),
        }
        assert all(r["AliasTarget"]["EvaluateTargetHealth"] for r in after)
        assert traffic.originals(record) == []  # nothing simple left to replace


def test_restore_puts_the_original_record_back_exactly(legacy: LegacyApp, clients: Clients) -> None:
    traffic = Route53Traffic(clients("route53"))
    record = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name="blog.example.com")
    originals = traffic.originals(record)
    traffic.set_weights(record, _legacy_alb(clients, legacy), _express_alb(clients, legacy), 50)

    change = traffic.restore(record, originals)

    assert change is not None
    assert records_named(clients, legacy.hosted_zone_id, "blog.example.com.") == originals
    assert traffic.restore(record, originals) is None  # a redelivered rollback changes nothing


def test_a_cname_record_is_replaced_and_restored_as_the_cname_it_was(
    legacy: LegacyApp, clients: Clients
) -> None:
    route53 = clients("route53")
    cname = {
        "Name": "www.example.com.",
        "Type": "CNAME",
        "TTL": 300,
        "ResourceRecords": [{"Value": legacy.load_balancer_dns}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": cname}]},
    )
    traffic = Route53Traffic(route53)
    record = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name="www.example.com")
    originals = traffic.originals(record)
    assert originals == [cname]

    traffic.set_weights(record, _legacy_alb(clients, legacy), _express_alb(clients, legacy), 10)
    assert {
        r["Type"] for r in records_named(clients, legacy.hosted_zone_id, "www.example.com.")
    } == {"A"}
    traffic.restore(record, originals)

    assert records_named(clients, legacy.hosted_zone_id, "www.example.com.") == [cname]


def test_a_zone_apex_takes_weighted_alias_records(legacy: LegacyApp, clients: Clients) -> None:
    route53 = clients("route53")
    apex = {
        "Name": "example.com.",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": _legacy_alb(clients, legacy).hosted_zone_id,
            "DNSName": _legacy_alb(clients, legacy).dns_name + ".",
            "EvaluateTargetHealth": False,
        },
    }
    route53.change_resource_record_sets(
        HostedZoneId=legacy.hosted_zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": apex}]},
    )
    traffic = Route53Traffic(route53)
    record = DnsRecordFacts(hosted_zone_id=legacy.hosted_zone_id, record_name="example.com")

    traffic.set_weights(record, _legacy_alb(clients, legacy), _express_alb(clients, legacy), 10)

    at_apex = [
        r for r in records_named(clients, legacy.hosted_zone_id, "example.com.") if r["Type"] == "A"
    ]
    assert sorted(r["SetIdentifier"] for r in at_apex) == [EXPRESS_ID, LEGACY_ID]


# --- AwsExpress ------------------------------------------------------------------------------


@pytest.fixture
def express_mode(clients: Clients) -> Iterator[None]:
    express.install()
    express.reset()
    yield
    express.reset()


def test_create_service_returns_the_active_service_and_is_idempotent(
    clients: Clients, account: str, stack: BotStack, express_mode: None
) -> None:
    adapter = AwsExpress(
        clients("ecs"),
        clients("sts"),
        execution_role_arn=stack.physical["EcsTaskExecutionRole.Arn"],
        infrastructure_role_arn=stack.physical["EcsInfrastructureRole.Arn"],
        access=AwsTaskAccess(clients("iam"), clients("ec2"), stack.physical["TaskRoleBoundary"]),
    )
    spec = ServiceSpec(
        service_name="mig-0000abcd",
        image_uri=f"{account}.dkr.ecr.{REGION}.amazonaws.com/mig-0000abcd:3f2a9c1",
        port=3000,
        health_check_path="/health",
        cpu="1024",
        memory="2048",
        subnet_ids=two_subnets(clients("ec2"), public=True),
        security_group_ids=["sg-1"],
        environment={"PORT": "3000", "NODE_ENV": "production"},
        command=["node", "server.js"],
        tags={"migrate-bot:migration-id": "mig-0000abcd", "managed-by": "migrate-bot"},
    )

    first = adapter.create_service(spec)
    again = adapter.create_service(spec)

    assert first.service_arn == f"arn:aws:ecs:{REGION}:{account}:service/default/mig-0000abcd"
    assert first.status == "ACTIVE"
    assert first.endpoint is not None and first.endpoint.startswith("https://")
    assert again == first
    described = clients("ecs").describe_express_gateway_service(serviceArn=first.service_arn)[
        "service"
    ]
    container = described["activeConfigurations"][0]["primaryContainer"]
    assert (container["image"], container["containerPort"]) == (spec.image_uri, 3000)
    assert container["command"] == ["node", "server.js"]
    assert {e["name"]: e["value"] for e in container["environment"]} == spec.environment


def test_create_service_refuses_a_same_named_service_it_did_not_create(
    clients: Clients, stack: BotStack, express_mode: None
) -> None:
    ecs = clients("ecs")
    ecs.create_express_gateway_service(
        serviceName="secure-blog-mig-0000abcd",
        executionRoleArn=stack.physical["EcsTaskExecutionRole.Arn"],
        infrastructureRoleArn=stack.physical["EcsInfrastructureRole.Arn"],
        primaryContainer={"image": "someone/else:1"},
    )
    adapter = AwsExpress(
        ecs,
        clients("sts"),
        execution_role_arn=stack.physical["EcsTaskExecutionRole.Arn"],
        infrastructure_role_arn=stack.physical["EcsInfrastructureRole.Arn"],
        access=AwsTaskAccess(clients("iam"), clients("ec2"), stack.physical["TaskRoleBoundary"]),
    )
    spec = ServiceSpec(
        service_name="secure-blog-mig-0000abcd",
        image_uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1",
        port=3000,
        health_check_path="/health",
        cpu="1024",
        memory="2048",
        subnet_ids=["subnet-a"],
        security_group_ids=["sg-1"],
        tags={"migrate-bot:migration-id": "mig-0000abcd"},
    )
    with pytest.raises(DeployError, match="not created by this migration"):
        adapter.create_service(spec)


def test_create_takes_the_instance_lock_and_only_the_holder_can_hand_it_on(
    store: DynamoStore,
) -> None:
    first = new_migration("mig-0000a001").model_copy(update={"target": "i-0abc1234"})
    second = new_migration("mig-0000a002").model_copy(update={"target": "i-0abc1234"})
    store.create(first)
    assert store.lock_holder("i-0abc1234") == "mig-0000a001"
    with pytest.raises(InstanceBusyError):
        store.create(second)  # the lock is held and was not handed on
    with pytest.raises(InstanceBusyError):
        store.create(second, replaces="mig-0000ffff")  # a stale view of who holds it
    with pytest.raises(MigrationNotFoundError):
        store.get("mig-0000a002")  # nothing of the refused migration was written
    store.create(second, replaces="mig-0000a001")
    assert store.lock_holder("i-0abc1234") == "mig-0000a002"


def test_mark_card_records_the_newest_version_only_without_bumping(store: DynamoStore) -> None:
    created = store.create(new_migration("mig-0000c001"))
    store.mark_card("mig-0000c001", 3)
    store.mark_card("mig-0000c001", 2)  # an older render arriving late changes nothing
    stored = store.get("mig-0000c001")
    assert stored.card_version == 3 and stored.version == created.version
    store.mark_card("mig-0000ffff", 1)  # an unknown migration: nothing is created
    with pytest.raises(MigrationNotFoundError):
        store.get("mig-0000ffff")


def test_restore_puts_the_previous_record_back_and_forgets_the_card(store: DynamoStore) -> None:
    created = store.create(new_migration("mig-0000d001"))
    saved = store.save(created.model_copy(update={"stage": Stage.DISCOVERING}))
    store.mark_card("mig-0000d001", saved.version)
    store.restore(created, saved.version)
    back = store.get("mig-0000d001")
    assert back.stage == Stage.REQUESTED and back.version == created.version
    assert back.card_version is None  # the next render is not skipped
    with pytest.raises(StaleVersionError):
        store.restore(created, saved.version)  # only from the version it undoes


# --- side by side: both sides' ALB metrics (GetMetricData) and the legacy targets' health -----

EXPRESS_SIDE = Side(
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "loadbalancer/app/ecs-express-gateway-alb-1a2b3c4d/9f8e7d6c5b4a3f2e",
    target_group_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "targetgroup/ecs-gateway-tg-0a1b2c3d4e5f6a7b8/1a2b3c4d5e6f7a8b",
)


@pytest.fixture
def percentiles() -> Iterator[None]:
    """moto 5.2.1 answers no percentile from GetMetricData: the sandbox's patch does."""
    metric_data.install()
    yield
    metric_data.install()


def _put(cloudwatch: Any, side: Side, at: datetime, **figures: Any) -> None:
    """One minute of a side's ALB metrics, in the shapes an ALB publishes them: counts only
    when not zero, response times as values with counts."""
    data: list[dict[str, Any]] = []
    for name, key in (("RequestCount", "requests"), ("HTTPCode_Target_5XX_Count", "errors")):
        if figures.get(key):
            data.append(
                {
                    "MetricName": name,
                    "Dimensions": side.dimensions(),
                    "Timestamp": at,
                    "Value": float(figures[key]),
                    "Unit": "Count",
                }
            )
    if figures.get("times"):
        values, counts = zip(*sorted(figures["times"].items()), strict=True)
        data.append(
            {
                "MetricName": "TargetResponseTime",
                "Dimensions": side.dimensions(),
                "Timestamp": at,
                "Values": list(values),
                "Counts": [float(c) for c in counts],
                "Unit": "Seconds",
            }
        )
    cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=data)


def _count_calls(client: Any, operation: str) -> list[str]:
    calls: list[str] = []
    client.meta.events.register(
        f"before-call.{client.meta.service_model.service_name}.{operation}",
        lambda **_: calls.append(operation),
    )
    return calls


def test_side_metrics_reads_both_sides_over_the_step_in_one_request(
    clients: Clients, legacy: LegacyApp, percentiles: None
) -> None:
    cloudwatch = clients("cloudwatch")
    ec2 = Side(load_balancer_arn=legacy.load_balancer_arn, target_group_arn=legacy.target_group_arn)
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    for n in range(3):
        # EC2: fast but for 20 slow answers in the last minute; ECS: 4 of its 300 failed.
        slow = {2.0: 20} if n == 2 else {}
        _put(
            cloudwatch,
            ec2,
            minute + timedelta(minutes=n),
            requests=900,
            times={0.01: 900 - len(slow) * 20, **slow},
        )
        _put(
            cloudwatch,
            EXPRESS_SIDE,
            minute + timedelta(minutes=n),
            requests=100,
            errors=4 if n == 1 else 0,
            times={0.03: 100},
        )
    # Before the shift (not the step's), and the load balancer alone (another metric).
    _put(cloudwatch, EXPRESS_SIDE, minute - timedelta(minutes=1), requests=50, errors=50)
    cloudwatch.put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "RequestCount",
                "Dimensions": ec2.dimensions()[:1],
                "Timestamp": minute,
                "Value": 5000.0,
            }
        ],
    )
    calls = _count_calls(cloudwatch, "GetMetricData")
    aws = AwsSideBySide(cloudwatch, clients("elbv2"))

    span = window(minute + timedelta(seconds=20), minute + timedelta(minutes=3, seconds=30))
    read = aws.side_metrics({"legacy": ec2, "express": EXPRESS_SIDE}, span)

    assert calls == ["GetMetricData"]
    # The window's own p99: 20 slow answers of 2,700 are under 1 %, though one minute's
    # p99 alone would be 2 s.
    assert read == {
        "legacy": SideFigures(requests=2700, errors_5xx=0, p99_seconds=0.01),
        "express": SideFigures(requests=300, errors_5xx=4, p99_seconds=0.03),
    }


def test_target_health_counts_the_legacy_groups_healthy_and_unhealthy_targets(
    clients: Clients, legacy: LegacyApp
) -> None:
    ec2, elbv2 = clients("ec2"), clients("elbv2")
    (reservation,) = ec2.describe_instances(InstanceIds=[legacy.instance_id])["Reservations"]
    (instance,) = reservation["Instances"]
    stopped = ec2.run_instances(
        ImageId=instance["ImageId"], MinCount=1, MaxCount=1, SubnetId=instance["SubnetId"]
    )["Instances"][0]["InstanceId"]
    elbv2.register_targets(
        TargetGroupArn=legacy.target_group_arn, Targets=[{"Id": stopped, "Port": 3000}]
    )
    ec2.stop_instances(InstanceIds=[stopped])  # "unused": neither healthy nor unhealthy
    aws = AwsSideBySide(clients("cloudwatch"), elbv2)
    assert aws.target_health(legacy.target_group_arn) == (1, 0)


def test_failed_reads_raise_the_ports_error_naming_the_call(
    clients: Clients, legacy: LegacyApp, percentiles: None
) -> None:
    aws = AwsSideBySide(clients("cloudwatch"), clients("elbv2"))
    missing = legacy.target_group_arn.rsplit("/", 2)[0] + "/gone/0123456789abcdef"
    with pytest.raises(SideBySideReadError, match="DescribeTargetHealth of .*gone"):
        aws.target_health(missing)
    backwards = Window(start=T0, end=T0 - timedelta(minutes=1), period=60)
    with pytest.raises(SideBySideReadError, match="GetMetricData failed"):
        aws.side_metrics({"express": EXPRESS_SIDE}, backwards)


def test_the_sandbox_reads_a_window_on_the_bots_clock_off_cloudwatchs_scaled_clock(
    clients: Clients,
) -> None:
    # In a sandbox run CloudWatch keeps simulated time; the bot, the wall clock.
    clock = ScaledClock(0.01)  # a real second is 100 simulated ones
    metric_data.install(clock)
    try:
        cloudwatch = clients("cloudwatch")
        simulated = clock.now()
        _put(cloudwatch, EXPRESS_SIDE, simulated - timedelta(minutes=4), requests=70)
        _put(cloudwatch, EXPRESS_SIDE, simulated - timedelta(minutes=2), requests=30)
        _put(cloudwatch, EXPRESS_SIDE, simulated - timedelta(minutes=10), requests=900)
        shifted = datetime.now(UTC) - timedelta(seconds=3)  # 5 simulated minutes ago
        span = window(shifted, datetime.now(UTC))
        read = AwsSideBySide(cloudwatch, clients("elbv2")).side_metrics(
            {"express": EXPRESS_SIDE}, span
        )
    finally:
        metric_data.install()
    assert read["express"].requests == 100
