"""Per-stage wall time of the scripted sandbox scenarios, moto in server mode on loopback.

Each (scenario, repeat) runs in its own child process with a fresh moto server and one
Sandbox, so no state carries over; the table shows the median, min and max over repeats.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any bot module builds the Logger

DEFAULT_SCENARIOS = ("happy", "rollback-after-50")
MARK = "BENCH "


def run_child(scenario: str, time_scale: float) -> dict[str, Any]:
    """Start moto and a Sandbox, run ``scenario`` once, return its timings."""
    from bot import bootstrap
    from handlers import slack_ingress
    from sandbox.aws_server import AwsServer
    from sandbox.harness import Sandbox
    from sandbox.scenarios import SCENARIOS

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    ingress: list[float] = []
    original = slack_ingress.handler

    def timed(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return original(event, context)
        finally:
            ingress.append(time.perf_counter() - started)

    slack_ingress.handler = timed  # type: ignore[assignment]
    started = time.perf_counter()
    server = AwsServer()
    box = Sandbox(endpoint_url=server.start(), time_scale=time_scale)
    try:
        box.start()
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the template's default is INFO
        bootstrap.reset()
        ready = time.perf_counter() - started
        outcome = SCENARIOS[scenario](box)
        total = time.perf_counter() - started
        assert box.runtime is not None
        invocations = box.runtime.invocations
        return {
            "ok": outcome.ok,
            "end_stage": outcome.end_stage,
            "stages": outcome.timings,
            "sandbox ready": ready,
            "consumers": sum(i.seconds for i in invocations),
            "consumer_calls": len(invocations),
            "ingress": sum(ingress),
            "ingress_calls": len(ingress),
            "ingress_first": ingress[0] if ingress else 0.0,
            "dead_lettered": len(box.runtime.failures),
            "total": total,
        }
    finally:
        box.stop()
        server.stop()
        slack_ingress.handler = original  # type: ignore[assignment]


def spawn(scenario: str, time_scale: float, timeout: float) -> dict[str, Any]:
    """Run one repeat of ``scenario`` in a fresh interpreter."""
    command = [sys.executable, __file__, "--child", scenario, "--time-scale", str(time_scale)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    marked = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not marked:
        raise RuntimeError(f"{scenario} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(marked[-1][len(MARK) :])


def row(name: str, values: list[float], suffix: str = "") -> None:
    """One table line: median, min, max in seconds."""
    med, low, high = statistics.median(values), min(values), max(values)
    print(f"  {name:46} {med:8.3f} {low:8.3f} {high:8.3f}{suffix}")


def print_scenario(scenario: str, runs: list[dict[str, Any]]) -> None:
    """The stage table of one scenario over its repeats."""
    passed = sum(r["ok"] for r in runs)
    ends = sorted({r["end_stage"] for r in runs})
    print(f"[{scenario}] {passed}/{len(runs)} passed, ended {', '.join(ends)}")
    print(f"  {'stage (wall seconds)':46} {'median':>8} {'min':>8} {'max':>8}")
    row("sandbox ready (moto server + provisioning)", [r["sandbox ready"] for r in runs])
    for index, (name, _) in enumerate(runs[0]["stages"]):
        row(name, [r["stages"][index][1] for r in runs])
    calls = runs[0]["consumer_calls"]
    row("bot: consumer handlers (sum)", [r["consumers"] for r in runs], f"  ({calls} calls)")
    calls = runs[0]["ingress_calls"]
    row("bot: ingress handler (sum)", [r["ingress"] for r in runs], f"  ({calls} calls)")
    row("  of which the first call (builds the app)", [r["ingress_first"] for r in runs])
    row("total (start → scenario end)", [r["total"] for r in runs])
    dead = sum(r["dead_lettered"] for r in runs)
    if dead:
        print(f"  dead-lettered invocations over all repeats: {dead}")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run each scenario ``--repeat`` times in child processes and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario")
    parser.add_argument("--time-scale", type=float, default=0.0, help="as migrate-bot sandbox")
    parser.add_argument(
        "--scenario",
        action="append",
        help=f"repeatable; 'all' or a name (default: {' and '.join(DEFAULT_SCENARIOS)})",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(MARK + json.dumps(run_child(args.child, args.time_scale)), flush=True)
        return 0
    from sandbox.scenarios import SCENARIOS

    names = args.scenario or list(DEFAULT_SCENARIOS)
    names = list(SCENARIOS) if "all" in names else names
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    print(
        f"sandbox stages: moto server mode on 127.0.0.1, --time-scale {args.time_scale}, "
        f"{args.repeat} repeats per scenario, one fresh process each, Python "
        f"{sys.version.split()[0]}\n"
        "Stage times are wall clock (bot + moto + local Slack + local Lambda runtime);\n"
        "'bot' rows sum the handlers' own time; interpreter start-up is not counted.\n"
    )
    for scenario in names:
        runs = [spawn(scenario, args.time_scale, args.timeout) for _ in range(args.repeat)]
        print_scenario(scenario, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
