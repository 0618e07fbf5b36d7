"""Deploy: create the Express Mode service from the plan and the built image."""

from __future__ import annotations

from bot.domain.architecture import target_for
from bot.domain.deployments import OWNER_TAG
from bot.domain.facts import ServiceSpec
from bot.domain.migration import Migration, advance
from bot.domain.plan import Plan
from bot.domain.state import Stage
from bot.events.models import DeploymentStarted, ImageBuilt, MigrationCancelled
from bot.ports import AwsRefusedError, Clock, DeployAws, DeployError, Publisher, Store
from bot.services.changes import mutate, republish_step, transition_and_emit
from bot.services.failures import report_failure

#: Every Express service the bot creates is named ``migrate-bot-...``: the aws.ecs rule in
#: template.yaml matches only that prefix, so other workloads never invoke the bot.
SERVICE_PREFIX = "migrate-bot-"


def service_name(app_name: str, migration_id: str) -> str:
    """Express service name: the prefix, the app's name, then the migration id (events carry it)."""
    safe = "".join(c if c.isalnum() or c == "-" else "-" for c in app_name)[:40].strip("-")
    return f"{SERVICE_PREFIX}{safe}-{migration_id}" if safe else f"{SERVICE_PREFIX}{migration_id}"


def service_spec(
    migration_id: str,
    plan: Plan,
    image_uri: str,
    *,
    task_role_arn: str | None = None,
    task_security_group: str | None = None,
) -> ServiceSpec:
    """The Express gateway service a plan asks for, with the role and group made for it.

    The tasks join the instance's security groups (what admits the instance admits them) and
    ``task_security_group``, the one that admits the Express load balancer.
    """
    return ServiceSpec(
        service_name=service_name(plan.name, migration_id),
        image_uri=image_uri,
        port=plan.port,
        health_check_path=plan.health_check_path,
        cpu=plan.cpu,
        memory=plan.memory,
        subnet_ids=plan.subnet_ids,
        security_group_ids=[
            *plan.security_group_ids,
            *([task_security_group] if task_security_group else []),
        ],
        task_role_arn=task_role_arn,
        environment=plan.environment,
        # ECS reads one JSON key of a Secrets Manager secret from
        # "<secret ARN>:<json-key>:<version-stage>:<version-id>" (ECS Developer Guide,
        # "Pass Secrets Manager secrets through Amazon ECS environment variables").
        secrets={name: f"{plan.secret_arn}:{name}::" for name in plan.secret_names}
        if plan.secret_arn
        else {},
        command=plan.start_command,
        cpu_architecture=target_for(plan.architecture).cpu_architecture,
        # The endpoint is the ingress path the chosen subnets give Express: private subnets
        # → an internal ALB and the PRIVATE path (the plan warns if that differs from EC2).
        access_type="PRIVATE"
        if (plan.express_scheme or plan.load_balancer_scheme) == "internal"
        else "PUBLIC",
        tags={OWNER_TAG: migration_id, "migrate-bot:instance": plan.instance_id},
    )


def _started(migration: Migration) -> DeploymentStarted:
    assert migration.service_arn is not None, "a started deployment is recorded"
    return DeploymentStarted(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:deploy:{migration.service_arn}",
        service_arn=migration.service_arn,
        endpoint=migration.endpoint,
    )


def run(
    event: ImageBuilt, *, store: Store, aws: DeployAws, publisher: Publisher, clock: Clock
) -> None:
    """Create the service (idempotently) and emit ``DeploymentStarted``."""

    def start(m: Migration) -> Migration | None:
        if m.stage == Stage.BUILDING:
            return advance(m, Stage.DEPLOYING, clock.now(), image_uri=event.image_uri)
        return None

    migration = mutate(store, event.migration_id, start) or store.get(event.migration_id)
    if migration.stage != Stage.DEPLOYING or migration.plan is None:
        return  # a migration that moved on
    if migration.service_arn:
        republish_step(store, publisher, _started(migration))  # redelivered
        return
    plan = migration.plan
    try:
        role_arn = (
            aws.ensure_task_role(migration.migration_id, plan.task_role) if plan.task_role else None
        )
        group = aws.ensure_task_security_group(migration.migration_id, plan.vpc_id, plan.port)
        service = aws.create_service(
            service_spec(
                migration.migration_id,
                plan,
                event.image_uri,
                task_role_arn=role_arn,
                task_security_group=group,
            )
        )
    except (DeployError, AwsRefusedError) as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.DEPLOYING, str(error))
        return
    transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: (
            m.model_copy(
                update={
                    "service_arn": service.service_arn,
                    "endpoint": service.endpoint,
                    "updated_at": clock.now(),
                }
            )
            if m.service_arn is None and m.stage == Stage.DEPLOYING
            else None
        ),
        lambda m: m.service_arn is not None and m.stage == Stage.DEPLOYING,
        _started,
    )
    if store.get(event.migration_id).stage == Stage.CANCELLED:
        # Cancelled while the service was being created: nobody recorded it, so the cancel's
        # own stop missed it. Say so again with the service, for the reconciler to delete.
        republish_step(
            store,
            publisher,
            MigrationCancelled(
                migration_id=event.migration_id,
                idempotency_key=f"{event.migration_id}:cancelled:{service.service_arn}",
                cancelled_by="",
                service_arn=service.service_arn,
            ),
        )
