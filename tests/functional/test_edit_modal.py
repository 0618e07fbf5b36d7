"""The plan's Edit modal, end to end through Bolt with the Slack stand-in as Slack.

A click on Edit opens the modal with ``views.open`` (the click's trigger id, three seconds,
once); Submit sends a signed ``view_submission``, and Slack acts on the ack: errors beside the
fields (nothing lost, nothing saved), or the modal closes, the migration is saved at the
version the modal was opened for, and the notifier redraws the card with the new steps. A
migration's own steps then drive its cutover buttons and its gradual cutover.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient

from bot.adapters.bolt_lambda import BoltLambdaHandler
from bot.adapters.slack_web import SlackWebNotifier
from bot.domain.facts import AliasTarget
from bot.domain.migration import Migration
from bot.domain.policy import stack_default
from bot.domain.state import Stage
from bot.events.models import CutoverRequested, GradualChanged, PlanEdited
from bot.services import notifier, policies
from bot.slack.app import ChannelAccess, IngressDeps, build_app
from bot.slack.blocks import render_status_card
from bot.slack.edit_modal import BAKE_BLOCK, CALLBACK_ID, STEPS_BLOCK
from bot.slack.installation import Installation
from sandbox import slack_triggers
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import APP_ID, TEAM_ID, block_action_payload, signed_event
from sandbox.slack_standin import SlackStandIn
from sandbox.slack_views import Submitted
from tests.fakes import FakeClock, FakeDiscovery, FakeStore, RecordingPublisher

TOKEN = "xoxb-edit-modal"
SECRET = "edit-modal-secret"
CHANNEL = "C0EDIT"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # FakeClock's start
MIGRATION = "mig-0000ed17"
EXPRESS_ALB = AliasTarget(
    dns_name="ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com",
    hosted_zone_id="Z35SXDOTRQ7X7K",
)


@dataclass
class Bot:
    """The ingress wired to fakes, the stand-in as Slack, and the card it shows."""

    slack: SlackStandIn
    store: FakeStore
    publisher: RecordingPublisher
    handler: BoltLambdaHandler

    def send(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.handler.handle(event, LocalContext(function_name="ingress"))

    def card(self, migration: Migration) -> dict[str, Any]:
        """Store ``migration`` and post its card as the notifier draws it."""
        text, blocks = render_status_card(migration, buttons_until=NOW + timedelta(hours=1))
        client = WebClient(token=TOKEN, base_url=self.slack.url)
        ts = client.chat_postMessage(channel=CHANNEL, text=text, blocks=blocks)["ts"]
        self.store.migrations[migration.migration_id] = migration
        self.store.slack_ts[migration.migration_id] = ts
        self.store.mark_card(migration.migration_id, migration.version)
        return self.slack.channel(CHANNEL).message(ts).as_slack()

    def click(
        self, action_id: str, card: dict[str, Any], user: str, trigger_id: str | None = None
    ) -> str:
        """Click ``action_id`` on ``card`` as ``user``; return the ephemeral answer."""
        value = next(
            element["value"]
            for block in card["blocks"]
            for element in block.get("elements", [])
            if element.get("action_id") == action_id
        )
        before = len(self.slack.channel(CHANNEL).ephemerals)
        payload = block_action_payload(
            action_id,
            value,
            user_id=user,
            channel_id=CHANNEL,
            message_ts=card["ts"],
            message=card,
            response_url=self.slack.new_response_url(CHANNEL, user_id=user, message_ts=card["ts"]),
        )
        if trigger_id is not None:
            payload["trigger_id"] = trigger_id
        event = signed_event(urlencode({"payload": json.dumps(payload)}), SECRET)
        assert self.send(event)["statusCode"] == 200
        return " ".join(e.text for e in self.slack.channel(CHANNEL).ephemerals[before:])

    def submit(self, user: str, **values: str) -> Submitted:
        """``user`` presses Submit on their modal with ``values`` typed (by block id)."""
        return self.slack.submit_view(user, values, send=self.send, signing_secret=SECRET)

    def migration(self) -> Migration:
        return self.store.migrations[MIGRATION]


@pytest.fixture
def bot() -> Iterator[Bot]:
    with SlackStandIn(TOKEN, channels={}) as slack:
        slack.add_channel(CHANNEL, "edits")
        store, publisher = FakeStore(), RecordingPublisher()
        app = build_app(
            IngressDeps(
                store,
                publisher,
                FakeClock(),
                FakeDiscovery(),
                policy=stack_default("S0APPROVERS", admins="U0CAROL"),
            ),
            token=TOKEN,
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=slack.url),
            installation=Installation(team_id=TEAM_ID, app_id=APP_ID),
            channels=ChannelAccess(),
        )
        yield Bot(slack, store, publisher, BoltLambdaHandler(app))


def _migration(stage: Stage = Stage.PLANNED, **changes: Any) -> Migration:
    fields: dict[str, Any] = {
        "migration_id": MIGRATION,
        "stage": stage,
        "target": "secure-blog",
        "channel_id": CHANNEL,
        "requested_by": "U0ALICE",
        "created_at": NOW - timedelta(hours=2),
        "updated_at": NOW - timedelta(hours=1),
        "version": 3,
    }
    return Migration(**(fields | changes))


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


# Opening ------------------------------------------------------------------------------------


def test_edit_opens_the_modal_prefilled_for_the_person_who_clicked(bot: Bot) -> None:
    card = bot.card(_migration())

    assert bot.click("edit_plan", card, user="U0BOB") == ""  # no ephemeral: the modal opened

    modal = bot.slack.open_modal("U0BOB")
    assert modal is not None and bot.slack.open_modal("U0CAROL") is None
    view = modal.view
    assert view["id"].startswith("V") and view["callback_id"] == CALLBACK_ID
    assert json.loads(view["private_metadata"]) == {"m": MIGRATION, "v": 3}
    assert _inputs(view)[STEPS_BLOCK]["initial_value"] == "10, 50, 100"
    assert "initial_value" not in _inputs(view)[BAKE_BLOCK]  # the stack's default
    (opened,) = [c for c in bot.slack.calls if c.method == "views.open"]
    assert opened.response["ok"] and opened.response["view"]["id"] == view["id"]
    assert bot.migration().version == 3 and bot.publisher.events == []


def test_the_requester_may_edit_their_plan_but_a_member_may_not(bot: Bot) -> None:
    card = bot.card(_migration())

    assert bot.click("edit_plan", card, user="U0ALICE") == ""
    assert bot.slack.open_modal("U0ALICE") is not None

    answer = bot.click("edit_plan", card, user="U0DAVE")
    assert "You may not edit this plan's cutover: not allowed to cancel migrations here" in answer
    assert "and the requester" in answer  # who may: the approvers and the requester
    assert bot.slack.open_modal("U0DAVE") is None
    assert [(r.actor, r.action, r.decision[:7]) for r in bot.store.audit] == [
        ("U0DAVE", "edit_plan", "denied:")
    ]


def test_an_edit_on_an_outdated_card_opens_nothing(bot: Bot) -> None:
    card = bot.card(_migration())
    bot.store.migrations[MIGRATION] = bot.migration().model_copy(update={"version": 4})

    answer = bot.click("edit_plan", card, user="U0BOB")

    assert "this card is out of date (version 3, now 4)" in answer
    assert bot.slack.open_modal("U0BOB") is None


def test_a_trigger_too_old_to_use_is_said_to_the_clicker(bot: Bot) -> None:
    card = bot.card(_migration())
    late = slack_triggers.issue("U0BOB", at=time.time() - 5)

    answer = bot.click("edit_plan", card, user="U0BOB", trigger_id=late)

    assert "The Edit form did not open (expired_trigger_id)" in answer
    assert bot.slack.open_modal("U0BOB") is None


# Submitting -------------------------------------------------------------------------------


def test_bad_input_keeps_the_modal_open_with_an_error_beside_each_field(bot: Bot) -> None:
    bot.click("edit_plan", bot.card(_migration()), user="U0BOB")

    done = bot.submit("U0BOB", cutover_steps="10, 50", bake_minutes="forever")

    assert done.status == 200 and not done.closed and done.trouble is None
    assert set(done.errors) == {STEPS_BLOCK, BAKE_BLOCK}
    assert "The last step must be 100" in done.errors[STEPS_BLOCK]
    assert "from 0 (no bake) to 1440" in done.errors[BAKE_BLOCK]
    modal = bot.slack.open_modal("U0BOB")
    assert modal is not None and modal.errors == done.errors
    typed = modal.view["state"]["values"]
    assert typed[STEPS_BLOCK]["steps"]["value"] == "10, 50"  # nothing typed is lost
    assert typed[BAKE_BLOCK]["minutes"]["value"] == "forever"
    assert bot.migration().version == 3 and bot.publisher.events == []


def test_good_input_saves_the_migration_and_the_card_shows_it(bot: Bot) -> None:
    card = bot.card(_migration())
    bot.click("edit_plan", card, user="U0BOB")

    done = bot.submit("U0BOB", cutover_steps="25, 100", bake_minutes="5")

    assert (done.status, done.closed, done.errors) == (200, True, {})
    assert bot.slack.open_modal("U0BOB") is None
    saved = bot.migration()
    assert (saved.cutover_steps, saved.bake_minutes, saved.version) == ((25, 100), 5, 4)
    (event,) = bot.publisher.events
    assert isinstance(event, PlanEdited)
    assert (event.edited_by, event.cutover_steps, event.bake_minutes) == ("U0BOB", [25, 100], 5)
    (record,) = bot.store.audit
    assert (record.actor, record.action) == ("U0BOB", "edit_plan")
    assert record.decision == "accepted: steps 25, 100; bake 5 min"

    client = WebClient(token=TOKEN, base_url=bot.slack.url)
    notifier.notify(event, store=bot.store, slack=SlackWebNotifier(client, now=lambda: NOW))

    redrawn = bot.slack.channel(CHANNEL).message(card["ts"])
    assert redrawn.edits == 1
    shown = json.dumps(redrawn.blocks, ensure_ascii=False)
    assert "*Cutover steps:* 25 % → 100 %; each step bakes 5 min." in shown
    assert "version 4 · mig-0000ed17" in shown  # the buttons are for the new version
    (reply,) = redrawn.replies
    assert "<@U0BOB> changed the cutover: 25 % → 100 %; each step bakes 5 min" in reply.text
    # The Approve button of the card drawn before the edit is refused.
    assert "out of date" in bot.click("approve_plan", card, user="U0CAROL")
    assert bot.migration().stage is Stage.PLANNED


def test_an_empty_bake_time_goes_back_to_the_stacks_default(bot: Bot) -> None:
    bot.card(_migration(bake_minutes=30))
    bot.click("edit_plan", bot.slack.channel(CHANNEL).messages[-1].as_slack(), user="U0BOB")
    modal = bot.slack.open_modal("U0BOB")
    assert modal is not None and _inputs(modal.view)[BAKE_BLOCK]["initial_value"] == "30"

    done = bot.submit("U0BOB", bake_minutes="")

    assert done.closed
    assert (bot.migration().cutover_steps, bot.migration().bake_minutes) == ((10, 50, 100), None)


def test_a_change_made_after_the_modal_opened_is_not_overwritten(bot: Bot) -> None:
    bot.click("edit_plan", bot.card(_migration()), user="U0BOB")
    changed = bot.migration().model_copy(update={"bake_minutes": 20})
    bot.store.save(changed)  # Carol saved her own edit meanwhile: version 4

    done = bot.submit("U0BOB", cutover_steps="25, 100")

    assert not done.closed
    assert (
        "the plan changed after you opened this form (it was version 3)"
        in (done.errors[STEPS_BLOCK])
    )
    assert (bot.migration().cutover_steps, bot.migration().bake_minutes) == ((10, 50, 100), 20)
    assert bot.publisher.events == []
    assert [r.decision for r in bot.store.audit] == [
        "refused: this card is out of date (version 3, now 4)"
    ]


def test_a_plan_approved_meanwhile_is_no_longer_edited(bot: Bot) -> None:
    bot.click("edit_plan", bot.card(_migration()), user="U0BOB")
    bot.store.migrations[MIGRATION] = bot.migration().model_copy(update={"stage": Stage.BUILDING})

    done = bot.submit("U0BOB", cutover_steps="25, 100")

    assert "no longer waits for approval (it is building)" in done.errors[STEPS_BLOCK]
    assert bot.migration().cutover_steps == (10, 50, 100)


def test_the_policy_is_asked_again_on_submit(bot: Bot) -> None:
    bot.click("edit_plan", bot.card(_migration()), user="U0BOB")
    policies.set_policy(
        CHANNEL,
        "approvers",
        "U0CAROL",
        "U0CAROL",
        default=stack_default("S0APPROVERS", admins="U0CAROL"),
        store=bot.store,
        clock=FakeClock(),
    )

    done = bot.submit("U0BOB", cutover_steps="25, 100")

    assert (
        "you may not edit this plan: not allowed to cancel migrations here"
        in (done.errors[STEPS_BLOCK])
    )
    assert bot.migration().version == 3 and bot.publisher.events == []


def test_an_empty_required_field_is_refused_by_slack_before_anything_is_sent(bot: Bot) -> None:
    bot.click("edit_plan", bot.card(_migration()), user="U0BOB")
    sent = len(bot.slack.calls)

    done = bot.submit("U0BOB", cutover_steps="")

    assert done.status is None and done.errors == {
        STEPS_BLOCK: "Please complete this required field."
    }
    assert len(bot.slack.calls) == sent  # the app saw nothing (no users.info either)


# A migration's own steps drive its buttons and its gradual cutover -------------------------


def test_a_custom_step_button_shifts_that_weight(bot: Bot) -> None:
    live = _migration(Stage.HEALTHY, cutover_steps=(25, 100), express_alias=EXPRESS_ALB)
    card = bot.card(live)

    assert "Not done" not in bot.click("cutover_25", card, user="U0BOB")

    (event,) = bot.publisher.events
    assert isinstance(event, CutoverRequested) and event.weight == 25
    assert bot.migration().requested_weight == 25


def test_a_gradual_cutover_with_two_approvals_stops_at_the_last_custom_step(bot: Bot) -> None:
    policies.set_policy(
        CHANNEL,
        "two-approvals",
        "on",
        "U0CAROL",
        default=stack_default("S0APPROVERS", admins="U0CAROL"),
        store=bot.store,
        clock=FakeClock(),
    )
    card = bot.card(
        _migration(Stage.HEALTHY, cutover_steps=(25, 60, 100), express_alias=EXPRESS_ALB)
    )

    bot.click("gradual_start", card, user="U0BOB")

    started, first = bot.publisher.events
    assert isinstance(started, GradualChanged) and started.until == 60
    assert isinstance(first, CutoverRequested) and first.weight == 25
