"""Who may do what: each decision of ``bot.domain.policy``, and properties over click sequences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.policy import (
    TWO_PERSON,
    Action,
    Actor,
    Policy,
    PolicyError,
    decide,
    needed_groups,
    parse_ids,
    stack_default,
    who_may,
)

POLICY = stack_default("S0APPROVERS, U0CAROL")


def member(user: str, *groups: str) -> Actor:
    return Actor(user_id=user, full_member=True, groups=frozenset(groups))


def test_the_stack_default_lets_members_request_and_approvers_do_the_rest() -> None:
    assert decide(POLICY, member("U0ALICE"), Action.REQUEST).allowed
    for action in (Action.APPROVE, Action.CUTOVER, Action.CUTOVER_FULL, Action.ROLLBACK):
        assert not decide(POLICY, member("U0DAVE"), action, requester="U0ALICE").allowed
        assert decide(POLICY, member("U0BOB", "S0APPROVERS"), action, requester="U0ALICE").allowed
        assert decide(POLICY, member("U0CAROL"), action, requester="U0ALICE").allowed


def test_no_policy_or_an_empty_one_denies_everything() -> None:
    for action in Action:
        assert not decide(None, member("U0BOB"), action).allowed
        assert not decide(Policy(), member("U0BOB"), action).allowed
    assert "no policy applies" in decide(None, member("U0BOB"), Action.APPROVE).reason


def test_the_requester_may_not_approve_cut_over_fully_or_decommission_their_own() -> None:
    carol = member("U0CAROL")
    for action in TWO_PERSON:
        decision = decide(POLICY, carol, action, requester="U0CAROL")
        assert not decision.allowed and "two-person rule" in decision.reason
    # ... but may take the partial steps and roll back, and cancel their own request.
    for action in (Action.CUTOVER, Action.ROLLBACK, Action.CANCEL):
        assert decide(POLICY, carol, action, requester="U0CAROL").allowed
    assert decide(POLICY, member("U0DAVE"), Action.CANCEL, requester="U0DAVE").allowed
    assert not decide(POLICY, member("U0DAVE"), Action.CANCEL, requester="U0ALICE").allowed


@pytest.mark.parametrize(
    "why",
    ["a multi-channel guest", "a bot", "a deactivated account", "a user of another workspace"],
)
def test_people_who_are_not_full_members_are_refused_whatever_the_policy(why: str) -> None:
    named = Actor(user_id="U0CAROL", full_member=False, why_not=why)
    everyone = Policy(anyone_may_request=True, rollback_anyone=True, approvers=["U0CAROL"])
    for action in Action:
        decision = decide(everyone, named, action, requester="U0ALICE")
        assert not decision.allowed and why in decision.reason


def test_break_glass_rollback_opens_rollback_only_and_says_so() -> None:
    glass = POLICY.model_copy(update={"rollback_anyone": True})
    decision = decide(glass, member("U0DAVE"), Action.ROLLBACK, requester="U0ALICE")
    assert decision.allowed and decision.break_glass
    assert not decide(glass, member("U0DAVE"), Action.CUTOVER, requester="U0ALICE").allowed
    assert not decide(POLICY, member("U0DAVE"), Action.ROLLBACK, requester="U0ALICE").allowed
    assert "break-glass" in who_may(glass, Action.ROLLBACK)


def test_ids_are_parsed_from_ids_and_mentions_and_anything_else_is_refused() -> None:
    assert parse_ids("U0BOB, <@U0CAROL>  <!subteam^S0OPS|@ops>,U0BOB") == [
        "U0BOB",
        "U0CAROL",
        "S0OPS",
    ]
    assert parse_ids("  ") == []
    for bad in ("bob", "C0CHANNEL", "U0BOB;drop", "@here"):
        with pytest.raises(PolicyError):
            parse_ids(bad)


def test_who_may_names_users_and_groups_as_slack_mentions() -> None:
    assert who_may(POLICY, Action.APPROVE) == (
        "<!subteam^S0APPROVERS>, <@U0CAROL> (the stack's default (Approvers))"
    )
    assert who_may(POLICY, Action.REQUEST).startswith("every full member")
    assert who_may(None, Action.APPROVE).startswith("nobody")


def test_groups_are_looked_up_only_when_they_decide() -> None:
    assert needed_groups(POLICY, Action.REQUEST) == []
    assert needed_groups(POLICY, Action.APPROVE) == ["S0APPROVERS"]


people = st.sampled_from(["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"])
groups = st.frozensets(st.sampled_from(["S0APPROVERS", "S0OPS"]))
policies = st.builds(
    Policy,
    requesters=st.lists(st.sampled_from(["U0ALICE", "U0BOB", "S0OPS"])),
    approvers=st.lists(st.sampled_from(["U0ALICE", "U0BOB", "U0CAROL", "S0APPROVERS"])),
    anyone_may_request=st.booleans(),
    rollback_anyone=st.booleans(),
)


@given(policies, st.lists(st.tuples(people, groups, st.sampled_from(list(Action))), max_size=30))
def test_no_sequence_of_clicks_lets_one_person_request_and_approve(
    policy: Policy, clicks: list[tuple[str, frozenset[str], Action]]
) -> None:
    """Whoever requested (the first allowed request), no click of theirs approves it,
    cuts it over fully or decommissions it, whatever the policy and the groups they are in."""
    requester = None
    for user, in_groups, action in clicks:
        actor = member(user, *in_groups)
        decision = decide(policy, actor, action, requester=requester)
        if action is Action.REQUEST and decision.allowed and requester is None:
            requester = user
        if user == requester and action in TWO_PERSON:
            assert not decision.allowed


@given(policies, people, groups, st.sampled_from(list(Action)))
def test_an_allowed_action_is_always_one_the_policy_names(
    policy: Policy, user: str, in_groups: frozenset[str], action: Action
) -> None:
    decision = decide(policy, member(user, *in_groups), action, requester="U0ZED")
    if decision.allowed:
        named = user in policy.entry(action) or bool(in_groups & set(policy.entry(action)))
        opened = (action is Action.REQUEST and policy.anyone_may_request) or (
            action is Action.ROLLBACK and policy.rollback_anyone
        )
        assert named or opened
