"""``@migrate-bot status``: what the ingress publishes for a mention, what the notifier
answers (once per mention), and the answer's rendering."""

from __future__ import annotations

import json

from bot.events.models import (
    ImageBuilt,
    MentionNotUnderstood,
    MigrationFailed,
    StatusRequested,
)
from bot.services import notifier
from bot.slack.app import IngressDeps
from bot.slack.mentions import (
    NOT_A_MIGRATION,
    NOT_IN_THREAD,
    ONLY_STATUS,
    mention_event,
    mention_words,
)
from bot.slack.status_reply import LAST_EVENTS, first_line, render_status_reply, reply_time
from tests.fakes import FakeClock, FakeDiscovery, FakeSlack, FakeStore, RecordingPublisher
from tests.unit.test_services import World


def _deps(store: FakeStore) -> IngressDeps:
    return IngressDeps(store, RecordingPublisher(), FakeClock(), FakeDiscovery())


def _event(text: str, thread_ts: str | None = None, **extra: str) -> dict[str, str]:
    event = {"type": "app_mention", "user": "U0CAROL", "text": text, "channel": "C1"}
    event["ts"] = "1700000500.000100"
    if thread_ts:
        event["thread_ts"] = thread_ts
    return {**event, **extra}


def test_mention_words_drop_every_user_mention_and_case() -> None:
    assert mention_words("<@U0BOT> Status") == ["status"]
    assert mention_words("<@U0BOT|migrate-bot>  STATUS please <@W0X>") == ["status", "please"]
    assert mention_words("<@U0BOT>") == []


def _healthy() -> tuple[World, str, str]:
    world = World()
    mid = world.to_healthy()
    for event in list(world.publisher.events):
        notifier.notify(event, store=world.store, slack=world.slack)
    return world, mid, world.store.get(mid).slack_ts or ""


def test_status_in_a_migrations_thread_is_a_status_request_keyed_by_the_event_id() -> None:
    world, mid, card = _healthy()
    for text in ("<@U0BOT> status", "<@U0BOT>"):
        found = mention_event(_event(text, card), "Ev01", _deps(world.store))
        assert found == StatusRequested(
            migration_id=mid,
            channel_id="C1",
            thread_ts=card,
            requested_by="U0CAROL",
            idempotency_key="mention:Ev01",
        )


def test_a_mention_it_cannot_answer_says_why_in_the_thread_or_at_the_message() -> None:
    world, _, card = _healthy()
    deps = _deps(world.store)
    cases = {
        ("<@U0BOT> status", None): (NOT_IN_THREAD, "1700000500.000100"),
        ("<@U0BOT> help", card): (ONLY_STATUS, card),
        ("<@U0BOT> status", "1600000000.000001"): (NOT_A_MIGRATION, "1600000000.000001"),
    }
    for (text, thread), (reason, where) in cases.items():
        found = mention_event(_event(text, thread), "Ev02", deps)
        assert isinstance(found, MentionNotUnderstood)
        assert (found.reason, found.thread_ts, found.requested_by) == (reason, where, "U0CAROL")


def test_a_bots_message_is_never_answered() -> None:
    world, _, card = _healthy()
    assert (
        mention_event(_event("<@U0BOT> status", card, bot_id="B1"), "E", _deps(world.store)) is None
    )
    assert (
        mention_event(_event("status", card, subtype="bot_message"), "E", _deps(world.store))
        is None
    )


def test_the_notifier_answers_a_status_once_with_the_recorded_replies() -> None:
    world, mid, card = _healthy()
    recorded = world.store.last_replies(mid, 100)
    # Every milestone reply posted was recorded, in the order posted.
    assert [first_line(t) for t in world.slack.replies] == [
        first_line(notifier_text) for notifier_text in _texts(recorded)
    ]
    asked = StatusRequested(
        migration_id=mid,
        channel_id="C1",
        thread_ts=card,
        requested_by="U0CAROL",
        idempotency_key="mention:Ev03",
    )
    for _ in range(2):  # Slack's retry carries the same event id
        notifier.notify(asked, store=world.store, slack=world.slack)
    assert len(world.slack.statuses) == 1
    ((answered, by, blocks),) = world.slack.statuses
    assert (answered, by) == (mid, "U0CAROL")
    last = next(b["text"]["text"] for b in blocks if "Last events" in json.dumps(b))
    assert len(last.splitlines()) == 1 + LAST_EVENTS
    assert world.slack.card_updates == 0  # a status request does not redraw the card


def _texts(recorded: list) -> list[str]:
    from bot.slack.blocks import render_milestone

    return [render_milestone(event) or "" for _, event in recorded]


def test_the_notifier_tells_a_mention_it_cannot_answer_once() -> None:
    slack, store = FakeSlack(), FakeStore()
    event = MentionNotUnderstood(
        channel_id="C1",
        thread_ts="1700000500.000100",
        requested_by="U0CAROL",
        reason=NOT_IN_THREAD,
        idempotency_key="mention:Ev04",
    )
    for _ in range(2):
        notifier.notify(event, store=store, slack=slack)
    assert slack.notices == [("C1", "U0CAROL", NOT_IN_THREAD, "1700000500.000100")]


def test_the_answer_shows_the_failure_and_nothing_yet_without_replies() -> None:
    world, mid, _ = _healthy()
    failed = world.store.get(mid).model_copy(update={"failure": "the <build> failed"})
    text, blocks = render_status_reply(failed, None, [], "U0CAROL")
    shown = json.dumps(blocks)
    assert text.startswith("Status of Migration " + mid)
    assert ":x: *Failure:* the &lt;build&gt; failed" in shown
    assert "Nothing yet." in shown and '"actions"' not in shown


def test_the_answer_lists_the_last_replies_first_lines_with_their_times() -> None:
    world, mid, _ = _healthy()
    migration = world.store.get(mid)
    built = ImageBuilt(migration_id=mid, idempotency_key="b", build_id="p:1", image_uri="r/app:1")
    failed = MigrationFailed(
        migration_id=mid, idempotency_key="f", stage="deploying", reason="line one\nline two"
    )
    replies = [(f"1733551200.00000{i}", built) for i in range(6)] + [("1733551260.000000", failed)]
    _, blocks = render_status_reply(migration, None, replies, "U0CAROL")
    last = next(b["text"]["text"] for b in blocks if "Last events" in json.dumps(b))
    lines = last.splitlines()[1:]
    assert len(lines) == LAST_EVENTS
    assert lines[-1].startswith(f"`{reply_time('1733551260.000000')}` ")
    assert reply_time("1733551260.000000") == "06:01:00 UTC"
    assert lines[-1].endswith(" …")  # the reason's second line is left to the thread
