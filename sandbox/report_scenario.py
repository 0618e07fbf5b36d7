"""Scenario ``report``: the health report schedule fires over a migration at 50 %.

The secure-blog migration is cut over to 50 % (each step baked) while its users' traffic runs;
then the template's ``HealthReportSchedule`` fires as EventBridge Scheduler would at its next
time (weekdays 09:00 in ``ReportTimeZone``; the whole process's clock is moved there first):
the report consumer compiles the channel's report and the notifier posts it with its chart.
The same window is fired again (Scheduler's retry of the run): nothing more is posted. Then
Dave, a channel member who approves nothing, asks for one with ``/migrate report``.
The chart the channel received is written to a file and its path printed.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.aws_calls import counting_calls
from sandbox.harness import CHANNEL, REGION, Sandbox
from sandbox.recurring import RecurringSchedules
from sandbox.scenarios import Outcome, Stopwatch, _cutover, _start, _traffic_ok

SCHEDULE = "HealthReportSchedule"
PNG = b"\x89PNG\r\n\x1a\n"


def _reports(box: Sandbox) -> list[str]:
    """The ts of every health report message in the channel, oldest first."""
    return [
        m.ts
        for m in box.slack.channel(CHANNEL).messages
        if any(b.get("type") == "header" and "Health report" in str(b) for b in m.blocks)
    ]


def _charts(box: Sandbox) -> list[dict[str, object]]:
    return [f for f in box.slack.files_in(CHANNEL) if str(f.get("name", "")).endswith(".png")]


def at_next_run(box: Sandbox) -> tuple[RecurringSchedules, datetime]:
    """The template's report schedule in the stand-in, and its next run, with every clock
    moved to it: Scheduler runs it at its time (plus a few seconds: "60 second precision")."""
    assert box.runtime is not None
    account = box.client("sts").get_caller_identity()["Account"]
    schedules = RecurringSchedules(box.runtime.template, box.client, account, REGION)
    due = schedules.next_time(SCHEDULE, datetime.now(UTC))
    box.pass_time((due + timedelta(seconds=5) - datetime.now(UTC)).total_seconds() / 3600)
    return schedules, due


def run(box: Sandbox) -> Outcome:
    """Cut over to 50 %; the schedule fires: one report with its chart; fired again: none."""
    assert box.runtime is not None
    watch = Stopwatch()
    _start(box, watch)
    for weight in (10, 50):
        _cutover(box, watch, weight)
    notes: list[str] = []
    schedules, due = at_next_run(box)
    schedule = schedules.ensure(SCHEDULE)
    notes.append(
        f"schedule {schedule['Name']}: {schedule['ScheduleExpression']} in "
        f"{schedule['ScheduleExpressionTimezone']}; next run {due:%a %Y-%m-%d %H:%M} UTC "
        "(every clock moved there)"
    )
    before = len(box.runtime.invocations)

    def fire_and_settle() -> None:
        fired = schedules.fire(SCHEDULE, due)
        notes.append(f"fired: attempt {fired.attempt}, detail {fired.detail}")
        box.settle()

    _, calls = watch.stage(
        "schedule fires → report posted", lambda: counting_calls(fire_and_settle)
    )
    made = [i for i in box.runtime.invocations[before:] if i.function == "ReportFunction"]
    seconds = sum(i.seconds for i in made)
    # The sandbox's own polling of the rule queues (sqs) and the firing itself are left out.
    by_call = Counter(c for c in calls if not c.startswith(("events:", "scheduler:", "sqs:")))
    notes.append(
        f"ReportFunction: {len(made)} invocation, handler time {seconds:.3f} s; AWS calls while "
        f"the report was made and posted (both functions): "
        + ", ".join(f"{k} {v}" for k, v in sorted(by_call.items()))
    )
    reports, charts = _reports(box), _charts(box)
    ok = len(reports) == 1 and len(charts) == 1
    # A retry of the same run (Scheduler's RetryPolicy): the same scheduled time.
    watch.stage("same window fired again", fire_and_settle)
    again = len(_reports(box)) == 1 and len(_charts(box)) == 1
    notes.append(f"the same window fired again: nothing more posted: {'yes' if again else 'no'}")
    ok &= again
    if charts:
        content = box.slack.file_content(str(charts[0]["id"]))
        folder = Path(tempfile.gettempdir()) / "migrate-bot-sandbox"
        folder.mkdir(exist_ok=True)
        path = folder / str(charts[0]["name"])
        path.write_bytes(content)
        notes.append(f"the chart the channel received: {path} ({len(content):,} bytes, PNG)")
        ok &= content.startswith(PNG)
    answer = box.slash("report", user="U0DAVE")["json"].get("text", "")
    notes.append(f"/migrate report as U0DAVE → {answer}")
    box.settle()
    ok &= len(_reports(box)) == 2 and len(_charts(box)) == 2
    end = box.migration()
    ok &= end.weight == 50 and _traffic_ok(box, notes)
    return Outcome(
        ok, f"{end.stage.value} at 50%, {len(_reports(box))} reports", watch.timings, notes
    )
