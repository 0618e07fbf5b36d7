"""In-memory fakes of the ports, with the same conditional semantics as the adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.access import AccessFacts, InstanceRole, NetworkPath, RolePolicy, TaskRolePlan
from bot.domain.capture import comment_for, migration_of
from bot.domain.deployments import TERMINAL
from bot.domain.facts import (
    AliasTarget,
    DnsRecordFacts,
    ExpressIngress,
    InstanceFacts,
    LoadBalancingFacts,
    ProbeAnswer,
    ServiceFacts,
    ServiceSpec,
)
from bot.domain.gates import Side
from bot.domain.migration import Migration
from bot.domain.runtimes import Bundle
from bot.domain.side_by_side import SideFigures, Window
from bot.events.models import DomainEvent
from bot.ports import (
    AuditRecord,
    BundleError,
    CaptureResult,
    InstanceBusyError,
    InstanceNotFoundError,
    MigrationNotFoundError,
    SideBySideReadError,
    SsmStatus,
    StaleVersionError,
    StoredPolicy,
    TaskRecord,
    TaskSummary,
)
from bot.slack.blocks import render_milestone, render_status_card
from bot.slack.status_reply import render_status_reply


class FakeClock:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self._now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


@dataclass
class FakeStore:
    """Migrations and claims in dicts."""

    migrations: dict[str, Migration] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    claims: set[str] = field(default_factory=set)
    task_states: dict[tuple[str, str], TaskRecord] = field(default_factory=dict)
    replies: dict[tuple[str, str], DomainEvent] = field(default_factory=dict)
    deployments: dict[tuple[str, str], str] = field(default_factory=dict)
    slack_ts: dict[str, str] = field(default_factory=dict)
    locks: dict[str, str] = field(default_factory=dict)
    card_versions: dict[str, int] = field(default_factory=dict)
    card_tasks: dict[str, str] = field(default_factory=dict)
    policies: dict[str, StoredPolicy] = field(default_factory=dict)
    service_lookups: int = 0  # find_by_service_arn calls (a DynamoDB query each)
    task_writes: int = 0  # record_task calls (a conditional put each, even when refused)

    def create(
        self,
        migration: Migration,
        replaces: str | None = None,
        audit: AuditRecord | None = None,
    ) -> Migration:
        if migration.migration_id in self.migrations:
            raise AssertionError("the adapter refuses to overwrite a migration")
        if self.locks.get(migration.target) not in (None, replaces):
            raise InstanceBusyError(migration.target)
        stored = migration.model_copy(update={"version": 1})
        self.migrations[migration.migration_id] = stored
        self.locks[migration.target] = migration.migration_id
        if audit is not None:
            self.audit.append(audit)
        return stored

    def lock_holder(self, instance_id: str) -> str | None:
        return self.locks.get(instance_id)

    def get(self, migration_id: str) -> Migration:
        if migration_id not in self.migrations:
            raise MigrationNotFoundError(migration_id)
        ts = self.slack_ts.get(migration_id)
        card = self.card_versions.get(migration_id)
        shown = self.card_tasks.get(migration_id)
        return self.migrations[migration_id].model_copy(
            update={"slack_ts": ts, "card_version": card, "card_tasks": shown}
        )

    def save(self, migration: Migration) -> Migration:
        if self.migrations[migration.migration_id].version != migration.version:
            raise StaleVersionError(migration.migration_id)
        saved = migration.model_copy(update={"version": migration.version + 1})
        self.migrations[migration.migration_id] = saved
        return saved

    def restore(self, previous: Migration, expected_version: int) -> None:
        if self.migrations[previous.migration_id].version != expected_version:
            raise StaleVersionError(previous.migration_id)
        self.migrations[previous.migration_id] = previous
        self.card_versions.pop(previous.migration_id, None)
        self.card_tasks.pop(previous.migration_id, None)

    def mark_card(self, migration_id: str, version: int, tasks_key: str | None = None) -> None:
        if self.card_versions.get(migration_id, -1) <= version:
            self.card_versions[migration_id] = version
            if tasks_key is not None:
                self.card_tasks[migration_id] = tasks_key

    def set_slack_ts(self, migration_id: str, ts: str) -> bool:
        if migration_id in self.slack_ts:
            return False
        self.slack_ts[migration_id] = ts
        return True

    def find_by_service_arn(self, service_arn: str) -> Migration | None:
        self.service_lookups += 1
        return next((m for m in self.migrations.values() if m.service_arn == service_arn), None)

    def list_by_channel(self, channel_id: str) -> list[Migration]:
        # As stored: with the card's ts and version, as DynamoDB's items carry them.
        return [self.get(k) for k, m in self.migrations.items() if m.channel_id == channel_id]

    def append_audit(self, record: AuditRecord) -> None:
        self.audit.append(record)

    def audit_trail(self, migration_id: str) -> list[AuditRecord]:
        return [r for r in self.audit if r.migration_id == migration_id]

    def channel_policy(self, channel_id: str) -> StoredPolicy | None:
        return self.policies.get(channel_id)

    def put_channel_policy(self, channel_id: str, document: str, expected_version: int) -> int:
        stored = self.policies.get(channel_id)
        if (stored.version if stored else 0) != expected_version:
            raise StaleVersionError(channel_id)
        self.policies[channel_id] = StoredPolicy(document=document, version=expected_version + 1)
        return expected_version + 1

    def delete_channel_policy(self, channel_id: str, expected_version: int) -> None:
        stored = self.policies.get(channel_id)
        if stored is None or stored.version != expected_version:
            raise StaleVersionError(channel_id)
        del self.policies[channel_id]

    def record_reply(self, migration_id: str, ts: str, event: DomainEvent) -> None:
        self.replies[(migration_id, ts)] = event

    def last_replies(self, migration_id: str, limit: int) -> list[tuple[str, DomainEvent]]:
        mine = sorted(
            ((ts, e) for (m, ts), e in self.replies.items() if m == migration_id),
            key=lambda pair: pair[0],
        )
        return mine[-limit:]

    def claim(self, key: str) -> bool:
        if key in self.claims:
            return False
        self.claims.add(key)
        return True

    def release(self, key: str) -> None:
        self.claims.discard(key)

    def record_task(self, migration_id: str, task: TaskRecord) -> bool:
        self.task_writes += 1
        key = (migration_id, task.task_arn)
        if key in self.task_states and self.task_states[key].ecs_version > task.ecs_version:
            return False
        self.task_states[key] = task
        return True

    def tasks(self, migration_id: str) -> list[TaskRecord]:
        return [t for (m, _), t in self.task_states.items() if m == migration_id]

    def record_deployment(self, migration_id: str, deployment_id: str, status: str) -> bool:
        key = (migration_id, deployment_id)
        if key in self.deployments and self.deployments[key] in (*TERMINAL, status):
            return False
        self.deployments[key] = status
        return True

    def deployment_statuses(self, migration_id: str) -> dict[str, str]:
        return {d: s for (m, d), s in self.deployments.items() if m == migration_id}


@dataclass
class RecordingPublisher:
    """Keeps what was published."""

    events: list[DomainEvent] = field(default_factory=list)

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)

    def types(self) -> list[str]:
        return [e.detail_type for e in self.events]


@dataclass
class FakeSlack:
    """Cards and replies, rendered with the real builders."""

    cards: dict[str, Migration] = field(default_factory=dict)
    card_tasks: dict[str, TaskSummary | None] = field(default_factory=dict)
    replies: list[str] = field(default_factory=list)
    posted_cards: int = 0
    card_updates: int = 0
    files: list[tuple[str, str, str]] = field(default_factory=list)  # (user, name, content)
    statuses: list[tuple[str, str, list[dict[str, Any]]]] = field(default_factory=list)
    notices: list[tuple[str, str, str, str]] = field(default_factory=list)

    def post_card(self, migration: Migration, tasks: TaskSummary | None = None) -> str:
        self.posted_cards += 1
        ts = f"1700000000.{self.posted_cards:06d}"
        self.cards[ts] = migration
        self.card_tasks[ts] = tasks
        render_status_card(migration, tasks)  # what Slack would be sent must render
        return ts

    def update_card(self, migration: Migration, tasks: TaskSummary | None = None) -> None:
        assert migration.slack_ts in self.cards
        self.cards[migration.slack_ts] = migration
        self.card_tasks[migration.slack_ts] = tasks
        render_status_card(migration, tasks)
        self.card_updates += 1

    def send_file(
        self, user_id: str, *, filename: str, title: str, content: str, comment: str
    ) -> None:
        self.files.append((user_id, filename, content))

    def writes(self) -> int:
        """Web API writes made: chat.postMessage (cards and replies) and chat.update."""
        return self.posted_cards + self.card_updates + len(self.replies)

    def is_milestone(self, event: DomainEvent) -> bool:
        return render_milestone(event) is not None

    def post_milestone(self, migration: Migration, event: DomainEvent) -> str | None:
        text = render_milestone(event)
        assert text is not None
        self.replies.append(text)
        return f"1700000100.{len(self.replies):06d}"

    def post_status(
        self,
        migration: Migration,
        tasks: TaskSummary | None,
        replies: list[tuple[str, DomainEvent]],
        asked_by: str,
    ) -> None:
        text, blocks = render_status_reply(migration, tasks, replies, asked_by)
        self.statuses.append((migration.migration_id, asked_by, blocks))

    def post_notice(self, channel_id: str, user_id: str, text: str, thread_ts: str) -> None:
        self.notices.append((channel_id, user_id, text, thread_ts))


INSTANCE = InstanceFacts(
    instance_id="i-0abc1234def567890",
    instance_type="t3.small",
    architecture="x86_64",
    state="running",
    name="secure-blog",
    vpc_id="vpc-1",
    subnet_id="subnet-private",
    security_group_ids=["sg-1"],
    instance_profile_arn="arn:aws:iam::123456789012:instance-profile/secure-blog-instance",
    user_data="#!/bin/bash\nnode server.js &\n",
)
#: The instance role: one inline policy on the app's table, and the SSM agent's policy.
ACCESS = AccessFacts(
    role=InstanceRole(
        role_name="secure-blog-instance",
        role_arn="arn:aws:iam::123456789012:role/secure-blog-instance",
        policies=[
            RolePolicy(
                name="data",
                document={
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["dynamodb:GetItem"],
                            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/posts",
                        }
                    ],
                },
            ),
            RolePolicy(
                name="AmazonSSMManagedInstanceCore",
                arn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            ),
        ],
    ),
    network_paths=[
        NetworkPath(
            security_group_id="sg-db",
            group_name="posts-db",
            admits=["sg-1"],
            ports=["5432/tcp"],
            used_by=["RDSNetworkInterface"],
        )
    ],
)
LOAD_BALANCING = LoadBalancingFacts(
    target_group_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "targetgroup/secure-blog-tg/73e2d6bc24d8a067",
    port=3000,
    health_check_path="/health",
    load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "loadbalancer/app/secure-blog-alb/50dc6c495c0c9188",
    load_balancer_name="secure-blog-alb",
    load_balancer_dns="secure-blog-alb-1.us-east-1.elb.amazonaws.com",
    load_balancer_zone_id="Z35SXDOTRQ7X7K",
    listener_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "listener/app/secure-blog-alb/1/443",
    subnet_ids=["subnet-a", "subnet-b"],
)


@dataclass
class FakeDiscovery:
    """One known instance behind an ALB with a DNS record."""

    instance: InstanceFacts | None = field(default_factory=lambda: INSTANCE)
    record: DnsRecordFacts = field(
        default_factory=lambda: DnsRecordFacts(hosted_zone_id="Z1", record_name="blog.example.com.")
    )

    def find_instance(self, target: str) -> InstanceFacts:
        if self.instance is None or target not in (self.instance.instance_id, self.instance.name):
            raise InstanceNotFoundError(f"no instance matches {target!r}")
        return self.instance

    def resolve_instance(self, target: str) -> str:
        return self.find_instance(target).instance_id

    def find_load_balancing(self, instance: InstanceFacts) -> LoadBalancingFacts | None:
        return LOAD_BALANCING

    def find_dns_record(self, load_balancer_dns: str) -> DnsRecordFacts | None:
        return self.record

    def find_access(self, instance: InstanceFacts) -> AccessFacts:
        return ACCESS


def capture_answer(
    *,
    command: Sequence[str] = ("/usr/bin/node", "server.js"),
    cwd: str = "/opt/secure-blog",
    user: str = "blog",
    files: int = 3,
    size: int = 1200,
    error: str | None = None,
) -> str:
    """A complete answer of the capture script (``bot.domain.capture``'s MB1 lines)."""
    import base64

    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    lines = ["version=1", "pid=2917", f"user={user}", f"cwd={b64(cwd)}"]
    lines += [f"cmdline={b64(''.join(a + chr(0) for a in command))}", f"exe={b64(command[0])}"]
    lines += ["unit=secure-blog.service", f"bundle_bytes={size}", f"bundle_files={files}"]
    lines += (
        [f"error={error}"] if error else ["upload_source=200", "upload_environment=200", "done=1"]
    )
    return "".join(f"MB1 {line}\n" for line in lines)


NODE_BUNDLE = Bundle.of(
    {
        "package.json": '{"name": "secure-blog", "engines": {"node": ">=20"}}',
        "package-lock.json": '{"lockfileVersion": 3}',
        "server.js": None,
    }
)


@dataclass
class FakeCapture:
    """SSM that manages the instance and a capture that finds the Node app (or as set)."""

    managed: bool = True
    unmanaged_reason: str = "i-0abc1234def567890 is not a managed node: it has no instance profile"
    answer: str = field(default_factory=capture_answer)
    status: str = "Success"
    bundle: Bundle | None = field(default_factory=lambda: NODE_BUNDLE)
    environment: dict[str, str] = field(
        default_factory=lambda: {"PATH": "/usr/bin", "TABLE_NAME": "posts", "API_TOKEN": "t0k3n"}
    )
    sent: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    comments: dict[str, str] = field(default_factory=dict)

    def ssm_status(self, instance_id: str, instance_profile_arn: str | None) -> SsmStatus:
        detail = "managed by SSM (agent 3.3, Amazon Linux 2023)"
        return SsmStatus(
            managed=self.managed, detail=detail if self.managed else self.unmanaged_reason
        )

    def start_capture(self, migration_id: str, instance_id: str, port: int) -> str:
        command_id = f"cmd-{len(self.sent) + 1}"
        self.sent.append((command_id, instance_id))
        self.comments[command_id] = comment_for(migration_id)
        return command_id

    def find_capture(self, migration_id: str, instance_id: str, since: datetime) -> str | None:
        wanted = comment_for(migration_id)
        return next((c for c, comment in self.comments.items() if comment == wanted), None)

    def capture_result(self, command_id: str, instance_id: str) -> CaptureResult:
        return CaptureResult(
            migration_id=migration_of(self.comments.get(command_id)),
            status=self.status,
            stdout=self.answer,
        )

    def read_bundle(self, key: str) -> Bundle:
        if self.bundle is None:
            raise BundleError(f"no bundle at s3://artifacts/{key}")
        return self.bundle

    def read_environment(self, key: str) -> dict[str, str]:
        return dict(self.environment)

    def delete_environment(self, key: str) -> None:
        self.deleted.append(key)

    def store_secrets(self, migration_id: str, values: dict[str, str]) -> str:
        self.secrets[migration_id] = dict(values)
        return f"arn:aws:secretsmanager:us-east-1:123456789012:secret:migrate-bot/{migration_id}/environment-AbCdEf"


@dataclass
class FakeBuildAws:
    """Counts builds started."""

    builds: list[str] = field(default_factory=list)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def ensure_repository(self, name: str) -> str:
        return f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}"

    def upload_source(self, migration_id: str, files: dict[str, str], bundle_key: str) -> str:
        self.sources[migration_id] = {**files, "(bundle)": bundle_key}
        return f"bucket/sources/{migration_id}/source.zip"

    architectures: list[str] = field(default_factory=list)

    def start_build(
        self,
        project_name: str,
        source_location: str,
        repository_uri: str,
        image_tag: str,
        architecture: str,
    ) -> str:
        build_id = f"{project_name}:build-{len(self.builds) + 1}"
        self.builds.append(build_id)
        self.architectures.append(architecture)
        return build_id


@dataclass
class FakeDeployAws:
    """Records service specs."""

    specs: list[ServiceSpec] = field(default_factory=list)
    roles: list[tuple[str, TaskRolePlan]] = field(default_factory=list)
    groups: list[tuple[str, str, int]] = field(default_factory=list)

    def ensure_task_role(self, migration_id: str, role: TaskRolePlan) -> str:
        self.roles.append((migration_id, role))
        return f"arn:aws:iam::123456789012:role/migrate-bot/migrate-bot-task-{migration_id}"

    def ensure_task_security_group(self, migration_id: str, vpc_id: str, port: int) -> str:
        self.groups.append((migration_id, vpc_id, port))
        return "sg-0tasks"

    def create_service(self, spec: ServiceSpec) -> ServiceFacts:
        self.specs.append(spec)
        return ServiceFacts(
            service_arn=f"arn:aws:ecs:us-east-1:123456789012:service/default/{spec.service_name}",
            status="ACTIVE",
            endpoint="https://se-0123.ecs.us-east-1.on.aws",
        )


@dataclass
class FakeTrafficAws:
    """Route 53 as records at one name: the original simple record, or two weighted ones.
    Changes are PENDING until ``sync()``; every change is remembered in order."""

    original: dict[str, Any] = field(
        default_factory=lambda: {
            "Name": "blog.example.com.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z35SXDOTRQ7X7K",
                "DNSName": "legacy-alb-123.us-east-1.elb.amazonaws.com.",
                "EvaluateTargetHealth": False,
            },
        }
    )
    weights: list[int] = field(default_factory=list)
    restored: list[list[dict[str, Any]]] = field(default_factory=list)
    weighted: bool = False
    statuses: dict[str, str] = field(default_factory=dict)

    def originals(self, record: DnsRecordFacts) -> list[dict[str, Any]]:
        return [] if self.weighted else [self.original]

    def set_weights(
        self, record: DnsRecordFacts, legacy: AliasTarget, express: AliasTarget, express_weight: int
    ) -> str:
        assert express.dns_name == EXPRESS_ALB.dns_name
        self.weights.append(express_weight)
        self.weighted = True
        return self._change()

    def restore(self, record: DnsRecordFacts, originals: list[dict[str, Any]]) -> str | None:
        if not self.weighted:
            return None
        self.weighted = False
        self.restored.append(originals)
        return self._change()

    def change_status(self, change_id: str) -> str:
        return self.statuses[change_id]

    def sync(self) -> None:
        """Every change so far reaches Route 53's name servers."""
        self.statuses = dict.fromkeys(self.statuses, "INSYNC")

    def _change(self) -> str:
        change_id = f"C{len(self.statuses) + 1:04d}"
        self.statuses[change_id] = "PENDING"
        return change_id


#: The Express load balancer the fakes report.
EXPRESS_ALB = AliasTarget(
    dns_name="ecs-express-gateway-alb-1a2b3c4d-111.us-east-1.elb.amazonaws.com",
    hosted_zone_id="Z35SXDOTRQ7X7K",
)


@dataclass
class FakeScheduler:
    """Keeps the schedules; ``due()`` hands over (and forgets) the events of those made."""

    schedules: dict[str, tuple[datetime, DomainEvent]] = field(default_factory=dict)

    def at(self, name: str, when: datetime, event: DomainEvent) -> None:
        assert len(name) <= 64
        self.schedules.setdefault(name, (when, event))

    def due(self) -> list[DomainEvent]:
        events = [event for _, event in self.schedules.values()]
        self.schedules.clear()
        return events


@dataclass
class FakeEdgeAws:
    """The Express side serving the name; both sides answer alike unless told otherwise."""

    scheme: str = "https"
    express_answer: ProbeAnswer = field(
        default_factory=lambda: ProbeAnswer(status=200, digest="ab" * 32)
    )
    served: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    def express_ingress(self, service_arn: str, access_type: str) -> ExpressIngress:
        return ExpressIngress(
            load_balancer_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
            "loadbalancer/app/ecs-express-gateway-alb-1a2b3c4d/1",
            listener_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
            "listener/app/ecs-express-gateway-alb-1a2b3c4d/1/2",
            rule_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
            "listener-rule/app/ecs-express-gateway-alb-1a2b3c4d/1/2/3",
            alias=EXPRESS_ALB,
            target_group_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:"
            "targetgroup/ecs-gateway-tg-0a1b2c3d4e5f6a7b8/9",
        )

    def put_alarms(self, requests: list[dict[str, Any]]) -> None:
        self.alarms.extend(r["AlarmName"] for r in requests)

    def listener_scheme(self, listener_arn: str) -> str:
        return self.scheme

    def serve_name(
        self, ingress: ExpressIngress, certificate_arn: str, name: str
    ) -> dict[str, str]:
        self.served.append(name)
        return {"certificate_arn": certificate_arn, "host": name}

    def probe(self, load_balancer_dns: str, scheme: str, name: str, path: str) -> ProbeAnswer:
        if load_balancer_dns == EXPRESS_ALB.dns_name:
            return self.express_answer
        return ProbeAnswer(status=200, digest="ab" * 32)


@dataclass
class FakeCertificateAws:
    """The legacy listener's certificate (reused) unless ``legacy`` is None; a requested one
    stays PENDING_VALIDATION until ``issue()``, as ACM keeps it until it finds the record."""

    legacy: str | None = "arn:aws:acm:us-east-1:123456789012:certificate/blog"
    scheme: str = "https"
    record_ready: bool = True
    requested: list[tuple[str, str]] = field(default_factory=list)
    records: list[tuple[str, str, str]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def listener_scheme(self, listener_arn: str) -> str:
        return self.scheme

    def certificate_for(self, listener_arn: str, name: str) -> tuple[str | None, str]:
        if self.legacy is None:
            return None, "IAM server certificate blog-tls (not reused: ACM cannot renew it)"
        return self.legacy, ""

    def request_certificate(self, name: str, migration_id: str) -> str:
        arn = f"arn:aws:acm:us-east-1:123456789012:certificate/{migration_id}"
        if arn not in self.status:  # RequestCertificate's token: a retry gets the same one
            self.requested.append((name, migration_id))
            self.status[arn] = "PENDING_VALIDATION"
            self.tags[arn] = migration_id
        return arn

    def validation_record(self, certificate_arn: str) -> tuple[str, str] | None:
        if not self.record_ready:
            return None
        return "_abc.blog.example.com.", "_def.acm-validations.aws."

    def write_validation_record(self, hosted_zone_id: str, name: str, value: str) -> None:
        self.records.append((hosted_zone_id, name, value))

    def migration_of(self, certificate_arn: str) -> str | None:
        return self.tags.get(certificate_arn)

    def certificate_status(self, certificate_arn: str) -> str:
        return self.status.get(certificate_arn, "ISSUED")

    def issue(self, certificate_arn: str) -> None:
        self.status[certificate_arn] = "ISSUED"


@dataclass
class FakeSideBySideAws:
    """Both sides' figures as set here; a read named in ``failing`` raises as the adapter
    does ("metrics": GetMetricData, "health": DescribeTargetHealth)."""

    figures: dict[str, SideFigures] = field(
        default_factory=lambda: {
            "legacy": SideFigures(requests=5400, errors_5xx=0, p99_seconds=0.012),
            "express": SideFigures(requests=600, errors_5xx=3, p99_seconds=0.034),
        }
    )
    health: tuple[int, int] = (2, 0)
    failing: set[str] = field(default_factory=set)
    reads: list[tuple[dict[str, Side], Window]] = field(default_factory=list)
    health_reads: list[str] = field(default_factory=list)

    def side_metrics(self, sides: dict[str, Side], span: Window) -> dict[str, SideFigures]:
        self.reads.append((dict(sides), span))
        if "metrics" in self.failing:
            raise SideBySideReadError("GetMetricData failed: Rate exceeded")
        return {name: self.figures[name] for name in sides}

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        self.health_reads.append(target_group_arn)
        if "health" in self.failing:
            raise SideBySideReadError(f"DescribeTargetHealth of {target_group_arn} failed")
        return self.health
