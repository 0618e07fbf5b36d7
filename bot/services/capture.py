"""The capture's outcome: Systems Manager's command event → the completed plan (or why not).

The event names only the command and its instance; ``GetCommandInvocation`` gives the output
and the Comment that names the migration. The answer is read with ``bot.domain.capture``, the
bundle and the environment from the artifacts bucket, and the plan completed by ``app_plan``.
Secret-looking variables go to the migration's Secrets Manager secret; only their names stay in
the plan, and the uploaded environment is deleted once the plan is saved. A capture that
produced no bundle is said in the plan, with the way out, and that plan cannot be approved.
"""

from __future__ import annotations

from bot.domain import app_plan
from bot.domain.capture import (
    WAY_OUT,
    CaptureOutputError,
    capture_keys,
    parse_process,
    read_answer,
    refusal,
)
from bot.domain.migration import advance
from bot.domain.plan import Plan
from bot.domain.state import Stage
from bot.ports import (
    AwsRefusedError,
    BundleError,
    CaptureAws,
    CaptureResult,
    Clock,
    MigrationNotFoundError,
    Publisher,
    Store,
)
from bot.services.changes import republish_step, transition_and_emit
from bot.services.discovery import discovered
from bot.services.failures import report_failure

_EXCERPT = 400


class CaptureNotRecordedError(LookupError):
    """SSM reported on a capture the discovery step has not recorded yet (retried)."""


def finished(
    command_id: str,
    instance_id: str,
    *,
    store: Store,
    capture: CaptureAws,
    publisher: Publisher,
    clock: Clock,
) -> None:
    """Complete the plan of the migration whose capture command ``command_id`` finished."""
    result = capture.capture_result(command_id, instance_id)
    if result.migration_id is None:
        return  # another AWS-RunShellScript command in the account
    try:
        migration = store.get(result.migration_id)
    except MigrationNotFoundError:
        return
    if migration.stage == Stage.CAPTURING and migration.capture_command_id is None:
        raise CaptureNotRecordedError(f"capture {command_id} of {migration.migration_id}")
    if migration.capture_command_id != command_id or migration.plan is None:
        return  # an earlier attempt's command
    _, environment_key = capture_keys(migration.migration_id)
    if migration.stage == Stage.PLANNED:
        republish_step(store, publisher, discovered(migration))  # redelivered
        capture.delete_environment(environment_key)
        return
    if migration.stage != Stage.CAPTURING:
        return  # cancelled or failed meanwhile
    try:
        plan = complete(migration.migration_id, migration.plan, result, capture)
    except AwsRefusedError as error:
        report_failure(store, publisher, clock, migration.migration_id, Stage.CAPTURING, str(error))
        return
    transition_and_emit(
        store,
        publisher,
        migration.migration_id,
        lambda m: (
            advance(m, Stage.PLANNED, clock.now(), plan=plan)
            if m.stage == Stage.CAPTURING and m.capture_command_id == command_id
            else None
        ),
        lambda m: m.stage == Stage.PLANNED,
        discovered,
    )
    capture.delete_environment(environment_key)


def complete(migration_id: str, plan: Plan, result: CaptureResult, capture: CaptureAws) -> Plan:
    """The plan completed from a finished capture, or saying why it produced no bundle."""
    try:
        facts = read_answer(result.stdout)
        refused = refusal(facts, port=plan.port)
    except CaptureOutputError as error:
        errors = result.stderr.strip()[:_EXCERPT]
        return app_plan.capture_refused(
            plan,
            f"The capture command ended {result.status}"
            + (f" ({result.status_details})" if result.status_details else "")
            + f" without a complete answer: {error}."
            + (f" Its errors: {errors}" if errors else "")
            + f" {WAY_OUT}",
        )
    if refused is not None:
        return app_plan.capture_refused(plan, refused.reason)
    process = parse_process(facts)
    source_key, environment_key = capture_keys(migration_id)
    try:
        bundle = capture.read_bundle(source_key)
        environment = capture.read_environment(environment_key)
    except BundleError as error:
        return app_plan.capture_refused(
            plan, f"The capture uploaded no usable bundle: {error}. {WAY_OUT}"
        )
    completed, secret = app_plan.with_capture(
        plan, process, bundle, environment, bundle_key=source_key
    )
    if secret:
        arn = capture.store_secrets(migration_id, secret)
        completed = completed.model_copy(update={"secret_arn": arn})
    return completed
