"""Warm ack latency of the ingress handler (persist + emit) against moto, server and in-process.

Only the handler call is timed: event signing, response parsing and event delivery are not,
and no events are delivered while measuring (they pile up in the rules' queues). Each mode
runs in its own child process with one Sandbox. Figures are dominated by the emulator.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # before any bot module builds the Logger

MODES = {
    "server": "moto server mode, HTTP on 127.0.0.1 (a thread in this process)",
    "in-process": "moto in-process (mock_aws, no sockets for AWS)",
}
MARK = "BENCH "


@contextmanager
def timed_handler(samples: list[float]) -> Iterator[None]:
    """Wrap the ingress ``handler`` so each call's duration is appended to ``samples``."""
    from handlers import slack_ingress

    original = slack_ingress.handler

    def timed(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return original(event, context)
        finally:
            samples.append(time.perf_counter() - started)

    slack_ingress.handler = timed  # type: ignore[assignment]
    try:
        yield
    finally:
        slack_ingress.handler = original  # type: ignore[assignment]


def measure(
    send: Callable[[], dict[str, Any]], expect: str, warmup: int, count: int
) -> list[float]:
    """Send ``warmup`` untimed then ``count`` timed requests; return the handler seconds."""
    for _ in range(warmup):
        check(send(), expect)
    samples: list[float] = []
    with timed_handler(samples):
        for _ in range(count):
            check(send(), expect)
    return samples


def aws_calls(send: Callable[[], dict[str, Any]]) -> list[str]:
    """The AWS operations one request makes (one untimed request, counted at botocore)."""
    from sandbox.aws_calls import counting_calls

    return counting_calls(send)[1]


def check(response: dict[str, Any], expect: str) -> None:
    """Fail loudly if the ack is not the one this benchmark means to time."""
    text = str(response.get("json", {}).get("text", ""))
    if response.get("statusCode") != 200 or expect not in text:
        raise RuntimeError(f"unexpected ack: {response!r}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def figures(samples: list[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean in milliseconds, and p50 of the first and last tenth."""
    ms = [s * 1e3 for s in samples]
    tenth = max(1, len(ms) // 10)
    return {
        "first_p50": percentile(ms[:tenth], 50),
        "last_p50": percentile(ms[-tenth:], 50),
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": statistics.fmean(ms),
    }


def more_instances(box: Any, count: int) -> list[str]:
    """Launch ``count`` more instances like the legacy one; return their ids."""
    ec2 = box.client("ec2")
    legacy = ec2.describe_instances(InstanceIds=[box.legacy.instance_id])["Reservations"][0][
        "Instances"
    ][0]
    # A /20 of its own: the legacy subnets are /24s, too small for hundreds of instances.
    subnet = ec2.create_subnet(VpcId=legacy["VpcId"], CidrBlock="10.20.16.0/20")["Subnet"]
    launched = ec2.run_instances(
        ImageId=legacy["ImageId"],
        InstanceType=legacy["InstanceType"],
        SubnetId=subnet["SubnetId"],
        MinCount=count,
        MaxCount=count,
    )["Instances"]
    return [i["InstanceId"] for i in launched]


def run_mode(mode: str, warmup: int, count: int) -> dict[str, Any]:
    """Start moto and one Sandbox in ``mode``, time help and migrate acks, stop everything."""
    from moto import mock_aws

    from bot import bootstrap
    from sandbox.aws_server import FAKE_CREDENTIALS, AwsServer
    from sandbox.harness import Sandbox
    from sandbox.legacy import APP

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server, mock, endpoint = None, None, None
    if mode == "server":
        server = AwsServer()
        endpoint = server.start()
    else:
        os.environ.update(FAKE_CREDENTIALS)
        mock = mock_aws()
        mock.start()
    box = Sandbox(endpoint_url=endpoint).start()
    try:
        os.environ["POWERTOOLS_LOG_LEVEL"] = "WARNING"  # the template's default is INFO
        bootstrap.reset()
        help_ms = figures(measure(lambda: box.slash("help"), "/migrate help", warmup, count))
        # One live migration per instance: each timed request migrates its own instance.
        targets = iter(more_instances(box, warmup + count + 1))
        migrate_ms = figures(measure(lambda: box.slash(next(targets)), "started", warmup, count))
        calls = aws_calls(lambda: box.slash(next(targets)))
        box.slash(APP)  # the legacy app is now being migrated: a second request is refused
        busy_ms = figures(measure(lambda: box.slash(APP), "already being migrated", warmup, count))
        return {
            "rows": {
                "/migrate help (no I/O)": help_ms,
                "/migrate <instance-id> (started)": migrate_ms,
                f"/migrate {APP} (refused: busy)": busy_ms,
            },
            "calls": {
                "/migrate help": aws_calls(lambda: box.slash("help")),
                "started migration": calls,
                "refused (busy) migration": aws_calls(lambda: box.slash(APP)),
            },
        }
    finally:
        box.stop()
        if server is not None:
            server.stop()
        if mock is not None:
            mock.stop()


def print_table(mode: str, results: dict[str, Any]) -> None:
    """One labelled block per mode, then the AWS calls each request made."""
    print(f"[{mode}] {MODES[mode]}")
    print(f"  {'request (ms)':38} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8} {'mean':>8}")
    for name, row in results["rows"].items():
        cells = " ".join(f"{row[k]:8.2f}" for k in ("p50", "p90", "p99", "max", "mean"))
        print(f"  {name:38} {int(row['n']):5d} {cells}")
        print(f"    p50 of the first → last tenth: {row['first_p50']:.2f} → {row['last_p50']:.2f}")
    for name, calls in results["calls"].items():
        print(f"  AWS calls per {name}: {len(calls)} ({', '.join(calls) or 'none'})")
    print()


def main(argv: list[str] | None = None) -> int:
    """Run each mode in a child process and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--mode", choices=[*MODES, "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mode")
    args = parser.parse_args(argv)
    if args.child:
        results = run_mode(args.mode, args.warmup, args.requests)
        print(MARK + json.dumps(results), flush=True)
        return 0
    print(
        f"ingress ack latency, warm: {args.warmup} warm-up then {args.requests} timed requests "
        f"per kind, handler call only, ms, Python {sys.version.split()[0]}\n"
        "migrate = look up the instance, take its lock and persist (DynamoDB), emit (PutEvents), ack.\n"
        "These figures are dominated by the emulator (moto), not by the bot or by real AWS.\n"
    )
    for mode in MODES if args.mode == "both" else [args.mode]:
        command = [sys.executable, __file__, "--child", "--mode", mode]
        command += ["--requests", str(args.requests), "--warmup", str(args.warmup)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
        marked = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
        if done.returncode != 0 or not marked:
            raise RuntimeError(f"{mode} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        print_table(mode, json.loads(marked[-1][len(MARK) :]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
