"""The migrations whose calls the IAM and request-model checks read.

One migration from ``/migrate`` (the app captured through SSM) to a completed cutover
(10 → 50 → 100 %); on an instance SSM does not manage, a blocked plan cancelled, then one from
an uploaded bundle (``--source``) rolled back after 50 %; the private orders app to a healthy
deployment; one rolled back on its own when a cutover alarm breaches at 10 %; one whose
certificate is requested from ACM and whose sides differ on every probe (then cleaned up);
the completed cutover decommissioned and undone, the rolled-back one cleaned up; all through the
real handlers in the sandbox (moto in-process), plus the refused inputs (bad id, unknown
instance) and a busy instance named by its load balancer, which the ingress answers without
writing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from moto import mock_aws

from bot.domain.gates import alarm_names
from sandbox import codebuild
from sandbox.aws_bus import default_bus_emitter
from sandbox.aws_events import envelope
from sandbox.harness import Sandbox
from sandbox.report_scenario import SCHEDULE, at_next_run


def _to_healthy(box: Sandbox, options: str = "", app: str = "secure-blog") -> None:
    started = box.slash(f"{box.apps[app].instance_id} {options}".strip(), user="U0ALICE")
    assert "started" in started["json"]["text"], started
    box.settle()
    box.click("approve_plan", user="U0BOB")
    box.settle()


def _cloudwatch_time(at: datetime) -> str:
    """A timestamp as the alarm event writes it (milliseconds, +0000)."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _breach(box: Sandbox, alarm_name: str) -> None:
    """Put the bot's alarm in ALARM and its state change on the default bus, as CloudWatch
    does (CloudWatch User Guide, "Alarm events and EventBridge"). The sandbox's traffic
    scenarios breach an alarm with real 5xx answers; here only the calls after it matter."""
    cloudwatch = box.client("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    reason = "Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (5.0)."
    cloudwatch.set_alarm_state(AlarmName=alarm_name, StateValue="ALARM", StateReason=reason)
    now = datetime.now(UTC)
    _, _, _, region, account, _ = alarm["AlarmArn"].split(":", 5)
    default_bus_emitter()(
        envelope(
            detail_type="CloudWatch Alarm State Change",
            source="aws.cloudwatch",
            account=account,
            region=region,
            resources=[alarm["AlarmArn"]],
            detail={
                "alarmName": alarm_name,
                "previousState": {
                    "reason": alarm.get("StateReason", ""),
                    "timestamp": _cloudwatch_time(alarm["StateUpdatedTimestamp"]),
                    "value": alarm["StateValue"],
                },
                "state": {"reason": reason, "timestamp": _cloudwatch_time(now), "value": "ALARM"},
            },
            at=now,
        )
    )


def _decommission_and_undo(box: Sandbox) -> None:
    """At 100 %, baked: Decommission (image, out of the target group, stopped), then Undo."""
    box.click("decommission", user="U0BOB")
    box.settle()
    assert box.migration().stage.value == "decommissioned", box.migration()
    box.click("decommission_undo", user="U0BOB")
    box.settle()
    assert box.migration().stage.value == "cut_over", box.migration()


def _clean_up(box: Sandbox) -> None:
    """Clean up the migration (every user on EC2): it ends cleaned up."""
    box.click("cleanup", user="U0BOB")
    box.settle()
    assert box.migration().stage.value == "cleaned_up", box.migration()


#: Where each driven migration ends, in order (the tests that read the calls check it first).
EXPECTED_ENDS = [
    "cut_over",
    "rolled_back",
    "healthy",
    "rolled_back",
    "healthy, not served",
    "healthy, reconciled",
    "cancelled",
]


def run_cutover_and_rollback() -> list[str]:
    """Drive the migrations; return the end each one reached (for the caller to assert)."""
    ends = []
    with mock_aws(), Sandbox() as box:
        for text in ("i-xyz", "no-such-app"):
            box.slash(text)
        _to_healthy(box)
        box.slash("secure-blog-alb")  # by load balancer name: refused, the instance is busy
        for weight in (10, 50, 100):
            box.click(f"cutover_{weight}", user="U0BOB")
            box.settle()
        ends.append(box.migration().stage.value)
        # @migrate-bot status in the thread (the thread's migration, its last replies), and in
        # the channel (told why, ephemerally).
        box.mention("status", user="U0CAROL")
        box.mention("status", user="U0CAROL", in_thread=False)
        box.settle()
        _decommission_and_undo(box)
        box.slash(f"audit {box.migration().migration_id}", user="U0BOB")  # reads the trail
        box.slash("list")  # the by_channel index
        box.slash(f"audit {box.migration().migration_id} csv", user="U0BOB")
        box.settle()  # the notifier reads the trail for the CSV
        box.slash("policy two-approvals on", user="U0CAROL")  # an admin writes the channel's
        box.slash("policy reset", user="U0CAROL")  # ... and deletes it
        # The health report: /migrate report (its channel's), then the template's schedule
        # at its next run (every channel's) and a retry of that run (nothing more).
        box.slash("report", user="U0DAVE")
        box.settle()
        schedules, due = at_next_run(box)
        for _ in range(2):
            schedules.fire(SCHEDULE, due)
            box.settle()
    with mock_aws(), Sandbox() as box:
        # An instance SSM does not manage: the plan says why and cannot be approved; the
        # migration is cancelled and requested again with a bundle the user uploaded.
        assert box.legacy is not None
        box.stop_ssm_agent()
        box.slash(box.legacy.instance_id, user="U0ALICE")
        box.settle()
        box.click("cancel_migration", user="U0ALICE")
        box.settle()
        _to_healthy(box, f"--source {box.upload_bundle()}")
        for weight in (10, 50):
            box.click(f"cutover_{weight}", user="U0BOB")
            box.settle()
        box.click("rollback", user="U0CAROL")
        box.settle()
        ends.append(box.migration().stage.value)
        _clean_up(box)
    with mock_aws(), Sandbox() as box:
        # The private orders app: its role has a customer managed policy (attached to the
        # task role) and a database group admits it (the plan reads the interfaces in it).
        _to_healthy(box, app="orders")
        ends.append(box.migration().stage.value)
        _clean_up(box)  # its task role has an attached policy: detached before DeleteRole
    with mock_aws(), Sandbox() as box:
        # A cutover alarm breaches at 10 %: the alarms consumer rolls the migration back.
        _to_healthy(box)
        box.click("cutover_10", user="U0BOB")
        box.settle()
        five_xx = alarm_names(box.migration().migration_id)[0]
        _breach(box, five_xx)
        box.settle()
        rolled_back = box.migration()
        assert rolled_back.rollback_reason is not None, rolled_back
        assert rolled_back.rollback_reason.startswith(f"alarm {five_xx}"), rolled_back
        ends.append(rolled_back.stage.value)
    with mock_aws(), Sandbox(legacy_certificate="iam") as box:
        # The legacy listener presents an IAM server certificate: the bot requests an ACM one
        # and writes its validation record; ACM (the stand-in, looked at by hand here) issues
        # it and says so. The Express tasks answer 500 by then, so both sides are probed
        # again on schedule, and cutover is not offered.
        assert box._validator is not None
        box._validator.stop()
        _to_healthy(box)
        box.break_express_app()
        assert box._validator.check_once(), "the validation record is in the zone"
        box.settle()
        served = box.migration()
        assert served.edge_blocker and "3 probes" in served.edge_blocker, served
        ends.append(f"{served.stage.value}, not served")
        _clean_up(box)  # healthy, never cut over: the requested certificate goes too
    with mock_aws(), Sandbox() as box:
        # CodeBuild's final event is lost: at the build's deadline the reconciler asks
        # CodeBuild, finds the build SUCCEEDED, and the migration goes on.
        codebuild.drop_final_events(True)
        _to_healthy(box)
        codebuild.drop_final_events(False)
        ends.append(f"{box.migration().stage.value}, reconciled")
        # The orders app's build is cancelled while it runs: the build is stopped.
        codebuild.hold_builds(30.0)
        try:
            box.slash(box.apps["orders"].instance_id, user="U0ALICE")
            box.settle()
            box.click("approve_plan", user="U0BOB")
            box.wait_until(
                lambda m: m.stage.value == "building" and m.build_id is not None,
                "the orders build started",
                settle=False,
            )
            box.click("cancel_migration", user="U0ALICE")
            box.settle()
        finally:
            codebuild.hold_builds(0.0)
        ends.append(box.migration().stage.value)
    return ends
