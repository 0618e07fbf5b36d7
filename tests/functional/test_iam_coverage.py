"""Every AWS call each function makes is allowed by its role in template.yaml, and no more.

The calls come from real migrations (``driven_calls``: one to a completed cutover, one
rolled back by hand, one rolled back by a breached alarm), recorded per function while its
handler runs. Each call is turned into the IAM actions AWS authorises for it, dependent
actions included (``tests/iam/permissions.py`` cites the Service Authorization Reference for
each exception to ``<prefix>:<Operation>``), on the resource its request names, and checked
against the function's role with IAM's matching rules. The reverse check keeps the roles
least-privilege.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.template import Template
from tests.iam.checks import missing_permissions, needs_by_function, unused_grants
from tests.iam.matching import action_matches
from tests.iam.recording import Call
from tests.iam.scenarios import EXPECTED_ENDS
from tests.iam.template_policies import role_of, role_statements

_RETRIED_BUILD = (
    "only when CreateProject finds the project already there: a retried build step looks "
    "for the build it started, or updates the project"
)

_REPUBLISH_FAILED = (
    "a published-event marker is released only when republishing a redelivered step's "
    "event fails (bot/services/changes.py republish_step); no test makes PutEvents fail there"
)
_FAILED_BUILD = (
    "only when CodeBuild reports a build failed, stopped or timed out: the migration is "
    "failed and MigrationFailed published (its marker claimed)"
)
_STEP_GAVE_UP = (
    "the failure reporter works only when a step gave up or an event was undelivered (the "
    "end-to-end failure tests reach it; the session-end check covers those runs)"
)

#: Grants that the driven migrations cannot reach, by (role, action), with why. Each role
#: is checked on its own, whether the statement is inline or in a managed policy it attaches.
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
    ("DeployRole", "iam:GetRole"): (
        "only when CreateRole finds the task role already there (a retried deploy); "
        "tests/functional/test_task_access.py reaches it"
    ),
    ("BuildRole", "codebuild:ListBuildsForProject"): _RETRIED_BUILD,
    ("BuildRole", "codebuild:BatchGetBuilds"): _RETRIED_BUILD,
    ("BuildEventsRole", "dynamodb:UpdateItem"): _FAILED_BUILD,
    ("BuildEventsRole", "dynamodb:PutItem"): _FAILED_BUILD,
    ("NotifierRole", "dynamodb:DeleteItem"): (
        "a milestone claim is released only when its Slack post fails after the claim; no "
        "test reaches it (with Slack down, the card update fails first)"
    ),
    **{
        (role, "dynamodb:DeleteItem"): _REPUBLISH_FAILED
        for role in (
            "DiscoveryRole",
            "BuildRole",
            "BuildEventsRole",
            "DeployRole",
            "EcsEventsRole",
            "TrafficRole",
            "FailureReporterRole",
            "CaptureEventsRole",
            "EdgeRole",
            "AlarmsRole",
            "CertificateRole",
            "CertificateEventsRole",
            "ReconcileRole",
            "ReportRole",
            "CleanupRole",
            "DecommissionRole",
        )
    },
    ("CleanupRole", "route53:GetChange"): (
        "only when weighted records remain at clean up (a cutover that failed mid-step): the "
        "original record is restored and clean up waits for INSYNC; the driven clean ups find "
        "the records already restored by their rollback"
    ),
    ("CleanupRole", "scheduler:DeleteSchedule"): (
        "only when a one-time schedule of the migration is still pending at clean up; the "
        "driven runs (time scale 0) run every schedule at once, so none is left; the cleanup "
        "scenario (time scale 0.005) deletes one"
    ),
    ("DecommissionRole", "ec2:TerminateInstances"): (
        "Terminate is offered TerminateAfterDays (default 7) after a decommission and needs "
        "two approvers; tests/unit/test_retirement.py covers the decision, "
        "tests/functional/test_retirement_aws.py the call against moto"
    ),
    ("ReconcileRole", "ecs:ListServiceDeployments"): (
        "only when a deployment's deadline (30 minutes) passes with the migration still "
        "deploying; the driven deploys finish first. tests/functional/test_express_extension.py "
        "reads it through the adapter against the Express stand-in"
    ),
    ("ReconcileRole", "ecs:DeleteExpressGatewayService"): (
        "only for a Cancel once the Express service exists (while deploying); the driven "
        "cancel comes during the build. test_express_extension.py deletes through the adapter"
    ),
    ("ReconcileRole", "ssm:GetCommandInvocation"): (
        "only when the capture's deadline passes with the migration still capturing; the "
        "driven captures finish first (tests/unit/test_deadlines.py decides over fakes)"
    ),
    ("ReconcileRole", "acm:ListTagsForCertificate"): (
        "only when the certificate deadline finds ACM issued the certificate but its event "
        "never came (certificates.issued reads the migration tag); the driven run's "
        "certificate is issued by its event"
    ),
    ("CertificateRole", "acm:AddTagsToCertificate"): (
        "kept beside RequestCertificate, whose Tags set the migration tag: the Service "
        "Authorization Reference lists no dependent action for it, and ACM's pages found here "
        "do not say whether tag-on-create is also authorised as AddTagsToCertificate (as "
        "CreateRepository's tags are as ecr:TagResource); README, known limits"
    ),
    ("DiscoveryRole", "ssm:ListCommands"): (
        "only when a redelivered MigrationRequested finds the migration capturing with no "
        "command recorded (a crash between saving the stage and sending the command)"
    ),
    ("CaptureEventsRole", "secretsmanager:PutSecretValue"): (
        "only when CreateSecret finds the secret already there: a capture event redelivered "
        "after the secret was stored but before the plan was saved"
    ),
    **{
        ("FailureReporterRole", action): _STEP_GAVE_UP
        for action in (
            "events:PutEvents",
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "dynamodb:PutItem",
        )
    },
    ("FailureReporterRole", "dynamodb:Query"): (
        "a given-up ECS deployment or service event names its service ARN, found through "
        "the by_service index; no test gives up on one"
    ),
}


def _calls(driven_calls: tuple[list[Call], list[str]]) -> list[Call]:
    calls, ends = driven_calls
    assert ends == EXPECTED_ENDS, ends
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


def test_every_untested_grant_is_granted_and_really_unreached(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    template = Template.load()
    by_function = needs_by_function(_calls(driven_calls), template)
    stale = []
    for role, action in NEEDED_ONLY_UNTESTED:
        granted = any(
            action_matches(a, action) for s in role_statements(template, role) for a in s.actions
        )
        functions = [
            f.logical_id for f in template.functions() if role_of(template, f.logical_id) == role
        ]
        reached = any(
            action_matches(action, n.action) for f in functions for n in by_function.get(f, [])
        )
        if not granted or reached:
            stale.append(f"{role} {action}: granted={granted}, reached={reached}")
    assert stale == []


def test_a_managed_policy_is_checked_on_each_role_that_attaches_it(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    # Another role's table permissions, in a managed policy attached to DiscoveryRole too:
    # the notifier's use of them does not excuse them on discovery.
    document: dict[str, Any] = copy.deepcopy(Template.load().document)
    resources = document["Resources"]
    notifier = resources["NotifierRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    queries = [s for s in notifier["Statement"] if s["Sid"] == "TaskRecords"]
    resources["SharedQueries"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": queries}},
    }
    for role in ("NotifierRole", "DiscoveryRole"):
        resources[role]["Properties"]["ManagedPolicyArns"].append({"Ref": "SharedQueries"})
    problems = unused_grants(_calls(driven_calls), Template(document), NEEDED_ONLY_UNTESTED)
    assert problems == [
        "DiscoveryRole (via SharedQueries/TaskRecords) grants dynamodb:Query on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/MigrationsTable, which "
        "DiscoveryFunction never needed"
    ]


def test_the_ingress_may_delete_a_channels_policy_and_no_migration(
    driven_calls: tuple[list[Call], list[str]],
) -> None:
    # ChannelPolicyReset's dynamodb:LeadingKeys condition: the recorded reset passes, the
    # same DeleteItem on a migration's item (MIGRATION#…) is refused.
    resets = [
        c
        for c in _calls(driven_calls)
        if (c.function, c.operation) == ("SlackIngressFunction", "DeleteItem")
    ]
    assert resets and all(c.params["Key"]["pk"]["S"].startswith("CHANNEL#") for c in resets)
    template = Template.load()
    assert missing_permissions(resets, template) == []
    other = copy.deepcopy(resets[0])
    other.params["Key"] = {"pk": {"S": "MIGRATION#mig-0123"}, "sk": {"S": "STATE"}}
    assert missing_permissions([other], template) == [
        "SlackIngressFunction (dynamodb.DeleteItem) needs dynamodb:DeleteItem on "
        "arn:aws:dynamodb:us-east-1:123456789012:table/MigrationsTable with "
        "dynamodb:LeadingKeys=MIGRATION#mig-0123; its role SlackIngressRole does not allow it"
    ]
