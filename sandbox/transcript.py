"""Printing a sandbox run as a person would read it in Slack."""

from __future__ import annotations

from sandbox.harness import CHANNEL, Sandbox
from sandbox.scenarios import Outcome


def print_transcript(
    box: Sandbox, scenario: str, outcome: Outcome, ready_seconds: float, total_seconds: float
) -> None:
    """Print the channel, the clicks, the stage timings and the verdict."""
    rule = "─" * 72
    print(f"{rule}\n#platform-migrations — scenario: {scenario}\n{rule}")
    try:
        print(box.slack.render_channel(CHANNEL))
    except KeyError:
        print("(the bot posted nothing in the channel)")
    print(f"{rule}\nButtons clicked")
    for click in box.clicks:
        answer = f" → {click.answer}" if click.answer else ""
        print(f"  <@{click.user}> clicked [ {click.label} ]{answer}")
    if not box.clicks:
        print("  (none)")
    for note in outcome.notes:
        print(f"  {note}")
    print(f"{rule}\nStage timings (wall clock)")
    print(f"  {'sandbox ready':48} {ready_seconds:7.2f} s")
    for name, seconds in outcome.timings:
        print(f"  {name:48} {seconds:7.2f} s")
    if box.runtime is not None:
        bot_seconds = sum(i.seconds for i in box.runtime.invocations)
        print(
            f"  {'bot processing (handler time, all consumers)':48} {bot_seconds:7.2f} s"
            f" over {len(box.runtime.invocations)} invocations"
        )
        for failure in box.runtime.failures:
            print(f"  dead-lettered: {failure.function}: {failure.record['responsePayload']}")
    print(f"  {'total':48} {total_seconds:7.2f} s")
    if box.traffic is not None:
        summary = box.traffic.summary()
        print(f"{rule}\nUsers' traffic (verified TLS, each request resolved through Route 53)")
        for name, generator in box.traffic.generators.items():
            print(f"  {name}: {generator.summary().line()}")
        for failure in summary.last_failures[-5:]:
            print(f"  failed: {failure.url} on {failure.side or 'no side'}: {failure.reason}")
        print(summary.line())
    verdict = "PASS" if outcome.ok else "FAIL"
    print(f"{rule}\n{verdict}: ended {outcome.end_stage}")
