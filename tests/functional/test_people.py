"""Who is behind a user id, through the real Slack SDK against the Slack stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.slack.installation import Installation
from bot.slack.people import People
from sandbox.slack_client import APP_ID, TEAM_ID
from sandbox.slack_standin import SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn()
    standin.start()
    yield standin
    standin.stop()


def _people(now: list[float]) -> People:
    return People(Installation(team_id=TEAM_ID, app_id=APP_ID), ttl=300, clock=lambda: now[0])


def _client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.url)


def test_members_guests_strangers_bots_and_the_deleted_are_told_apart(slack: SlackStandIn) -> None:
    people, client = _people([0.0]), _client(slack)
    seen = {u: people.actor(client, u) for u in slack.people}
    assert {u for u, a in seen.items() if a.full_member} == {
        "U0ALICE",
        "U0BOB",
        "U0CAROL",
        "U0DAVE",
    }
    assert seen["U0GUEST"].why_not == "a multi-channel guest"
    assert seen["U0SINGLE"].why_not == "a single-channel guest"
    assert seen["U0PARTNER"].why_not == "a user of another workspace (Slack Connect)"
    assert seen["U0DEPLOYBOT"].why_not == "a bot"
    assert seen["U0GONE"].why_not == "a deactivated account"


def test_a_failed_lookup_refuses_and_is_asked_again(slack: SlackStandIn) -> None:
    people, client = _people([0.0]), _client(slack)
    unknown = people.actor(client, "U0NEWHIRE")
    assert not unknown.full_member and "user_not_found" in unknown.why_not
    slack.people["U0NEWHIRE"] = {"name": "new", "real_name": "New hire"}
    assert people.actor(client, "U0NEWHIRE").full_member  # the failure was not kept


def test_group_members_are_cached_for_the_ttl_then_asked_again(slack: SlackStandIn) -> None:
    now = [0.0]
    people, client = _people(now), _client(slack)
    assert people.actor(client, "U0DAVE", ["S0APPROVERS"]).groups == frozenset()
    slack.groups["S0APPROVERS"].append("U0DAVE")  # added to the group in Slack
    assert people.actor(client, "U0DAVE", ["S0APPROVERS"]).groups == frozenset()  # cached
    now[0] = 301.0
    assert people.actor(client, "U0DAVE", ["S0APPROVERS"]).groups == {"S0APPROVERS"}
    methods = [c.method for c in slack.calls]
    assert methods.count("usergroups.users.list") == 2 and methods.count("users.info") == 2


def test_an_unknown_group_counts_as_no_membership(slack: SlackStandIn) -> None:
    people, client = _people([0.0]), _client(slack)
    assert people.actor(client, "U0BOB", ["S0GONE", "S0APPROVERS"]).groups == {"S0APPROVERS"}
    assert any(c.response.get("error") == "no_such_subteam" for c in slack.calls)
