"""``migrate-bot``: the command line. ``migrate-bot sandbox`` runs the whole system locally."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from sandbox.scenarios import SCENARIOS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="migrate-bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser(
        "sandbox", help="run a scripted migration on local stand-ins for AWS and Slack"
    )
    sandbox.add_argument("--scenario", default="happy", help="scenario to run (default: happy)")
    sandbox.add_argument("--list-scenarios", action="store_true", help="name the scenarios")
    sandbox.add_argument(
        "--time-scale",
        type=float,
        default=0.0,
        help="real seconds per simulated AWS second (0 = no waiting; 0.05 feels lively)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``migrate-bot`` command."""
    args = _parser().parse_args(argv)
    if args.list_scenarios:
        for name, run in SCENARIOS.items():
            print(f"{name:22} {(run.__doc__ or '').strip()}")
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
        with Sandbox(endpoint_url=endpoint, time_scale=time_scale) as box:
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
