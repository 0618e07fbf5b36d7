"""``migrate-bot``: the command line.

``migrate-bot sandbox`` runs the whole system locally; ``migrate-bot plan`` prints the plan for
an instance of a real account, read-only, with your own AWS credentials.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import Any

from bot.plan_cli import run_plan, target_argument

#: The scripted runs' time scale: a simulated minute lasts 1.8 real seconds, so a 10-minute
#: bake lasts 18 s and the cutover's one-minute alarms see ten periods per bake.
DEFAULT_TIME_SCALE = 0.03


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate-bot", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser(
        "sandbox", help="run a scripted migration on local stand-ins for AWS and Slack"
    )
    sandbox.add_argument("--scenario", default="happy", help="scenario to run (default: happy)")
    sandbox.add_argument("--list-scenarios", action="store_true", help="name the scenarios")
    sandbox.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help="real seconds per simulated AWS second (default %(default)s: a 10-minute bake "
        "lasts 18 s; 0 = no waiting, too fast for the cutover's alarms)",
    )
    sandbox.add_argument(
        "--interactive",
        action="store_true",
        help="serve the channel as a web page to type commands and click buttons yourself",
    )
    sandbox.add_argument("--port", type=int, default=8800, help="port of the interactive page")
    sandbox.add_argument(
        "--in-process",
        action="store_true",
        help="use moto in-process instead of the moto server on a loopback port",
    )
    plan = commands.add_parser(
        "plan",
        help="print the migration plan for an instance, read-only, without the bot deployed",
        description=(
            "Discover an instance with your own AWS credentials (Describe/List/Get calls only) "
            "and print the plan card the bot would post."
        ),
    )
    plan.add_argument(
        "target",
        type=target_argument,
        metavar="instance-id | Name",
        help="instance id, Name tag or load balancer name",
    )
    plan.add_argument("--region", help="AWS region (default: the profile's or AWS_REGION)")
    plan.add_argument("--profile", help="named AWS profile (default: the credential chain)")
    plan.add_argument(
        "--hosted-zone-id",
        help="search only this Route 53 zone for the app's record (as TrafficHostedZoneId)",
    )
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``migrate-bot`` command."""
    args = _parser().parse_args(argv)
    if args.command == "plan":
        return run_plan(
            args.target,
            region=args.region,
            profile=args.profile,
            hosted_zone_id=args.hosted_zone_id,
            as_json=args.json,
        )
    from sandbox.scenarios import SCENARIOS

    if args.list_scenarios:
        for name, run in SCENARIOS.items():
            print(f"{name:22} {' '.join((run.__doc__ or '').split())}")
        return 0
    if args.scenario not in SCENARIOS:
        print(f"unknown scenario {args.scenario!r}; try --list-scenarios", file=sys.stderr)
        return 2
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.interactive:
        return _run_interactive(args.port, args.time_scale or 0.05)
    return _run_sandbox(args.scenario, args.time_scale, args.in_process)


def _run_interactive(port: int, time_scale: float) -> int:
    from sandbox.aws_server import AwsServer
    from sandbox.harness import Sandbox
    from sandbox.web import InteractiveSandbox

    server = AwsServer()
    endpoint = server.start()
    try:
        with Sandbox(endpoint_url=endpoint, time_scale=time_scale) as box:
            page = InteractiveSandbox(box, port)
            print(f"Open {page.start()} — Ctrl-C stops the sandbox.", flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                page.stop()
    finally:
        server.stop()
    return 0


def _run_sandbox(scenario: str, time_scale: float, in_process: bool) -> int:
    from moto import mock_aws

    from sandbox.aws_server import AwsServer, use_fake_credentials
    from sandbox.harness import Sandbox
    from sandbox.scenarios import SANDBOX_OPTIONS, SCENARIOS
    from sandbox.transcript import print_transcript

    started = time.perf_counter()
    server = None
    if in_process:
        use_fake_credentials()
        mock = mock_aws()
        mock.start()
        endpoint = None
    else:
        server = AwsServer()
        endpoint = server.start()
    try:
        options: dict[str, Any] = dict(SANDBOX_OPTIONS.get(scenario, {}))
        with Sandbox(endpoint_url=endpoint, time_scale=time_scale, **options) as box:
            ready = time.perf_counter() - started
            outcome = SCENARIOS[scenario](box)
            print_transcript(box, scenario, outcome, ready, time.perf_counter() - started)
    finally:
        if server is not None:
            server.stop()
        else:
            mock.stop()
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
