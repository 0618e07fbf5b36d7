"""Every AWS call each function makes is allowed by its role in template.yaml, and no more.

The calls come from real migrations (``driven_calls``: one to a completed cutover, one
rolled back), recorded per function while its handler runs. Each call is turned into the
IAM actions AWS authorises for it, dependent actions included (``tests/iam/permissions.py``
cites the Service Authorization Reference for each exception to ``<prefix>:<Operation>``),
on the resource its request names, and checked against the function's role with IAM's
matching rules. The reverse check keeps the roles least-privilege.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.template import Template
from tests.iam.checks import missing_permissions, unused_grants
from tests.iam.recording import Call

_RETRIED_BUILD = (
    "only when CreateProject finds the project already there: a retried build step looks "
    "for the build it started, or updates the project"
)

#: Grants that the driven migrations cannot reach, by (role or policy, action), with why.
NEEDED_ONLY_UNTESTED: dict[tuple[str, str], str] = {
    ("SlackIngressRole", "secretsmanager:GetSecretValue"): (
        "read at cold start in AWS; locally the Slack credentials come from the environment"
    ),
    ("NotifierRole", "secretsmanager:GetSecretValue"): (
        "read at cold start in AWS; locally the Slack credentials come from the environment"
    ),
    ("BuildRole", "ecr:DescribeRepositories"): (
        "only when CreateRepository finds the repository already there (a redelivered "
        "PlanApproved, or a second migration of the same app)"
    ),
    ("BuildRole", "codebuild:UpdateProject"): _RETRIED_BUILD,
    ("BuildRole", "codebuild:ListBuildsForProject"): _RETRIED_BUILD,
    ("BuildRole", "codebuild:BatchGetBuilds"): _RETRIED_BUILD,
    ("StateAccessPolicy", "dynamodb:DeleteItem"): (
        "a milestone claim is released only when its Slack post fails (the end-to-end "
        "'Slack is down' test reaches it; the session-end check covers that run)"
    ),
    ("FailureReporterRole", "events:PutEvents"): (
        "MigrationFailed is published only when a step gave up (the end-to-end failure "
        "tests reach it; the session-end check covers those runs)"
    ),
}


def _calls(driven_calls: tuple[list[Call], list[str]]) -> list[Call]:
    calls, ends = driven_calls
    assert ends == ["cut_over", "rolled_back"], ends
    return calls


def test_the_driven_migrations_exercise_every_function_that_calls_aws(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    functions = {c.function for c in _calls(driven_calls)}
    # The failure reporter reaches AWS only when a step gives up (its own tests cover it).
    expected = {f.logical_id for f in Template.load().functions()} - {"FailureReporterFunction"}
    assert functions == expected


def test_every_call_is_allowed_by_the_functions_role(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    problems = missing_permissions(_calls(driven_calls), Template.load())
    assert problems == [], "\n".join(problems)


def test_roles_grant_nothing_their_functions_never_need(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    problems = unused_grants(_calls(driven_calls), Template.load(), NEEDED_ONLY_UNTESTED)
    assert problems == [], "\n".join(problems)


def _without(template: Template, role: str, action: str) -> Template:
    document: dict[str, Any] = copy.deepcopy(template.document)
    for policy in document["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if isinstance(actions, list) and action in actions:
                actions.remove(action)
    return Template(document)


def test_the_check_names_function_call_action_and_resource_when_a_permission_is_missing(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    crippled = _without(Template.load(), "BuildRole", "ecr:TagResource")
    problems = missing_permissions(_calls(driven_calls), crippled)
    assert any(
        p.startswith("BuildFunction (ecr.CreateRepository with tags) needs ecr:TagResource on ")
        and ":repository/migrate-bot/" in p
        and "its role BuildRole does not allow it" in p
        for p in problems
    ), problems
