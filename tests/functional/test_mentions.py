"""``@migrate-bot status`` in a migration's thread, through the real ingress and notifier.

moto in-process stands in for AWS and the Slack stand-in for Slack: the person's message is
posted in the thread, Slack's signed ``app_mention`` reaches the ingress, and the notifier's
answer is read back from the channel as Slack shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from moto import mock_aws

from bot.slack.mentions import NOT_A_MIGRATION, NOT_IN_THREAD, ONLY_STATUS
from bot.slack.status_reply import LAST_EVENTS, first_line, reply_time
from sandbox.harness import CHANNEL, SIGNING_SECRET, Sandbox
from sandbox.slack_client import BOT_USER_ID, app_mention_envelope, signed_event
from tests.functional.test_end_to_end import migrate_to_healthy


@pytest.fixture(scope="module")
def healthy() -> Iterator[Sandbox]:
    """One migration at healthy, its thread as Slack shows it."""
    with mock_aws(), Sandbox() as box:
        migrate_to_healthy(box)
        yield box


def _replies(box: Sandbox) -> list:
    return box.slack.channel(CHANNEL).message(box.card()["ts"]).replies


def _ephemerals(box: Sandbox, user: str) -> list[str]:
    return [m.text for m in box.slack.channel(CHANNEL).ephemerals if m.visible_to == user]


def test_status_in_the_thread_answers_there_with_the_card_facts_and_last_events(
    healthy: Sandbox,
) -> None:
    told = [m for m in _replies(healthy) if m.user == BOT_USER_ID]
    before = len(_replies(healthy))
    answer = healthy.mention("status", user="U0CAROL")
    assert answer["statusCode"] == 200
    healthy.settle()

    asked, reply = _replies(healthy)[before:]
    assert (asked.user, asked.text) == ("U0CAROL", f"<@{BOT_USER_ID}> status")
    assert reply.user == BOT_USER_ID and reply.thread_ts == healthy.card()["ts"]
    shown = healthy.thread()
    assert "<@U0CAROL> asked for the status of" in json.dumps(reply.blocks)
    fields = [
        f["text"] for b in reply.blocks if b["type"] == "section" for f in b.get("fields", [])
    ]
    assert any(f.startswith("*Stage*") and "Healthy, ready for cutover" in f for f in fields)
    assert any(f.startswith("*Tasks*\n") for f in fields), fields
    # The last events are the milestones the thread was told, with their times, newest last.
    last = next(b["text"]["text"] for b in reply.blocks if "Last events" in str(b))
    lines = last.splitlines()[1:]
    expected = [f"`{reply_time(m.ts)}` {first_line(m.text)}" for m in told[-LAST_EVENTS:]]
    assert lines == expected and len(lines) == LAST_EVENTS
    assert "actions" not in [b["type"] for b in reply.blocks]  # the buttons stay on the card
    assert "Last events in this thread" in shown


def test_a_slack_retry_of_the_same_mention_is_answered_once(healthy: Sandbox) -> None:
    card = healthy.card()["ts"]
    posted = healthy.slack.user_posts(CHANNEL, "U0DAVE", f"<@{BOT_USER_ID}> status", card)
    envelope = app_mention_envelope(
        "status", user_id="U0DAVE", channel_id=CHANNEL, ts=posted.ts, thread_ts=card
    )
    body = json.dumps(envelope)
    first = signed_event(body, SIGNING_SECRET, content_type="application/json")
    retry = signed_event(body, SIGNING_SECRET, content_type="application/json")
    # Slack's retry of an event it thinks unanswered ("The Events API", retries).
    retry["headers"].update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    before = len(_replies(healthy))
    assert healthy._ingress(first)["statusCode"] == 200
    assert healthy._ingress(retry)["statusCode"] == 200
    healthy.settle()
    answers = [m for m in _replies(healthy)[before:] if m.user == BOT_USER_ID]
    assert len(answers) == 1


@pytest.mark.parametrize(
    ("text", "in_thread", "told"),
    [
        ("status", False, NOT_IN_THREAD),
        ("deploy it now", True, ONLY_STATUS),
    ],
)
def test_a_mention_the_bot_cannot_answer_tells_only_that_person_why(
    healthy: Sandbox, text: str, in_thread: bool, told: str
) -> None:
    replies = len(_replies(healthy))
    roots = len(healthy.slack.channel(CHANNEL).messages)
    before = _ephemerals(healthy, "U0ERIN")

    assert healthy.mention(text, user="U0ERIN", in_thread=in_thread)["statusCode"] == 200
    healthy.settle()

    assert _ephemerals(healthy, "U0ERIN")[len(before) :] == [told]
    # Nothing the channel sees but the person's own message.
    assert len(_replies(healthy)) == replies + (1 if in_thread else 0)
    assert len(healthy.slack.channel(CHANNEL).messages) == roots + (0 if in_thread else 1)


def test_a_mention_in_a_thread_that_is_no_migrations_says_so(healthy: Sandbox) -> None:
    other = healthy.slack.user_posts(CHANNEL, "U0FRANK", "lunch?")
    posted = healthy.slack.user_posts(CHANNEL, "U0FRANK", f"<@{BOT_USER_ID}> status", other.ts)
    event = signed_event(
        json.dumps(
            app_mention_envelope(
                "status", user_id="U0FRANK", channel_id=CHANNEL, ts=posted.ts, thread_ts=other.ts
            )
        ),
        SIGNING_SECRET,
        content_type="application/json",
    )
    assert healthy._ingress(event)["statusCode"] == 200
    healthy.settle()
    assert _ephemerals(healthy, "U0FRANK") == [NOT_A_MIGRATION]


def test_a_bots_message_mentioning_the_bot_is_never_answered(healthy: Sandbox) -> None:
    envelope = app_mention_envelope(
        "status", user_id="U0OTHERBOT", channel_id=CHANNEL, ts="1700000999.000001"
    )
    envelope["event"]["bot_id"] = "B0OTHER"
    ephemerals = len(healthy.slack.channel(CHANNEL).ephemerals)
    event = signed_event(json.dumps(envelope), SIGNING_SECRET, content_type="application/json")
    assert healthy._ingress(event)["statusCode"] == 200
    assert healthy.settle() == 0  # nothing was published
    assert len(healthy.slack.channel(CHANNEL).ephemerals) == ephemerals
