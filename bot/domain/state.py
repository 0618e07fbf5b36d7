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


class IllegalTransitionError(ValueError):
    """A stage change the state machine does not allow."""

    def __init__(self, current: Stage, target: Stage, detail: str = "") -> None:
        self.current = current
        self.target = target
        message = f"cannot move a migration from {current.value} to {target.value}"
        super().__init__(f"{message}: {detail}" if detail else message)


#: Stages nothing can leave.
TERMINAL: frozenset[Stage] = frozenset({Stage.CANCELLED, Stage.CLEANED_UP})

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
    }
)

ALLOWED: dict[Stage, frozenset[Stage]] = {
    Stage.REQUESTED: frozenset({Stage.DISCOVERING, Stage.CANCELLED}),
    Stage.DISCOVERING: frozenset({Stage.CAPTURING, Stage.PLANNED, Stage.CANCELLED}),
    Stage.CAPTURING: frozenset({Stage.PLANNED, Stage.CANCELLED}),
    Stage.PLANNED: frozenset({Stage.BUILDING, Stage.CANCELLED}),
    Stage.BUILDING: frozenset({Stage.DEPLOYING}),
    Stage.DEPLOYING: frozenset({Stage.HEALTHY}),
    Stage.HEALTHY: frozenset({Stage.CUTTING_OVER, Stage.ROLLING_BACK}),
    Stage.CUTTING_OVER: frozenset({Stage.CUTTING_OVER, Stage.CUT_OVER, Stage.ROLLING_BACK}),
    Stage.CUT_OVER: frozenset({Stage.ROLLING_BACK}),
    Stage.ROLLING_BACK: frozenset({Stage.ROLLED_BACK}),
    Stage.ROLLED_BACK: frozenset({Stage.CLEANED_UP}),
    Stage.FAILED: frozenset({Stage.ROLLING_BACK, Stage.CLEANED_UP}),
    Stage.CANCELLED: frozenset(),
    Stage.CLEANED_UP: frozenset(),
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
    Stage.CANCELLED: 12,
    Stage.CLEANED_UP: 12,
}


def can_transition(current: Stage, target: Stage) -> bool:
    """Whether the state machine allows moving from ``current`` to ``target``."""
    return target in ALLOWED[current]


def check_transition(current: Stage, target: Stage) -> None:
    """Raise ``IllegalTransitionError`` unless ``current`` may move to ``target``."""
    if not can_transition(current, target):
        raise IllegalTransitionError(current, target)
