"""Interfaces the services depend on; adapters and fakes implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.domain.access import AccessFacts, TaskRolePlan
from bot.domain.costs import Volume
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
from bot.domain.health_report import HealthReport, ReportWindow, SideSeries
from bot.domain.migration import Migration
from bot.domain.runtimes.model import Bundle
from bot.domain.side_by_side import SideFigures, Window
from bot.domain.tasks import TaskRecord as TaskRecord  # re-exported: the Store speaks in it
from bot.domain.tasks import TaskSummary
from bot.events.models import DomainEvent


class StaleVersionError(Exception):
    """The stored migration changed since it was read (optimistic lock lost)."""


class MigrationNotFoundError(LookupError):
    """No migration has that id."""


class InstanceBusyError(RuntimeError):
    """Another migration of the same instance is still under way."""


class InstanceNotFoundError(LookupError):
    """No EC2 instance matches the id, Name tag or load balancer name given."""


class DeployError(RuntimeError):
    """The deployment met something it cannot resolve (said in words a person can act on)."""


class DiscoveryError(RuntimeError):
    """Discovery met something it cannot plan around (said in words a person can act on)."""


class AwsRefusedError(RuntimeError):
    """AWS refused a call in a way retrying cannot fix (invalid parameter, access denied,
    limit exceeded); the message names the call and, where AWS says it, the missing permission.
    """


class SideBySideReadError(RuntimeError):
    """A read for the side-by-side figures failed (the message names the call and why); the
    card says they are not available, and the step goes on."""


class BundleError(ValueError):
    """An app bundle is missing, unreadable or empty (the message says which and where)."""


class SsmStatus(BaseModel):
    """Whether Systems Manager can run the capture on the instance."""

    managed: bool = Field(description="The instance is a managed node and its agent is Online.")
    detail: str = Field(description="What SSM says of it, or which prerequisite is missing.")


class CaptureResult(BaseModel):
    """A finished capture command, as GetCommandInvocation reports it."""

    migration_id: str | None = Field(description="The migration its Comment names.")
    status: str = Field(description="Success, Failed, TimedOut, Cancelled, ...")
    status_details: str = Field(default="", description="e.g. Execution Timed Out.")
    stdout: str = Field(default="", description="The first 24,000 characters of its output.")
    stderr: str = Field(default="", description="The first 8,000 characters of its errors.")


class AuditRecord(BaseModel):
    """One append-only audit entry: who did what, with which decision, when."""

    migration_id: str
    actor: str = Field(description="Slack user id, or 'bot' for automatic steps.")
    action: str = Field(description="e.g. approve_plan, cutover_50, rollback.")
    decision: str = Field(description="accepted, refused or failed, with a reason.")
    at: datetime


class StoredPolicy(BaseModel):
    """A channel's policy as stored: the JSON document (validated when read) and its version."""

    document: str
    version: int


class Clock(Protocol):
    """Source of the current UTC time."""

    def now(self) -> datetime: ...


class Store(Protocol):
    """Migrations, audit records and idempotency claims."""

    def create(
        self,
        migration: Migration,
        replaces: str | None = None,
        audit: AuditRecord | None = None,
    ) -> Migration:
        """Store a new migration, take its instance's lock (held by ``replaces``, or free)
        and append ``audit``, atomically.

        Raises ``InstanceBusyError`` when another migration took the lock meanwhile.
        """
        ...

    def lock_holder(self, instance_id: str) -> str | None:
        """The migration id holding the instance's lock, if any."""
        ...

    def get(self, migration_id: str) -> Migration: ...

    def save(self, migration: Migration) -> Migration:
        """Write ``migration`` if the stored version still equals its version; bump it."""
        ...

    def find_by_service_arn(self, service_arn: str) -> Migration | None: ...

    def list_by_channel(self, channel_id: str) -> list[Migration]: ...

    def append_audit(self, record: AuditRecord) -> None: ...

    def audit_trail(self, migration_id: str) -> list[AuditRecord]: ...

    def claim(self, key: str) -> bool:
        """Record ``key`` once; False when it was already claimed."""
        ...

    def release(self, key: str) -> None:
        """Forget a claim whose work failed, so a retry can claim it again."""
        ...

    def record_task(self, migration_id: str, task: TaskRecord) -> bool:
        """Store a task state only if newer (by ECS version) than the stored one."""
        ...

    def tasks(self, migration_id: str) -> list[TaskRecord]:
        """The newest stored state of every task of the migration's service."""
        ...

    def record_deployment(self, migration_id: str, deployment_id: str, status: str) -> bool:
        """Store a deployment status unless the stored one is already terminal or equal."""
        ...

    def deployment_statuses(self, migration_id: str) -> dict[str, str]:
        """Every recorded deployment id (and the steady-state marker) with its status."""
        ...

    def restore(self, previous: Migration, expected_version: int) -> None:
        """Put ``previous`` back (its own version) if the stored version is ``expected_version``."""
        ...

    def set_slack_ts(self, migration_id: str, ts: str) -> bool:
        """Record the status card's ts once, without bumping the version."""
        ...

    def record_reply(self, migration_id: str, ts: str, event: DomainEvent) -> None:
        """Remember a reply posted in the migration's thread (its ts and the event it told)."""
        ...

    def last_replies(self, migration_id: str, limit: int) -> list[tuple[str, DomainEvent]]:
        """The newest ``limit`` replies recorded for the thread, oldest first (ts, event)."""
        ...

    def mark_card(self, migration_id: str, version: int, tasks_key: str | None = None) -> None:
        """Record the ``version`` and ``tasks_key`` the card shows (never older; no bump)."""
        ...

    def channel_policy(self, channel_id: str) -> StoredPolicy | None:
        """The channel's own policy document, if one was set."""
        ...

    def put_channel_policy(self, channel_id: str, document: str, expected_version: int) -> int:
        """Write the channel's policy if its stored version is ``expected_version`` (0: none
        yet); return the new version; ``StaleVersionError`` if it changed meanwhile."""
        ...

    def delete_channel_policy(self, channel_id: str, expected_version: int) -> None:
        """Forget the channel's policy (the stack's default applies again)."""
        ...


class Publisher(Protocol):
    """Puts domain events on the bus."""

    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class SlackPort(Protocol):
    """What the notifier shows in Slack: the status card and milestone replies."""

    def post_card(self, migration: Migration, tasks: TaskSummary | None = None) -> str:
        """Post the status card as a new thread root; return its ts."""
        ...

    def update_card(self, migration: Migration, tasks: TaskSummary | None = None) -> None:
        """Edit the status card (``migration.slack_ts``) in place."""
        ...

    def is_milestone(self, event: DomainEvent) -> bool:
        """Whether ``event`` deserves a thread reply."""
        ...

    def send_file(
        self, user_id: str, *, filename: str, title: str, content: str, comment: str
    ) -> None:
        """Upload ``content`` as a file into the person's direct messages with the bot."""
        ...

    def post_milestone(self, migration: Migration, event: DomainEvent) -> str | None:
        """Reply in the migration's thread for ``event``; the reply's ts (None: no reply)."""
        ...

    def post_status(
        self,
        migration: Migration,
        tasks: TaskSummary | None,
        replies: list[tuple[str, DomainEvent]],
        asked_by: str,
    ) -> None:
        """Answer ``asked_by``'s ``@migrate-bot status`` in the migration's thread: the
        card's facts and the thread's last replies (``(ts, event)``, oldest first)."""
        ...

    def post_notice(self, channel_id: str, user_id: str, text: str, thread_ts: str) -> None:
        """Tell one person something only they see (ephemeral), in a thread."""
        ...

    def post_report(self, report: HealthReport) -> str:
        """Post a channel's health report (a channel message, not in a thread); its ts."""
        ...

    def upload_chart(self, report: HealthReport) -> None:
        """Draw the report's chart and upload the image into the report's channel."""
        ...


class DiscoveryAws(Protocol):
    """Read-only AWS calls discovery makes."""

    def find_instance(self, target: str) -> InstanceFacts: ...

    def resolve_instance(self, target: str) -> str:
        """The id of the instance ``target`` names (a cheap existence check)."""
        ...

    def find_load_balancing(self, instance: InstanceFacts) -> LoadBalancingFacts | None: ...

    def find_dns_record(self, load_balancer_dns: str) -> DnsRecordFacts | None: ...

    def find_access(self, instance: InstanceFacts) -> AccessFacts:
        """The instance role's policies and the security groups that admit the instance."""
        ...


class CaptureAws(Protocol):
    """SSM Run Command and S3 calls that capture the app from its instance."""

    def ssm_status(self, instance_id: str, instance_profile_arn: str | None) -> SsmStatus:
        """Whether SSM manages the instance; if not, which prerequisite is missing."""
        ...

    def start_capture(self, migration_id: str, instance_id: str, port: int) -> str:
        """Send the capture command; return its command id."""
        ...

    def find_capture(self, migration_id: str, instance_id: str, since: datetime) -> str | None:
        """The command a crashed attempt already sent for the migration, if any."""
        ...

    def capture_result(self, command_id: str, instance_id: str) -> CaptureResult: ...

    def read_bundle(self, key: str) -> Bundle:
        """Paths and small files' text of the bundle at ``key`` (raises ``BundleError``)."""
        ...

    def read_environment(self, key: str) -> dict[str, str]:
        """The captured environment at ``key`` (raises ``BundleError`` when absent)."""
        ...

    def delete_environment(self, key: str) -> None:
        """Delete the captured environment (idempotent)."""
        ...

    def store_secrets(self, migration_id: str, values: dict[str, str]) -> str:
        """Keep secret variables in the migration's one secret; return its ARN."""
        ...


class BuildAws(Protocol):
    """ECR, S3 and CodeBuild calls the build makes."""

    def ensure_repository(self, name: str) -> str: ...

    def upload_source(self, migration_id: str, files: dict[str, str], bundle_key: str) -> str:
        """Zip the bundle at ``bundle_key`` with ``files`` as the build's source; its location."""
        ...

    def start_build(
        self,
        project_name: str,
        source_location: str,
        repository_uri: str,
        image_tag: str,
        architecture: str,
    ) -> str:
        """Start (or find, when a retry already started it) the build; return its id."""
        ...


class DeployAws(Protocol):
    """ECS Express Mode calls the deploy makes, and the IAM and EC2 ones its tasks need."""

    def create_service(self, spec: ServiceSpec) -> ServiceFacts: ...

    def ensure_task_role(self, migration_id: str, role: TaskRolePlan) -> str:
        """Create (or find) the task role copying the plan's policies; its ARN."""
        ...

    def ensure_task_security_group(self, migration_id: str, vpc_id: str, port: int) -> str:
        """Create (or find) the group admitting the Express load balancer on ``port``; its id."""
        ...


class TrafficAws(Protocol):
    """Route 53 calls the traffic shifter makes."""

    def originals(self, record: DnsRecordFacts) -> list[dict[str, Any]]:
        """The simple record sets at the name that a cutover replaces (as Route 53 lists them)."""
        ...

    def set_weights(
        self,
        record: DnsRecordFacts,
        legacy: AliasTarget,
        express: AliasTarget,
        express_weight: int,
    ) -> str:
        """Two weighted alias records in place of the simple ones, in one batch; the change id."""
        ...

    def restore(self, record: DnsRecordFacts, originals: list[dict[str, Any]]) -> str | None:
        """The original record sets back in place of the weighted ones; the change id, or
        None when they are already there."""
        ...

    def change_status(self, change_id: str) -> str:
        """``PENDING`` or ``INSYNC``."""
        ...


class EdgeAws(Protocol):
    """ECS, ELBv2 and ACM calls that make the Express load balancer serve the app's name."""

    def express_ingress(self, service_arn: str, access_type: str) -> ExpressIngress:
        """The service's load balancer, HTTPS listener and rule (its managed resources)."""
        ...

    def listener_scheme(self, listener_arn: str) -> str:
        """``https`` or ``http``: the protocol of a listener users reach."""
        ...

    def serve_name(
        self, ingress: ExpressIngress, certificate_arn: str, name: str
    ) -> dict[str, str]:
        """Add the certificate to the Express listener and ``name`` to the service's rule;
        return what this call added (``certificate_arn``, ``host``) for clean up."""
        ...

    def put_alarms(self, requests: list[dict[str, Any]]) -> None:
        """Create the migration's CloudWatch alarms (PutMetricAlarm requests)."""
        ...

    def probe(self, load_balancer_dns: str, scheme: str, name: str, path: str) -> ProbeAnswer:
        """GET ``path`` from the load balancer as a user of ``name`` would (Host, SNI)."""
        ...


class CertificateAws(Protocol):
    """ELBv2, ACM and Route 53 calls for the certificate of the app's name."""

    def listener_scheme(self, listener_arn: str) -> str:
        """``https`` or ``http``: the protocol of a listener users reach."""
        ...

    def certificate_for(self, listener_arn: str, name: str) -> tuple[str | None, str]:
        """An issued ACM certificate on ``listener_arn`` that covers ``name`` (None if none),
        and why none is reusable, in a few words."""
        ...

    def request_certificate(self, name: str, migration_id: str) -> str:
        """Request a DNS-validated ACM certificate for ``name`` (idempotent per migration)."""
        ...

    def validation_record(self, certificate_arn: str) -> tuple[str, str] | None:
        """The validation CNAME (name, value) ACM wants; None until ACM has made it."""
        ...

    def write_validation_record(self, hosted_zone_id: str, name: str, value: str) -> None:
        """Write (UPSERT) the validation CNAME in the zone."""
        ...

    def migration_of(self, certificate_arn: str) -> str | None:
        """The migration a certificate was requested for; None if the bot did not request it."""
        ...

    def certificate_status(self, certificate_arn: str) -> str:
        """ACM's status of the certificate."""
        ...


class ReconcileAws(Protocol):
    """What AWS says about a wait past its deadline, and the stops a cancel needs."""

    def build_status(self, build_id: str) -> str | None:
        """CodeBuild's ``buildStatus``; None if CodeBuild does not know the build."""
        ...

    def stop_build(self, build_id: str) -> None:
        """Stop the build if it still runs."""
        ...

    def deployment_status(self, service_arn: str) -> tuple[str | None, str | None]:
        """The newest ECS service deployment's (status, reason)."""
        ...

    def delete_service(self, service_arn: str) -> None:
        """Delete the Express service (nothing if already gone)."""
        ...

    def command_status(self, command_id: str, instance_id: str) -> str | None:
        """The command's invocation status on the instance; None if unknown."""
        ...

    def certificate_status(self, certificate_arn: str) -> str | None:
        """ACM's status of the certificate; None if unknown."""
        ...


class Scheduler(Protocol):
    """One-time schedules that put a domain event on the bot's bus at a given time."""

    def at(self, name: str, when: datetime, event: DomainEvent) -> None:
        """Emit ``event`` at ``when`` (UTC); a second call with the same name does nothing."""
        ...


class SideBySideAws(Protocol):
    """CloudWatch and ELBv2 reads that put both sides of a cutover side by side."""

    def side_metrics(self, sides: dict[str, Side], span: Window) -> dict[str, SideFigures]:
        """Requests, 5xx and p99 of each side (by name) over ``span``, in one GetMetricData
        request (raises ``SideBySideReadError``)."""
        ...

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        """(healthy, unhealthy) targets of a target group (raises ``SideBySideReadError``)."""
        ...


class HealthReadError(RuntimeError):
    """A read for the health report failed (the message names the call and why); the
    report says what is not available and is posted all the same."""


class InstanceCosts(BaseModel):
    """What the EC2 side's cost rests on, as DescribeInstances and DescribeVolumes say."""

    instance_type: str
    state: str = Field(description="pending, running, stopping, stopped, ...")
    volumes: list[Volume] = Field(default_factory=list)


class HealthReportAws(Protocol):
    """CloudWatch, ELBv2 and EC2 reads a health report makes per migration."""

    region: str

    def series(self, sides: dict[str, Side], window: ReportWindow) -> dict[str, SideSeries]:
        """Hourly requests and 5xx and the day's p95 of each side, in one GetMetricData
        request (raises ``HealthReadError``)."""
        ...

    def target_health(self, target_group_arn: str) -> tuple[int, int]:
        """(healthy, unhealthy) targets of a target group (raises ``HealthReadError``)."""
        ...

    def instance_costs(self, instance_id: str) -> InstanceCosts:
        """The instance's type, state and volumes (raises ``HealthReadError``)."""
        ...

    def target_groups_on(self, load_balancer_arn: str) -> int:
        """How many target groups the load balancer serves (raises ``HealthReadError``)."""
        ...


class ReportStore(Protocol):
    """Compiled health reports (kept a few days) and the migrations a schedule reports on."""

    def all_migrations(self) -> list[Migration]:
        """Every stored migration (the ``by_channel`` index, all pages)."""
        ...

    def get_report(self, key: str) -> HealthReport | None: ...

    def put_report(self, report: HealthReport) -> bool:
        """Store the report unless one is stored under its key; False then."""
        ...


class CleanupAws(Protocol):
    """The calls that remove a migration's ECS side; each tolerates "already gone" and says
    what it removed (a line for the card), or None when there was nothing."""

    def remove_edge(self, listener_arn: str, rule_arn: str, added: dict[str, str]) -> list[str]:
        """Take off the Express listener and rule exactly what the edge step ``added``."""
        ...

    def delete_service(self, service_arn: str) -> str | None:
        """DeleteExpressGatewayService (it drains); None when it is already gone."""
        ...

    def service_drained(self, service_arn: str) -> bool:
        """Whether the deleted service is INACTIVE (or unknown): its tasks are gone."""
        ...

    def delete_alarms(self, names: list[str]) -> str | None: ...

    def delete_schedules(self, prefix: str) -> str | None:
        """Delete the stack's one-time schedules whose names start with ``prefix``."""
        ...

    def delete_secret(self, secret_arn: str) -> str | None: ...

    def delete_certificate(self, certificate_arn: str) -> str | None:
        """DeleteCertificate; raises ``ResourceBusyError`` while a listener still uses it."""
        ...

    def delete_validation_record(
        self, hosted_zone_id: str, name: str, value: str
    ) -> str | None: ...

    def delete_task_role(self, migration_id: str) -> str | None: ...

    def delete_task_security_group(self, migration_id: str, vpc_id: str) -> str | None:
        """Delete the tasks' group; raises ``ResourceBusyError`` while network interfaces
        still use it."""
        ...

    def delete_repository(self, name: str) -> str | None: ...

    def delete_project(self, name: str) -> str | None: ...


class ResourceBusyError(RuntimeError):
    """A resource cannot be deleted yet (still in use); the step comes back later."""


class DecommissionAws(Protocol):
    """EC2 and ELBv2 calls that retire (and bring back) the legacy instance."""

    def instance_state(self, instance_id: str) -> str:
        """pending, running, stopping, stopped, shutting-down or terminated."""
        ...

    def deregister(self, target_group_arn: str, instance_id: str, port: int) -> bool:
        """Take the instance out of its target group; False when it was not in it."""
        ...

    def register(self, target_group_arn: str, instance_id: str, port: int) -> None: ...

    def target_state(self, target_group_arn: str, instance_id: str, port: int) -> str:
        """The target's health state (healthy, initial, unhealthy, unused, draining...)."""
        ...

    def stop(self, instance_id: str) -> None: ...

    def start(self, instance_id: str) -> None: ...

    def create_image(self, instance_id: str, migration_id: str) -> str:
        """An AMI of the instance (found again by name when a retry already made it)."""
        ...

    def image_state(self, image_id: str) -> str:
        """pending, available, failed, ... ("" when it no longer exists)."""
        ...

    def terminate(self, instance_id: str) -> None: ...
