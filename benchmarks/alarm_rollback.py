"""Seconds from a 5xx alarm breach to all users' traffic back on EC2, against a Rollback click.

Two scripted scenarios, moto in server mode, each repeat in a fresh process with a fresh moto
server and Sandbox (``sandbox_stages.py`` does the same), the order alternating per repeat:

- **alarm**: ``alarm-rollback``. At the 50 % step the Express tasks answer 500; the sandbox's
  CloudWatch moves the migration's 5xx alarm to ALARM and the bot rolls back on its own.
- **manual**: ``rollback-after-50``, the baseline. At the 50 % step (baked, no fault) U0CAROL
  clicks Rollback.

What is observed, in real seconds on ``time.monotonic()``, without changing production code:

- **breach**: the evaluator's event emitter is wrapped (``sandbox.live_traffic`` builds it
  from ``default_bus_emitter``): the moment a "CloudWatch Alarm State Change" to ALARM is
  handed to the default bus, right after the evaluator's ``SetAlarmState`` returned.
- **fault on**: when ``box.break_express_app()`` returned. **click**: just before
  ``box.click("rollback")``.
- **the AlarmsFunction starts / returns**: its call that took the alarm event (it saves the
  rollback and publishes RollbackRequested); for the click, when the ingress answered it.
  **records restored**: the end of the TrafficFunction call that took RollbackRequested (it
  puts the original records back). **rolled_back**: the end of the TrafficFunction call after
  which the stored stage is ``rolled_back`` (Route 53 INSYNC, RolledBack published). Every
  handler is wrapped for this; the stage is read after the call, outside the time measured.
- **last request on ECS**: the newest record, in the load balancers' request log, of a
  user's request (Host = the app's name) that an Express ALB answered. Records are stamped in
  simulated time (``ScaledClock``) and converted back with the run's time scale.

**All traffic on EC2** (the last line) is *records restored + the DNS TTL*: from then on no
resolver that honours the TTL can still send anyone to ECS (the app's records are aliases to
load balancers: 60 simulated seconds, ``sandbox.resolver``). It is not the last ECS request:
the sandbox has one user with one DNS cache, who at 50 % is on ECS or on EC2 for a whole TTL
at a time, so their last ECS request often comes before the breach or the click (a negative
interval) and says more about one coin toss than about the rollback. That figure is printed
too, and each run checks that it is no later than the bound (plus one request's timeout).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any bot module builds the Logger

MARK = "BENCH "
SCENARIOS = {"alarm": "alarm-rollback", "manual": "rollback-after-50"}
EXPRESS_ALB = "ecs-express-gateway-alb-"  # the name Express Mode gives its load balancers
ALARM_CHANGE = "CloudWatch Alarm State Change"
REQUEST_TIMEOUT = 2.0  # the load generator's per request (real seconds): its longest answer


class BenchmarkError(RuntimeError):
    """A run did not do what the benchmark times."""


@dataclass
class Observer:
    """What one run did, and when (``time.monotonic()``), seen from outside production code."""

    alarms: list[dict[str, Any]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    fault_at: float | None = None
    click_at: float | None = None
    click_done: float | None = None

    def emitter(self, make: Any) -> Any:
        """Wrap the factory of the evaluator's emitter: note each alarm change, then emit."""

        def factory() -> Any:
            deliver = make()

            def emit(event: dict[str, Any]) -> None:
                if event.get("detail-type") == ALARM_CHANGE:
                    detail = event["detail"]
                    self.alarms.append(
                        {
                            "at": time.monotonic(),
                            "name": detail["alarmName"],
                            "state": detail["state"]["value"],
                        }
                    )
                deliver(event)

            return emit

        return factory

    def watch(self, box: Any) -> list[tuple[Any, Any]]:
        """Time every handler, the fault switch and the Rollback click; return the handlers
        replaced, to put back."""
        originals = []
        for name in sorted({f.module for f in box.runtime.functions.values()}):
            module = importlib.import_module(name)
            originals.append((module, module.handler))
            module.handler = self._timed(module.handler, box)
        breaks, clicks = box.break_express_app, box.click

        def break_app() -> None:
            breaks()
            self.fault_at = time.monotonic()

        def click(action_id: str, user: str = "U0BOB") -> dict[str, Any]:
            if action_id != "rollback":
                return clicks(action_id, user)
            self.click_at = time.monotonic()
            answer = clicks(action_id, user)
            self.click_done = time.monotonic()
            return answer

        box.break_express_app, box.click = break_app, click
        return originals

    def _timed(self, handler: Any, box: Any) -> Any:
        def timed(event: dict[str, Any], context: Any) -> Any:
            started = time.monotonic()
            try:
                return handler(event, context)
            finally:
                ended = time.monotonic()
                function = context.function_name
                stage = box.migration().stage.value if function == "TrafficFunction" else None
                self.calls.append(
                    {
                        "function": function,
                        "detail_type": event.get("detail-type", "SQS batch"),
                        "start": started,
                        "end": ended,
                        "stage": stage,
                    }
                )

        return timed

    def first(self, since: float, function: str, **match: str) -> dict[str, Any]:
        """The first call of ``function`` started at ``since`` or later that matches."""
        for call in self.calls:
            if call["function"] == function and call["start"] >= since:
                if all(call[k] == v for k, v in match.items()):
                    return call
        raise BenchmarkError(f"no {function} call {match or ''} after the start was seen")


def run_child(path: str, time_scale: float) -> dict[str, Any]:
    """Start moto and a Sandbox, run ``path``'s scenario once, return what it measured."""
    from bot import bootstrap
    from sandbox import live_traffic
    from sandbox.aws_server import AwsServer
    from sandbox.harness import Sandbox
    from sandbox.resolver import ALIAS_RESOURCE_TTL
    from sandbox.scenarios import SCENARIOS as RUNS

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    observer = Observer()
    emitter = live_traffic.default_bus_emitter
    live_traffic.default_bus_emitter = observer.emitter(emitter)  # type: ignore[assignment]
    server = AwsServer()
    box = Sandbox(endpoint_url=server.start(), time_scale=time_scale)
    originals: list[tuple[Any, Any]] = []
    try:
        box.start()
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the template's default is INFO
        bootstrap.reset()
        originals = observer.watch(box)
        outcome = RUNS[SCENARIOS[path]](box)
        if not outcome.ok:
            raise BenchmarkError(
                f"{SCENARIOS[path]} failed, ended {outcome.end_stage}: {'; '.join(outcome.notes)}"
            )
        # Two DNS TTLs more, so that a user whose cache still named ECS would show it.
        time.sleep(2 * ALIAS_RESOURCE_TTL * time_scale)
        return measure(path, box, observer, time_scale)
    finally:
        for module, handler in originals:
            module.handler = handler
        box.stop()
        server.stop()
        live_traffic.default_bus_emitter = emitter  # type: ignore[assignment]


def measure(path: str, box: Any, observer: Observer, scale: float) -> dict[str, Any]:
    """Check the run did what is timed; its intervals in real seconds."""
    from bot.domain.gates import alarm_names, migration_of
    from bot.domain.state import Stage
    from sandbox.resolver import ALIAS_RESOURCE_TTL

    migration = box.migration()
    if migration.stage != Stage.ROLLED_BACK or migration.weight != 0:
        raise BenchmarkError(f"ended {migration.stage.value} at {migration.weight} %")
    mine = [
        a
        for a in observer.alarms
        if migration_of(a["name"]) == migration.migration_id and a["state"] == "ALARM"
    ]
    reason = migration.rollback_reason or ""
    figures: dict[str, Any] = {"path": path}
    if path == "alarm":
        rate = alarm_names(migration.migration_id)[0]
        if observer.fault_at is None or not reason.startswith(f"alarm {rate}:"):
            raise BenchmarkError(f"not rolled back by {rate} after the fault: {reason!r}")
        breaches = [a["at"] for a in mine if a["name"] == rate and a["at"] >= observer.fault_at]
        if not breaches:
            raise BenchmarkError(f"{rate} was not seen going to ALARM after the fault")
        start = breaches[0]
        figures["fault → breach"] = start - observer.fault_at
        call = observer.first(start, "AlarmsFunction", detail_type=ALARM_CHANGE)
        figures["alarm delivered"] = call["start"] - start
        requested = call["end"]
        figures["alarm"] = rate
    else:
        if observer.click_at is None or observer.click_done is None or reason or mine:
            raise BenchmarkError(f"no clean Rollback click: reason {reason!r}, alarms {mine}")
        start, requested = observer.click_at, observer.click_done
    figures["rollback requested"] = requested - start
    restored = observer.first(start, "TrafficFunction", detail_type="RollbackRequested")["end"]
    figures["records restored"] = restored - start
    done = observer.first(start, "TrafficFunction", stage=Stage.ROLLED_BACK.value)["end"]
    figures["rolled_back"] = done - start
    figures["Route 53 change checks"] = sum(
        1
        for call in observer.calls
        if call["detail_type"] == "DnsChangeCheckDue" and restored <= call["start"] < done
    )
    on_ecs, on_ec2 = users_requests(box, scale)
    if not on_ecs:
        raise BenchmarkError("no user request reached ECS: nothing was cut over")
    last = max(at for at, _ in on_ecs)
    if not any(at > max(last, done) for at in on_ec2):
        raise BenchmarkError("the users' traffic stopped: the last ECS request proves nothing")
    figures["last request on ECS"] = last - start
    on_ec2_by = restored + ALIAS_RESOURCE_TTL * scale
    if last > on_ec2_by + REQUEST_TIMEOUT:
        raise BenchmarkError(f"a user reached ECS {last - restored:.3f} s after the restore")
    figures["all traffic on EC2"] = on_ec2_by - start
    figures["ECS requests after the start"] = sum(1 for at, _ in on_ecs if at >= start)
    figures["ECS 5xx answered to users"] = sum(1 for _, status in on_ecs if status >= 500)
    return figures


def users_requests(box: Any, scale: float) -> tuple[list[tuple[float, int]], list[float]]:
    """The users' requests (Host = the app's name) from the request log: (real time, status)
    of those an Express ALB answered, and the real times of the others.

    Records carry simulated time, which runs ``1 / scale`` times as fast as real time: a
    record ``d`` simulated seconds before simulated now was answered ``d × scale`` real
    seconds before real now."""
    sim_now, real_now = box.traffic.clock.now(), time.monotonic()
    name = box.legacy.record_name.rstrip(".").lower()
    on_ecs: list[tuple[float, int]] = []
    on_ec2: list[float] = []
    for record in box.traffic.log.records():
        if record.host != name:
            continue
        at = real_now - (sim_now - record.at).total_seconds() * scale
        balancer = record.load_balancer_arn.split(":loadbalancer/", 1)[1].split("/")[1]
        if balancer.startswith(EXPRESS_ALB):
            on_ecs.append((at, record.elb_status))
        else:
            on_ec2.append(at)
    return on_ecs, on_ec2


def spawn(path: str, time_scale: float, timeout: float) -> dict[str, Any]:
    """Run ``path`` once in a fresh interpreter."""
    command = [sys.executable, __file__, "--child", path, "--time-scale", str(time_scale)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    marked = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not marked:
        raise BenchmarkError(
            f"{SCENARIOS[path]} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return dict(json.loads(marked[-1][len(MARK) :]))


def row(name: str, values: list[float], scale: float, digits: int = 3) -> None:
    """One table line: median, min, max (real seconds) and the median in simulated seconds."""
    med = statistics.median(values)
    cells = " ".join(f"{v:8.{digits}f}" for v in (med, min(values), max(values)))
    simulated = f"{med / scale:10.1f}" if digits else ""
    print(f"  {name:44} {cells}{simulated}")


ROWS = {
    "alarm": (
        ("fault on → 5xx alarm in ALARM", "fault → breach"),
        ("breach → the AlarmsFunction starts", "alarm delivered"),
        ("breach → the AlarmsFunction returns", "rollback requested"),
        ("breach → original records restored", "records restored"),
        ("breach → rolled_back (INSYNC announced)", "rolled_back"),
        ("breach → the user's last request on ECS", "last request on ECS"),
        ("breach → all traffic on EC2 (restored+TTL)", "all traffic on EC2"),
    ),
    "manual": (
        ("click → the ingress answers the click", "rollback requested"),
        ("click → original records restored", "records restored"),
        ("click → rolled_back (INSYNC announced)", "rolled_back"),
        ("click → the user's last request on ECS", "last request on ECS"),
        ("click → all traffic on EC2 (restored+TTL)", "all traffic on EC2"),
    ),
}


def print_path(path: str, runs: list[dict[str, Any]], scale: float) -> None:
    """The table of one path over its repeats."""
    print(f"[{path}] {SCENARIOS[path]}: {len(runs)} runs, each ended rolled_back", end="")
    print(f" by its {runs[0]['alarm'].rsplit('-', 1)[-1]} alarm" if path == "alarm" else "")
    print(f"  {'interval (seconds)':44} {'median':>8} {'min':>8} {'max':>8} {'sim. med':>10}")
    for label, key in ROWS[path]:
        row(label, [r[key] for r in runs], scale)
    for key in (
        "Route 53 change checks",
        "ECS requests after the start",
        "ECS 5xx answered to users",
    ):
        label = key.replace("the start", "the breach" if path == "alarm" else "the click")
        row(f"{label} (count)", [float(r[key]) for r in runs], scale, digits=0)
    keys = ("records restored", "rolled_back", "last request on ECS")
    per_run = ", ".join("/".join(f"{r[k]:.3f}" for k in keys) for r in runs)
    print(f"  per run, restored / rolled_back / the user's last ECS request: {per_run}")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run both paths ``--repeat`` times in child processes and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each path")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=0.01,
        help="real seconds per simulated second (default %(default)s; must be > 0: alarms "
        "need complete simulated minutes)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--child", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive: CloudWatch evaluates simulated minutes")
    if args.child:
        print(MARK + json.dumps(run_child(args.child, args.time_scale)), flush=True)
        return 0
    scale = args.time_scale
    print(
        f"alarm rollback vs Rollback click: moto server mode on 127.0.0.1, --time-scale {scale} "
        f"(a simulated minute lasts {60 * scale:g} s), {args.repeat} runs of each path, one "
        f"fresh process each, Python {sys.version.split()[0]}\n"
        "Real seconds on time.monotonic(); sim. = real / time scale.\n"
    )
    runs: dict[str, list[dict[str, Any]]] = {"alarm": [], "manual": []}
    for repeat in range(args.repeat):
        order = ("alarm", "manual") if repeat % 2 == 0 else ("manual", "alarm")
        for path in order:
            runs[path].append(spawn(path, scale, args.timeout))
    for path in ("alarm", "manual"):
        print_path(path, runs[path], scale)
    alarm = statistics.median(r["all traffic on EC2"] for r in runs["alarm"])
    manual = statistics.median(r["all traffic on EC2"] for r in runs["manual"])
    print(
        f"alarm breach → all traffic on EC2: {alarm:.3f} s real ({alarm / scale:.1f} s "
        f"simulated); manual rollback click → all traffic on EC2: {manual:.3f} s real"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
