"""The migration state machine: which stage may follow which, as plain data."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where a migration stands."""

    REQUESTED = "requested"
    DISCOVERING = "discovering"
    CAPTURING = "capturing"
    PLANNED = "planned"
    BUILDING = "building"
    DEPLOYING = "deploying"
    HEALTHY = "healthy"
    CUTTING_OVER = "cutting_over"
    CUT_OVER = "cut_over"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CLEANED_UP = "cleaned_up"
    CLEANING_UP = "cleaning_up"
    DECOMMISSIONING = "decommissioning"
    DECOMMISSIONED = "decommissioned"
    RECOMMISSIONING = "recommissioning"
    TERMINATED = "terminated"


class IllegalTransitionError(ValueError):
    """A stage change the state machine does not allow."""

    def __init__(self, current: Stage, target: Stage, detail: str = "") -> None:
        self.current = current
        self.target = target
        message = f"cannot move a migration from {current.value} to {target.value}"
        super().__init__(f"{message}: {detail}" if detail else message)


#: Stages nothing can leave.
TERMINAL: frozenset[Stage] = frozenset({Stage.CANCELLED, Stage.CLEANED_UP, Stage.TERMINATED})

_FAILABLE = frozenset(
    {
        Stage.REQUESTED,
        Stage.DISCOVERING,
        Stage.CAPTURING,
        Stage.PLANNED,
        Stage.BUILDING,
        Stage.DEPLOYING,
        Stage.HEALTHY,
        Stage.CUTTING_OVER,
        Stage.ROLLING_BACK,
        Stage.CLEANING_UP,
    }
)

ALLOWED: dict[Stage, frozenset[Stage]] = {
    Stage.REQUESTED: frozenset({Stage.DISCOVERING, Stage.CANCELLED}),
    Stage.DISCOVERING: frozenset({Stage.CAPTURING, Stage.PLANNED, Stage.CANCELLED}),
    Stage.CAPTURING: frozenset({Stage.PLANNED, Stage.CANCELLED}),
    Stage.PLANNED: frozenset({Stage.BUILDING, Stage.CANCELLED}),
    # Cancel works while the image builds and the service deploys: the build is stopped and
    # the service deleted (bot/services/reconcile.py on_cancelled).
    Stage.BUILDING: frozenset({Stage.DEPLOYING, Stage.CANCELLED}),
    Stage.DEPLOYING: frozenset({Stage.HEALTHY, Stage.CANCELLED}),
    Stage.HEALTHY: frozenset({Stage.CUTTING_OVER, Stage.ROLLING_BACK, Stage.CLEANING_UP}),
    Stage.CUTTING_OVER: frozenset({Stage.CUTTING_OVER, Stage.CUT_OVER, Stage.ROLLING_BACK}),
    Stage.CUT_OVER: frozenset({Stage.ROLLING_BACK, Stage.DECOMMISSIONING}),
    Stage.ROLLING_BACK: frozenset({Stage.ROLLED_BACK}),
    Stage.ROLLED_BACK: frozenset({Stage.CLEANING_UP, Stage.CLEANED_UP}),
    Stage.FAILED: frozenset({Stage.ROLLING_BACK, Stage.CLEANING_UP, Stage.CLEANED_UP}),
    Stage.CANCELLED: frozenset(),
    Stage.CLEANED_UP: frozenset(),
    # Clean up (bot/services/cleanup.py): the ECS side removed, the EC2 side kept.
    Stage.CLEANING_UP: frozenset({Stage.CLEANING_UP, Stage.CLEANED_UP}),
    # Decommission (bot/services/decommission.py): the EC2 side stopped after a baked 100 %,
    # undone by starting it again (back to cut over), or terminated days later. A step AWS
    # refuses leaves the stage as it is and says why; Undo repairs any partial state.
    Stage.DECOMMISSIONING: frozenset({Stage.DECOMMISSIONED, Stage.RECOMMISSIONING}),
    Stage.DECOMMISSIONED: frozenset({Stage.RECOMMISSIONING, Stage.TERMINATED}),
    Stage.RECOMMISSIONING: frozenset({Stage.RECOMMISSIONING, Stage.CUT_OVER}),
    Stage.TERMINATED: frozenset(),
}
for _stage in _FAILABLE:
    ALLOWED[_stage] = ALLOWED[_stage] | {Stage.FAILED}

#: Rank along the path; apart from a failure (which may strike any live stage,
#: a rollback included), a migration never moves to a lower rank.
RANK: dict[Stage, int] = {
    Stage.REQUESTED: 0,
    Stage.DISCOVERING: 1,
    Stage.CAPTURING: 2,
    Stage.PLANNED: 3,
    Stage.BUILDING: 4,
    Stage.DEPLOYING: 5,
    Stage.HEALTHY: 6,
    Stage.CUTTING_OVER: 7,
    Stage.CUT_OVER: 8,
    Stage.FAILED: 9,
    Stage.ROLLING_BACK: 10,
    Stage.ROLLED_BACK: 11,
    Stage.CLEANING_UP: 12,
    Stage.CANCELLED: 13,
    Stage.CLEANED_UP: 13,
    Stage.DECOMMISSIONING: 14,
    Stage.DECOMMISSIONED: 15,
    Stage.RECOMMISSIONING: 16,
    Stage.TERMINATED: 17,
}

#: The one move back along the path: Undo decommission, once the instance serves again,
#: returns the migration to cut over (it may be decommissioned again from there).
UNDOES: frozenset[tuple[Stage, Stage]] = frozenset({(Stage.RECOMMISSIONING, Stage.CUT_OVER)})


def can_transition(current: Stage, target: Stage) -> bool:
    """Whether the state machine allows moving from ``current`` to ``target``."""
    return target in ALLOWED[current]


def check_transition(current: Stage, target: Stage) -> None:
    """Raise ``IllegalTransitionError`` unless ``current`` may move to ``target``."""
    if not can_transition(current, target):
        raise IllegalTransitionError(current, target)
