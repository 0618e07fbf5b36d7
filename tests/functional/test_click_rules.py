"""Expiring buttons, two approvals for 100 %, a channel's own policy and the audit CSV.

Signed commands and clicks through the real Bolt app and the ingress's Lambda translation,
with the Slack stand-in as Slack (users.info, usergroups.users.list, response_urls) and a fake
clock: the ingress's clock reads 2026-11-25 09:00 UTC onwards, one second per reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.adapters.bolt_lambda import BoltLambdaHandler
from bot.domain.facts import AliasTarget
from bot.domain.migration import Migration
from bot.domain.policy import stack_default
from bot.domain.state import Stage
from bot.events.models import AuditExportRequested, CardRefreshRequested
from bot.ports import AuditRecord, StoredPolicy
from bot.services import notifier, policies
from bot.slack.app import ChannelAccess, IngressDeps, build_app
from bot.slack.blocks import render_status_card
from bot.slack.installation import Installation
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import APP_ID, TEAM_ID, block_action, slash_command
from sandbox.slack_standin import SlackStandIn
from tests.fakes import FakeClock, FakeDiscovery, FakeSlack, FakeStore, RecordingPublisher

TOKEN = "xoxb-click-rules"
SECRET = "click-rules-secret"
CHANNEL = "C0RULES"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # FakeClock's start
MIGRATION = "mig-0000c0de"
EXPRESS_ALB = AliasTarget(
    dns_name="ecs-express-gateway-alb-1a2b3c4d-1.us-east-1.elb.amazonaws.com",
    hosted_zone_id="Z35SXDOTRQ7X7K",
)


@dataclass
class Bot:
    """The ingress wired to fakes, the stand-in as Slack, and the cards it has drawn."""

    slack: SlackStandIn
    store: FakeStore
    publisher: RecordingPublisher
    handler: BoltLambdaHandler

    def command(self, text: str, user: str) -> str:
        event = slash_command(
            "/migrate",
            text,
            user_id=user,
            channel_id=CHANNEL,
            response_url=self.slack.new_response_url(CHANNEL, user_id=user),
            signing_secret=SECRET,
        )
        answer = self.handler.handle(event, LocalContext(function_name="ingress"))
        assert answer["statusCode"] == 200, answer
        body = str(answer["body"])  # Bolt answers an ack with only text as plain text
        return str(json.loads(body)["text"]) if body.startswith("{") else body

    def card(self, migration: Migration, until: datetime | None) -> dict[str, Any]:
        """Store ``migration`` and post its card as the notifier draws it, valid ``until``."""
        self.store.migrations[migration.migration_id] = migration
        text, blocks = render_status_card(migration, buttons_until=until)
        client = WebClient(token=TOKEN, base_url=self.slack.url)
        ts = client.chat_postMessage(channel=CHANNEL, text=text, blocks=blocks)["ts"]
        return {"ts": ts, "text": text, "blocks": blocks}

    def click(self, action_id: str, card: dict[str, Any], user: str) -> str:
        """Click ``action_id`` on ``card`` as ``user``; return the ephemeral answer."""
        value = next(
            element["value"]
            for block in card["blocks"]
            for element in block.get("elements", [])
            if element.get("action_id") == action_id
        )
        before = len(self.slack.channel(CHANNEL).ephemerals)
        event = block_action(
            action_id,
            value,
            user_id=user,
            channel_id=CHANNEL,
            message_ts=card["ts"],
            message=card,
            response_url=self.slack.new_response_url(CHANNEL, user_id=user, message_ts=card["ts"]),
            signing_secret=SECRET,
        )
        assert (
            self.handler.handle(event, LocalContext(function_name="ingress"))["statusCode"] == 200
        )
        answers = self.slack.channel(CHANNEL).ephemerals[before:]
        return " ".join(e.text for e in answers)

    def migration(self) -> Migration:
        return self.store.migrations[MIGRATION]


@pytest.fixture
def bot() -> Iterator[Bot]:
    with SlackStandIn(TOKEN, channels={}) as slack:
        slack.add_channel(CHANNEL, "rules")
        store, publisher = FakeStore(), RecordingPublisher()
        default = stack_default("S0APPROVERS", admins="U0CAROL")
        app = build_app(
            IngressDeps(store, publisher, FakeClock(), FakeDiscovery(), policy=default),
            token=TOKEN,
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=slack.url),
            installation=Installation(team_id=TEAM_ID, app_id=APP_ID),
            channels=ChannelAccess(),
        )
        yield Bot(slack, store, publisher, BoltLambdaHandler(app))


def _migration(stage: Stage, **changes: Any) -> Migration:
    return Migration(
        migration_id=MIGRATION,
        stage=stage,
        target="i-0abc1234def567890",
        channel_id=CHANNEL,
        requested_by="U0ALICE",
        created_at=NOW - timedelta(hours=2),
        updated_at=NOW - timedelta(hours=1),
        version=3,
        **changes,
    )


def _half_cut_over() -> Migration:
    """Half the traffic on ECS: the Express side serves the name (the card offers Cutover)."""
    return _migration(Stage.CUTTING_OVER, weight=50, express_alias=EXPRESS_ALB)


def _denials(store: FakeStore) -> list[tuple[str, str, str]]:
    return [(r.actor, r.action, r.decision) for r in store.audit if r.decision.startswith("denied")]


# Expiry --------------------------------------------------------------------------------------


def test_a_click_after_the_buttons_expired_is_refused_and_the_card_is_drawn_again(
    bot: Bot,
) -> None:
    card = bot.card(_migration(Stage.PLANNED), until=NOW - timedelta(minutes=1))

    answer = bot.click("approve_plan", card, user="U0BOB")

    assert "expired at 2026-11-25 08:59 UTC" in answer and "fresh buttons" in answer
    assert bot.migration().stage is Stage.PLANNED and bot.migration().version == 3
    (event,) = bot.publisher.events
    assert isinstance(event, CardRefreshRequested) and event.requested_by == "U0BOB"
    assert _denials(bot.store) == [
        ("U0BOB", "approve_plan", "denied: expired: the card's buttons are no longer valid")
    ]


def test_a_click_within_the_window_acts(bot: Bot) -> None:
    card = bot.card(_migration(Stage.PLANNED), until=NOW + timedelta(minutes=1))

    assert "expired" not in bot.click("approve_plan", card, user="U0BOB")

    assert bot.migration().stage is Stage.BUILDING
    assert bot.publisher.types() == ["PlanApproved"]


def test_a_card_drawn_without_an_expiry_counts_as_expired(bot: Bot) -> None:
    card = bot.card(_migration(Stage.PLANNED), until=None)

    assert "expired" in bot.click("approve_plan", card, user="U0BOB")
    assert bot.migration().stage is Stage.PLANNED


def test_the_notifier_draws_a_refreshed_card_even_when_nothing_changed() -> None:
    store, slack = FakeStore(), FakeSlack()
    store.migrations[MIGRATION] = _migration(Stage.HEALTHY)
    notifier.notify(  # the card is drawn once, then shows the stored version
        CardRefreshRequested(migration_id=MIGRATION, idempotency_key="k0", requested_by="U0BOB"),
        store=store,
        slack=slack,
    )
    assert (slack.posted_cards, slack.card_updates, store.card_versions[MIGRATION]) == (1, 0, 3)

    refresh = CardRefreshRequested(
        migration_id=MIGRATION, idempotency_key="k", requested_by="U0BOB"
    )
    notifier.notify(refresh, store=store, slack=slack)

    assert (slack.posted_cards, slack.card_updates) == (1, 1)


# Two approvals for 100 % ------------------------------------------------------------------


def _two_approvals(bot: Bot) -> None:
    policies.set_policy(
        CHANNEL,
        "two-approvals",
        "on",
        "U0CAROL",
        default=stack_default("S0APPROVERS", admins="U0CAROL"),
        store=bot.store,
        clock=FakeClock(),
    )


def test_cutover_100_waits_for_a_second_distinct_approver(bot: Bot) -> None:
    _two_approvals(bot)
    until = NOW + timedelta(hours=1)
    card = bot.card(_half_cut_over(), until)

    answer = bot.click("cutover_100", card, user="U0BOB")

    assert "Your approval is 1 of 2" in answer
    assert (bot.migration().weight, bot.migration().full_approvals) == (50, ["U0BOB"])
    assert bot.publisher.types() == ["ApprovalRecorded"]
    card = bot.card(bot.migration(), until)  # the notifier's redrawn card
    assert "Cutover 100% (1 of 2 approvals)" in json.dumps(card["blocks"])
    assert "1 of 2 approvals (<@U0BOB>)" in json.dumps(card["blocks"])

    again = bot.click("cutover_100", card, user="U0BOB")
    assert "you already approved Cutover 100 %" in again
    assert bot.migration().requested_weight is None

    assert "Not done" not in bot.click("cutover_100", card, user="U0CAROL")
    assert bot.migration().requested_weight == 100 and bot.migration().full_approvals == []
    assert bot.publisher.types() == ["ApprovalRecorded", "CutoverRequested"]


def test_the_requester_gives_no_approval_of_their_own_100(bot: Bot) -> None:
    _two_approvals(bot)
    card = bot.card(_half_cut_over(), NOW + timedelta(hours=1))

    answer = bot.click("cutover_100", card, user="U0ALICE")

    assert "two-person rule" in answer and bot.migration().full_approvals == []


def test_with_one_approval_asked_for_100_moves_at_once(bot: Bot) -> None:
    card = bot.card(_half_cut_over(), NOW + timedelta(hours=1))

    bot.click("cutover_100", card, user="U0BOB")

    assert bot.migration().requested_weight == 100
    assert bot.publisher.types() == ["CutoverRequested"]


def test_a_rollback_drops_the_approvals_gathered_for_100(bot: Bot) -> None:
    _two_approvals(bot)
    until = NOW + timedelta(hours=1)
    card = bot.card(_half_cut_over(), until)
    bot.click("cutover_100", card, user="U0BOB")

    bot.click("rollback", bot.card(bot.migration(), until), user="U0CAROL")

    assert bot.migration().stage is Stage.ROLLING_BACK and bot.migration().full_approvals == []


# A channel's own policy ------------------------------------------------------------------------


def test_only_an_admin_sets_the_channel_policy_and_it_applies_at_once(bot: Bot) -> None:
    denied = bot.command("policy approvers U0CAROL", user="U0BOB")
    assert "may not change this channel's policy" in denied and "<@U0CAROL>" in denied
    assert bot.store.policies == {}
    assert _denials(bot.store) == [
        ("U0BOB", "policy", "denied: not allowed to change this channel's policy here")
    ]

    changed = bot.command("policy approvers U0CAROL", user="U0CAROL")
    assert "`approvers` is now <@U0CAROL>" in changed
    shown = bot.command("policy show", user="U0DAVE")
    assert "set by <@U0CAROL>" in shown and "• `approvers`: <@U0CAROL>" in shown

    card = bot.card(_migration(Stage.PLANNED), NOW + timedelta(hours=1))
    refusal = bot.click("approve_plan", card, user="U0BOB")  # in S0APPROVERS, not named here
    assert "not allowed to approve plans here" in refusal and "this channel's policy" in refusal
    assert bot.migration().stage is Stage.PLANNED
    bot.click("approve_plan", card, user="U0CAROL")
    assert bot.migration().stage is Stage.BUILDING


def test_a_bad_policy_value_is_refused_and_nothing_is_written(bot: Bot) -> None:
    answer = bot.command("policy approvers @bob", user="U0CAROL")

    assert "'@bob' is not a Slack user id" in answer
    assert bot.store.policies == {}
    assert "not a policy setting" in bot.command("policy admins U0DAVE", user="U0CAROL")


def test_reset_brings_back_the_stack_default(bot: Bot) -> None:
    bot.command("policy requesters none", user="U0CAROL")
    assert "may not request a migration" in bot.command("i-0abc1234def567890", user="U0DAVE")

    assert "stack's default applies" in bot.command("policy reset", user="U0CAROL")
    assert bot.store.policies == {}
    assert [r.action for r in bot.store.audit if r.actor == "U0CAROL"] == [
        "policy requesters none",
        "policy reset",
    ]


def test_a_malformed_stored_policy_denies_everything_in_its_channel(bot: Bot) -> None:
    bot.store.policies[CHANNEL] = StoredPolicy(document='{"approvers": "U0BOB"}', version=1)
    card = bot.card(_migration(Stage.PLANNED), NOW + timedelta(hours=1))

    assert "no policy applies in this channel" in bot.click("approve_plan", card, user="U0BOB")
    assert bot.migration().stage is Stage.PLANNED


def test_break_glass_opens_rollback_to_every_full_member_and_is_audited(bot: Bot) -> None:
    bot.command("policy break-glass-rollback on", user="U0CAROL")
    card = bot.card(_migration(Stage.CUTTING_OVER, weight=10), NOW + timedelta(hours=1))

    assert "may not" in bot.click("rollback", card, user="U0GUEST")  # guests still refused
    bot.click("rollback", card, user="U0DAVE")

    assert bot.migration().stage is Stage.ROLLING_BACK
    assert ("U0DAVE", "rollback") in [
        (r.actor, r.action) for r in bot.store.audit if "break-glass" in r.decision
    ]


# The audit trail as a CSV ---------------------------------------------------------------------


def test_the_audit_csv_is_asked_for_by_those_who_may_read_the_trail(bot: Bot) -> None:
    bot.store.migrations[MIGRATION] = _migration(Stage.HEALTHY)

    assert "may not read this audit trail" in bot.command(f"audit {MIGRATION} csv", "U0DAVE")
    assert bot.publisher.events == []

    answer = bot.command(f"audit {MIGRATION} csv", user="U0BOB")
    assert "on its way to you as a CSV file" in answer
    (event,) = bot.publisher.events
    assert isinstance(event, AuditExportRequested) and event.requested_by == "U0BOB"


def test_the_notifier_sends_the_csv_once_per_request() -> None:
    store, slack = FakeStore(), FakeSlack()
    store.migrations[MIGRATION] = _migration(Stage.HEALTHY)
    store.append_audit(
        AuditRecord(
            migration_id=MIGRATION, actor="U0DAVE", action="=cmd()", decision="denied: x", at=NOW
        )
    )
    export = AuditExportRequested(
        migration_id=MIGRATION, idempotency_key="export-1", requested_by="U0BOB"
    )

    notifier.notify(export, store=store, slack=slack)
    notifier.notify(export, store=store, slack=slack)  # redelivered

    ((user, name, content),) = slack.files
    assert (user, name) == ("U0BOB", f"audit-{MIGRATION}.csv")
    assert content.splitlines() == [
        "time_utc,migration_id,actor,action,decision",
        f"2026-11-25T09:00:00Z,{MIGRATION},U0DAVE,'=cmd(),denied: x",
    ]
    assert slack.posted_cards == slack.card_updates == 0  # no card is drawn for an export


# Confirm dialogs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "changes"),
    [
        (Stage.PLANNED, {}),
        (Stage.HEALTHY, {"service_arn": "arn:aws:ecs:us-east-1:123456789012:service/c/s"}),
        (Stage.CUTTING_OVER, {"weight": 50, "service_arn": "arn:aws:ecs:us-east-1:1:service/c/s"}),
    ],
)
def test_every_button_asks_for_confirmation_first(stage: Stage, changes: dict[str, Any]) -> None:
    """Every button that acts; Edit only opens the Edit modal, whose Save is the confirmation."""
    _, blocks = render_status_card(
        _migration(stage, **changes), buttons_until=NOW + timedelta(hours=24)
    )
    buttons = [
        element
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["action_id"] != "edit_plan"
    ]
    assert buttons, f"the {stage} card offers no buttons"
    for button in buttons:
        confirm = button.get("confirm")
        assert confirm, f"{button['action_id']} has no confirm dialog"
        assert {"title", "text", "confirm", "deny"} <= set(confirm)
    if stage == Stage.PLANNED:
        approve = next(b for b in buttons if b["action_id"] == "approve_plan")
        assert approve["confirm"]["title"]["text"] == "Approve this plan?"
