"""The migration state machine: illegal moves raise; no event sequence breaks it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.migration import Migration, advance, cutover_target, fail, traffic_shifted
from bot.domain.state import (
    ALLOWED,
    RANK,
    TERMINAL,
    UNDOES,
    IllegalTransitionError,
    Stage,
    check_transition,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def new_migration() -> Migration:
    return Migration(
        migration_id="mig-0000abcd",
        stage=Stage.REQUESTED,
        target="i-0abc1234",
        channel_id="C1",
        requested_by="U1",
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("current", list(Stage))
@pytest.mark.parametrize("target", list(Stage))
def test_every_pair_is_allowed_or_raises(current: Stage, target: Stage) -> None:
    if target in ALLOWED[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransitionError, match=f"from {current.value} to {target.value}"):
            check_transition(current, target)


def test_terminal_stages_have_no_exit() -> None:
    for stage in TERMINAL:
        assert ALLOWED[stage] == frozenset()


def test_no_allowed_move_goes_backwards_except_into_failure_or_an_undo() -> None:
    for current, targets in ALLOWED.items():
        for target in targets - {current, Stage.FAILED}:
            assert RANK[target] > RANK[current] or (current, target) in UNDOES, (current, target)


def test_the_only_undo_is_undo_decommission_back_to_cut_over() -> None:
    assert UNDOES == {(Stage.RECOMMISSIONING, Stage.CUT_OVER)}
    assert Stage.TERMINATED in TERMINAL and Stage.FAILED not in ALLOWED[Stage.DECOMMISSIONED]


# The things that can happen to a migration, as the consumers apply them: each
# either changes the migration legally or declines (returns None / raises).
ACTIONS = st.sampled_from(
    [
        ("advance", Stage.DISCOVERING),
        ("advance", Stage.PLANNED),
        ("advance", Stage.BUILDING),
        ("advance", Stage.DEPLOYING),
        ("advance", Stage.HEALTHY),
        ("advance", Stage.CANCELLED),
        ("advance", Stage.ROLLING_BACK),
        ("advance", Stage.ROLLED_BACK),
        ("advance", Stage.CLEANED_UP),
        ("advance", Stage.CLEANING_UP),
        ("advance", Stage.DECOMMISSIONING),
        ("advance", Stage.DECOMMISSIONED),
        ("advance", Stage.RECOMMISSIONING),
        ("advance", Stage.TERMINATED),
        ("cutover", 10),
        ("cutover", 50),
        ("cutover", 100),
        ("shifted", 10),
        ("shifted", 50),
        ("shifted", 100),
        ("fail", None),
    ]
)


def apply(migration: Migration, action: tuple[str, object]) -> Migration:
    kind, arg = action
    try:
        if kind == "advance":
            assert isinstance(arg, Stage)
            return advance(migration, arg, NOW)
        if kind == "cutover":
            assert isinstance(arg, int)
            return cutover_target(migration, arg)
        if kind == "shifted":
            assert isinstance(arg, int)
            return traffic_shifted(migration, arg, NOW) or migration
        return fail(migration, migration.stage, "boom", NOW) or migration
    except IllegalTransitionError:
        return migration


@settings(max_examples=400, deadline=None)
@given(st.lists(ACTIONS, max_size=40))
def test_no_sequence_reaches_an_illegal_state(actions: list[tuple[str, object]]) -> None:
    migration = new_migration()
    history = [migration]
    for action in actions:
        before = history[-1]
        after = apply(before, action)
        if after.stage != before.stage:
            assert after.stage in ALLOWED[before.stage]
        if before.terminal:
            assert after == before, "a terminal migration changed"
        if after.stage != Stage.FAILED and after.stage != before.stage:
            moved = (before.stage, after.stage)
            assert RANK[after.stage] > RANK[before.stage] or moved in UNDOES, "went backwards"
        assert 0 <= after.weight <= 100
        if before.stage in (Stage.CUTTING_OVER, Stage.CUT_OVER) and after.stage in (
            Stage.CUTTING_OVER,
            Stage.CUT_OVER,
        ):
            assert after.weight >= before.weight, "traffic moved back without a rollback"
        if after.stage == Stage.CUT_OVER:
            assert after.weight == 100
        history.append(after)


@settings(max_examples=200, deadline=None)
@given(st.lists(ACTIONS, max_size=30), st.randoms())
def test_duplicated_and_reordered_events_stay_legal(
    actions: list[tuple[str, object]], rng: object
) -> None:
    doubled = actions + actions
    rng.shuffle(doubled)  # type: ignore[attr-defined]
    migration = new_migration()
    for action in doubled:
        after = apply(migration, action)
        assert after.stage == migration.stage or after.stage in ALLOWED[migration.stage]
        migration = after


def test_happy_path_reaches_cut_over() -> None:
    m = new_migration()
    for stage in (Stage.DISCOVERING, Stage.PLANNED, Stage.BUILDING, Stage.DEPLOYING, Stage.HEALTHY):
        m = advance(m, stage, NOW)
    for weight in (10, 50, 100):
        m = cutover_target(m, weight)
        shifted = traffic_shifted(m, weight, NOW)
        assert shifted is not None
        m = shifted
        assert m.weight == weight and m.requested_weight is None
    assert m.stage == Stage.CUT_OVER


def test_cutover_cannot_go_down_and_a_shift_is_applied_once() -> None:
    m = new_migration().model_copy(update={"stage": Stage.HEALTHY})
    m = traffic_shifted(cutover_target(m, 50), 50, NOW)
    assert m is not None
    with pytest.raises(IllegalTransitionError, match="already on ECS"):
        cutover_target(m, 10)
    assert traffic_shifted(m, 50, NOW) is None
