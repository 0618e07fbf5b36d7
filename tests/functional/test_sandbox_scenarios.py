"""Every sandbox scenario, end to end through the server-mode stand-ins (moto server, Slack HTTP)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from bot.observability import logger
from sandbox.cli import main
from sandbox.scenarios import SCENARIOS

EXPECTED_END = {
    "happy": "PASS: ended cut_over",
    "failing-health-check": "PASS: ended rolled_back",
    "rollback-after-50": "PASS: ended rolled_back",
    "python-app": "PASS: ended cut_over",
    "no-ssm": "PASS: ended cut_over",
    "bad-start": "PASS: ended rolled_back",
    "bad-input": "PASS: ended nothing started",
    "unauthorized": "PASS: ended planned, untouched",
    "alarm-rollback": "PASS: ended rolled_back",
    "host-rule": "PASS: ended cut_over",
    "http-site": "PASS: ended healthy, no cutover offered",
    "new-certificate": "PASS: ended cut_over",
    "report": "PASS: ended cutting_over at 50%, 2 reports",
    "stuck-build": "PASS: ended healthy, build reconciled",
    "cancel-while-building": "PASS: ended cancelled, build stopped",
    "cleanup": "PASS: ended cleaned_up",
    "decommission-undo": "PASS: ended cut_over",
}
#: The tests' time scale: a 10-minute bake lasts 3 s (the default, 0.03, is for people).
TIME_SCALE = "0.005"


def test_every_scenario_has_an_expected_ending() -> None:
    assert set(SCENARIOS) == set(EXPECTED_END)


@pytest.mark.parametrize("scenario", sorted(EXPECTED_END))
def test_scenario_runs_to_its_end_state_in_server_mode(
    scenario: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = io.StringIO()  # the functions' JSON log lines (Powertools' handler)
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    before = handler.setStream(logs)
    try:
        assert main(["sandbox", "--scenario", scenario, "--time-scale", TIME_SCALE]) == 0
    finally:
        handler.setStream(before)
    out = capsys.readouterr().out
    assert out.rstrip().endswith(EXPECTED_END[scenario])
    # Every run reports its users' traffic just before the verdict.
    traffic = re.search(r"^requests: (\d+) sent, (\d+) failed \(EC2 (\d+), ECS (\d+)\)$", out, re.M)
    assert traffic is not None and out.rstrip().splitlines()[-3] == traffic.group(0)
    sent, failed, ec2, ecs = (int(n) for n in traffic.groups())
    assert sent > 0 and sent == ec2 + ecs
    if scenario == "alarm-rollback":
        # Only the Express side failed, and only until the rollback; the thread says why.
        assert (
            failed > 0
            and ecs > 0
            and f"requests failed on ECS before the rollback: {failed}; on EC2: 0" in out
        )
        assert ":rotating_light: Rolling back on its own: alarm migrate-bot-mig-" in out
        assert "-5xx: Threshold Crossed" in out and "the Express service is ACTIVE" in out
    else:
        assert failed == 0
    if scenario in ("happy", "python-app", "host-rule", "no-ssm", "new-certificate"):
        assert ecs > 0  # real users reached the Express side, and none failed
    if scenario in (
        "http-site",
        "failing-health-check",
        "bad-start",
        "bad-input",
        "unauthorized",
        "stuck-build",
        "cancel-while-building",
    ):
        assert ecs == 0
    if scenario == "host-rule":
        assert re.search(
            r"^  inventory.example.com: requests: [1-9]\d* sent, 0 failed \(EC2 [1-9]\d*, ECS 0\)$",
            out,
            re.M,
        )
        assert "the plan moves orders.example.com. (rule hosts ['orders.example.com'])" in out
        assert "inventory's records: [('A', None)]" in out
    if scenario == "cleanup":
        # Every resource of the ECS side is gone from AWS; EC2 serves; the instance is free.
        assert (
            "gone from AWS: Express service yes, listener certificate yes, rule host yes, " in out
        )
        assert " NO" not in out.split("gone from AWS:", 1)[1].splitlines()[0]
        assert "requested certificate yes" in out and "CodeBuild project yes" in out
        assert "EC2 side after the clean up: instance running, GET / 200" in out
        assert "buttons offered after the rollback: cleanup, cleanup_keep_image" in out
        assert re.search(r"/migrate secure-blog again → :rocket: Migration `mig-\w+` of", out)
        assert ":broom: Cleaned up. Removed:" in out
    if scenario == "decommission-undo":
        assert "U0ALICE (the requester) clicked decommission → :no_entry:" in out
        assert re.search(
            r"decommissioned: AMI ami-\w+ \(available\), instance stopped, target not "
            r"registered, app serving: no",
            out,
        )
        assert "after the undo: instance running, target healthy, GET / on EC2 200" in out
        assert "runs again and is healthy in its target group" in out
    if scenario == "stuck-build":
        assert (
            ":mag: Past the build's deadline, AWS was asked: the build's event never came; " in out
        )
    if scenario == "cancel-while-building":
        assert "the build after the cancel: STOPPED" in out
        assert "Express services of the migration: 0" in out
        assert "cancelled the migration: the build is stopped" in out
    if scenario == "new-certificate":
        assert ":lock: Requested an ACM certificate for `blog.example.com`: IAM server " in out
        assert "certificate: requested, ISSUED, validation record _" in out
        assert "the requested certificate is on the Express listener: True" in out
        assert ":lock: ACM issued the certificate for the app's name." in out
    if scenario == "http-site":
        assert "the plan said: blog.example.com is served over HTTP only (port 80)" in out
        assert "buttons offered: cleanup, cleanup_keep_image, rollback" in out
    if scenario == "bad-input":
        assert "(the bot posted nothing in the channel)" in out
        assert "items written: 0, events delivered: 0" in out
        return
    assert "Stage timings" in out and "clicked [ Approve plan ]" in out
    if scenario == "unauthorized":
        assert "signed for T0ELSEWHERE → HTTP 401" in out
        assert "audit: 9 denied of 10 records" in out and "migration untouched: yes" in out
        # The ingress logs only its own keys: none left by the capture consumer's invocation
        # (one process, as a warm Lambda is: inject_lambda_context(clear_state=True)).
        ingress_logs = [
            json.loads(line)
            for line in logs.getvalue().splitlines()
            if '"SlackIngressFunction"' in line
        ]
        assert ingress_logs and all("command_id" not in log for log in ingress_logs)
        assert "as U0BOB → :no_entry: You may not change this channel's policy" in out
        assert "25 hours later U0BOB clicked approve_plan → :hourglass: Not done: these " in out
        assert (
            "U0ALICE clicked approve_plan → :no_entry: You may not approve this plan: "
            "two-person rule" in out
        )
        return
    if scenario == "python-app":
        assert "python 3.12 (pip) on port 8080, health /healthz" in out
        assert "arm64 (Graviton): the image is built for linux/arm64" in out
        assert "behind an internal load balancer" in out and "Image runs:* python app.py" in out
        # The approver sees the role and the data; the run reads back what the tasks got.
        assert "orders-instance's policies: data, team-metrics (left out" in out
        assert "DynamoDB table orders-table (policy data, variable ORDERS_TABLE)" in out
        assert '"orders-db" (admits sg-' in out and "used by RDSNetworkInterface" in out
        assert "task role /migrate-bot/migrate-bot-task-mig-" in out
        # Two approvals for 100 %: the requester refused, the first approval recorded.
        assert "U0ALICE (the requester) clicked cutover_100 → :no_entry:" in out
        assert "U0BOB clicked cutover_100 → :ballot_box_with_check: Your approval is 1 of 2" in out
        assert "the card now offers [ Cutover 100% (1 of 2 approvals) ] at 50% ECS" in out
        assert "the bot's admits [\"tcp 8080 from ['10.30.0.0/16']\"]" in out
    if scenario in ("happy", "no-ssm", "python-app"):
        assert "both sides answered alike: yes" in out  # real apps, through both balancers
    if scenario == "bad-start":
        assert "A task stopped (EssentialContainerExited)" in out and "clicked [ Rollback ]" in out
        assert "EC2 side after the rollback: GET / 200" in out
    if scenario == "happy":
        assert "Traffic now 0% EC2 · 100% ECS." in out
        # The app was captured from the instance and its folder's extras left out.
        assert "*Found on the instance:* /usr/bin/node server.js in /opt/secure-blog as blog" in out
        assert "*Bundle:* 3 files" in out and "from Secrets Manager: SESSION_SECRET" in out
    if scenario == "no-ssm":
        assert "cannot be approved as it is" in out  # the blocked plan's reply
        assert "clicked [ Cancel ]" in out and "buttons offered: cancel_migration" in out
        assert (
            "Image pushed: `123456789012.dkr.ecr.us-east-1.amazonaws.com/secure-blog:1.4.2`" in out
        )
    if scenario == "report":
        # The schedule's report with its chart, as Slack shows them; a retry posts nothing.
        assert ":bar_chart: Health report · 24 h to " in out and "Scheduled report · " in out
        assert "traffic 50% EC2 · 50% ECS" in out and "tasks 1 of 1 running" in out
        assert "EC2/month: t3.small $15.18 + volumes $" in out and "pinned price table" in out
        chart = r"^\[file: health-C0PLATFORM-\d{8}T0900Z\.png \(png, \d+ bytes\)\]$"
        assert re.search(chart, out, re.M)
        assert "the same window fired again: nothing more posted: yes" in out
        assert re.search(r"the chart the channel received: /\S+\.png \([\d,]+ bytes, PNG\)", out)
        assert "Asked for by <@U0DAVE>" in out
    if scenario == "failing-health-check":
        assert "Task failed ELB health checks" in out  # the thread says why
        assert "clicked [ Rollback ]" in out


def test_list_scenarios_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--list-scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(SCENARIOS)


def test_unknown_scenario_is_refused_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--scenario", "nope"]) == 2
    assert "--list-scenarios" in capsys.readouterr().err
