"""A migration's record and the pure rules for changing it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from bot.domain import cutover_settings
from bot.domain.facts import AliasTarget, CertificateFacts, ExpressIngress
from bot.domain.plan import Plan
from bot.domain.retirement import CleanupRecord, DecommissionRecord
from bot.domain.side_by_side import SideBySide
from bot.domain.state import (
    ALLOWED,
    TERMINAL,
    IllegalTransitionError,
    Stage,
    check_transition,
)

#: The cutover steps (percent on ECS) of a migration whose plan did not change them.
CUTOVER_STEPS: tuple[int, ...] = (10, 50, 100)


class Migration(BaseModel):
    """One migration, as stored (one item, optimistic ``version``)."""

    migration_id: str = Field(description="Unique id, e.g. mig-3f9c2a1b.")
    version: int = Field(default=0, description="Bumped by every stored change.")
    stage: Stage = Field(description="Where the migration stands.")
    target: str = Field(description="What the user asked to migrate (instance id or name).")
    channel_id: str = Field(description="Slack channel the migration lives in.")
    requested_by: str = Field(description="Slack user id of the requester.")
    account_id: str | None = Field(default=None, description="AWS account of the EC2 side.")
    created_at: datetime = Field(description="When it was requested (UTC).")
    updated_at: datetime = Field(description="When it last changed (UTC).")
    weight: int = Field(default=0, description="Percent of traffic on the ECS side.")
    requested_weight: int | None = Field(default=None, description="Cutover step under way.")
    cutover_steps: tuple[int, ...] = Field(
        default=CUTOVER_STEPS,
        description="The weights on ECS (percent) the cutover takes one after another, rising "
        "to 100 (the plan's Edit modal may change them before approval).",
    )
    bake_minutes: int | None = Field(
        default=None,
        description="How long each step bakes (None: the stack's BakeMinutes; 0: no bake).",
    )
    full_approvals: list[str] = Field(
        default_factory=list,
        description="Who approved Cutover 100 % so far, when the policy asks for two approvers.",
    )
    weighted_dns: bool = Field(
        default=False, description="Whether weighted Route 53 records were (being) written."
    )
    original_records: list[dict[str, Any]] | None = Field(
        default=None,
        description="The app's record sets as they were before the first cutover (restored by a "
        "full rollback), as Route 53 listed them.",
    )
    express_alias: AliasTarget | None = Field(
        default=None, description="The Express load balancer, as an alias record names it."
    )
    express_ingress: ExpressIngress | None = Field(
        default=None,
        description="The Express load balancer, listener, rule and target group (ARNs) the "
        "edge step made serve the name: the Express side's metrics are read by them.",
    )
    edge_added: dict[str, str] | None = Field(
        default=None,
        description="What serving the name added on the Express side (listener certificate, "
        "rule host), so clean up removes exactly that.",
    )
    certificate: CertificateFacts | None = Field(
        default=None,
        description="The certificate the Express listener will present for the app's name "
        "(found or requested once the plan is approved).",
    )
    edge_blocker: str | None = Field(
        default=None, description="Why the Express side does not serve the name (no cutover)."
    )
    bake_ends_at: datetime | None = Field(
        default=None,
        description="When the step now on ECS has baked (None: baked, or no step taken yet).",
    )
    shifted_at: datetime | None = Field(
        default=None,
        description="When the step now on ECS took effect (Route 53 in sync): the start of "
        "the window the side-by-side figures cover.",
    )
    side_by_side: SideBySide | None = Field(
        default=None,
        description="Both sides over the last step, as taken when its bake ended or when the "
        "bot rolled back on an alarm.",
    )
    gradual_until: int | None = Field(
        default=None,
        description="A gradual cutover runs the steps unattended, through bake and gates, up "
        "to this weight (None: none running).",
    )
    paused: bool = Field(default=False, description="The gradual cutover is paused.")
    rollback_reason: str | None = Field(
        default=None, description="Why the bot rolled back on its own (a breached alarm)."
    )
    gradual_by: str | None = Field(default=None, description="Who started the gradual cutover.")
    dns_change_id: str | None = Field(
        default=None, description="The Route 53 change of the step under way, until INSYNC."
    )
    plan: Plan | None = Field(default=None, description="Discovery's plan, once made.")
    capture_command_id: str | None = Field(
        default=None, description="SSM command that captures the app from the instance."
    )
    build_id: str | None = Field(default=None, description="CodeBuild build id.")
    repository_uri: str | None = Field(default=None, description="ECR repository URI.")
    image_uri: str | None = Field(default=None, description="Built image, by tag.")
    service_arn: str | None = Field(default=None, description="Express gateway service ARN.")
    endpoint: str | None = Field(default=None, description="Express service's HTTPS endpoint.")
    failure: str | None = Field(default=None, description="Why the migration failed.")
    failed_stage: Stage | None = Field(default=None, description="Stage that failed.")
    slack_ts: str | None = Field(default=None, description="Timestamp of the status card.")
    card_version: int | None = Field(
        default=None, description="The version the status card last showed."
    )
    card_tasks: str | None = Field(
        default=None, description="Fingerprint of the task summary the card last showed."
    )
    cleanup: CleanupRecord | None = Field(
        default=None, description="Clean up: what was removed of the ECS side (None: not asked)."
    )
    decommission: DecommissionRecord | None = Field(
        default=None, description="Decommission: the EC2 side's image, stop and undo."
    )

    @property
    def frees_instance(self) -> bool:
        """Whether another migration of the same instance may start.

        Only once this one can no longer send traffic anywhere: cancelled, cleaned
        up, rolled back, or failed before any DNS weight was written.
        """
        if self.stage == Stage.FAILED:
            return not self.weighted_dns
        return self.stage in (
            Stage.CANCELLED,
            Stage.CLEANED_UP,
            Stage.ROLLED_BACK,
            Stage.TERMINATED,
        )

    @property
    def terminal(self) -> bool:
        """Whether nothing can change this migration any more."""
        return self.stage in TERMINAL

    def bake(self, default: timedelta) -> timedelta:
        """How long each of its steps bakes: its own bake time, else ``default`` (the
        stack's ``BakeMinutes``)."""
        return default if self.bake_minutes is None else timedelta(minutes=self.bake_minutes)


def advance(migration: Migration, target: Stage, now: datetime, **changes: Any) -> Migration:
    """Return the migration moved to ``target`` with ``changes`` applied; raise if illegal."""
    check_transition(migration.stage, target)
    return migration.model_copy(update={"stage": target, "updated_at": now, **changes})


def approve(migration: Migration, now: datetime) -> Migration:
    """Approve the plan (the build may start); refused when the plan says it cannot be."""
    if migration.plan is not None and migration.plan.blocker and migration.stage == Stage.PLANNED:
        raise IllegalTransitionError(
            migration.stage,
            Stage.BUILDING,
            f"the plan cannot be approved: {migration.plan.blocker}",
        )
    return advance(migration, Stage.BUILDING, now)


def edit_cutover(
    migration: Migration, steps: tuple[int, ...], bake_minutes: int | None, now: datetime
) -> Migration:
    """Change the cutover steps and bake time, only while the plan waits for approval;
    settings ``cutover_settings.parse`` would not give raise ``CutoverSettingsError``."""
    cutover_settings.check(steps, bake_minutes)
    if migration.stage != Stage.PLANNED:
        raise IllegalTransitionError(
            migration.stage,
            migration.stage,
            "the cutover steps and bake time can be changed only while the plan waits for approval",
        )
    return migration.model_copy(
        update={"cutover_steps": steps, "bake_minutes": bake_minutes, "updated_at": now}
    )


def baking(migration: Migration, now: datetime) -> bool:
    """Whether the step now on ECS is still baking at ``now``."""
    return migration.bake_ends_at is not None and now < migration.bake_ends_at


def cutover_target(
    migration: Migration, weight: int, now: datetime | None = None, *, override: bool = False
) -> Migration:
    """Validate a Cutover click for ``weight`` percent; return the migration cutting over.

    With ``now``, a step asked for while the previous one still bakes is refused unless
    ``override`` says the person chose to skip the bake (the confirm dialog said so).
    """
    if weight not in migration.cutover_steps:
        steps = ", ".join(f"{w}%" for w in migration.cutover_steps)
        raise IllegalTransitionError(
            migration.stage, Stage.CUTTING_OVER, f"this migration's cutover steps are {steps}"
        )
    if migration.stage not in (Stage.HEALTHY, Stage.CUTTING_OVER):
        raise IllegalTransitionError(migration.stage, Stage.CUTTING_OVER)
    if migration.requested_weight is not None:
        raise IllegalTransitionError(
            migration.stage,
            Stage.CUTTING_OVER,
            f"a shift to {migration.requested_weight}% is still under way",
        )
    if weight <= migration.weight:
        raise IllegalTransitionError(
            migration.stage,
            Stage.CUTTING_OVER,
            f"{migration.weight}% is already on ECS; use Rollback to move traffic back",
        )
    if now is not None and baking(migration, now) and not override:
        assert migration.bake_ends_at is not None
        raise IllegalTransitionError(
            migration.stage,
            Stage.CUTTING_OVER,
            f"the {migration.weight}% step bakes until {migration.bake_ends_at:%H:%M} UTC; "
            "wait, or use the card's skip-bake button",
        )
    # DNS is about to change: remember it in the click's own save, so a rollback after any
    # crash resets the weights. Approvals gathered for this step are used up by it.
    update: dict[str, Any] = {
        "stage": Stage.CUTTING_OVER,
        "requested_weight": weight,
        "weighted_dns": True,
    }
    if weight == 100:
        update["full_approvals"] = []
    return migration.model_copy(update=update)


def approve_full_cutover(migration: Migration, user_id: str, now: datetime) -> Migration:
    """Record ``user_id``'s approval of Cutover 100 % (the policy asks for more than one).

    Refused when the step could not happen now (as ``cutover_target`` would refuse it), or
    when this person already approved it: the approvals must come from distinct people.
    """
    cutover_target(migration, 100)  # raises if 100 % cannot be asked for now
    if user_id in migration.full_approvals:
        raise IllegalTransitionError(
            migration.stage,
            Stage.CUTTING_OVER,
            "you already approved Cutover 100 %; another approver must approve it too",
        )
    return migration.model_copy(
        update={"full_approvals": [*migration.full_approvals, user_id], "updated_at": now}
    )


def traffic_shifted(
    migration: Migration, weight: int, now: datetime, bake: timedelta = timedelta(0)
) -> Migration | None:
    """Apply a completed shift to ``weight``, baking for the migration's own bake time, else
    ``bake`` (the stack's default); None when it is stale or already applied."""
    if migration.stage != Stage.CUTTING_OVER or weight <= migration.weight:
        return None
    bake = migration.bake(bake)
    target = Stage.CUT_OVER if weight == 100 else Stage.CUTTING_OVER
    update: dict[str, Any] = {
        "weight": weight,
        "bake_ends_at": now + bake if bake else None,
        "shifted_at": now,
    }
    if migration.requested_weight == weight:
        update["requested_weight"] = None
    return advance(migration, target, now, **update)


def fail(migration: Migration, stage: Stage, reason: str, now: datetime) -> Migration | None:
    """Mark the migration failed at ``stage``; None when it can no longer fail."""
    if migration.stage == Stage.FAILED or Stage.FAILED not in ALLOWED[migration.stage]:
        return None
    return advance(
        migration,
        Stage.FAILED,
        now,
        failure=_clip(reason),
        failed_stage=stage,
        requested_weight=None,
    )


MAX_REASON = 1500  # a failure reason is shown in Slack blocks, whose texts are bounded


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def next_step(migration: Migration) -> int | None:
    """The cutover step after the weight now on ECS; None at 100 %."""
    return next((w for w in migration.cutover_steps if w > migration.weight), None)


def start_gradual(migration: Migration, until: int, now: datetime, by: str) -> Migration:
    """Start the unattended cutover up to ``until`` percent: its first step is asked for now
    (refused as ``cutover_target`` would refuse it)."""
    step = next_step(migration)
    if step is None or step > until:
        raise IllegalTransitionError(migration.stage, Stage.CUTTING_OVER, "no step is left to take")
    if migration.gradual_until is not None:
        raise IllegalTransitionError(
            migration.stage, Stage.CUTTING_OVER, "a gradual cutover is already running"
        )
    started = cutover_target(migration, step, now)
    return started.model_copy(
        update={"gradual_until": until, "gradual_by": by, "paused": False, "updated_at": now}
    )


def pause_gradual(migration: Migration, paused: bool, now: datetime) -> Migration:
    """Pause (or resume) the gradual cutover; the step under way finishes either way."""
    if migration.gradual_until is None or migration.stage not in (
        Stage.HEALTHY,
        Stage.CUTTING_OVER,
    ):
        raise IllegalTransitionError(
            migration.stage, migration.stage, "no gradual cutover is running"
        )
    if migration.paused == paused:
        word = "paused" if paused else "running"
        raise IllegalTransitionError(migration.stage, migration.stage, f"it is already {word}")
    return migration.model_copy(update={"paused": paused, "updated_at": now})


def gradual_step(migration: Migration, now: datetime) -> Migration | None:
    """The next unattended step, if the gradual cutover may take it now: running, not
    paused, the previous step baked, nothing under way; None otherwise."""
    step = next_step(migration)
    if (
        migration.gradual_until is None
        or migration.paused
        or step is None
        or step > migration.gradual_until
        or migration.requested_weight is not None
        or baking(migration, now)
        or migration.stage != Stage.CUTTING_OVER
    ):
        return None
    return cutover_target(migration, step, now).model_copy(update={"updated_at": now})
