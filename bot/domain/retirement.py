"""What Clean up and Decommission record on a migration (plain data, no rules).

Clean up removes the ECS side of a migration whose users are all on EC2; Decommission stops
the EC2 side of one whose users are all on ECS. Each keeps here what it did, so a retried
step finds its progress and the card shows it. The rules live in ``bot.domain.cleanup`` and
``bot.domain.decommission``.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CleanupRecord(BaseModel):
    """A clean up under way or done: who asked, what was removed, what is left to do."""

    requested_by: str = Field(description="Slack user id of who pressed Clean up.")
    keep_image: bool = Field(
        default=False, description="Keep the ECR repository and the CodeBuild project."
    )
    started_at: datetime = Field(description="When Clean up was pressed (UTC).")
    removed: list[str] = Field(
        default_factory=list, description="What was removed (or found already gone), one line each."
    )
    problems: list[str] = Field(
        default_factory=list, description="Steps AWS refused, one line each (said in the thread)."
    )
    service_deleted: bool = Field(
        default=False, description="DeleteExpressGatewayService was accepted (it drains)."
    )
    attempt: int = Field(default=0, description="How many times the drain was checked.")


class DecommissionRecord(BaseModel):
    """The EC2 side's decommission: the image kept, the instance stopped, and its undo."""

    instance_id: str = Field(description="The legacy instance.")
    target_group_arn: str = Field(description="The legacy target group it served in.")
    port: int = Field(description="The port it was registered on.")
    requested_by: str = Field(description="Slack user id of who pressed Decommission (last).")
    approvals: list[str] = Field(
        default_factory=list,
        description="Who approved Decommission so far, when the policy asks for two approvers.",
    )
    image_id: str | None = Field(default=None, description="The AMI made of the instance.")
    decommissioned_at: datetime | None = Field(
        default=None, description="When the instance was stopped and imaged (UTC)."
    )
    terminate_after: datetime | None = Field(
        default=None, description="From when Terminate may be pressed (TerminateAfterDays)."
    )
    terminable: bool = Field(
        default=False, description="The waiting time is over: the card offers Terminate."
    )
    terminate_approvals: list[str] = Field(
        default_factory=list, description="Who approved Terminate so far (two are needed)."
    )
    undone_by: str | None = Field(default=None, description="Who pressed Undo decommission.")
    healthy: bool | None = Field(
        default=None, description="After an undo: the target group reported it healthy."
    )
    attempt: int = Field(default=0, description="Checks of the instance's state so far.")
    problem: str | None = Field(
        default=None, description="The last step AWS refused (said in the thread; Undo repairs)."
    )
