"""`/migrate report`: any full member the policy lets use the bot asks for the channel's health
report now; a guest is refused and audited; a channel without the bot gets the invite hint.

Through the real Bolt app and the ingress's Lambda translation, against the Slack stand-in
granted exactly the manifest's scopes (the channel membership tests' ingress).
"""

from __future__ import annotations

import json

from bot.events.models import HealthReportRequested
from bot.slack.commands import Report, parse_command
from bot.slack.report_command import NOT_IN_CHANNEL, QUEUED
from sandbox.lambda_runtime import LocalContext
from sandbox.slack_client import slash_command
from tests.functional.test_channel_membership import SECRET, Ingress, ingress

__all__ = ["ingress"]  # the fixture, shared


def _report(ingress: Ingress, user_id: str, channel_id: str = "C0MEMBER") -> str:
    event = slash_command(
        "/migrate",
        "report",
        user_id=user_id,
        channel_id=channel_id,
        channel_name="platform",
        response_url=ingress.slack.new_response_url(channel_id, user_id=user_id),
        signing_secret=SECRET,
    )
    answer = ingress.handler.handle(event, LocalContext(function_name="ingress"))
    assert answer["statusCode"] == 200
    body = str(answer["body"])
    return str(json.loads(body)["text"]) if body.startswith("{") else body


def test_report_parses_and_takes_no_words() -> None:
    assert parse_command("report") == Report()
    assert "unexpected words after `report`" in _error("report now")


def _error(text: str) -> str:
    try:
        parse_command(text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text!r} parsed")


def test_a_member_who_may_use_the_bot_gets_the_channels_report_queued(ingress: Ingress) -> None:
    assert _report(ingress, "U0DAVE") == QUEUED
    (event,) = ingress.publisher.events
    assert isinstance(event, HealthReportRequested)
    assert (event.channel_id, event.requested_by) == ("C0MEMBER", "U0DAVE")
    assert event.migration_id == "" and event.idempotency_key.startswith("report:C0MEMBER:U0DAVE:")
    assert ingress.store.audit == []  # reading changes nothing, so nothing is audited


def test_a_guest_is_refused_and_the_refusal_audited(ingress: Ingress) -> None:
    answer = _report(ingress, "U0GUEST")
    assert answer.startswith(":no_entry: You may not ask for a health report here: refused")
    assert ingress.publisher.events == []
    (record,) = ingress.store.audit
    assert (record.migration_id, record.actor, record.action) == (
        "channel:C0MEMBER",
        "U0GUEST",
        "report",
    )
    assert record.decision.startswith("denied: refused whatever the policy")


def test_a_channel_without_the_bot_gets_the_invite_hint_and_nothing_is_queued(
    ingress: Ingress,
) -> None:
    assert _report(ingress, "U0DAVE", "C0PUBLIC") == NOT_IN_CHANNEL
    assert ingress.publisher.events == [] and "`/invite @migrate-bot`" in NOT_IN_CHANNEL
