"""Build: ECR repository, generated Dockerfile, CodeBuild; CodeBuild's verdict → ImageBuilt."""

from __future__ import annotations

from bot.domain.architecture import UnsupportedArchitectureError, target_for
from bot.domain.build_files import build_files
from bot.domain.migration import Migration
from bot.domain.runtimes import UnsupportedRuntimeError
from bot.domain.state import Stage
from bot.events.models import BuildStarted, ImageBuilt, PlanApproved
from bot.ports import AwsRefusedError, BuildAws, Clock, MigrationNotFoundError, Publisher, Store
from bot.services.changes import republish_step, transition_and_emit
from bot.services.failures import report_failure
from bot.services.ids import migration_id_from_project, project_name

SUCCEEDED = "SUCCEEDED"


class BuildNotRecordedError(LookupError):
    """CodeBuild reported on a build the start step has not recorded yet (retried)."""


def image_uri(repository_uri: str, migration_id: str) -> str:
    """The immutable tag a migration's image is pushed with."""
    return f"{repository_uri}:{migration_id}"


def _started(migration: Migration) -> BuildStarted:
    assert migration.build_id and migration.repository_uri, "a started build is recorded"
    return BuildStarted(
        migration_id=migration.migration_id,
        idempotency_key=f"{migration.migration_id}:build:{migration.build_id}",
        build_id=migration.build_id,
        repository_uri=migration.repository_uri,
        platform=target_for(migration.plan.architecture).platform
        if migration.plan
        else "linux/amd64",
    )


def start(
    event: PlanApproved, *, store: Store, aws: BuildAws, publisher: Publisher, clock: Clock
) -> None:
    """Create the repository and CodeBuild project and start the image build."""
    migration = store.get(event.migration_id)
    if migration.stage != Stage.BUILDING or migration.plan is None:
        return  # a migration that moved on
    if migration.build_id:
        republish_step(store, publisher, _started(migration))  # redelivered
        return
    plan = migration.plan
    if plan.source == "image" and plan.image_uri:
        # --image: nothing to build; the given image goes to the deploy as it is.
        republish_step(
            store,
            publisher,
            ImageBuilt(
                migration_id=event.migration_id,
                idempotency_key=f"{event.migration_id}:built:given-image",
                build_id="none (--image)",
                image_uri=plan.image_uri,
            ),
        )
        return
    try:
        files = build_files(plan)
        platform = target_for(plan.architecture).platform
    except (UnsupportedRuntimeError, UnsupportedArchitectureError) as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.BUILDING, str(error))
        return
    try:
        repository_uri = aws.ensure_repository(f"migrate-bot/{event.migration_id}")
        assert plan.bundle_key is not None, "build_files checked the bundle"
        source = aws.upload_source(event.migration_id, files, plan.bundle_key)
        # StartBuild carries an idempotency token, and past the token's 5 minutes the
        # adapter finds the build a crashed attempt started: a retry starts no second build.
        build_id = aws.start_build(
            project_name(event.migration_id), source, repository_uri, event.migration_id, platform
        )
    except AwsRefusedError as error:
        report_failure(store, publisher, clock, event.migration_id, Stage.BUILDING, str(error))
        return
    transition_and_emit(
        store,
        publisher,
        event.migration_id,
        lambda m: (
            m.model_copy(
                update={
                    "build_id": build_id,
                    "repository_uri": repository_uri,
                    "updated_at": clock.now(),
                }
            )
            if m.build_id is None and m.stage == Stage.BUILDING
            else None
        ),
        lambda m: m.build_id is not None and m.stage == Stage.BUILDING,
        _started,
    )


def finished(
    project: str, build_id: str, status: str, *, store: Store, publisher: Publisher, clock: Clock
) -> None:
    """React to CodeBuild's final state for a build the bot started."""
    migration_id = migration_id_from_project(project)
    if migration_id is None:
        return
    try:
        migration = store.get(migration_id)
    except MigrationNotFoundError:
        return
    if migration.stage == Stage.BUILDING and migration.build_id is None:
        # The build started but its start step has not recorded it yet (it crashed, and its
        # retry will find this build): raise, so this event is retried rather than lost.
        raise BuildNotRecordedError(f"build {build_id} of {migration_id} is not recorded yet")
    if migration.stage != Stage.BUILDING or not _same_build(migration.build_id, build_id):
        return  # a build of an earlier attempt, or a migration that moved on
    if migration.repository_uri is None:
        return
    if status == SUCCEEDED:
        publisher.publish(
            [
                ImageBuilt(
                    migration_id=migration_id,
                    idempotency_key=f"{migration_id}:built:{build_id}",
                    build_id=build_id,
                    image_uri=image_uri(migration.repository_uri, migration_id),
                )
            ]
        )
    else:
        report_failure(
            store,
            publisher,
            clock,
            migration_id,
            Stage.BUILDING,
            f"CodeBuild build {build_id} {status}",
        )


def _same_build(recorded: str | None, reported: str) -> bool:
    # CodeBuild events carry the build ARN; StartBuild returns "project:uuid".
    return recorded is not None and (reported == recorded or reported.endswith(f"/{recorded}"))
