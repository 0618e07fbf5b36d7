"""A migration's own cutover steps and bake time: validation, the domain rules, the card.

Pure: the Edit modal's fields as typed, the migration record with custom steps (``25, 100``)
through the buttons, the gradual cutover and the bake, and what the card and modal show.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain import cutover_settings
from bot.domain.cutover_settings import CutoverSettingsError, parse, parse_bake_minutes, parse_steps
from bot.domain.facts import AliasTarget
from bot.domain.migration import (
    CUTOVER_STEPS,
    Migration,
    cutover_target,
    edit_cutover,
    gradual_step,
    next_step,
    start_gradual,
    traffic_shifted,
)
from bot.domain.state import IllegalTransitionError, Stage
from bot.events.models import CutoverRequested, PlanEdited
from bot.services import actions, traffic
from bot.slack.blocks import card_buttons, render_milestone, render_status_card
from bot.slack.edit_modal import (
    BAKE_BLOCK,
    CALLBACK_ID,
    EDIT_ACTION,
    STEPS_BLOCK,
    render_edit_modal,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
EXPRESS_ALB = AliasTarget(
    dns_name="ecs-express-gateway-alb-1.elb.amazonaws.com", hosted_zone_id="Z1"
)


def migration(stage: Stage = Stage.PLANNED, **changes: Any) -> Migration:
    fields: dict[str, Any] = {
        "migration_id": "mig-0000abcd",
        "stage": stage,
        "target": "i-0abc1234",
        "channel_id": "C1",
        "requested_by": "U0ALICE",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 4,
    }
    return Migration(**(fields | changes))


# Validation of what a person types ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("10, 50, 100", (10, 50, 100)),
        ("25,100", (25, 100)),
        ("  100 ", (100,)),
        ("10% 50% 100%", (10, 50, 100)),
        ("5 → 25 → 50 → 75 → 100", (5, 25, 50, 75, 100)),
        ("1; 2; 100", (1, 2, 100)),
        ("10 -> 100", (10, 100)),
    ],
)
def test_steps_typed_in_common_ways_are_read(text: str, steps: tuple[int, ...]) -> None:
    assert parse_steps(text) == steps


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "at least one step"),
        ("   ", "at least one step"),
        ("10, fifty, 100", "“fifty” is not a whole number"),
        ("10, 5.5, 100", "“5.5” is not a whole number"),
        ("-5, 100", "“-5” is not a whole number"),
        ("0, 100", "1 to 100; 0 is not"),
        ("10, 150", "1 to 100; 150 is not"),
        ("50, 10, 100", "must rise: 10 comes after 50"),
        ("10, 10, 100", "must rise: 10 comes after 10"),
        ("10, 20, 30, 40, 50, 100", "At most 5 steps; 6 were given"),
        ("10, 50", "last step must be 100"),
        ("averyveryverylongword, 100", "“averyveryve…”"),
    ],
)
def test_bad_steps_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_steps(text)


@pytest.mark.parametrize(
    ("text", "minutes"), [("10", 10), (" 0 ", 0), ("1440", 1440), ("", None), (None, None)]
)
def test_bake_minutes_are_whole_minutes_up_to_a_day_or_the_default(
    text: str | None, minutes: int | None
) -> None:
    assert parse_bake_minutes(text) == minutes


@pytest.mark.parametrize("text", ["1441", "-1", "2.5", "ten", "99999"])
def test_bad_bake_minutes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="from 0 \\(no bake\\) to 1440"):
        parse_bake_minutes(text)


def test_parse_reports_every_bad_field_at_once() -> None:
    with pytest.raises(CutoverSettingsError) as raised:
        parse("10, 50", "forever")
    assert set(raised.value.errors) == {"steps", "bake_minutes"}
    assert parse("25, 100", "5") == cutover_settings.CutoverSettings((25, 100), 5)
    assert parse("100", None).bake_minutes is None


# The migration record -----------------------------------------------------------------------


def test_an_item_stored_before_the_fields_existed_still_loads_with_the_defaults() -> None:
    stored = json.loads(migration().model_dump_json(exclude={"cutover_steps", "bake_minutes"}))
    assert "cutover_steps" not in stored
    loaded = Migration.model_validate(stored)
    assert (loaded.cutover_steps, loaded.bake_minutes) == (CUTOVER_STEPS, None)
    edited = migration(cutover_steps=(25, 100), bake_minutes=5)
    again = Migration.model_validate_json(edited.model_dump_json())
    assert (again.cutover_steps, again.bake_minutes) == ((25, 100), 5)


def test_the_cutover_is_edited_only_while_the_plan_waits_for_approval() -> None:
    edited = edit_cutover(migration(), (25, 100), 5, NOW + timedelta(minutes=1))
    assert (edited.cutover_steps, edited.bake_minutes, edited.updated_at) == (
        (25, 100),
        5,
        NOW + timedelta(minutes=1),
    )
    for steps, bake in (((50, 10, 100), None), ((10, 50), None), ((100,), -1), ((100,), 1441)):
        with pytest.raises(CutoverSettingsError):
            edit_cutover(migration(), steps, bake, NOW)
    for stage in (Stage.CAPTURING, Stage.BUILDING, Stage.CUTTING_OVER):
        with pytest.raises(IllegalTransitionError, match="only while the plan waits"):
            edit_cutover(migration(stage), (25, 100), 5, NOW)


def test_custom_steps_decide_which_weights_may_be_asked_for() -> None:
    live = migration(Stage.HEALTHY, cutover_steps=(25, 100), express_alias=EXPRESS_ALB)
    with pytest.raises(IllegalTransitionError, match="cutover steps are 25%, 100%"):
        cutover_target(live, 10)
    assert cutover_target(live, 25).requested_weight == 25
    assert next_step(live) == 25
    assert next_step(live.model_copy(update={"weight": 25})) == 100


def test_the_gradual_cutover_walks_the_migrations_own_steps() -> None:
    live = migration(Stage.HEALTHY, cutover_steps=(25, 100), express_alias=EXPRESS_ALB)
    started = start_gradual(live, 100, NOW, "U0BOB")
    assert started.requested_weight == 25 and started.gradual_until == 100
    shifted = traffic_shifted(started, 25, NOW, timedelta(minutes=10))
    assert shifted is not None
    assert gradual_step(shifted, NOW + timedelta(minutes=9)) is None  # still baking
    after = gradual_step(shifted, NOW + timedelta(minutes=11))
    assert after is not None and after.requested_weight == 100


def test_the_migrations_own_bake_time_wins_over_the_stacks() -> None:
    own = migration(Stage.CUTTING_OVER, bake_minutes=3, requested_weight=25)
    default = migration(Stage.CUTTING_OVER, requested_weight=25)
    none = migration(Stage.CUTTING_OVER, bake_minutes=0, requested_weight=25)
    stack = timedelta(minutes=10)

    shifted = [traffic_shifted(m, 25, NOW, stack) for m in (own, default, none)]

    assert [s.bake_ends_at if s else "stale" for s in shifted] == [
        NOW + timedelta(minutes=3),
        NOW + timedelta(minutes=10),
        None,  # 0: no bake, the next step may be taken at once
    ]


# The card and the modal -------------------------------------------------------------------


def _ids(buttons: list[dict[str, Any]]) -> list[str]:
    return [b["action_id"] for b in buttons]


def test_the_plan_card_offers_edit_where_it_offers_approve() -> None:
    assert _ids(card_buttons(migration())) == ["approve_plan", EDIT_ACTION, "cancel_migration"]
    assert _ids(card_buttons(migration(Stage.CAPTURING))) == ["cancel_migration"]
    assert EDIT_ACTION not in _ids(card_buttons(migration(Stage.HEALTHY)))


def test_the_card_offers_the_migrations_own_steps() -> None:
    live = migration(Stage.HEALTHY, cutover_steps=(25, 100), express_alias=EXPRESS_ALB)
    buttons = card_buttons(live)
    assert _ids(buttons) == [
        "gradual_start",
        "cutover_25",
        "cutover_100",
        "rollback",
        "cleanup",  # every user is still on EC2
        "cleanup_keep_image",
    ]
    assert "(25 % → 100 %)" in buttons[0]["confirm"]["text"]["text"]
    assert json.loads(buttons[1]["value"])["w"] == 25
    half = live.model_copy(update={"stage": Stage.CUTTING_OVER, "weight": 25})
    assert _ids(card_buttons(half)) == ["gradual_start", "cutover_100", "rollback"]


def test_the_card_says_the_steps_and_the_bake_time() -> None:
    _, blocks = render_status_card(migration(cutover_steps=(25, 100), bake_minutes=5))
    text = json.dumps(blocks, ensure_ascii=False)
    assert "*Cutover steps:* 25 % → 100 %; each step bakes 5 min." in text
    _, blocks = render_status_card(migration())
    assert "10 % → 50 % → 100 %; each step bakes for the stack's default time" in json.dumps(
        blocks, ensure_ascii=False
    )


def test_the_modal_is_prefilled_and_carries_the_migration_and_version() -> None:
    view = render_edit_modal(migration(cutover_steps=(25, 100), bake_minutes=5))
    assert view["callback_id"] == CALLBACK_ID
    assert json.loads(view["private_metadata"]) == {"m": "mig-0000abcd", "v": 4}
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs[STEPS_BLOCK]["label"]["text"] == "Cutover steps (%)"
    assert inputs[STEPS_BLOCK]["element"]["initial_value"] == "25, 100"
    assert inputs[BAKE_BLOCK]["label"]["text"] == "Bake time per step (minutes)"
    assert inputs[BAKE_BLOCK]["element"]["initial_value"] == "5"
    assert inputs[BAKE_BLOCK]["optional"] is True
    assert all(len(view[k]["text"]) <= 24 for k in ("title", "submit", "close"))
    default = render_edit_modal(migration())
    bake = next(b for b in default["blocks"] if b.get("block_id") == BAKE_BLOCK)
    assert "initial_value" not in bake["element"]  # empty: the stack's default


def test_the_modal_escapes_what_it_quotes() -> None:
    view = render_edit_modal(migration(target="<!channel> & co"))
    assert "&lt;!channel&gt; &amp; co" in view["blocks"][0]["text"]["text"]


def test_an_edit_gets_a_thread_reply() -> None:
    reply = render_milestone(
        PlanEdited(
            migration_id="mig-0000abcd",
            idempotency_key="k",
            edited_by="U0BOB",
            cutover_steps=[25, 100],
            bake_minutes=0,
        )
    )
    assert reply is not None
    assert "<@U0BOB> changed the cutover: 25 % → 100 %; no bake between steps" in reply


def test_an_edited_plan_cuts_over_by_its_own_steps_and_bake_through_the_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan is edited (25 → 100 %, 3 minutes) just before it is approved; the traffic
    consumer, given the stack's 10 minutes, bakes each step for the migration's 3."""
    from tests.unit.test_services import World, _run_scheduled

    approve = actions.approve_plan

    def edit_then_approve(click: actions.Click, ports: actions.ActionPorts) -> Migration:
        edited = actions.edit_plan(click, (25, 100), 3, ports)
        return approve(actions.Click(click.migration_id, edited.version, click.user_id), ports)

    monkeypatch.setattr(actions, "approve_plan", edit_then_approve)
    world = World()
    mid = world.to_healthy()
    assert "PlanEdited" in world.publisher.types()

    actions.start_gradual(world.click(mid), 100, world.ports)
    first = world.publisher.events[-1]
    assert isinstance(first, CutoverRequested) and first.weight == 25
    traffic.cutover(first, **world.traffic_kw())  # type: ignore[arg-type]
    (baked,) = world.in_sync(bake=timedelta(minutes=10))
    stepped = world.store.get(mid)
    assert stepped.bake_ends_at is not None and stepped.shifted_at is not None
    assert stepped.bake_ends_at - stepped.shifted_at == timedelta(minutes=3)
    traffic.bake_ended(baked, **world.sides_kw())  # type: ignore[arg-type]
    second = world.publisher.events[-1]
    assert isinstance(second, CutoverRequested) and second.weight == 100
    traffic.cutover(second, **world.traffic_kw())  # type: ignore[arg-type]
    _run_scheduled(world, timedelta(minutes=10))

    assert world.store.get(mid).stage is Stage.CUT_OVER
    assert world.traffic.weights == [25, 100]
